package perceiver

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/nn"
)

// DecoderConfig configures Perceiver IO's decoder.
type DecoderConfig struct {
	QueryDim int // width of the output queries (and of the decoder's attention output).
	Heads    int // cross-attention heads; 0 means 1.
	DimHead  int // per-head width; 0 means 64.
	MLPDim   int // feed-forward width; 0 means 4*QueryDim.
	OutDim   int // width of each output (classes for classification).
	// ReturnAttention makes Decode return the attention coefficients.
	ReturnAttention bool
}

// LearnedQueries returns n learned output queries ("queries/array" [n, dim], truncated
// normal 0.02) broadcast over the batch: [batch, n, dim]. Perceiver IO uses one
// query for classification and one per output element otherwise.
func LearnedQueries(scope *model.Scope, g *Graph, dtype dtypes.DType, batch, n, dim int) *Node {
	q := scope.In("queries").WithInitializer(nn.TruncatedNormalInit(scope, nn.ViTStddev)).
		VariableWithShape("array", shapes.Make(dtype, n, dim)).NodeValue(g)
	return BroadcastToDims(ExpandAxes(q, 0), batch, n, dim)
}

// Decode is Perceiver IO's decoder: each output query cross-attends to the latents
// (nn.CrossAttentionBlock: pre-norm, with the query as residual, then a feed-forward),
// and a final LayerNorm and linear layer give the output ("norm", "norm_context",
// "attn", "norm_ff", "ff", "out_norm", "out"). The output's length is the number of
// queries, whatever the input's length was: the "IO" of the name.
//
// queries: [batch, Q, QueryDim]; latents: [batch, M, latent_dim].
// Returns [batch, Q, OutDim] and, with cfg.ReturnAttention, the attention
// coefficients [batch, heads, Q, M] (else nil).
func Decode(scope *model.Scope, cfg DecoderConfig, queries, latents *Node) (out, coefficients *Node) {
	heads, dimHead, mlp := cfg.Heads, cfg.DimHead, cfg.MLPDim
	if heads <= 0 {
		heads = 1
	}
	if dimHead <= 0 {
		dimHead = 64
	}
	if mlp <= 0 {
		mlp = 4 * cfg.QueryDim
	}
	scope = scope.WithInitializer(weightInit(scope))
	x, coefficients := nn.CrossAttentionBlock(scope, nn.BlockConfig{Dim: cfg.QueryDim, Heads: heads, DimHead: dimHead,
		MLPDim: mlp, ReturnAttention: cfg.ReturnAttention}, queries, latents, nil)
	out = nn.Dense(scope.In("out"), nn.LayerNorm(scope.In("out_norm"), x, 0), true, cfg.OutDim)
	return out, coefficients
}

// ClassifyIO classifies with Perceiver IO's decoder: one learned query decodes the
// latents into logits. latents: [batch, M, latent_dim] -> [batch, classes].
func ClassifyIO(scope *model.Scope, latents *Node, classes int) *Node {
	batch, dim := latents.Shape().Dim(0), latents.Shape().Dim(2)
	q := LearnedQueries(scope, latents.Graph(), latents.DType(), batch, 1, dim)
	out, _ := Decode(scope.In("decoder"), DecoderConfig{QueryDim: dim, OutDim: classes}, q, latents)
	return Squeeze(out, 1)
}
