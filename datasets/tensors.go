package datasets

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// ImagesTensor returns images idx of set, normalised with mean and std (as Normalize):
// [len(idx), H, W, C] float32.
func ImagesTensor(set *Images, idx []int, mean, std []float32) *tensors.Tensor {
	x := tensors.FromShape(shapes.Make(dtypes.Float32, len(idx), set.H, set.W, set.C))
	x.MustMutableFlatData(func(flat any) { Normalize(set, idx, mean, std, flat.([]float32)) })
	return x
}

// ImageSource is an ImageBatcher as a training source (train.Source): inputs
// [batch, H, W, C] float32, labels [batch, 1] int32.
type ImageSource struct{ B *ImageBatcher }

// StepsPerEpoch implements train.Source.
func (s ImageSource) StepsPerEpoch() int { return s.B.StepsPerEpoch() }

// BatchSize implements train.Source.
func (s ImageSource) BatchSize() int { return s.B.BatchSize }

// Batch implements train.Source.
func (s ImageSource) Batch(step int) ([]*tensors.Tensor, []*tensors.Tensor, error) {
	set := s.B.Set
	x := tensors.FromShape(shapes.Make(dtypes.Float32, s.B.BatchSize, set.H, set.W, set.C))
	y := tensors.FromShape(shapes.Make(dtypes.Int32, s.B.BatchSize, 1))
	var err error
	x.MustMutableFlatData(func(fx any) {
		y.MustMutableFlatData(func(fy any) {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("batch %d: %v", step, p)
				}
			}()
			s.B.BatchInto(step, fx.([]float32), fy.([]int32))
		})
	})
	return []*tensors.Tensor{x}, []*tensors.Tensor{y}, err
}
