package datasets

import (
	"fmt"
	"math"
)

// Augment selects the training-time augmentations of an ImageBatcher. The zero
// value turns them all off.
type Augment struct {
	// CropPad > 0 pads each image with CropPad zero pixels on every side and crops a
	// random H×W window back out (the CIFAR-10 "pad 4, crop 32" recipe). The padding
	// is black (raw pixel 0, as torchvision's RandomCrop pads before ToTensor), so
	// after normalisation it reads -mean/std.
	CropPad int
	// HFlip mirrors each image left-right with probability 1/2.
	HFlip bool
}

// ImageBatcher yields normalised, optionally augmented batches of an Images set.
// Batch(step) is a pure function of (Seed, step): its images are those of Epochs'
// batch step and the augmentation comes from StepRNG(Seed, step), so a run resumed at
// step s sees the batches an uninterrupted run would have seen.
//
// An ImageBatcher is safe for concurrent use (e.g. a prefetch goroutine) once its
// fields are set; it must not be copied after first use.
type ImageBatcher struct {
	Set       *Images
	BatchSize int
	Seed      uint64
	// Mean and Std are per channel and apply to pixel/255:
	// x = (pixel/255 - Mean[c]) / Std[c]. Both nil means x = pixel/255.
	Mean, Std []float32
	Augment   Augment

	cache orderCache // the order of the current epoch (see Epochs).
}

// StepsPerEpoch returns N / BatchSize: the last partial batch of an epoch is
// dropped (those images are seen in other epochs, whose order differs). It
// returns 0 when there is no set or BatchSize is not positive.
func (b *ImageBatcher) StepsPerEpoch() int {
	if b.Set == nil || b.BatchSize <= 0 {
		return 0
	}
	return b.Set.N / b.BatchSize
}

// Validate checks the set, the batch size (at least one full batch per epoch),
// the normalisation constants and the augmentation. Batch and BatchInto assume it
// passed.
func (b *ImageBatcher) Validate() error {
	if b.Set == nil {
		return fmt.Errorf("datasets: ImageBatcher: Set is nil")
	}
	if err := b.Set.Validate(); err != nil {
		return err
	}
	s := b.Set
	if b.BatchSize <= 0 {
		return fmt.Errorf("datasets: %s: batch size %d must be positive", s.Name, b.BatchSize)
	}
	if b.StepsPerEpoch() < 1 {
		return fmt.Errorf("datasets: %s: batch size %d is larger than the %d images", s.Name, b.BatchSize, s.N)
	}
	if b.Mean != nil || b.Std != nil {
		if len(b.Mean) != s.C || len(b.Std) != s.C {
			return fmt.Errorf("datasets: %s: Mean has %d and Std %d values, want one per channel (%d)",
				s.Name, len(b.Mean), len(b.Std), s.C)
		}
		for c := range s.C {
			m, sd := float64(b.Mean[c]), float64(b.Std[c])
			if math.IsNaN(m) || math.IsInf(m, 0) || !(sd > 0) || math.IsInf(sd, 0) {
				return fmt.Errorf("datasets: %s: channel %d: mean %g, std %g: want finite mean and std > 0",
					s.Name, c, m, sd)
			}
		}
	}
	if b.Augment.CropPad < 0 {
		return fmt.Errorf("datasets: %s: Augment.CropPad %d must be >= 0", s.Name, b.Augment.CropPad)
	}
	return nil
}

// Batch returns batch number step (>= 0), freshly allocated.
// x: [BatchSize, H, W, C] normalised pixels; y: [BatchSize] labels.
func (b *ImageBatcher) Batch(step int) (x []float32, y []int32) {
	s := b.Set
	x = make([]float32, b.BatchSize*s.ImageSize())
	y = make([]int32, b.BatchSize)
	b.BatchInto(step, x, y)
	return x, y
}

