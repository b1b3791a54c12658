// Package datasets holds what every mmdna dataset shares: an in-memory image set,
// deterministic per-epoch ordering and batching. The loaders live in subpackages
// (fmnist, cifar10, flickr8k, shapes); text tokenisation lives in datasets/text.
//
// Everything here is a pure function of (seed, step), so that a training run resumed
// at step s sees exactly the batches an uninterrupted run would have seen.
package datasets

import (
	"fmt"
	"math/rand/v2"
)

// Images is an in-memory labelled image set. Pixels are uint8 in row-major
// [N, H, W, C] order (channels last, the layout GoMLX convolutions and our patch
// embedding expect).
type Images struct {
	Name    string   // e.g. "fashion-mnist/train", used in messages.
	Pixels  []uint8  // [N, H, W, C]
	Labels  []int32  // [N], values in [0, len(Classes)).
	N       int      // number of images.
	H, W, C int      // image height, width, channels.
	Classes []string // class names, index = label.
}

// ImageSize returns the number of bytes of one image, H*W*C.
func (s *Images) ImageSize() int { return s.H * s.W * s.C }

// Image returns the pixels of image i, [H, W, C], sharing memory with s.
func (s *Images) Image(i int) []uint8 {
	n := s.ImageSize()
	return s.Pixels[i*n : (i+1)*n]
}

// Validate checks that the sizes are consistent; loaders call it before returning.
func (s *Images) Validate() error {
	switch {
	case s.N < 0 || s.H <= 0 || s.W <= 0 || s.C <= 0:
		return fmt.Errorf("%s: invalid dimensions N=%d H=%d W=%d C=%d", s.Name, s.N, s.H, s.W, s.C)
	case len(s.Pixels) != s.N*s.ImageSize():
		return fmt.Errorf("%s: %d pixel bytes, want N*H*W*C = %d", s.Name, len(s.Pixels), s.N*s.ImageSize())
	case len(s.Labels) != s.N:
		return fmt.Errorf("%s: %d labels for %d images", s.Name, len(s.Labels), s.N)
	}
	for i, l := range s.Labels {
		if l < 0 || (len(s.Classes) > 0 && int(l) >= len(s.Classes)) {
			return fmt.Errorf("%s: label %d of image %d out of range [0, %d)", s.Name, l, i, len(s.Classes))
		}
	}
	return nil
}

// Subset returns a new set with the images at the given indices, in that order
// (pixels are copied).
func (s *Images) Subset(name string, idx []int) *Images {
	n := s.ImageSize()
	out := &Images{Name: name, N: len(idx), H: s.H, W: s.W, C: s.C, Classes: s.Classes,
		Pixels: make([]uint8, len(idx)*n), Labels: make([]int32, len(idx))}
	for j, i := range idx {
		copy(out.Pixels[j*n:(j+1)*n], s.Image(i))
		out.Labels[j] = s.Labels[i]
	}
	return out
}

// SplitValidation takes a seeded random sample of n images out of s as a
// validation set, and returns the rest (in their original order) as train.
func (s *Images) SplitValidation(n int, seed uint64) (train, val *Images, err error) {
	if n < 0 || n >= s.N {
		return nil, nil, fmt.Errorf("%s: validation size %d must be in [0, %d)", s.Name, n, s.N)
	}
	perm := rand.New(rand.NewPCG(seed, 0x5eed_0f_5b1e)).Perm(s.N)
	isVal := make([]bool, s.N)
	valIdx := perm[:n]
	for _, i := range valIdx {
		isVal[i] = true
	}
	trainIdx := make([]int, 0, s.N-n)
	for i := range s.N {
		if !isVal[i] {
			trainIdx = append(trainIdx, i)
		}
	}
	return s.Subset(s.Name+"[train]", trainIdx), s.Subset(s.Name+"[val]", valIdx), nil
}

// EpochOrder returns the order in which examples are visited in the given epoch: a
// permutation of [0, n) that depends only on (seed, epoch).
func EpochOrder(seed uint64, epoch, n int) []int {
	return rand.New(rand.NewPCG(seed, uint64(epoch)+1)).Perm(n)
}

// StepRNG returns a random generator for per-step randomness (augmentation, masking)
// that depends only on (seed, step), so a resumed run draws the same numbers.
func StepRNG(seed uint64, step int) *rand.Rand {
	return rand.New(rand.NewPCG(seed^0x9e3779b97f4a7c15, uint64(step)))
}
