package fmnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mmdna/mmdna/datasets"
)

// idx builds an IDX file: the magic number, the dimensions, the payload.
func idx(magic uint32, dims []uint32, payload []byte) []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.BigEndian, magic)
	for _, d := range dims {
		_ = binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(payload)
	return b.Bytes()
}

func gz(data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write(data)
	_ = w.Close()
	return b.Bytes()
}

// seq returns n bytes 0, 1, 2, ... (mod 256).
func seq(n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = byte(i)
	}
	return out
}

func TestReadIDX(t *testing.T) {
	images := idx(magicImages, []uint32{2, 3, 4}, seq(24))
	labels := idx(magicLabels, []uint32{5}, []byte{9, 0, 3, 3, 1})
	corrupt := gz(images)
	corrupt[len(corrupt)-12] ^= 0xff // inside the deflate data or its CRC
	cases := []struct {
		name     string
		in       []byte
		wantDims []int
		wantErr  string
	}{
		{"images", images, []int{2, 3, 4}, ""},
		{"labels", labels, []int{5}, ""},
		{"gzip images", gz(images), []int{2, 3, 4}, ""},
		{"empty images", idx(magicImages, []uint32{0, 28, 28}, nil), []int{0, 28, 28}, ""},
		{"empty file", nil, nil, "truncated header: 0 bytes, want 4"},
		{"short header", []byte{0, 0, 8}, nil, "truncated header: 3 bytes"},
		{"not idx", idx(0x01000803, []uint32{1}, nil), nil, "bad magic number 0x01000803"},
		{"wrong dtype", idx(0x00000903, []uint32{1, 1, 1}, []byte{1}), nil, "element type 0x09, want 0x08"},
		{"wrong dimension count", idx(0x00000802, []uint32{1, 1}, []byte{1}), nil, "magic 0x00000802 has 2 dimensions"},
		{"truncated dims", idx(magicImages, []uint32{2, 3}, nil), nil, "truncated header: 8 of 12 dimension bytes"},
		{"truncated payload", images[:len(images)-1], nil, "truncated: 23 payload bytes, want 24"},
		{"trailing bytes", append(slices.Clone(images), 0), nil, "trailing data after the 24 payload bytes"},
		{"gzip truncated", gz(images)[:30], nil, "truncated"},
		{"gzip corrupted", corrupt, nil, "(gzip)"},
		{"gzip bad header", []byte{0x1f, 0x8b, 0, 0}, nil, "gzip:"},
		{"huge dimension", idx(magicLabels, []uint32{0xffffffff}, nil), nil, "over the 1073741824 limit"},
		{"huge product", idx(magicImages, []uint32{1 << 20, 1 << 10, 2}, nil), nil, "announce over 1073741824 bytes"},
	}
	for _, tc := range cases {
		dims, _, err := ReadIDX(bytes.NewReader(tc.in), "x.idx")
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: err = %v, want it to contain %q", tc.name, err, tc.wantErr)
			} else if !strings.HasPrefix(err.Error(), "fmnist: x.idx") {
				t.Errorf("%s: error %q does not name the file", tc.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !slices.Equal(dims, tc.wantDims) {
			t.Errorf("%s: dims %v, want %v", tc.name, dims, tc.wantDims)
		}
	}
	_, data, err := ReadIDX(bytes.NewReader(gz(images)), "x")
	if err != nil || !slices.Equal(data, seq(24)) {
		t.Errorf("gzip payload = %v, %v; want 0..23", data, err)
	}
}

// writeSet writes an images and a labels file in dir; gzip selects the .gz names.
func writeSet(t *testing.T, dir, imagesBase, labelsBase string, images, labels []byte, compress bool) {
	t.Helper()
	ext := ""
	if compress {
		images, labels, ext = gz(images), gz(labels), ".gz"
	}
	if err := os.WriteFile(filepath.Join(dir, imagesBase+ext), images, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, labelsBase+ext), labels, 0o644); err != nil {
		t.Fatal(err)
	}
}

// smallDir writes a valid 3-train, 2-test data set (train gzipped, test raw) and
// lets edit replace any of the four files' contents first.
func smallDir(t *testing.T, edit func(files map[string][]byte)) string {
	dir := t.TempDir()
	files := map[string][]byte{
		TrainImages: idx(magicImages, []uint32{3, 28, 28}, seq(3*784)),
		TrainLabels: idx(magicLabels, []uint32{3}, []byte{9, 0, 4}),
		TestImages:  idx(magicImages, []uint32{2, 28, 28}, bytes.Repeat([]byte{7}, 2*784)),
		TestLabels:  idx(magicLabels, []uint32{2}, []byte{1, 2}),
	}
	if edit != nil {
		edit(files)
	}
	writeSet(t, dir, TrainImages, TrainLabels, files[TrainImages], files[TrainLabels], true)
	writeSet(t, dir, TestImages, TestLabels, files[TestImages], files[TestLabels], false)
	return dir
}