// BatchInto writes batch number step (>= 0) into caller buffers, so a training
// loop can reuse them: x: [BatchSize, H, W, C], y: [BatchSize]. It allocates
// only once per epoch (the new epoch's order) and a small generator per step
// when augmenting.
//
// Like indexing a slice, it panics on a negative step or buffers of the wrong
// length: those are programming errors, not bad data.
func (b *ImageBatcher) BatchInto(step int, x []float32, y []int32) {
	s := b.Set
	spe := b.StepsPerEpoch()
	n := s.ImageSize()
	switch {
	case spe < 1:
		panic(fmt.Sprintf("datasets: ImageBatcher.BatchInto: no full batch (batch size %d, %d images); call Validate", b.BatchSize, s.N))
	case step < 0:
		panic(fmt.Sprintf("datasets: ImageBatcher.BatchInto: negative step %d", step))
	case len(x) != b.BatchSize*n || len(y) != b.BatchSize:
		panic(fmt.Sprintf("datasets: ImageBatcher.BatchInto: buffers of %d and %d values, want %d and %d",
			len(x), len(y), b.BatchSize*n, b.BatchSize))
	}
	idx, err := epochBatch(&b.cache, b.Seed, step, s.N, b.BatchSize)
	if err != nil {
		panic(err) // the cases above exclude it.
	}

	if b.Augment.CropPad == 0 && !b.Augment.HFlip {
		Normalize(s, idx, b.Mean, b.Std, x)
		for j, i := range idx {
			y[j] = s.Labels[i]
		}
		return
	}
	rng := StepRNG(b.Seed, step)
	p := b.Augment.CropPad
	for j, i := range idx {
		// Draws per image, in this order: crop offsets (dy, dx) in [-p, p], then the
		// flip. Changing the order changes every augmented batch.
		dy, dx := 0, 0
		if p > 0 {
			dy = rng.IntN(2*p+1) - p
			dx = rng.IntN(2*p+1) - p
		}
		flip := b.Augment.HFlip && rng.IntN(2) == 1
		augmentInto(s, i, dy, dx, flip, b.Mean, b.Std, x[j*n:(j+1)*n])
		y[j] = s.Labels[i]
	}
}

// channelScale returns, for channel c, the a and k of x = pixel*a + k, which is
// (pixel/255 - mean)/std rewritten so the inner loops do one multiply-add.
func channelScale(mean, std []float32, c int) (a, k float32) {
	if mean == nil {
		return 1.0 / 255, 0
	}
	a = 1 / (255 * std[c])
	return a, -mean[c] / std[c]
}

// Normalize writes the images set[idx] into x without augmentation, for
// evaluation batches: x = (pixel/255 - mean[c]) / std[c]; mean and std both nil
// means x = pixel/255. x: [len(idx), H, W, C].
//
// It panics when len(x) != len(idx)*H*W*C or when mean/std do not have one value
// per channel (programming errors; ImageBatcher.Validate checks the latter).
func Normalize(set *Images, idx []int, mean, std []float32, x []float32) {
	n, c := set.ImageSize(), set.C
	if len(x) != len(idx)*n {
		panic(fmt.Sprintf("datasets: Normalize: x has %d values, want %d images × %d", len(x), len(idx), n))
	}
	if (mean != nil || std != nil) && (len(mean) != c || len(std) != c) {
		panic(fmt.Sprintf("datasets: Normalize: %d means and %d stds for %d channels", len(mean), len(std), c))
	}
	// Up to 4 channels the scales live on the stack; more is rare enough to allocate.
	var aBuf, kBuf [4]float32
	a, k := aBuf[:0], kBuf[:0]
	for ch := range c {
		ac, kc := channelScale(mean, std, ch)
		a, k = append(a, ac), append(k, kc)
	}
	for j, i := range idx {
		src := set.Image(i)
		dst := x[j*n : (j+1)*n]
		if c == 1 {
			a0, k0 := a[0], k[0]
			for q, v := range src {
				dst[q] = float32(v)*a0 + k0
			}
			continue
		}
		for q, v := range src {
			ch := q % c
			dst[q] = float32(v)*a[ch] + k[ch]
		}
	}
}

// augmentInto writes image i of s, cropped and optionally mirrored, normalised
// into dst: [H, W, C]. A crop at offset (dy+p, dx+p) of the image padded by p
// reads source pixel (r+dy, col+dx), zero outside the image; the flip then
// mirrors the crop, so output column col reads crop column W-1-col.
func augmentInto(s *Images, i, dy, dx int, flip bool, mean, std []float32, dst []float32) {
	h, w, c := s.H, s.W, s.C
	src := s.Image(i)
	for ch := range c {
		a, k := channelScale(mean, std, ch)
		for r := range h {
			sr := r + dy
			for col := range w {
				sc := col
				if flip {
					sc = w - 1 - col
				}
				sc += dx
				v := float32(0)
				if sr >= 0 && sr < h && sc >= 0 && sc < w {
					v = float32(src[(sr*w+sc)*c+ch])
				}
				dst[(r*w+col)*c+ch] = v*a + k
			}
		}
	}
}
