package flickr8k

import (
	"fmt"
	"path/filepath"

	"github.com/mmdna/mmdna/datasets"
	"github.com/mmdna/mmdna/imageproc"
)

// Image returns an image decoded and resized to [Size, Size, 3] uint8 RGB, from the
// memory cache, the disk cache or the image file. The slice may be shared with the
// cache: do not modify it. An image that fails to decode is counted once in the
// Report and fails at once on later calls.
func (d *Dataset) Image(name string) ([]uint8, error) {
	if !validImageName(name) {
		return nil, fmt.Errorf("flickr8k: image name %q: want a file name inside %s", name, d.imagesDir)
	}
	if d.cache != nil {
		if pix, ok := d.cache.get(name); ok {
			return pix, nil
		}
	}
	d.mu.Lock()
	bad := d.bad[name]
	d.mu.Unlock()
	if bad {
		return nil, fmt.Errorf("flickr8k: %s: corrupt image (skipped)", filepath.Join(d.imagesDir, name))
	}
	pix, ok := []uint8(nil), false
	if d.disk != nil {
		pix, ok = d.disk.get(name)
	}
	if !ok {
		var err error
		if pix, err = d.decode(name); err != nil {
			d.markBad(name, err)
			return nil, err
		}
		if d.disk != nil {
			if err := d.disk.put(name, pix); err != nil {
				d.mu.Lock()
				d.report.CacheWriteErrors++
				d.mu.Unlock()
			}
		}
	}
	if d.cache != nil {
		d.cache.put(name, pix)
	}
	return pix, nil
}

// decode reads an image by its content (imageproc.Decode: a PNG named .jpg is a good
// image) and resizes it to [Size, Size, 3].
func (d *Dataset) decode(name string) ([]uint8, error) {
	path := filepath.Join(d.imagesDir, name)
	img, err := imageproc.Decode(path)
	if err != nil {
		return nil, fmt.Errorf("flickr8k: %w", err) // the error names the file
	}
	pix, err := ResizeCrop(img, d.Config.Size)
	if err != nil {
		return nil, fmt.Errorf("flickr8k: %s: %v", path, err)
	}
	return pix, nil
}

// markBad records a decoding failure once: the image leaves the usable count and joins
// the corrupt one.
func (d *Dataset) markBad(name string, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.bad[name] {
		return
	}
	d.bad[name] = true
	d.report.Corrupt++
	d.report.Images--
	if len(d.report.Examples) < 3 {
		d.report.Examples = append(d.report.Examples, "corrupt "+name)
	}
}

// ImageSize returns the number of values of one image, Size*Size*3.
func (d *Dataset) ImageSize() int { return d.Config.Size * d.Config.Size * 3 }

// Batch decodes the images idx of a split in parallel and writes them, normalised with
// the ImageNet mean and std, to the front of dst: [len(kept), Size, Size, 3] float32.
// Images that fail to decode are skipped; kept lists the split indices written, in
// order, so that the caller takes the matching captions. dst must hold len(idx) images.
func (d *Dataset) Batch(s *Split, idx []int, dst []float32) (kept []int, err error) {
	n := d.ImageSize()
	if len(dst) < len(idx)*n {
		return nil, fmt.Errorf("flickr8k: Batch: dst holds %d values, want %d (%d images)", len(dst), len(idx)*n, len(idx))
	}
	for _, i := range idx {
		if i < 0 || i >= s.Len() {
			return nil, fmt.Errorf("flickr8k: Batch: index %d out of range [0, %d) of split %s", i, s.Len(), s.Name)
		}
	}
	pix := make([][]uint8, len(idx))
	parallel(len(idx), d.Config.Workers, func(j int) {
		pix[j], _ = d.Image(s.Images[idx[j]]) // failures are counted in the Report
	})
	kept = make([]int, 0, len(idx))
	for j, p := range pix {
		if p == nil {
			continue
		}
		Normalize(p, dst[len(kept)*n:(len(kept)+1)*n])
		kept = append(kept, idx[j])
	}
	return kept, nil
}

// Images decodes a whole split into an in-memory uint8 image set, [N, Size, Size, 3],
// for small sizes (at 64x64 all of Flickr8k takes 100 MB; at 224, 1.2 GB). Labels[k] is
// the index in s of image k (images that fail to decode are left out), so captions are
// s.Captions[Labels[k]].
func (d *Dataset) Images(s *Split) (*datasets.Images, error) {
	n := d.ImageSize()
	pix := make([][]uint8, s.Len())
	parallel(s.Len(), d.Config.Workers, func(i int) {
		pix[i], _ = d.Image(s.Images[i])
	})
	good := 0
	for _, p := range pix {
		if p != nil {
			good++
		}
	}
	out := &datasets.Images{Name: "flickr8k/" + s.Name, H: d.Config.Size, W: d.Config.Size, C: 3,
		Pixels: make([]uint8, 0, good*n), Labels: make([]int32, 0, good)}
	for i, p := range pix {
		if p != nil {
			out.Pixels = append(out.Pixels, p...)
			out.Labels = append(out.Labels, int32(i))
		}
	}
	out.N = len(out.Labels)
	if len(out.Pixels) != out.N*n {
		return nil, fmt.Errorf("flickr8k: %s: %d pixel bytes for %d images", s.Name, len(out.Pixels), out.N)
	}
	return out, out.Validate()
}
