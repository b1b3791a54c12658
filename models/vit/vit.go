// Package vit is the Vision Transformer (Dosovitskiy et al., 2021; section 10.5 of the
// chapter): images cut into patches, linearly embedded with learnable positions, a
// pre-LN transformer encoder, and a classification head on the cls token or on the
// average of the patch tokens.
//
// Build returns named intermediates (patch tokens, encoded tokens, pre-logits,
// per-block attention maps) so probes, pictures, CLIP and MAE can read what they need.
// Embed and EncodeTokens expose the two halves, which MAE composes around its masking.
//
// Initialisation follows the paper's reference code (google-research/vision_transformer,
// models_vit.py): xavier_uniform for the dense kernels of attention and MLP
// (nn.XavierUniformInit), lecun_normal for the patch embedding, truncated normal
// (stddev 0.02) for positions and the cls token, zero biases and a zero-initialised head.
package vit

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/mmdna/mmdna/nn"
)

// Pooling says how the image representation is read from the encoded tokens.
type Pooling string

// The two poolings of the ViT paper (appendix D.4): a learned cls token, or global
// average pooling of the patch tokens.
const (
	PoolCLS Pooling = "cls"
	PoolGAP Pooling = "gap"
)

// Config describes a ViT. Presets fill the transformer sizes (see Preset).
type Config struct {
	Image    int // input height = width, in pixels.
	Channels int // input channels (1 for Fashion-MNIST, 3 for RGB).
	Patch    int // patch side; Image must be divisible by it.

	Dim    int // token width (the paper's "hidden size D").
	Depth  int // transformer blocks.
	Heads  int // attention heads; Dim must be divisible by it.
	MLPDim int // MLP hidden width (the paper uses 4*Dim).

	Classes int     // head outputs; 0 builds no head (feature extractor).
	Pool    Pooling // PoolCLS or PoolGAP.

	Dropout          float64 // after attention projections and in the MLP (training only).
	AttentionDropout float64 // on attention coefficients (training only).
	DropPath         float64 // stochastic depth of the last block (rising from 0).

	// ReturnAttention makes Build return each block's attention map; it costs speed
	// (and rules out fused attention kernels), so leave it off for training.
	ReturnAttention bool
}

// Tokens returns the number of tokens the encoder sees (patches, plus the cls token).
func (c Config) Tokens() int {
	n := (c.Image / c.Patch) * (c.Image / c.Patch)
	if c.Pool == PoolCLS {
		n++
	}
	return n
}

// Validate reports the first inconsistency.
func (c Config) Validate() error {
	switch {
	case c.Image <= 0 || c.Channels <= 0 || c.Patch <= 0:
		return fmt.Errorf("vit: image %d, channels %d and patch %d must be positive", c.Image, c.Channels, c.Patch)
	case c.Image%c.Patch != 0:
		return fmt.Errorf("vit: image size %d is not divisible by patch %d", c.Image, c.Patch)
	case c.Dim <= 0 || c.Depth <= 0 || c.Heads <= 0 || c.MLPDim <= 0:
		return fmt.Errorf("vit: dim %d, depth %d, heads %d and mlp_dim %d must be positive", c.Dim, c.Depth, c.Heads, c.MLPDim)
	case c.Dim%c.Heads != 0:
		return fmt.Errorf("vit: dim %d is not divisible by heads %d", c.Dim, c.Heads)
	case c.Pool != PoolCLS && c.Pool != PoolGAP:
		return fmt.Errorf("vit: pool %q: want %q or %q", c.Pool, PoolCLS, PoolGAP)
	case c.Classes < 0:
		return fmt.Errorf("vit: classes %d must be >= 0", c.Classes)
	}
	return nil
}

func (c Config) encoder() nn.EncoderConfig {
	return nn.EncoderConfig{Depth: c.Depth, BlockConfig: nn.BlockConfig{Dim: c.Dim, Heads: c.Heads, MLPDim: c.MLPDim,
		Dropout: c.Dropout, AttentionDropout: c.AttentionDropout, DropPath: c.DropPath, ReturnAttention: c.ReturnAttention}}
}

