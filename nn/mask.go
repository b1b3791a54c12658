package nn

import (
	"slices"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/support/exceptions"
)

// MaskedValue is added to the attention scores of masked keys: exp of it underflows
// to exactly 0 in float32 and float64, so masked keys get zero weight, and it stays
// finite so that a row whose keys are all masked cannot produce NaN.
const MaskedValue = -1e9

// MaskToBool turns a padding mask into booleans (true = keep). It accepts bool masks
// as they are and integer masks with 1 (any non-zero) for real tokens and 0 for
// padding, the encoding of datasets/text; nil stays nil.
// mask: [batch, len]; returns the same shape, bool.
func MaskToBool(mask *Node) *Node {
	if mask == nil || mask.DType() == dtypes.Bool {
		return mask
	}
	if !mask.DType().IsInt() {
		exceptions.Panicf("nn: mask must be bool or an integer dtype, got %s", mask.Shape())
	}
	return NotEqual(mask, ScalarZero(mask.Graph(), mask.DType()))
}

// KeyBias turns a key padding mask into the additive bias of attention scores: 0 where
// the key is kept, MaskedValue where it is padding; nil for a nil mask.
//
// keyMask: [batch, kv_len] bool or int (true/1 = attend). Returns [batch, 1, 1, kv_len]
// of dtype, which broadcasts against scores [batch, heads, q_len, kv_len].
func KeyBias(keyMask *Node, dtype dtypes.DType) *Node {
	if keyMask == nil {
		return nil
	}
	if keyMask.Rank() != 2 {
		exceptions.Panicf("nn.KeyBias: key mask must be [batch, kv_len], got %s", keyMask.Shape())
	}
	b, n := keyMask.Shape().Dim(0), keyMask.Shape().Dim(1)
	return maskBias(Reshape(MaskToBool(keyMask), b, 1, 1, n), dtype)
}

// maskBias is the additive form of a boolean mask: 0 where true, MaskedValue where false.
// mask: any shape, bool; returns the same shape of dtype.
func maskBias(mask *Node, dtype dtypes.DType) *Node {
	g := mask.Graph()
	dims := mask.Shape().Dimensions
	return Where(mask, Zeros(g, shapes.Make(dtype, dims...)), BroadcastToDims(Scalar(g, dtype, MaskedValue), dims...))
}

// CausalMask is the mask of causal attention: true where key j may be read by query
// i, that is j <= i (keys after the query get zero weight). With kv_len > q_len the
// last keys are read by no query (the mask is aligned at the first position, as
// GoMLX's and PyTorch's is_causal).
// Returns [q_len, kv_len] bool.
func CausalMask(g *Graph, qLen, kvLen int) *Node {
	if qLen <= 0 || kvLen <= 0 {
		exceptions.Panicf("nn.CausalMask: q_len %d and kv_len %d must be positive", qLen, kvLen)
	}
	s := shapes.Make(dtypes.Int32, qLen, kvLen)
	return LessOrEqual(Iota(g, s, 1), Iota(g, s, 0))
}

// MaskedMean averages x over axis where mask is true; a mask with no true entry gives
// zeros instead of NaN. A nil mask averages every position.
//
// x: [d_0, ..., d_axis, ...]; mask: [d_0, ..., d_axis] bool or int (true/1 = real), the
// leading axes of x up to axis. Returns x without axis: e.g. tokens [batch, len, dim]
// with mask [batch, len] and axis 1 give [batch, dim].
func MaskedMean(x, mask *Node, axis int) *Node {
	if axis < 0 || axis >= x.Rank() {
		exceptions.Panicf("nn.MaskedMean: axis %d out of range for x %s", axis, x.Shape())
	}
	if mask == nil {
		return ReduceMean(x, axis)
	}
	if mask.Rank() != axis+1 || !slices.Equal(mask.Shape().Dimensions, x.Shape().Dimensions[:axis+1]) {
		exceptions.Panicf("nn.MaskedMean: mask %s must have the leading dimensions of x %s up to axis %d",
			mask.Shape(), x.Shape(), axis)
	}
	w := ConvertDType(MaskToBool(mask), x.DType()) // [d_0, ..., d_axis]
	count := ReduceSum(w, axis)
	count = Max(count, OnesLike(count)) // [d_0, ..., d_axis-1]
	trailing := x.Rank() - axis - 1
	sum := ReduceSum(Mul(x, expandTrailing(w, trailing)), axis) // [d_0, ..., d_axis-1, ...]
	return Div(sum, expandTrailing(count, trailing))
}

// expandTrailing appends n axes of size 1 to x.
func expandTrailing(x *Node, n int) *Node {
	dims := slices.Clone(x.Shape().Dimensions)
	for range n {
		dims = append(dims, 1)
	}
	return Reshape(x, dims...)
}
