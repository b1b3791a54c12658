package nn

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/testbackend"
)

// TestMaskToBool: bool masks pass, any non-zero integer keeps, floats are refused.
func TestMaskToBool(t *testing.T) {
	want := []bool{true, false, true}
	for _, mask := range []any{[]bool{true, false, true}, []int32{1, 0, 1}, []int64{2, 0, -1}, []uint8{1, 0, 7}} {
		out := testbackend.Run(t, nil, func(_ *model.Scope, m *Node) *Node { return MaskToBool(m) }, mask)
		if got := tensors.MustCopyFlatData[bool](out[0]); !slices.Equal(got, want) {
			t.Errorf("MaskToBool(%v) = %v, want %v", mask, got, want)
		}
	}
	err := runErr(t, func(_ *model.Scope, in []*Node) []*Node { return []*Node{MaskToBool(in[0])} }, []float32{1, 0})
	if err == nil || !strings.Contains(err.Error(), "mask must be bool or an integer") {
		t.Errorf("float mask: error %v", err)
	}
}

// TestKeyBias: [batch, 1, 1, kv_len] with 0 on kept keys and MaskedValue on padding;
// a mask that is not [batch, kv_len] is refused.
func TestKeyBias(t *testing.T) {
	out := testbackend.Run(t, nil, func(_ *model.Scope, m *Node) *Node { return KeyBias(m, dtypes.Float32) },
		[][]int32{{1, 1, 0}, {0, 1, 1}})
	if got := out[0].Shape().Dimensions; !slices.Equal(got, []int{2, 1, 1, 3}) {
		t.Fatalf("shape %v, want [2 1 1 3]", got)
	}
	if got := flat(t, out[0]); !slices.Equal(got, []float32{0, 0, MaskedValue, MaskedValue, 0, 0}) {
		t.Errorf("bias %v", got)
	}
	err := runErr(t, func(_ *model.Scope, in []*Node) []*Node { return []*Node{KeyBias(in[0], dtypes.Float32)} }, []bool{true})
	if err == nil || !strings.Contains(err.Error(), "nn.KeyBias") {
		t.Errorf("rank-1 mask: error %v", err)
	}
}

// TestMaskedMean: hand-computed means over axis 1 (the fusion case: [1 2], [3 4], [5 6]
// with mask 1 1 0 average to [2 3]), a row with no real token (zeros, not NaN), a nil
// mask (the plain mean) and axis 2 of a rank-4 tensor.
func TestMaskedMean(t *testing.T) {
	x := [][][]float32{{{1, 2}, {3, 4}, {5, 6}}, {{-1, 1}, {2, 2}, {7, 9}}}
	for _, tc := range []struct {
		name string
		mask any
		want []float32
	}{
		{"int", [][]int32{{1, 1, 0}, {0, 0, 1}}, []float32{2, 3, 7, 9}},
		{"bool", [][]bool{{true, false, true}, {false, false, false}}, []float32{3, 4, 0, 0}},
		{"nil", nil, []float32{3, 4, 8.0 / 3, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inputs := []any{x}
			if tc.mask != nil {
				inputs = append(inputs, tc.mask)
			}
			out := testbackend.Run(t, nil, func(_ *model.Scope, in []*Node) []*Node {
				var mask *Node
				if len(in) > 1 {
					mask = in[1]
				}
				return []*Node{MaskedMean(in[0], mask, 1)}
			}, inputs...)
			assertClose(t, "mean", flat(t, out[0]), tc.want, 1e-6)
		})
	}
	// Axis 2 of [1, 2, 3, 1]: per row, the mean of the kept entries.
	x4 := [][][][]float32{{{{1}, {2}, {4}}, {{10}, {20}, {30}}}}
	out := testbackend.Run(t, nil, func(_ *model.Scope, x, m *Node) *Node { return MaskedMean(x, m, 2) },
		x4, [][][]bool{{{true, false, true}, {false, true, true}}})
	if got := out[0].Shape().Dimensions; !slices.Equal(got, []int{1, 2, 1}) {
		t.Fatalf("shape %v, want [1 2 1]", got)
	}
	assertClose(t, "axis 2", flat(t, out[0]), []float32{2.5, 25}, 1e-6)
}

