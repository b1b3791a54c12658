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

	// The switches below describe pretrained architectures (Hugging Face, timm, OpenAI
	// CLIP); their zero values are mmdna's ViT.

	// LayerNormEpsilon of every LayerNorm; 0 means 1e-6 (the ViT reference and timm;
	// Hugging Face ViT uses 1e-12, CLIP 1e-5).
	LayerNormEpsilon float64
	// Activation of the MLPs; "" is the exact GELU (OpenAI CLIP: nn.ActQuickGELU).
	Activation nn.Activation
	// NoQKVBias drops the query/key/value biases (timm's qkv_bias=False).
	NoQKVBias bool
	// NoPatchBias drops the patch embedding's bias (OpenAI CLIP's conv1).
	NoPatchBias bool
	// PreNorm adds a LayerNorm ("ln_pre") after the positions, before the first block
	// (OpenAI CLIP's ln_pre, timm's norm_pre).
	PreNorm bool
	// ClassToken prepends a cls token with PoolGAP too; the mean then skips it (timm's
	// global_pool="avg" keeps its class token).
	ClassToken bool
	// NormPooled moves the final LayerNorm from every token to the pooled vector
	// ("fc_norm", timm's default for average pooling).
	NormPooled bool
	// Pooler adds Hugging Face ViTModel's pooler, tanh(Dense(pooled)) ("pooler"), to
	// PreLogits.
	Pooler bool
	// PosInterpolation resizes a position table stored for another grid; "" is
	// bilinear (Hugging Face: bicubic; timm: bicubic_aa).
	PosInterpolation nn.Interpolation

	// Stem, when set, is a convolutional stem (nn.ConvStages, under "stem") with these
	// stage widths, run before the patch embedding: the hybrid ViT of Dosovitskiy et al.
	// (2021) and the early convolutions of Xiao et al. (2021), which make small ViTs
	// easier to train. The stem divides the image by 2^len(Stem) and the patch
	// embedding then cuts its feature map into patches of Patch/2^len(Stem), so the
	// token grid stays Image/Patch on a side.
	Stem []int `json:"stem,omitempty"`
}

// HasClassToken reports whether the encoder sees a cls token (PoolCLS, or ClassToken).
func (c Config) HasClassToken() bool { return c.Pool == PoolCLS || c.ClassToken }

// Tokens returns the number of tokens the encoder sees (patches, plus the cls token).
func (c Config) Tokens() int {
	n := (c.Image / c.Patch) * (c.Image / c.Patch)
	if c.HasClassToken() {
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
	case c.LayerNormEpsilon < 0:
		return fmt.Errorf("vit: layer_norm_eps %g must be >= 0", c.LayerNormEpsilon)
	case len(c.Stem) > 0 && c.Patch%(1<<len(c.Stem)) != 0:
		return fmt.Errorf("vit: patch %d is not divisible by %d, the stem's %d stages of stride 2", c.Patch, 1<<len(c.Stem), len(c.Stem))
	}
	for i, ch := range c.Stem {
		if ch <= 0 {
			return fmt.Errorf("vit: stem stage %d has %d channels, want a positive number", i, ch)
		}
	}
	if _, err := nn.ParseActivation(string(c.Activation)); err != nil {
		return fmt.Errorf("vit: %w", err)
	}
	if _, err := nn.ParseInterpolation(string(c.PosInterpolation)); err != nil {
		return fmt.Errorf("vit: position %w", err)
	}
	return nil
}

func (c Config) encoder() nn.EncoderConfig {
	return nn.EncoderConfig{Depth: c.Depth, NoFinalNorm: c.NormPooled, BlockConfig: nn.BlockConfig{Dim: c.Dim,
		Heads: c.Heads, MLPDim: c.MLPDim, Dropout: c.Dropout, AttentionDropout: c.AttentionDropout,
		DropPath: c.DropPath, ReturnAttention: c.ReturnAttention, LayerNormEpsilon: c.LayerNormEpsilon,
		Activation: c.Activation, NoQKVBias: c.NoQKVBias}}
}

