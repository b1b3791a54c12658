// Package flickr8k reads the Flickr8k image-caption dataset (section 10.4 of the
// chapter) in its standard layout:
//
//	DIR/captions.txt   "image,caption" header, then 5 captions per image
//	DIR/Images/*.jpg   8091 JPEG photographs
//
// The chapter's loader read the header line as data and printed "Image file not found:
// ./data/flickr8k/Images/image" every epoch. Here the header is required and checked,
// captions follow CSV rules, and images that are missing (checked at Open) or corrupt
// (found at Open from their header, or when decoding) are skipped, counted, and
// summed up in one Report, printed once by the caller, never once per epoch. Images
// are read by content (imageproc.Decode), so a PNG saved under a .jpg name is good.
//
// Splits are by image, so no image and none of its captions is in two splits. Images
// are decoded in parallel, resized (shorter side to Config.Size, then centre crop) and
// kept in an in-memory LRU cache, optionally also on disk; Batch normalises them with
// the ImageNet mean and standard deviation.
package flickr8k

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/mmdna/mmdna/imageproc"
)

// Config says where the data is and how to serve it.
type Config struct {
	// Dir holds captions.txt and Images/.
	Dir string
	// Size is the side of the square images, 224 by default.
	Size int
	// TestFrac and ValFrac are the shares of images in the test and validation
	// splits; the rest is train. Both 0 means the default: 0.2 test, no val.
	TestFrac, ValFrac float64
	// Seed fixes the split.
	Seed uint64
	// Workers decode in parallel; 0 means GOMAXPROCS.
	Workers int
	// CacheBytes bounds the in-memory cache of resized images; 0 means 2 GiB (all of
	// Flickr8k at 224x224 takes 1.2 GB, so every epoch after the first is served from
	// memory), a negative value turns the cache off.
	CacheBytes int64
	// CacheDir, if set, keeps resized images on disk as well (raw RGB, one file per
	// image and size), so that later runs skip JPEG decoding.
	CacheDir string
}

// DefaultConfig reads dir with 224x224 images and an 80/20 train/test split.
func DefaultConfig(dir string) Config {
	return Config{Dir: dir, Size: 224, TestFrac: 0.2, Seed: 1}
}

// Split is a set of images with their captions.
type Split struct {
	Name     string
	Images   []string   // image file names, relative to DIR/Images
	Captions [][]string // the captions of each image
}

// Len returns the number of images.
func (s *Split) Len() int { return len(s.Images) }

// Pair is one (image, caption) example; Image indexes Split.Images.
type Pair struct {
	Image   int
	Caption string
}

// Pairs returns every (image, caption) pair of the split, images in order.
func (s *Split) Pairs() []Pair {
	var p []Pair
	for i, caps := range s.Captions {
		for _, c := range caps {
			p = append(p, Pair{Image: i, Caption: c})
		}
	}
	return p
}

// Report sums up what was read and what was skipped.
type Report struct {
	Dir                  string
	Images, Captions     int      // usable images and their captions
	Missing, Corrupt     int      // images skipped
	InvalidUTF8, BadRecs int      // caption records skipped
	Examples             []string // up to 3 skipped images, with the reason
	CacheWriteErrors     int      // images the disk cache failed to store
}

// String returns the report on one line.
func (r Report) String() string {
	s := fmt.Sprintf("flickr8k: %s: %d images, %d captions", r.Dir, r.Images, r.Captions)
	var skipped []string
	for _, k := range []struct {
		n    int
		what string
	}{{r.Missing, "missing images"}, {r.Corrupt, "corrupt images"},
		{r.InvalidUTF8, "captions not valid UTF-8"}, {r.BadRecs, "malformed caption records"},
		{r.CacheWriteErrors, "disk cache write errors"}} {
		if k.n > 0 {
			skipped = append(skipped, fmt.Sprintf("%d %s", k.n, k.what))
		}
	}
	if len(skipped) > 0 {
		s += "; skipped " + strings.Join(skipped, ", ")
	}
	if len(r.Examples) > 0 {
		s += " (" + strings.Join(r.Examples, "; ") + ")"
	}
	return s
}

// Dataset is an opened Flickr8k directory. Its methods are safe for concurrent use.
type Dataset struct {
	Config           Config
	Train, Val, Test *Split
	imagesDir        string
	cache            *lru
	disk             *diskCache

	mu     sync.Mutex
	report Report
	bad    map[string]bool // images that failed to decode: not tried again
}