// TestMaskedMeanBadInput: a mask that does not match x's leading axes, or an axis out of
// range, fails with a message naming MaskedMean.
func TestMaskedMeanBadInput(t *testing.T) {
	x := [][][]float32{{{1, 2}, {3, 4}}}
	for _, tc := range []struct {
		name string
		mask any
		axis int
	}{
		{"mask length", [][]int32{{1, 1, 1}}, 1},
		{"mask rank", []int32{1}, 1},
		{"axis", [][]int32{{1, 1}}, 3},
	} {
		err := runErr(t, func(_ *model.Scope, in []*Node) []*Node { return []*Node{MaskedMean(in[0], in[1], tc.axis)} }, x, tc.mask)
		if err == nil || !strings.Contains(err.Error(), "nn.MaskedMean") {
			t.Errorf("%s: error %v", tc.name, err)
		}
	}
}

// TestSplitMergeHeads: x[b, s, h*d+j] lands at [b, h, s, j], and MergeHeads undoes it.
func TestSplitMergeHeads(t *testing.T) {
	const batch, seq, heads, d = 2, 3, 2, 4
	x := make([]float32, batch*seq*heads*d)
	for i := range x {
		x[i] = float32(i)
	}
	out := testbackend.Run(t, nil, func(_ *model.Scope, x *Node) (*Node, *Node) {
		split := SplitHeads(x, heads, d)
		return split, MergeHeads(split)
	}, tensors.FromFlatDataAndDimensions(x, batch, seq, heads*d))
	if got := out[0].Shape().Dimensions; !slices.Equal(got, []int{batch, heads, seq, d}) {
		t.Fatalf("SplitHeads shape %v", got)
	}
	split := flat(t, out[0])
	for b := range batch {
		for h := range heads {
			for s := range seq {
				for j := range d {
					got := split[((b*heads+h)*seq+s)*d+j]
					if want := x[(b*seq+s)*heads*d+h*d+j]; got != want {
						t.Fatalf("split[%d,%d,%d,%d] = %g, want %g", b, h, s, j, got, want)
					}
				}
			}
		}
	}
	if got := flat(t, out[1]); !slices.Equal(got, x) {
		t.Errorf("MergeHeads(SplitHeads(x)) = %v, want x", got)
	}
	err := runErr(t, func(_ *model.Scope, in []*Node) []*Node { return []*Node{SplitHeads(in[0], 3, 3)} },
		tensors.FromFlatDataAndDimensions(x, batch, seq, heads*d))
	if err == nil || !strings.Contains(err.Error(), "does not split into 3 heads of 3") {
		t.Errorf("bad split: error %v", err)
	}
}

// TestSoftmaxLastAxis: rows of e^x / Σ e^x against hand values, also with a -1e9 entry
// and large logits (no overflow), on the decomposed and the fused path.
func TestSoftmaxLastAxis(t *testing.T) {
	x := [][]float32{{0, 1, 2}, {1000, 1000, MaskedValue}}
	e1, e2 := math.E, math.E*math.E
	want := []float32{float32(1 / (1 + e1 + e2)), float32(e1 / (1 + e1 + e2)), float32(e2 / (1 + e1 + e2)), 0.5, 0.5, 0}
	for _, fused := range []bool{false, true} {
		fusedOnGoForTests = fused
		out := testbackend.Run(t, nil, func(_ *model.Scope, x *Node) *Node { return SoftmaxLastAxis(nil, x) }, x)
		fusedOnGoForTests = false
		assertClose(t, "softmax", flat(t, out[0]), want, 1e-6)
	}
}
