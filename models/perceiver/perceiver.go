// Package perceiver is the Perceiver (Jaegle et al., 2021) and Perceiver IO (Jaegle
// et al., 2022), section 10.4 of the chapter: a small learned latent array
// (num_latents x latent_dim) reads an input array of any length through
// cross-attention, then only the latents attend to each other. The input's length N
// enters only the cross-attention, whose cost is num_latents x N, so the cost grows
// linearly with N where a transformer's self-attention grows as N².
//
// The layout follows lucidrains/perceiver-pytorch: one attention (nn's
// MultiHeadAttention and Block) used for cross- and self-attention behind pre-norms;
// the cross-attention + latent blocks repeated Repeats times, and with ShareWeights
// every repeat after the first reuses one set of weights (perceiver-pytorch's
// weight_tie_layers, its cached constructor; here the same scope reached again with
// Scope.Shared); classification from the averaged latents. Perceiver IO adds Decode:
// output queries cross-attend to the latents. Inputs (inputs.go) carry Fourier or
// learned positional features, and Multimodal turns image patches and text tokens
// into one sequence with modality embeddings.
//
// Variables: "latents/array", "layer_NN/cross/..." and "layer_NN/latent/block_NN/...",
// "head/..." (Classify), "decoder/..." (Decode).
package perceiver

import (
	"fmt"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/mmdna/mmdna/nn"
)

// Config describes a Perceiver. The zero value of an optional field takes the
// default noted.
type Config struct {
	NumLatents int // rows of the latent array (the paper: 512; the chapter's example 256).
	LatentDim  int // width of each latent (the paper: 1024; the chapter's example 512).

	CrossHeads   int // cross-attention heads; 0 means 1 (the paper and perceiver-pytorch).
	CrossDimHead int // per-head width of the cross-attention; 0 means 64 (perceiver-pytorch).
	LatentHeads  int // heads of the latent self-attention; must divide LatentDim.
	MLPDim       int // hidden width of every feed-forward; 0 means 4*LatentDim.

	Depth   int // latent self-attention blocks after each cross-attention.
	Repeats int // cross-attention + latent blocks, repeated; 0 means 1.
	// ShareWeights makes repeats 1, 2, ... reuse the weights of repeat 1 (repeat 0
	// keeps its own, as perceiver-pytorch's weight_tie_layers does): more
	// iterations over the input for no more parameters.
	ShareWeights bool

	Classes int // outputs of Classify's head; 0 builds no head.
	// ReturnAttention makes Encode return the cross-attention maps.
	ReturnAttention bool
}

func (c Config) withDefaults() Config {
	if c.CrossHeads <= 0 {
		c.CrossHeads = 1
	}
	if c.CrossDimHead <= 0 {
		c.CrossDimHead = 64
	}
	if c.MLPDim <= 0 {
		c.MLPDim = 4 * c.LatentDim
	}
	if c.Repeats <= 0 {
		c.Repeats = 1
	}
	return c
}

// Validate reports the first inconsistency.
func (c Config) Validate() error {
	switch {
	case c.NumLatents <= 0 || c.LatentDim <= 0:
		return fmt.Errorf("perceiver: num_latents %d and latent_dim %d must be positive", c.NumLatents, c.LatentDim)
	case c.LatentHeads <= 0 || c.LatentDim%c.LatentHeads != 0:
		return fmt.Errorf("perceiver: latent_dim %d must be divisible by latent heads %d (> 0)", c.LatentDim, c.LatentHeads)
	case c.Depth < 0 || c.Repeats < 0 || c.CrossHeads < 0 || c.CrossDimHead < 0 || c.MLPDim < 0:
		return fmt.Errorf("perceiver: depth %d, repeats %d, cross heads %d, cross dim_head %d and mlp_dim %d must not be negative",
			c.Depth, c.Repeats, c.CrossHeads, c.CrossDimHead, c.MLPDim)
	case c.Classes < 0:
		return fmt.Errorf("perceiver: classes %d must be >= 0", c.Classes)
	}
	return nil
}

// Output holds the named intermediates of Build.
type Output struct {
	Latents *Node // [batch, num_latents, latent_dim]: after the last latent block.
	Pooled  *Node // [batch, latent_dim]: the averaged latents.
	Logits  *Node // [batch, classes], nil when Classes == 0.
	// CrossAttention holds each repeat's cross-attention coefficients
	// [batch, cross_heads, num_latents, N] when ReturnAttention.
	CrossAttention []*Node
}

// Named returns the intermediates by name ("latents", "pooled", "logits",
// "cross_attn_00", ...).
func (o *Output) Named() map[string]*Node {
	m := map[string]*Node{"latents": o.Latents, "pooled": o.Pooled}
	if o.Logits != nil {
		m["logits"] = o.Logits
	}
	for i, a := range o.CrossAttention {
		m[fmt.Sprintf("cross_attn_%02d", i)] = a
	}
	return m
}

