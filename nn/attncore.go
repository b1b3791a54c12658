package nn

import (
	"math"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/attention"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// SplitHeads views a projection as heads, [batch, seq, heads*dimHead] ->
// [batch, heads, seq, dimHead] (lucidrains' "b n (h d) -> b h n d"), with the
// [0,2,1,3] transpose the go backend has a fast kernel for.
func SplitHeads(x *Node, heads, dimHead int) *Node {
	checkRank("SplitHeads", "x", x, 3)
	if heads <= 0 || dimHead <= 0 || x.Shape().Dim(2) != heads*dimHead {
		exceptions.Panicf("nn.SplitHeads: x %s does not split into %d heads of %d", x.Shape(), heads, dimHead)
	}
	return TransposeAllAxes(Reshape(x, x.Shape().Dim(0), x.Shape().Dim(1), heads, dimHead), 0, 2, 1, 3)
}

// MergeHeads is the inverse of SplitHeads: [batch, heads, seq, dimHead] ->
// [batch, seq, heads*dimHead].
func MergeHeads(x *Node) *Node {
	checkRank("MergeHeads", "x", x, 4)
	b, h, s, d := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2), x.Shape().Dim(3)
	return Reshape(TransposeAllAxes(x, 0, 2, 1, 3), b, s, h*d)
}

// SoftmaxLastAxis is the softmax over the last axis. It takes the backend's fused op
// only where useFused allows (never on the go backend, where it is 3x slower, nor in
// training graphs on backends that cannot differentiate it), and otherwise the
// decomposed exp(x - max) / sum. scope may be nil (then no graph counts as training).
// logits: [..., n]; returns the same shape.
func SoftmaxLastAxis(scope *model.Scope, logits *Node) *Node {
	if useFused(scope, logits.Graph(), compute.OpTypeFusedSoftmax, compute.OpTypeInvalid) {
		return Softmax(logits, -1)
	}
	shifted := Sub(logits, StopGradient(ReduceAndKeep(logits, ReduceMax, -1)))
	e := Exp(shifted)
	return Div(e, ReduceAndKeep(e, ReduceSum, -1))
}

// attentionMask combines the key padding mask and, with cfg.Causal, the causal mask
// into the mask of the scores, or nil when no key is masked.
// keyMask: [batch, kv_len] bool or int, or nil. Returns bool [batch or 1, 1, q_len or 1, kv_len].
func attentionMask(g *Graph, cfg AttentionConfig, keyMask *Node, batch, qLen, kvLen int) *Node {
	var mask *Node
	if keyMask != nil {
		keyMask = MaskToBool(keyMask)
		if keyMask.Rank() != 2 || keyMask.Shape().Dim(0) != batch || keyMask.Shape().Dim(1) != kvLen {
			exceptions.Panicf("nn: attention key mask must be [batch=%d, kv_len=%d], got %s", batch, kvLen, keyMask.Shape())
		}
		mask = Reshape(keyMask, batch, 1, 1, kvLen)
	}
	if cfg.Causal {
		causal := Reshape(CausalMask(g, qLen, kvLen), 1, 1, qLen, kvLen)
		if mask == nil {
			return causal
		}
		mask = LogicalAnd(BroadcastToDims(mask, batch, 1, qLen, kvLen), BroadcastToDims(causal, batch, 1, qLen, kvLen))
	}
	return mask
}

// attendFused runs the backend's fused attention on the BSHD layout.
// q: [batch, q_len, heads, d]; k, v: [batch, kv_len, heads, d]; keyMask: [batch, kv_len]
// or nil; mask: attentionMask's combination of it with cfg.Causal, or nil.
// Returns [batch, q_len, heads*d].
func attendFused(cfg AttentionConfig, q, k, v, keyMask, mask *Node) *Node {
	batch, qLen, heads, d := q.Shape().Dim(0), q.Shape().Dim(1), q.Shape().Dim(2), q.Shape().Dim(3)
	kvLen := k.Shape().Dim(1)
	opts := attention.CoreOptions{Scale: 1 / math.Sqrt(float64(d))}
	switch {
	case cfg.Causal && keyMask == nil && qLen == kvLen:
		// The kernels' own causal mask (the same as CausalMask for square scores)
		// needs no mask tensor.
		opts.UseCausalMask = true
	case mask != nil:
		// The go kernel broadcasts the mask over heads but not over queries:
		// [batch, q_len, 1, kv_len] in the BSHD layout.
		opts.AttentionMask = BroadcastToDims(TransposeAllAxes(mask, 0, 2, 1, 3), batch, qLen, 1, kvLen)
	}
	out, _ := attention.Core(q, k, v, attention.LayoutBSHD, opts)
	return Reshape(out, batch, qLen, heads*d)
}

// attendDecomposed is the attention core from graph primitives: softmax(q kᵀ / sqrt(d)
// + bias) v, with dropout on the coefficients in training; the bias is MaskedValue
// where mask is false.
// q: [batch, heads, q_len, d]; k, v: [batch, heads, kv_len, d]; mask: from attentionMask
// or nil. Returns out: [batch, heads, q_len, d] and the coefficients
// [batch, heads, q_len, kv_len].
func attendDecomposed(scope *model.Scope, cfg AttentionConfig, q, k, v, mask *Node) (out, coefficients *Node) {
	d := q.Shape().Dim(3)
	// Scaling q (q_len*d values) is cheaper than scaling the scores (q_len*kv_len).
	q = MulScalar(q, 1/math.Sqrt(float64(d)))
	// Both operands are [B, N, K] to the matmul: no layout change.
	scores := DotGeneral(q, []int{3}, []int{0, 1}, k, []int{3}, []int{0, 1})
	if mask != nil {
		scores = Add(scores, maskBias(mask, q.DType()))
	}
	coefficients = SoftmaxLastAxis(scope, scores)
	weights := coefficients
	if cfg.Dropout > 0 {
		weights = layers.DropoutStatic(scope, weights, cfg.Dropout)
	}
	out = DotGeneral(weights, []int{3}, []int{0, 1}, v, []int{2}, []int{0, 1})
	return out, coefficients
}
