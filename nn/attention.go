package nn

import (
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
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
	// Causal gives key j zero weight from query i when j > i (CLIP's text tower, a
	// decoder): position i sees only itself and what precedes it. It combines with the
	// key mask; the mask is aligned at the first position when q_len != kv_len.
	Causal bool
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
	mask := attentionMask(x.Graph(), cfg, keyMask, batch, seq, seq)
	qkv := Dense(scope.In("to_qkv"), x, !cfg.NoQKVBias, 3*heads*dimHead) // [batch, seq, 3*heads*dimHead]
	if useFusedAttention(scope, cfg, x.Graph(), wantCoefficients) {
		parts := Split(qkv, -1, 3)
		for i, p := range parts {
			parts[i] = Reshape(p, batch, seq, heads, dimHead)
		}
		out = attendFused(cfg, parts[0], parts[1], parts[2], keyMask, mask)
	} else {
		parts := Split(SplitHeads(qkv, 3*heads, dimHead), 1, 3)
		out, coefficients = attendDecomposed(scope, cfg, parts[0], parts[1], parts[2], mask)
		out = MergeHeads(out)
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
	mask := attentionMask(query.Graph(), cfg, keyMask, batch, qLen, kvLen)
	q := Dense(scope.In("to_q"), query, !cfg.NoQKVBias, heads*dimHead)       // [batch, q_len, heads*dimHead]
	kv := Dense(scope.In("to_kv"), context, !cfg.NoQKVBias, 2*heads*dimHead) // [batch, kv_len, 2*heads*dimHead]
	if useFusedAttention(scope, cfg, query.Graph(), wantCoefficients) {
		parts := Split(kv, -1, 2)
		out = attendFused(cfg, Reshape(q, batch, qLen, heads, dimHead),
			Reshape(parts[0], batch, kvLen, heads, dimHead), Reshape(parts[1], batch, kvLen, heads, dimHead), keyMask, mask)
	} else {
		parts := Split(SplitHeads(kv, 2*heads, dimHead), 1, 2)
		out, coefficients = attendDecomposed(scope, cfg, SplitHeads(q, heads, dimHead), parts[0], parts[1], mask)
		out = MergeHeads(out)
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