// Build encodes inputs [batch, N, channels] (with their positional features
// already attached, see PixelInputs and Multimodal) under scope and classifies the
// averaged latents. mask: [batch, N] (1/true = real input) or nil.
func Build(scope *model.Scope, cfg Config, inputs, mask *Node) *Output {
	out := &Output{}
	out.Latents, out.CrossAttention = Encode(scope, cfg, inputs, mask)
	out.Pooled = ReduceMean(out.Latents, 1)
	if cfg.Classes > 0 {
		// Zero-initialised head: the first logits are zero, as ViT's.
		out.Logits = Classify(scope.In("head").WithInitializer(nn.ZeroInit), out.Latents, cfg.Classes)
	}
	return out
}

// Encode is the Perceiver's encoder: the learned latent array, broadcast over the
// batch, goes through cfg.Repeats rounds of cross-attention to the inputs followed
// by cfg.Depth latent self-attention blocks.
//
// inputs: [batch, N, channels]; mask: [batch, N] or nil. Returns the latents
// [batch, num_latents, latent_dim] and, with ReturnAttention, the cross-attention
// maps.
func Encode(scope *model.Scope, cfg Config, inputs, mask *Node) (latents *Node, attn []*Node) {
	if err := cfg.Validate(); err != nil {
		exceptions.Panicf("%v", err)
	}
	if inputs.Rank() != 3 {
		exceptions.Panicf("perceiver: inputs %s: want [batch, N, channels]", inputs.Shape())
	}
	cfg = cfg.withDefaults()
	scope = scope.WithInitializer(weightInit(scope))
	batch, dim := inputs.Shape().Dim(0), cfg.LatentDim
	array := scope.In("latents").WithInitializer(nn.TruncatedNormalInit(scope, nn.ViTStddev)).
		VariableWithShape("array", shapes.Make(inputs.DType(), cfg.NumLatents, dim)).NodeValue(inputs.Graph())
	latents = BroadcastToDims(ExpandAxes(array, 0), batch, cfg.NumLatents, dim)
	for r := range cfg.Repeats {
		layer := layerScope(scope, cfg, r)
		var a *Node
		latents, a = CrossAttend(layer.In("cross"), cfg, latents, inputs, mask)
		if cfg.ReturnAttention {
			attn = append(attn, a)
		}
		if cfg.Depth > 0 {
			latents, _ = nn.Encoder(layer.In("latent"), cfg.latentBlocks(), latents, nil)
		}
	}
	return latents, attn
}

// layerScope returns the scope of repeat r: "layer_NN", or with ShareWeights the
// scope of repeat 1 for every r >= 1, reached again with Shared (GoMLX's way of
// saying "the same weights again"; In would refuse a second visit).
func layerScope(scope *model.Scope, cfg Config, r int) *model.Scope {
	if cfg.ShareWeights && r > 1 {
		return scope.Shared("layer_%02d", 1)
	}
	return scope.In("layer_%02d", r)
}

// CrossAttend is the Perceiver's cross-attention block, nn.CrossAttentionBlock with
// the latents as queries and the inputs as keys and values (pre-norm, residual):
//
//	x = latents + Attention(LayerNorm(latents), LayerNorm(inputs))   ("norm", "norm_context", "attn")
//	x = x + MLP(LayerNorm(x))                                         ("norm_ff", "ff")
//
// The scores are [num_latents, N] per head: linear in N.
//
// latents: [batch, M, latent_dim]; inputs: [batch, N, channels]; mask: [batch, N] or
// nil. Returns [batch, M, latent_dim] and the coefficients [batch, heads, M, N]
// when cfg.ReturnAttention (else nil).
func CrossAttend(scope *model.Scope, cfg Config, latents, inputs, mask *Node) (out, coefficients *Node) {
	cfg = cfg.withDefaults()
	return nn.CrossAttentionBlock(scope, nn.BlockConfig{Dim: cfg.LatentDim, Heads: cfg.CrossHeads,
		DimHead: cfg.CrossDimHead, MLPDim: cfg.MLPDim, ReturnAttention: cfg.ReturnAttention}, latents, inputs, mask)
}

// Classify is perceiver-pytorch's to_logits: average the latents, LayerNorm
// ("ln"), linear layer ("dense" under scope).
// latents: [batch, M, dim] -> logits [batch, classes].
func Classify(scope *model.Scope, latents *Node, classes int) *Node {
	pooled := nn.LayerNorm(scope.In("ln"), ReduceMean(latents, 1), 0)
	return nn.Dense(scope, pooled, true, classes)
}

// weightInit is the Perceiver's initializer: Xavier-uniform weights and zero biases,
// the scale of PyTorch's default Linear init that perceiver-pytorch relies on. A
// truncated normal of 0.02 (tried first) starts the query and key projections so
// small that the first cross-attention is uniform: every latent reads the mean of
// the input array, and on raw pixels training crawled out of it (perceiver-fmnist's
// smoke run: 26% accuracy after 60 steps; not a controlled comparison, the sizes
// differed too). The latent array, queries and embeddings set their own initializer
// (truncated normal, 0.02).
var weightInit = nn.XavierUniformInit

// latentBlocks is the configuration of the latent self-attention stack.
func (c Config) latentBlocks() nn.EncoderConfig {
	return nn.EncoderConfig{Depth: c.Depth, NoFinalNorm: true,
		BlockConfig: nn.BlockConfig{Dim: c.LatentDim, Heads: c.LatentHeads, MLPDim: c.MLPDim}}
}
