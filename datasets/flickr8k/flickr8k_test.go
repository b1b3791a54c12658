package flickr8k

import (
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func open(t *testing.T, cfg Config) *Dataset {
	t.Helper()
	d, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestOpenFixture(t *testing.T) {
	f := writeFixture(t, 20, 60, 45)
	cfg := fixtureConfig(f, 16)
	cfg.ValFrac = 0.1
	d := open(t, cfg)
	r := d.Report()
	// 20 good + the truncated one (its header parses, so Open keeps it).
	if r.Images != 21 || r.Missing != 1 || r.Corrupt != 1 || r.InvalidUTF8 != 1 || r.BadRecs != 1 || r.Captions != 21*fixtureCaps {
		t.Errorf("report %+v", r)
	}
	line := r.String()
	for _, want := range []string{f.dir, "21 images", "1 missing images", "1 corrupt images", "1 captions not valid UTF-8", "missing " + f.missing} {
		if !strings.Contains(line, want) || strings.Contains(line, "\n") {
			t.Errorf("report line %q lacks %q", line, want)
		}
	}
	// Splits by image: disjoint, covering every usable image once, with its captions.
	seen := map[string]string{}
	for _, s := range []*Split{d.Train, d.Val, d.Test} {
		if len(s.Captions) != s.Len() {
			t.Fatalf("%s: %d caption lists for %d images", s.Name, len(s.Captions), s.Len())
		}
		for i, img := range s.Images {
			if other, dup := seen[img]; dup {
				t.Fatalf("%s in %s and %s", img, other, s.Name)
			}
			seen[img] = s.Name
			if len(s.Captions[i]) != fixtureCaps || s.Captions[i][1] != "A dog, a cat, and a bird play ." || s.Captions[i][2] != "Two men , one in red , walk ." {
				t.Fatalf("%s captions %q", img, s.Captions[i])
			}
		}
	}
	if len(seen) != 21 || seen[f.missing] != "" || seen[f.corrupt] != "" {
		t.Errorf("splits hold %d images (%v)", len(seen), seen)
	}
	// 24 images named: round(24*0.2) = 5 test and round(24*0.1) = 2 val before dropping 2.
	if n := d.Test.Len() + d.Val.Len(); n < 5 || n > 7 || d.Val.Len() > 2 {
		t.Errorf("test %d val %d train %d", d.Test.Len(), d.Val.Len(), d.Train.Len())
	}
	if got := len(d.Train.Pairs()); got != d.Train.Len()*fixtureCaps {
		t.Errorf("%d train pairs for %d images", got, d.Train.Len())
	}
	// The split is a function of the seed.
	again := open(t, cfg)
	if !slices.Equal(again.Test.Images, d.Test.Images) || !slices.Equal(again.Train.Images, d.Train.Images) {
		t.Error("same seed, different split")
	}
	cfg.Seed = 2
	if other := open(t, cfg); slices.Equal(other.Test.Images, d.Test.Images) && slices.Equal(other.Val.Images, d.Val.Images) {
		t.Error("seeds 1 and 2 give the same split")
	}
}

func TestOpenErrors(t *testing.T) {
	f := writeFixture(t, 3, 20, 20)
	noImages := t.TempDir()
	_ = os.WriteFile(filepath.Join(noImages, "captions.txt"), []byte("image,caption\nx.jpg,a\n"), 0o644)
	noCaptions := t.TempDir()
	_ = os.Mkdir(filepath.Join(noCaptions, "Images"), 0o755)
	onlyMissing := t.TempDir()
	_ = os.Mkdir(filepath.Join(onlyMissing, "Images"), 0o755)
	_ = os.WriteFile(filepath.Join(onlyMissing, "captions.txt"), []byte("image,caption\nx.jpg,a\n"), 0o644)
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Dir: noImages}, filepath.Join(noImages, "Images") + ": images directory does not exist"},
		{Config{Dir: filepath.Join(f.dir, "nope")}, "images directory does not exist"},
		{Config{Dir: noCaptions}, filepath.Join(noCaptions, "captions.txt")},
		{Config{Dir: onlyMissing}, "no usable image"},
		{Config{Dir: f.dir, Size: -3}, "Size -3"},
		{Config{Dir: f.dir, TestFrac: 0.6, ValFrac: 0.5}, "TestFrac 0.6 + ValFrac 0.5"},
	} {
		_, err := Open(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Open(%+v): %v, want one line containing %q", tc.cfg, err, tc.want)
		}
	}
}

