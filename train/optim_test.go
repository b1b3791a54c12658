package train

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

func TestScheduleValues(t *testing.T) {
	s := Schedule{LR: 1e-3, MinLR: 1e-5, Warmup: 10, Steps: 110}
	for _, tc := range []struct {
		step int
		want float64
	}{
		{0, 1e-4},  // first warmup step: LR * 1/10.
		{9, 1e-3},  // last warmup step reaches LR.
		{10, 1e-3}, // cosine starts at LR.
		{60, 1e-5 + (1e-3-1e-5)*0.5},
		{110, 1e-5}, // and ends at MinLR.
		{500, 1e-5},
	} {
		if got := s.At(tc.step); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("At(%d) = %g, want %g", tc.step, got, tc.want)
		}
	}
}

func TestScheduleGraphMatchesGo(t *testing.T) {
	for _, s := range []Schedule{{LR: 1e-3, MinLR: 1e-5, Warmup: 10, Steps: 110}, {LR: 0.5, Steps: 7}, {LR: 0.1, Warmup: 3, Steps: 3}} {
		exec := MustNewExec(testBackend, func(step *Node) *Node { return s.graph(step) })
		for _, step := range []int{0, 1, 2, 5, 9, 10, 11, 50, 109, 110, 200} {
			got := tensors.ToScalar[float64](exec.MustExec(float64(step))[0])
			if want := s.At(step); math.Abs(got-want) > 1e-9 {
				t.Errorf("%+v step %d: graph %g, Go %g", s, step, got, want)
			}
		}
	}
}

func TestClipByGlobalNorm(t *testing.T) {
	// Gradients [3] and [4]: global norm 5.
	exec := MustNewExec(testBackend, func(a, b *Node) []*Node { return ClipByGlobalNorm([]*Node{a, b}, 2.5) })
	out := exec.MustExec([]float32{3}, []float32{4})
	if a, b := tensors.MustCopyFlatData[float32](out[0])[0], tensors.MustCopyFlatData[float32](out[1])[0]; math.Abs(float64(a)-1.5) > 1e-6 || math.Abs(float64(b)-2) > 1e-6 {
		t.Errorf("clip to 2.5 of (3, 4) = (%v, %v), want (1.5, 2)", a, b)
	}
	// Below the threshold gradients are untouched.
	out = MustNewExec(testBackend, func(a *Node) []*Node { return ClipByGlobalNorm([]*Node{a}, 10) }).MustExec([]float32{3, 4})
	if got := tensors.MustCopyFlatData[float32](out[0]); got[0] != 3 || got[1] != 4 {
		t.Errorf("clip to 10 of (3, 4) = %v, want unchanged", got)
	}
}
