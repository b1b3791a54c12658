package nn

import (
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/attention"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// AttentionConfig configures MultiHeadAttention and SelfAttention.
type AttentionConfig struct {
	// Heads is the number of attention heads; it must be positive.
	Heads int
	// DimHead is the width of each head's queries, keys and values; 0 means the query
	// width divided by Heads (which must then divide it).
	DimHead int
	// OutDim is the width of the output projection; 0 means the query width.
	OutDim int
	// Dropout is the dropout rate on the attention coefficients, applied in training
	// only. ViT uses 0; a positive rate rules out the fused kernel.
	Dropout float64
	// NoQKVBias drops the biases of the query/key/value projections (ViT keeps them,
	// qkv_bias=True; lucidrains' models drop them).
	NoQKVBias bool
}

// resolve validates the configuration against the query width and fills the defaults.
func (c AttentionConfig) resolve(fn string, queryDim int) (heads, dimHead, outDim int) {
	if c.Heads <= 0 {
		exceptions.Panicf("nn.%s: Heads must be positive, got %d", fn, c.Heads)
	}
	dimHead = c.DimHead
	if dimHead <= 0 {
		if queryDim%c.Heads != 0 {
			exceptions.Panicf("nn.%s: query width %d is not divisible by Heads=%d; set DimHead", fn, queryDim, c.Heads)
		}
		dimHead = queryDim / c.Heads
	}
	outDim = c.OutDim
	if outDim <= 0 {
		outDim = queryDim
	}
	if c.Dropout < 0 || c.Dropout >= 1 {
		exceptions.Panicf("nn.%s: Dropout must be in [0, 1), got %g", fn, c.Dropout)
	}
	return c.Heads, dimHead, outDim
}

// maskedValue is added to the scores of masked keys: exp of it underflows to exactly 0
// in float32 and float64, so masked keys get zero weight, and it stays finite so that a
// fully masked row cannot produce NaN.
const maskedValue = -1e9

// SelfAttention is MultiHeadAttention with the context equal to x, projected to
// queries, keys and values by one fused matrix product ("to_qkv", the ViT layout).
//
// x: [batch, seq, dim]; keyMask: [batch, seq] bool or int (true/1 = attend) or nil.
// Returns out: [batch, seq, out_dim] and, when wantCoefficients, the attention
// coefficients [batch, heads, seq, seq] (rows sum to 1), else nil.
func SelfAttention(scope *model.Scope, cfg AttentionConfig, x, keyMask *Node, wantCoefficients bool) (out, coefficients *Node) {
	checkRank("SelfAttention", "x", x, 3)
	heads, dimHead, outDim := cfg.resolve("SelfAttention", x.Shape().Dim(-1))
	batch, seq := x.Shape().Dim(0), x.Shape().Dim(1)
	bias := keyBias(keyMask, batch, seq, x.DType())
	qkv := Dense(scope.In("to_qkv"), x, !cfg.NoQKVBias, 3*heads*dimHead) // [batch, seq, 3*heads*dimHead]
	if useFusedAttention(scope, cfg, x.Graph(), wantCoefficients) {
		parts := Split(qkv, -1, 3)
		for i, p := range parts {
			parts[i] = Reshape(p, batch, seq, heads, dimHead)
		}
		out = attendFused(parts[0], parts[1], parts[2], keyMask)
	} else {
		parts := Split(toHeads(qkv, 3*heads, dimHead), 1, 3)
		out, coefficients = attendDecomposed(scope, cfg, parts[0], parts[1], parts[2], bias)
		out = mergeHeads(out)
	}
	out = Dense(scope.In("to_out"), out, true, outDim)
	return out, coefficients
}

// MultiHeadAttention attends from query to context (cross-attention): queries are
// projected from query ("to_q"), keys and values from context by one fused product
// ("to_kv"), scores are scaled by 1/sqrt(DimHead), keys where keyMask is false get zero
// weight, and the heads are merged by the output projection ("to_out").
//
// query: [batch, q_len, q_dim]; context: [batch, kv_len, kv_dim];
// keyMask: [batch, kv_len] bool or int (true/1 = attend) or nil.
// Returns out: [batch, q_len, out_dim] and, when wantCoefficients, the coefficients
// [batch, heads, q_len, kv_len], else nil.
func MultiHeadAttention(scope *model.Scope, cfg AttentionConfig, query, context, keyMask *Node, wantCoefficients bool) (out, coefficients *Node) {
	checkRank("MultiHeadAttention", "query", query, 3)
	checkRank("MultiHeadAttention", "context", context, 3)
	batch, qLen, kvLen := query.Shape().Dim(0), query.Shape().Dim(1), context.Shape().Dim(1)
	if context.Shape().Dim(0) != batch {
		exceptions.Panicf("nn.MultiHeadAttention: query %s and context %s have different batch sizes",
			query.Shape(), context.Shape())
	}
	heads, dimHead, outDim := cfg.resolve("MultiHeadAttention", query.Shape().Dim(-1))
	bias := keyBias(keyMask, batch, kvLen, query.DType())
	q := Dense(scope.In("to_q"), query, !cfg.NoQKVBias, heads*dimHead)       // [batch, q_len, heads*dimHead]
	kv := Dense(scope.In("to_kv"), context, !cfg.NoQKVBias, 2*heads*dimHead) // [batch, kv_len, 2*heads*dimHead]
	if useFusedAttention(scope, cfg, query.Graph(), wantCoefficients) {
		parts := Split(kv, -1, 2)
		out = attendFused(Reshape(q, batch, qLen, heads, dimHead),
			Reshape(parts[0], batch, kvLen, heads, dimHead), Reshape(parts[1], batch, kvLen, heads, dimHead), keyMask)
	} else {
		parts := Split(toHeads(kv, 2*heads, dimHead), 1, 2)
		out, coefficients = attendDecomposed(scope, cfg, toHeads(q, heads, dimHead), parts[0], parts[1], bias)
		out = mergeHeads(out)
	}
	out = Dense(scope.In("to_out"), out, true, outDim)
	return out, coefficients
}

// useFusedAttention reports whether to run the backend's fused attention kernel: only
// without coefficients, without attention dropout in training, and where useFused
// allows it (never on the go backend, where it is slower).
func useFusedAttention(scope *model.Scope, cfg AttentionConfig, g *Graph, wantCoefficients bool) bool {
	if wantCoefficients || (cfg.Dropout > 0 && scope.IsTraining(g)) {
		return false
	}
	return useFused(scope, g, compute.OpTypeFusedScaledDotProductAttention,
		compute.OpTypeFusedScaledDotProductAttentionVJP)
}

// keyBias turns the key mask into the additive score bias (0 to attend, maskedValue
// to ignore), or nil without a mask.
// keyMask: [batch, kv_len]; returns [batch, kv_len] of dtype.
func keyBias(keyMask *Node, batch, kvLen int, dtype dtypes.DType) *Node {
	if keyMask == nil {
		return nil
	}
	keyMask = maskToBool(keyMask)
	if keyMask.Rank() != 2 || keyMask.Shape().Dim(0) != batch || keyMask.Shape().Dim(1) != kvLen {
		exceptions.Panicf("nn: attention key mask must be [batch=%d, kv_len=%d], got %s", batch, kvLen, keyMask.Shape())
	}
	g := keyMask.Graph()
	return Where(keyMask, Zeros(g, shapes.Make(dtype, batch, kvLen)),
		BroadcastToDims(Scalar(g, dtype, maskedValue), batch, kvLen))
}

// toHeads reshapes a projection into heads, [batch, seq, n*d] -> [batch, n, seq, d],
// with the [0,2,1,3] transpose the go backend has a fast kernel for.
func toHeads(x *Node, n, d int) *Node {
	return TransposeAllAxes(Reshape(x, x.Shape().Dim(0), x.Shape().Dim(1), n, d), 0, 2, 1, 3)
}

// mergeHeads is the inverse of toHeads: [batch, heads, seq, d] -> [batch, seq, heads*d].
func mergeHeads(x *Node) *Node {
	b, h, s, d := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2), x.Shape().Dim(3)
	return Reshape(TransposeAllAxes(x, 0, 2, 1, 3), b, s, h*d)
}