func TestLoadSmall(t *testing.T) {
	train, test, err := Load(smallDir(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 3 || test.N != 2 || train.H != 28 || train.W != 28 || train.C != 1 {
		t.Fatalf("train %d×%d×%d×%d, test %d; want 3×28×28×1 and 2", train.N, train.H, train.W, train.C, test.N)
	}
	if !slices.Equal(train.Pixels, seq(3*784)) || !slices.Equal(train.Labels, []int32{9, 0, 4}) {
		t.Error("train pixels or labels differ from the file")
	}
	if !slices.Equal(test.Labels, []int32{1, 2}) || test.Pixels[2*784-1] != 7 {
		t.Errorf("test labels %v, last pixel %d; want [1 2] and 7", test.Labels, test.Pixels[2*784-1])
	}
	if train.Classes[9] != "Ankle boot" || len(train.Classes) != 10 {
		t.Errorf("classes %v", train.Classes)
	}
}

func TestLoadMalformed(t *testing.T) {
	cases := []struct {
		name, want string
		edit       func(files map[string][]byte)
	}{
		{"count mismatch", "2 labels for the 3 images of", func(f map[string][]byte) {
			f[TrainLabels] = idx(magicLabels, []uint32{2}, []byte{1, 1})
		}},
		{"label out of range", "label 10 of image 1 out of range [0, 10)", func(f map[string][]byte) {
			f[TestLabels] = idx(magicLabels, []uint32{2}, []byte{1, 10})
		}},
		{"wrong image size", "images are 27x28, want 28x28", func(f map[string][]byte) {
			f[TrainImages] = idx(magicImages, []uint32{3, 27, 28}, seq(3*27*28))
		}},
		{"labels in images file", "1 dimensions, want 3", func(f map[string][]byte) {
			f[TestImages] = idx(magicLabels, []uint32{2}, []byte{1, 2})
		}},
		{"images in labels file", "3 dimensions, want 1", func(f map[string][]byte) {
			f[TestLabels] = idx(magicImages, []uint32{2, 1, 1}, []byte{1, 2})
		}},
		{"truncated", TestImages + ": truncated: 1567 payload bytes, want 1568", func(f map[string][]byte) {
			f[TestImages] = f[TestImages][:len(f[TestImages])-1]
		}},
	}
	for _, tc := range cases {
		_, _, err := Load(smallDir(t, tc.edit))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
}

func TestLoadMissing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	_, _, err := Load(missing)
	want := "fmnist: " + missing + ": no such directory (install with: make data)"
	if err == nil || err.Error() != want {
		t.Errorf("missing dir: err = %v, want %q", err, want)
	}
	dir := smallDir(t, nil)
	if err := os.Remove(filepath.Join(dir, TestLabels)); err != nil {
		t.Fatal(err)
	}
	_, _, err = Load(dir)
	want = "fmnist: " + filepath.Join(dir, TestLabels) + "(.gz): no such file (install with: make data)"
	if err == nil || err.Error() != want {
		t.Errorf("missing file: err = %v, want %q", err, want)
	}
}

// realData loads DefaultDir, skipping the test when it is not installed.
func realData(t *testing.T) (train, test *datasets.Images) {
	t.Helper()
	if _, err := os.Stat(DefaultDir); err != nil {
		t.Skipf("%s not installed (make data)", DefaultDir)
	}
	train, test, err := Load(DefaultDir)
	if err != nil {
		t.Fatal(err)
	}
	return train, test
}

func TestLoadRealData(t *testing.T) {
	train, test := realData(t)
	for _, c := range []struct {
		set      *datasets.Images
		n, class int
	}{{train, 60000, 6000}, {test, 10000, 1000}} {
		if c.set.N != c.n {
			t.Errorf("%s: %d images, want %d", c.set.Name, c.set.N, c.n)
		}
		var hist [NumClasses]int
		for _, l := range c.set.Labels {
			hist[l]++
		}
		for k, h := range hist {
			if h != c.class {
				t.Errorf("%s: class %d (%s) has %d images, want %d", c.set.Name, k, Classes[k], h, c.class)
			}
		}
	}
}

func TestMeanStdFromRealData(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 47 MB of pixels; run without -short")
	}
	train, _ := realData(t)
	var sum float64
	for _, p := range train.Pixels {
		sum += float64(p) / 255
	}
	mean := sum / float64(len(train.Pixels))
	var ss float64
	for _, p := range train.Pixels {
		d := float64(p)/255 - mean
		ss += d * d
	}
	std := math.Sqrt(ss / float64(len(train.Pixels)))
	if math.Abs(mean-Mean) > 1e-9 || math.Abs(std-Std) > 1e-9 {
		t.Errorf("train mean %.16g std %.16g, constants say %.16g and %.16g", mean, std, Mean, Std)
	}
}

func FuzzReadIDX(f *testing.F) {
	f.Add(idx(magicImages, []uint32{2, 3, 4}, seq(24)))
	f.Add(idx(magicLabels, []uint32{3}, []byte{1, 2, 3}))
	f.Add(gz(idx(magicLabels, []uint32{3}, []byte{1, 2, 3})))
	f.Add(idx(magicImages, []uint32{1, 2, 2}, seq(5)))
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, in []byte) {
		dims, data, err := ReadIDX(bytes.NewReader(in), "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fmnist: fuzz") || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q: want one line naming the input", err)
			}
			return
		}
		if len(dims) != 1 && len(dims) != 3 {
			t.Fatalf("accepted %d dimensions", len(dims))
		}
		prod := 1
		for _, d := range dims {
			prod *= d
		}
		if len(data) != prod {
			t.Fatalf("dims %v but %d payload bytes", dims, len(data))
		}
		// A raw file is accepted only at its exact size.
		if len(in) > 0 && in[0] == 0 && len(in) != 4+4*len(dims)+prod {
			t.Fatalf("raw input of %d bytes accepted for dims %v", len(in), dims)
		}
	})
}
