package flickr8k

import (
	"os"
	"path/filepath"
	"testing"
)

// benchDataset is a fixture of 500x375 photographs (Flickr8k's typical size) served
// at 224x224.
func benchDataset(b *testing.B, cacheBytes int64) (d *Dataset, idx []int, kbPerJPEG float64) {
	f := writeFixture(b, 32, 500, 375)
	cfg := fixtureConfig(f, 224)
	cfg.TestFrac, cfg.CacheBytes = 0.01, cacheBytes
	d, err := Open(cfg)
	if err != nil {
		b.Fatal(err)
	}
	var bytes int64
	for i, name := range d.Train.Images {
		if name != f.truncated {
			idx = append(idx, i)
			if st, err := os.Stat(filepath.Join(f.dir, "Images", name)); err == nil {
				bytes += st.Size()
			}
		}
	}
	// Reported next to the rate: Flickr8k's own JPEGs are of the order of 100 KB.
	return d, idx, float64(bytes) / float64(len(idx)) / 1024
}

// BenchmarkDecodeCold reports samples/s for JPEG decoding + resizing + normalising
// with no cache, on all cores:
//
//	go test -run XXX -bench Decode ./datasets/flickr8k
func BenchmarkDecodeCold(b *testing.B) {
	d, idx, kb := benchDataset(b, -1)
	dst := make([]float32, len(idx)*d.ImageSize())
	samples := 0
	for b.Loop() {
		kept, err := d.Batch(d.Train, idx, dst)
		if err != nil || len(kept) != len(idx) {
			b.Fatalf("kept %d of %d: %v", len(kept), len(idx), err)
		}
		samples += len(kept)
	}
	b.ReportMetric(float64(samples)/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(kb, "KB/jpeg")
}

// BenchmarkDecodeCached reports samples/s once every image is in the memory cache
// (the cost of an epoch after the first: cache look-up + normalising to float32).
func BenchmarkDecodeCached(b *testing.B) {
	d, idx, kb := benchDataset(b, 0)
	dst := make([]float32, len(idx)*d.ImageSize())
	if _, err := d.Batch(d.Train, idx, dst); err != nil {
		b.Fatal(err)
	}
	samples := 0
	for b.Loop() {
		kept, err := d.Batch(d.Train, idx, dst)
		if err != nil || len(kept) != len(idx) {
			b.Fatalf("kept %d of %d: %v", len(kept), len(idx), err)
		}
		samples += len(kept)
	}
	b.ReportMetric(float64(samples)/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(kb, "KB/jpeg")
}

// BenchmarkDecodeDiskCached reports samples/s when the resized images come from the
// disk cache (a later run with Config.CacheDir set) and the memory cache is off.
func BenchmarkDecodeDiskCached(b *testing.B) {
	d, idx, kb := benchDataset(b, -1)
	var err error
	if d.disk, err = newDiskCache(b.TempDir(), d.Config.Size); err != nil {
		b.Fatal(err)
	}
	dst := make([]float32, len(idx)*d.ImageSize())
	if _, err := d.Batch(d.Train, idx, dst); err != nil {
		b.Fatal(err)
	}
	samples := 0
	for b.Loop() {
		kept, err := d.Batch(d.Train, idx, dst)
		if err != nil || len(kept) != len(idx) {
			b.Fatalf("kept %d of %d: %v", len(kept), len(idx), err)
		}
		samples += len(kept)
	}
	b.ReportMetric(float64(samples)/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(kb, "KB/jpeg")
}