func TestBatchSkipsCorruptOnce(t *testing.T) {
	f := writeFixture(t, 6, 40, 30)
	cfg := fixtureConfig(f, 8)
	cfg.TestFrac = 0.01 // everything in train (round(9*0.01) = 0)
	d := open(t, cfg)
	s := d.Train
	all := make([]int, s.Len())
	for i := range all {
		all[i] = i
	}
	trunc := slices.Index(s.Images, f.truncated)
	if trunc < 0 {
		t.Fatalf("the truncated image is not in train: %q", s.Images)
	}
	dst := make([]float32, len(all)*d.ImageSize())
	for epoch := range 3 {
		kept, err := d.Batch(s, all, dst)
		if err != nil {
			t.Fatal(err)
		}
		if want := slices.Delete(slices.Clone(all), trunc, trunc+1); !slices.Equal(kept, want) {
			t.Fatalf("epoch %d: kept %v, want %v", epoch, kept, want)
		}
	}
	if r := d.Report(); r.Corrupt != 2 || r.Images != 6 || !strings.Contains(r.String(), "corrupt "+f.truncated) {
		t.Errorf("after 3 epochs: %s", r)
	}
	if _, err := d.Batch(s, []int{0}, dst[:1]); err == nil {
		t.Error("Batch into a short dst: no error")
	}
	if _, err := d.Image("../captions.txt"); err == nil {
		t.Error("Image outside the images directory: no error")
	}
	if _, err := d.Batch(s, []int{s.Len()}, dst); err == nil {
		t.Error("Batch with an index out of range: no error")
	}
	imgs, err := d.Images(s)
	if err != nil {
		t.Fatal(err)
	}
	if imgs.N != 6 || imgs.H != 8 || slices.Contains(imgs.Labels, int32(trunc)) {
		t.Errorf("Images: N %d H %d labels %v", imgs.N, imgs.H, imgs.Labels)
	}
}

func TestPixelValues(t *testing.T) {
	f := writeFixture(t, 3, 64, 48)
	d := open(t, fixtureConfig(f, 16))
	s, i := d.Train, slices.Index(d.Train.Images, f.solidName)
	if i < 0 {
		s, i = d.Test, slices.Index(d.Test.Images, f.solidName)
	}
	dst := make([]float32, d.ImageSize())
	kept, err := d.Batch(s, []int{i}, dst)
	if err != nil || len(kept) != 1 {
		t.Fatalf("Batch: %v %v", kept, err)
	}
	// A solid colour survives JPEG and resizing within a few levels.
	rgb := [3]float32{float32(f.solidRGB.R), float32(f.solidRGB.G), float32(f.solidRGB.B)}
	for p := 0; p < len(dst); p += 3 {
		for c := range 3 {
			want := (rgb[c]/255 - Mean[c]) / Std[c]
			if math.Abs(float64(dst[p+c]-want)) > 4/255.0/float64(Std[c]) {
				t.Fatalf("value %d channel %d = %.4f, want %.4f", p/3, c, dst[p+c], want)
			}
		}
	}
}

func TestNormalize(t *testing.T) {
	dst := make([]float32, 6)
	Normalize([]uint8{0, 128, 255, 255, 0, 0}, dst)
	want := []float64{-0.485 / 0.229, (128.0/255 - 0.456) / 0.224, (1 - 0.406) / 0.225, (1 - 0.485) / 0.229, -0.456 / 0.224, -0.406 / 0.225}
	for i := range want {
		if math.Abs(float64(dst[i])-want[i]) > 1e-5 {
			t.Errorf("dst[%d] = %.6f, want %.6f", i, dst[i], want[i])
		}
	}
}

func TestDiskCache(t *testing.T) {
	f := writeFixture(t, 3, 40, 30)
	cfg := fixtureConfig(f, 8)
	cfg.CacheDir = t.TempDir()
	first := open(t, cfg)
	pix, err := first.Image(f.solidName)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cfg.CacheDir, "8", f.solidName+".rgb")); err != nil {
		t.Fatalf("no disk cache file: %v", err)
	}
	// Replace the JPEG by another colour: a new dataset still serves the cached pixels.
	writeJPEG(t, filepath.Join(f.dir, "Images", f.solidName), solid(40, 30, color.RGBA{0, 0, 255, 255}))
	second := open(t, cfg)
	again, err := second.Image(f.solidName)
	if err != nil || !slices.Equal(again, pix) {
		t.Errorf("second dataset: %v, pixels equal %v", err, slices.Equal(again, pix))
	}
	// Without the disk cache the new colour shows.
	cfg.CacheDir = ""
	fresh, err := open(t, cfg).Image(f.solidName)
	if err != nil || fresh[2] < 200 || fresh[0] > 50 {
		t.Errorf("without cache: %v, first pixel %v", err, fresh[:3])
	}
}

func TestLRU(t *testing.T) {
	c := newLRU(10)
	c.put("a", make([]uint8, 4))
	c.put("b", make([]uint8, 4))
	if _, ok := c.get("a"); !ok { // a is now the most recent
		t.Fatal("a evicted early")
	}
	c.put("c", make([]uint8, 4)) // 12 > 10: evicts b, the least recent
	if _, ok := c.get("b"); ok {
		t.Error("b still cached")
	}
	if _, ok := c.get("a"); !ok {
		t.Error("a evicted")
	}
	c.put("huge", make([]uint8, 11))
	if _, ok := c.get("huge"); ok || c.len() != 2 {
		t.Errorf("an entry over capacity was cached (len %d)", c.len())
	}
}
