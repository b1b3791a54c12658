package nn

import (
	"math"
	"slices"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// KVCache holds the keys and values of one attention layer, split into heads: a
// decoder's self-attention cache (positions [0, maxLen), written as tokens are
// decoded) or the projected context of a cross-attention, computed once.
// K, V: [batch, heads, len, dimHead].
type KVCache struct {
	K, V *Node
}

// NewKVCache returns a zero self-attention cache for SelfAttentionCached.
// Returns K, V: [batch, heads, maxLen, dimHead] of dtype.
func NewKVCache(g *Graph, dtype dtypes.DType, batch, heads, maxLen, dimHead int) KVCache {
	s := shapes.Make(dtype, batch, heads, maxLen, dimHead)
	return KVCache{K: Zeros(g, s), V: Zeros(g, s)}
}

// Repeat repeats every batch row of the cache n times, row b becoming rows
// b*n..b*n+n-1 (beam search's beams of one image).
// Returns K, V: [batch*n, heads, len, dimHead].
func (c KVCache) Repeat(n int) KVCache {
	return KVCache{K: repeatRows(c.K, n), V: repeatRows(c.V, n)}
}

// Gather picks rows of the cache: row i of the result is row rows[i] (beam search's
// reordering of beams). rows: [batch'] int32. Returns K, V: [batch', heads, len, dimHead].
func (c KVCache) Gather(rows *Node) KVCache {
	idx := ExpandAxes(rows, -1)
	return KVCache{K: Gather(c.K, idx), V: Gather(c.V, idx)}
}

// repeatRows repeats each row of x along axis 0 n times: [b, ...] -> [b*n, ...].
func repeatRows(x *Node, n int) *Node {
	if n == 1 {
		return x
	}
	dims := x.Shape().Dimensions
	expanded := append([]int{dims[0], n}, dims[1:]...)
	x = BroadcastToDims(ExpandAxes(x, 1), expanded...)
	return Reshape(x, append([]int{dims[0] * n}, dims[1:]...)...)
}

// SelfAttentionCached is causal SelfAttention for n new tokens at positions
// [pos, pos+n) of a sequence whose earlier keys and values are in cache: it writes
// the new tokens' keys and values into the cache at pos and attends from new token i
// to the cached positions <= pos+i. With the same variables ("to_qkv", "to_out") and
// inputs it gives SelfAttention's causal output for those tokens, one step at a time:
// the key/value cache of autoregressive decoding. It is an inference op: no dropout.
//
// x: [batch, n, dim]; cache: [batch, heads, maxLen, dimHead]; pos: int32 scalar with
// pos+n <= maxLen (pos is a graph value, so this is the caller's duty: the dynamic
// update clamps a start past maxLen-n back to maxLen-n). Returns out: [batch, n, out_dim] and the updated cache.
func SelfAttentionCached(scope *model.Scope, cfg AttentionConfig, x *Node, cache KVCache, pos *Node) (out *Node, next KVCache) {
	checkRank("SelfAttentionCached", "x", x, 3)
	heads, dimHead, outDim := cfg.resolve("SelfAttentionCached", x.Shape().Dim(-1))
	checkRank("SelfAttentionCached", "cache.K", cache.K, 4)
	batch, n := x.Shape().Dim(0), x.Shape().Dim(1)
	maxLen := cache.K.Shape().Dim(2)
	if want := []int{batch, heads, maxLen, dimHead}; !slices.Equal(cache.K.Shape().Dimensions, want) ||
		!cache.V.Shape().Equal(cache.K.Shape()) || cache.K.DType() != x.DType() {
		exceptions.Panicf("nn.SelfAttentionCached: cache K %s, V %s: want [%d, %d, maxLen, %d] for x %s",
			cache.K.Shape(), cache.V.Shape(), batch, heads, dimHead, x.Shape())
	}
	if n > maxLen {
		exceptions.Panicf("nn.SelfAttentionCached: %d new tokens exceed the cache length %d", n, maxLen)
	}
	qkv := Dense(scope.In("to_qkv"), x, !cfg.NoQKVBias, 3*heads*dimHead) // [batch, n, 3*heads*dimHead]
	parts := Split(SplitHeads(qkv, 3*heads, dimHead), 1, 3)              // 3 x [batch, heads, n, dimHead]
	g := x.Graph()
	pos = ConvertDType(pos, dtypes.Int32)
	zero := ScalarZero(g, dtypes.Int32)
	start := []*Node{zero, zero, pos, zero}
	next = KVCache{K: DynamicUpdateSlice(cache.K, parts[1], start), V: DynamicUpdateSlice(cache.V, parts[2], start)}

	// Key j is visible to new token i when j <= pos + i.
	s := shapes.Make(dtypes.Int32, n, maxLen)
	visible := LessOrEqual(Iota(g, s, 1), Add(Iota(g, s, 0), pos)) // [n, maxLen]
	o, _ := attendHeads(parts[0], next.K, next.V, Reshape(visible, 1, 1, n, maxLen))
	return Dense(scope.In("to_out"), MergeHeads(o), true, outDim), next
}

// ContextKV projects a cross-attention context to keys and values once, as
// MultiHeadAttention does on every call ("to_kv" under scope): decoding then attends to
// it at every step with MultiHeadAttentionKV. queryDim is the width of the queries
// that will attend (it sets the head width when cfg.DimHead is 0).
//
// context: [batch, kv_len, kv_dim]. Returns K, V: [batch, heads, kv_len, dimHead].
func ContextKV(scope *model.Scope, cfg AttentionConfig, context *Node, queryDim int) KVCache {
	checkRank("ContextKV", "context", context, 3)
	heads, dimHead, _ := cfg.resolve("ContextKV", queryDim)
	kv := Dense(scope.In("to_kv"), context, !cfg.NoQKVBias, 2*heads*dimHead)
	parts := Split(SplitHeads(kv, 2*heads, dimHead), 1, 2)
	return KVCache{K: parts[0], V: parts[1]}
}

// MultiHeadAttentionKV is MultiHeadAttention with the keys and values already
// projected by ContextKV (same scope, same cfg); it has no dropout (inference).
//
// query: [batch, q_len, q_dim]; kv: [batch, heads, kv_len, dimHead]; keyMask:
// [batch, kv_len] bool or int, or nil. Returns out: [batch, q_len, out_dim] and, when
// wantCoefficients, the coefficients [batch, heads, q_len, kv_len], else nil.
func MultiHeadAttentionKV(scope *model.Scope, cfg AttentionConfig, query *Node, kv KVCache, keyMask *Node,
	wantCoefficients bool) (out, coefficients *Node) {
	checkRank("MultiHeadAttentionKV", "query", query, 3)
	checkRank("MultiHeadAttentionKV", "kv.K", kv.K, 4)
	heads, dimHead, outDim := cfg.resolve("MultiHeadAttentionKV", query.Shape().Dim(-1))
	batch, qLen, kvLen := query.Shape().Dim(0), query.Shape().Dim(1), kv.K.Shape().Dim(2)
	if d := kv.K.Shape().Dimensions; d[0] != batch || d[1] != heads || d[3] != dimHead {
		exceptions.Panicf("nn.MultiHeadAttentionKV: keys %s do not fit query %s with %d heads of %d",
			kv.K.Shape(), query.Shape(), heads, dimHead)
	}
	c := cfg
	c.Causal = false
	mask := attentionMask(query.Graph(), c, keyMask, batch, qLen, kvLen)
	q := SplitHeads(Dense(scope.In("to_q"), query, !cfg.NoQKVBias, heads*dimHead), heads, dimHead)
	out, coefficients = attendHeads(q, kv.K, kv.V, mask)
	out = Dense(scope.In("to_out"), MergeHeads(out), true, outDim)
	if !wantCoefficients {
		coefficients = nil
	}
	return out, coefficients
}

// CrossAttentionContext prepares a context for CrossAttentionBlockKV: the block's
// context LayerNorm ("norm_context") and key/value projection ("attn/to_kv"), computed
// once for all decoding steps. cfg and queryDim are those of the block.
// context: [batch, kv_len, context_dim]. Returns K, V: [batch, heads, kv_len, dimHead].
func CrossAttentionContext(scope *model.Scope, cfg BlockConfig, context *Node, queryDim int) KVCache {
	checkRank("CrossAttentionContext", "context", context, 3)
	ctx := LayerNorm(scope.In("norm_context"), context, cfg.LayerNormEpsilon)
	return ContextKV(scope.In("attn"), cfg.attention(), ctx, queryDim)
}

// CrossAttentionBlockKV is CrossAttentionBlock with the context prepared by
// CrossAttentionContext: the same variables and, outside training, the same output.
// It applies no dropout or drop-path (inference).
//
// query: [batch, q_len, dim]; kv: from CrossAttentionContext; contextMask:
// [batch, kv_len] or nil. Returns y: [batch, q_len, dim] and, when
// cfg.ReturnAttention, the coefficients [batch, heads, q_len, kv_len], else nil.
func CrossAttentionBlockKV(scope *model.Scope, cfg BlockConfig, query *Node, kv KVCache, contextMask *Node) (y, attn *Node) {
	dim, mlpDim := cfg.widths("CrossAttentionBlockKV", "query", query)
	ac := cfg.attention()
	ac.OutDim = dim
	q := LayerNorm(scope.In("norm"), query, cfg.LayerNormEpsilon)
	h, attn := MultiHeadAttentionKV(scope.In("attn"), ac, q, kv, contextMask, cfg.ReturnAttention)
	x := Add(query, h)
	h = MLPActivation(scope.In("ff"), LayerNorm(scope.In("norm_ff"), x, cfg.LayerNormEpsilon), mlpDim, dim, 0, cfg.Activation)
	return Add(x, h), attn
}

// attendHeads is the attention core without dropout: softmax(q kᵀ / sqrt(d) + bias) v
// with the bias MaskedValue where mask is false.
// q: [batch, heads, q_len, d]; k, v: [batch, heads, kv_len, d]; mask: bool,
// broadcastable to [batch, heads, q_len, kv_len], or nil.
// Returns out: [batch, heads, q_len, d] and the coefficients [batch, heads, q_len, kv_len].
func attendHeads(q, k, v, mask *Node) (out, coefficients *Node) {
	q = MulScalar(q, 1/math.Sqrt(float64(q.Shape().Dim(3))))
	scores := DotGeneral(q, []int{3}, []int{0, 1}, k, []int{3}, []int{0, 1}) // [batch, heads, q_len, kv_len]
	if mask != nil {
		scores = Add(scores, maskBias(mask, q.DType()))
	}
	coefficients = SoftmaxLastAxis(nil, scores)
	out = DotGeneral(coefficients, []int{3}, []int{0, 1}, v, []int{2}, []int{0, 1})
	return out, coefficients
}