// Open reads captions.txt, checks that every image exists and has a JPEG header, and
// splits the images.
func Open(cfg Config) (*Dataset, error) {
	def := DefaultConfig(cfg.Dir)
	if cfg.Size == 0 {
		cfg.Size = def.Size
	}
	if cfg.TestFrac == 0 && cfg.ValFrac == 0 {
		cfg.TestFrac = def.TestFrac
	}
	switch {
	case cfg.Size < 1 || cfg.Size > 4096:
		return nil, fmt.Errorf("flickr8k: Size %d: want 1..4096", cfg.Size)
	case cfg.TestFrac < 0 || cfg.ValFrac < 0 || cfg.TestFrac+cfg.ValFrac >= 1:
		return nil, fmt.Errorf("flickr8k: TestFrac %g + ValFrac %g: want non-negative shares that leave some train", cfg.TestFrac, cfg.ValFrac)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.CacheBytes == 0 {
		cfg.CacheBytes = 2 << 30
	}
	d := &Dataset{Config: cfg, imagesDir: filepath.Join(cfg.Dir, "Images"), bad: map[string]bool{}}
	if st, err := os.Stat(d.imagesDir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("flickr8k: %s: images directory does not exist", d.imagesDir)
	}
	caps, err := ReadCaptions(filepath.Join(cfg.Dir, "captions.txt"))
	if err != nil {
		return nil, err
	}
	if cfg.CacheBytes > 0 {
		d.cache = newLRU(cfg.CacheBytes)
	}
	if cfg.CacheDir != "" {
		if d.disk, err = newDiskCache(cfg.CacheDir, cfg.Size); err != nil {
			return nil, err
		}
	}
	d.report = Report{Dir: cfg.Dir, InvalidUTF8: caps.InvalidUTF8, BadRecs: caps.BadRecords}
	ok := d.checkImages(caps.Images)
	d.split(caps, ok)
	for _, s := range []*Split{d.Train, d.Val, d.Test} {
		d.report.Images += s.Len()
		for _, c := range s.Captions {
			d.report.Captions += len(c)
		}
	}
	if d.Train.Len() == 0 {
		return nil, fmt.Errorf("flickr8k: %s: no usable image (%s)", d.imagesDir, d.report)
	}
	return d, nil
}

// checkImages stats every image and reads its header (by content: PNG, JPEG, GIF,
// BMP or WebP), in parallel; it returns which are usable and counts the others.
func (d *Dataset) checkImages(names []string) []bool {
	ok := make([]bool, len(names))
	reason := make([]string, len(names))
	parallel(len(names), d.Config.Workers, func(i int) {
		_, _, err := imageproc.DecodeConfig(filepath.Join(d.imagesDir, names[i]))
		var notOpened *fs.PathError
		switch {
		case errors.As(err, &notOpened):
			reason[i] = "missing"
		case err != nil:
			reason[i] = "corrupt"
		default:
			ok[i] = true
		}
	})
	for i, r := range reason {
		switch r {
		case "missing":
			d.report.Missing++
		case "corrupt":
			d.report.Corrupt++
		}
		if r != "" && len(d.report.Examples) < 3 {
			d.report.Examples = append(d.report.Examples, r+" "+names[i])
		}
	}
	return ok
}

// split assigns images to test, val and train by a seeded permutation of all the
// images named in captions.txt (so an image's split does not depend on which others
// are missing), then drops the unusable ones.
func (d *Dataset) split(caps *Captions, ok []bool) {
	n := len(caps.Images)
	perm := rand.New(rand.NewPCG(d.Config.Seed, 0xf1c4_8c)).Perm(n)
	nTest := int(math.Round(float64(n) * d.Config.TestFrac))
	nVal := int(math.Round(float64(n) * d.Config.ValFrac))
	make1 := func(name string, idx []int) *Split {
		slices.Sort(idx) // file order, for readable listings
		s := &Split{Name: name}
		for _, i := range idx {
			if ok[i] {
				img := caps.Images[i]
				s.Images = append(s.Images, img)
				s.Captions = append(s.Captions, caps.ByImage[img])
			}
		}
		return s
	}
	d.Test = make1("test", slices.Clone(perm[:nTest]))
	d.Val = make1("val", slices.Clone(perm[nTest:nTest+nVal]))
	d.Train = make1("train", slices.Clone(perm[nTest+nVal:]))
}

// Report returns the summary of what was read and skipped so far (decoding can find
// more corrupt images after Open).
func (d *Dataset) Report() Report {
	d.mu.Lock()
	defer d.mu.Unlock()
	r := d.report
	r.Examples = slices.Clone(r.Examples)
	return r
}

// parallel runs f(0..n-1) on up to workers goroutines.
func parallel(n, workers int, f func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(workers, n) {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