// attendFused runs the backend's fused attention on the BSHD layout.
// q: [batch, q_len, heads, d]; k, v: [batch, kv_len, heads, d]; keyMask: [batch, kv_len] or nil.
// Returns [batch, q_len, heads*d].
func attendFused(q, k, v, keyMask *Node) *Node {
	batch, qLen, heads, d := q.Shape().Dim(0), q.Shape().Dim(1), q.Shape().Dim(2), q.Shape().Dim(3)
	opts := attention.CoreOptions{Scale: 1 / math.Sqrt(float64(d))}
	if keyMask != nil {
		// The go kernel broadcasts the mask over heads but not over queries:
		// [batch, q_len, 1, kv_len] in the BSHD layout.
		kvLen := k.Shape().Dim(1)
		opts.AttentionMask = BroadcastToDims(Reshape(maskToBool(keyMask), batch, 1, 1, kvLen), batch, qLen, 1, kvLen)
	}
	out, _ := attention.Core(q, k, v, attention.LayoutBSHD, opts)
	return Reshape(out, batch, qLen, heads*d)
}

// attendDecomposed is the attention core from graph primitives: softmax(q kᵀ / sqrt(d) + bias) v, with dropout on the coefficients in training.
// q: [batch, heads, q_len, d]; k, v: [batch, heads, kv_len, d]; bias: [batch, kv_len] or nil.
// Returns out: [batch, heads, q_len, d] and the coefficients [batch, heads, q_len, kv_len].
func attendDecomposed(scope *model.Scope, cfg AttentionConfig, q, k, v, bias *Node) (out, coefficients *Node) {
	batch, d := q.Shape().Dim(0), q.Shape().Dim(3)
	// Scaling q (q_len*d values) is cheaper than scaling the scores (q_len*kv_len).
	q = MulScalar(q, 1/math.Sqrt(float64(d)))
	// Both operands are [B, N, K] to the matmul: no layout change.
	scores := DotGeneral(q, []int{3}, []int{0, 1}, k, []int{3}, []int{0, 1})
	if bias != nil {
		scores = Add(scores, Reshape(bias, batch, 1, 1, bias.Shape().Dim(1)))
	}
	coefficients = softmax(scope, scores)
	weights := coefficients
	if cfg.Dropout > 0 {
		weights = layers.DropoutStatic(scope, weights, cfg.Dropout)
	}
	out = DotGeneral(weights, []int{3}, []int{0, 1}, v, []int{2}, []int{0, 1})
	return out, coefficients
}
