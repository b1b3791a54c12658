package nn

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// CrossAttentionBlock is the pre-LN cross-attention block, Block with the keys and
// values read from a context (the Perceiver's cross-attention and decoder, hybrid
// fusion's text-to-image blocks; lucidrains' PreNorm(Attention, context_dim)):
//
//	x = query + DropPath(Dropout(MultiHeadAttention(LayerNorm(query), LayerNorm(context))))
//	        (scopes "norm", "norm_context", "attn")
//	x = x + DropPath(MLP(LayerNorm(x)))   (scopes "norm_ff", "ff")
//
// cfg is read as by Block: Heads, DimHead (0: query width / Heads), MLPDim (0: 4x the
// query width), the dropouts, LayerNormEpsilon, NoQKVBias, ReturnAttention; Dim, when
// set, must be the query width. The attention's output width is the query width.
//
// query: [batch, q_len, dim]; context: [batch, kv_len, context_dim]; contextMask:
// [batch, kv_len] bool or int (true/1 = attend) or nil. Returns y: [batch, q_len, dim]
// and, when cfg.ReturnAttention, the coefficients [batch, heads, q_len, kv_len], else nil.
func CrossAttentionBlock(scope *model.Scope, cfg BlockConfig, query, context, contextMask *Node) (y, attn *Node) {
	checkRank("CrossAttentionBlock", "context", context, 3)
	dim, mlpDim := cfg.widths("CrossAttentionBlock", "query", query)
	ac := cfg.attention()
	ac.OutDim = dim
	q := LayerNorm(scope.In("norm"), query, cfg.LayerNormEpsilon)
	ctx := LayerNorm(scope.In("norm_context"), context, cfg.LayerNormEpsilon)
	h, attn := MultiHeadAttention(scope.In("attn"), ac, q, ctx, contextMask, cfg.ReturnAttention)
	h = layers.DropoutStatic(scope, h, cfg.Dropout)
	x := Add(query, DropPath(scope, h, cfg.DropPath))

	h = MLPActivation(scope.In("ff"), LayerNorm(scope.In("norm_ff"), x, cfg.LayerNormEpsilon), mlpDim, dim, cfg.Dropout, cfg.Activation)
	return Add(x, DropPath(scope, h, cfg.DropPath)), attn
}

// widths checks x [batch, tokens, dim] against cfg.Dim and returns the token width and
// the MLP width (cfg.MLPDim, or 4*dim when 0). fn and name label the error.
func (c BlockConfig) widths(fn, name string, x *Node) (dim, mlpDim int) {
	checkRank(fn, name, x, 3)
	dim = x.Shape().Dim(-1)
	if c.Dim != 0 && c.Dim != dim {
		exceptions.Panicf("nn.%s: config Dim=%d but %s has shape %s", fn, c.Dim, name, x.Shape())
	}
	mlpDim = c.MLPDim
	if mlpDim <= 0 {
		mlpDim = 4 * dim
	}
	return dim, mlpDim
}