// Output holds the named intermediates of Build.
type Output struct {
	Patches   *Node   // [batch, patches, dim]: patch embeddings plus positions, before the encoder.
	Encoded   *Node   // [batch, tokens, dim]: after the encoder's final LayerNorm (cls first if any).
	PreLogits *Node   // [batch, dim]: the pooled representation.
	Logits    *Node   // [batch, classes], nil when Classes == 0.
	Attention []*Node // per block [batch, heads, tokens, tokens], when ReturnAttention.
}

// Named returns the intermediates by name ("patches", "encoded", "pre_logits",
// "logits", "attn_00", ...), as big_vision's models do.
func (o *Output) Named() map[string]*Node {
	m := map[string]*Node{"patches": o.Patches, "encoded": o.Encoded, "pre_logits": o.PreLogits}
	if o.Logits != nil {
		m["logits"] = o.Logits
	}
	for i, a := range o.Attention {
		m[fmt.Sprintf("attn_%02d", i)] = a
	}
	return m
}

// Build runs the ViT on images [batch, Image, Image, Channels] (any float dtype,
// normalised) under scope and returns its intermediates. Variables: "patch_embed",
// "pos_embed", "cls" (PoolCLS), "encoder/block_NN", "encoder/ln_final", "head".
func Build(scope *model.Scope, cfg Config, images *Node) *Output {
	if err := cfg.Validate(); err != nil {
		exceptions.Panicf("%v", err)
	}
	if s := images.Shape(); s.Rank() != 4 || s.Dim(1) != s.Dim(2) || s.Dim(3) != cfg.Channels {
		exceptions.Panicf("vit: images %s: want [batch, H, H, %d]", s, cfg.Channels)
	}
	scope = scope.WithInitializer(nn.XavierUniformInit(scope))
	out := &Output{Patches: Embed(scope, cfg, images)}
	out.Encoded, out.Attention = EncodeTokens(scope, cfg, out.Patches)
	out.PreLogits = Pool(cfg, out.Encoded)
	if cfg.Classes > 0 {
		out.Logits = nn.Dense(scope.In("head").WithInitializer(nn.ZeroInit), out.PreLogits, true, cfg.Classes)
	}
	return out
}

// Embed turns images [batch, H, W, C] into patch tokens with positions
// [batch, (H/Patch)*(W/Patch), Dim]. A positional table created for another grid is
// interpolated (fine-tuning at another resolution).
func Embed(scope *model.Scope, cfg Config, images *Node) *Node {
	embed := scope.In("patch_embed")
	tokens := nn.PatchEmbed(embed.WithInitializer(nn.LecunNormalInit(embed)), images, cfg.Patch, cfg.Dim) // [b, n, dim]
	gridH, gridW := images.Shape().Dim(1)/cfg.Patch, images.Shape().Dim(2)/cfg.Patch
	pos := nn.LearnedPosEmbedding(scope.In("pos_embed"), images.Graph(), tokens.DType(), gridH, gridW, cfg.Dim)
	return Add(tokens, ExpandLeftToRank(pos, 3))
}

// EncodeTokens prepends the cls token (PoolCLS) and runs the encoder.
// tokens: [batch, n, Dim] -> encoded [batch, n(+1), Dim] and the attention maps.
func EncodeTokens(scope *model.Scope, cfg Config, tokens *Node) (encoded *Node, attn []*Node) {
	if cfg.Pool == PoolCLS {
		tokens = nn.PrependCLS(scope.In("cls"), tokens)
	}
	return nn.Encoder(scope.In("encoder"), cfg.encoder(), tokens, nil)
}

// Pool reads the image representation [batch, Dim] from encoded tokens: the cls
// token, or the mean of the patch tokens.
func Pool(cfg Config, encoded *Node) *Node {
	if cfg.Pool == PoolCLS {
		return Squeeze(Slice(encoded, AxisRange(), AxisElem(0)), 1)
	}
	return ReduceMean(encoded, 1)
}