// Output holds the named intermediates of Build.
type Output struct {
	Patches   *Node   // [batch, patches, dim]: patch embeddings plus positions, before the encoder.
	Encoded   *Node   // [batch, tokens, dim]: after the encoder's final LayerNorm (cls first if any; no norm with NormPooled).
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
// "pos_embed", "cls" (HasClassToken), "ln_pre" (PreNorm), "encoder/block_NN",
// "encoder/ln_final" (or "fc_norm" with NormPooled), "pooler" (Pooler), "head".
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
	if cfg.NormPooled {
		out.PreLogits = nn.LayerNorm(scope.In("fc_norm"), out.PreLogits, cfg.LayerNormEpsilon)
	}
	if cfg.Pooler {
		out.PreLogits = Tanh(nn.Dense(scope.In("pooler"), out.PreLogits, true, cfg.Dim))
	}
	if cfg.Classes > 0 {
		out.Logits = nn.Dense(scope.In("head").WithInitializer(nn.ZeroInit), out.PreLogits, true, cfg.Classes)
	}
	return out
}

// Embed turns images [batch, H, W, C] into patch tokens with positions
// [batch, (H/Patch)*(W/Patch), Dim]. A positional table created for another grid is
// interpolated (fine-tuning at another resolution).
func Embed(scope *model.Scope, cfg Config, images *Node) *Node {
	gridH, gridW := images.Shape().Dim(1)/cfg.Patch, images.Shape().Dim(2)/cfg.Patch
	patch := cfg.Patch
	if len(cfg.Stem) > 0 {
		images = nn.ConvStages(scope.In("stem"), cfg.Stem, images) // [b, H/2^k, W/2^k, Stem[last]]
		patch >>= len(cfg.Stem)
	}
	embed := scope.In("patch_embed")
	embed = embed.WithInitializer(nn.LecunNormalInit(embed))
	tokens := nn.Dense(embed, nn.Patchify(images, patch), !cfg.NoPatchBias, cfg.Dim) // [b, n, dim]
	pos := nn.LearnedPosEmbeddingResized(scope.In("pos_embed"), images.Graph(), tokens.DType(), gridH, gridW,
		cfg.Dim, cfg.PosInterpolation)
	return Add(tokens, ExpandLeftToRank(pos, 3))
}

// EncodeTokens prepends the cls token (HasClassToken), applies the pre-norm
// (PreNorm) and runs the encoder.
// tokens: [batch, n, Dim] -> encoded [batch, n(+1), Dim] and the attention maps.
//
// The cls token has no slot in the position table: pretrained models that give it a
// position embedding are loaded with that embedding added to the token, which is the
// same function (the sum is all the model ever sees) and keeps the table a grid that
// interpolates cleanly.
func EncodeTokens(scope *model.Scope, cfg Config, tokens *Node) (encoded *Node, attn []*Node) {
	if cfg.HasClassToken() {
		tokens = nn.PrependCLS(scope.In("cls"), tokens)
	}
	if cfg.PreNorm {
		tokens = nn.LayerNorm(scope.In("ln_pre"), tokens, cfg.LayerNormEpsilon)
	}
	return nn.Encoder(scope.In("encoder"), cfg.encoder(), tokens, nil)
}

// Pool reads the image representation [batch, Dim] from encoded tokens: the cls
// token, or the mean of the patch tokens (after the cls token, if there is one).
func Pool(cfg Config, encoded *Node) *Node {
	switch {
	case cfg.Pool == PoolCLS:
		return Squeeze(Slice(encoded, AxisRange(), AxisElem(0)), 1)
	case cfg.ClassToken:
		return ReduceMean(Slice(encoded, AxisRange(), AxisRange(1)), 1)
	}
	return ReduceMean(encoded, 1)
}
