// Package vilt is the Vision-and-Language Transformer (Kim, Son and Kim, 2021; the
// chapter's VQA example, dandelin/vilt-b32-finetuned-vqa): a single-stream model, one
// transformer over the caption's or question's word embeddings and the image's patch
// embeddings together, with no separate image or text tower.
//
// Each modality gets its own positions and a modality-type embedding (text 0, image 1);
// the image side has its own class token, as in ViLT. The encoder is the pre-LN ViT
// block stack; the pooler reads the first token (the text's [BOS], ViLT's [CLS]). Heads:
//
//	ITM: Dense(pooled) -> 2 logits: does the text describe the image?
//	MLM: Dense, GELU, LayerNorm, then the word embeddings transposed (tied) plus a bias
//	VQA: Dense(2*Dim), LayerNorm, GELU, Dense(answers)   (ViLT's vqa_classifier)
//
// Variables (under the scope given to Encode):
//
//	text/word_embed/embeddings   [vocab, dim]      (the MLM decoder too)
//	text/pos_embed/embeddings    [max_len, dim]
//	type_embed/embeddings        [2, dim]          text 0, image 1
//	text_ln                      LayerNorm of the text embeddings (BERT's)
//	image/...                    vit.Embed's stem, patch_embed and pos_embed; image/cls
//	encoder/block_NN, encoder/ln_final
//	pooler                       tanh(Dense(first token))
//
// Unlike ViLT-B/32, whose image side is ViT-B/32's linear patch projection, the image
// side may start with a convolutional stem (Config.Stem, the hybrid ViT of vit.Config):
// at the shapes world's 32x32 a linear embedding of 8x8 patches barely tells a star
// from a cross (perceiver-shapes: 0.195 on shape questions).
package vilt

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
)

// Config describes a ViLT.
type Config struct {
	Image    int   // input height = width, in pixels.
	Channels int   // input channels.
	Patch    int   // patch side in pixels; Image must be divisible by it.
	Stem     []int // optional convolutional stem before the patch embedding (vit.Config.Stem).

	VocabSize int // word ids lie in [0, VocabSize).
	MaxLen    int // longest text, [BOS] and [EOS] included.

	Dim    int // token width.
	Depth  int // transformer blocks.
	Heads  int // attention heads.
	MLPDim int // MLP width; 0 means 4*Dim.

	Dropout float64 // on the embeddings, after attention and in the MLPs (training only).

	// ReturnAttention makes Encode return each block's attention map (pictures); it
	// rules out the fused attention kernel, so leave it off for training.
	ReturnAttention bool
}

// Validate reports the first inconsistency of c.
func (c Config) Validate() error {
	switch {
	case c.Image <= 0 || c.Channels <= 0 || c.Patch <= 0:
		return fmt.Errorf("vilt: image %d, channels %d and patch %d must be positive", c.Image, c.Channels, c.Patch)
	case c.Image%c.Patch != 0:
		return fmt.Errorf("vilt: patch %d must divide the image side %d", c.Patch, c.Image)
	case c.Patch%(1<<len(c.Stem)) != 0:
		return fmt.Errorf("vilt: a stem of %d stages halves the image %d times: patch %d must be divisible by %d",
			len(c.Stem), len(c.Stem), c.Patch, 1<<len(c.Stem))
	case c.VocabSize <= 0 || c.MaxLen < 2:
		return fmt.Errorf("vilt: vocabulary %d must be positive and max_len %d at least 2", c.VocabSize, c.MaxLen)
	case c.Dim <= 0 || c.Depth <= 0 || c.Heads <= 0 || c.Dim%c.Heads != 0:
		return fmt.Errorf("vilt: dim %d, depth %d and heads %d must be positive, dim divisible by heads", c.Dim, c.Depth, c.Heads)
	case c.MLPDim < 0 || c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("vilt: mlp_dim %d must not be negative and dropout %g in [0, 1)", c.MLPDim, c.Dropout)
	}
	for i, ch := range c.Stem {
		if ch <= 0 {
			return fmt.Errorf("vilt: stem stage %d has %d channels", i, ch)
		}
	}
	return nil
}

// ImageTokens is the number of image tokens: the patches and the image class token.
func (c Config) ImageTokens() int { return (c.Image/c.Patch)*(c.Image/c.Patch) + 1 }

// vit is the image side's patch embedding as a ViT configuration (vit.Embed).
func (c Config) vit() vit.Config {
	return vit.Config{Image: c.Image, Channels: c.Channels, Patch: c.Patch, Dim: c.Dim, Depth: c.Depth, Heads: c.Heads,
		Stem: c.Stem, Pool: vit.PoolGAP}
}

// Output holds what Encode computes.
type Output struct {
	Encoded   *Node   // [batch, L + ImageTokens, Dim]: text first, then the image class token and patches.
	Text      *Node   // [batch, L, Dim]: the encoded text tokens (MLM reads them).
	Pooled    *Node   // [batch, Dim]: tanh(Dense(first token)).
	Patches   *Node   // [batch, ImageTokens-1, Dim]: the patch embeddings before the stream (image only).
	Attention []*Node // per block [batch, heads, tokens, tokens], with ReturnAttention.
}

// Encode runs the single-stream transformer over a text and an image.
// images: [batch, Image, Image, Channels] float; ids: [batch, L] int (L <= MaxLen);
// mask: [batch, L] int or bool, true on real tokens. The image tokens are never masked.
func Encode(scope *model.Scope, cfg Config, images, ids, mask *Node) *Output {
	if err := cfg.Validate(); err != nil {
		exceptions.Panicf("%v", err)
	}
	if s := images.Shape(); s.Rank() != 4 || s.Dim(1) != cfg.Image || s.Dim(2) != cfg.Image || s.Dim(3) != cfg.Channels {
		exceptions.Panicf("vilt: images %s: want [batch, %d, %d, %d]", s, cfg.Image, cfg.Image, cfg.Channels)
	}
	if ids.Rank() != 2 || !ids.DType().IsInt() || !ids.Shape().EqualDimensions(mask.Shape()) ||
		ids.Shape().Dim(0) != images.Shape().Dim(0) || ids.Shape().Dim(1) > cfg.MaxLen {
		exceptions.Panicf("vilt: ids %s and mask %s: want both [batch=%d, L <= %d], ids integer",
			ids.Shape(), mask.Shape(), images.Shape().Dim(0), cfg.MaxLen)
	}
	scope = scope.WithInitializer(nn.XavierUniformInit(scope))
	x, keyMask := embed(scope, cfg, images, ids, mask)
	out := &Output{Patches: Slice(x, AxisRange(), AxisRange(ids.Shape().Dim(1)+1))}
	x = layers.DropoutStatic(scope, x, cfg.Dropout)
	out.Encoded, out.Attention = nn.Encoder(scope.In("encoder"), nn.EncoderConfig{Depth: cfg.Depth,
		BlockConfig: nn.BlockConfig{Heads: cfg.Heads, MLPDim: cfg.MLPDim, Dropout: cfg.Dropout,
			ReturnAttention: cfg.ReturnAttention}}, x, keyMask)
	L := ids.Shape().Dim(1)
	out.Text = Slice(out.Encoded, AxisRange(), AxisRange(0, L))
	first := Squeeze(Slice(out.Encoded, AxisRange(), AxisElem(0)), 1)
	out.Pooled = Tanh(nn.Dense(scope.In("pooler"), first, true, cfg.Dim))
	return out
}

// embed assembles the single stream: x [batch, L + ImageTokens, Dim] is the text
// (word + position + type 0) followed by the image class token and the patches (each
// + its position, all + type 1); keyMask [batch, L + ImageTokens] bool is the text's
// mask followed by true for every image token.
func embed(scope *model.Scope, cfg Config, images, ids, mask *Node) (x, keyMask *Node) {
	g, dtype := images.Graph(), images.DType()
	types := scope.In("type_embed").WithInitializer(nn.TruncatedNormalInit(scope, nn.ViTStddev)).
		VariableWithShape("embeddings", shapes.Make(dtype, 2, cfg.Dim)).NodeValue(g) // [2, dim]
	text := Add(embedText(scope, cfg, ids, dtype), Reshape(Slice(types, AxisElem(0)), 1, 1, cfg.Dim))
	// BERT's embeddings end with a LayerNorm (ViLT keeps it): without it the text
	// tokens (tables of stddev 0.02) would enter the stream ~30x smaller than the
	// patch tokens, and the first attention layer would wash their identity out.
	text = nn.LayerNorm(scope.In("text_ln"), text, 1e-12)
	imageScope := scope.In("image")
	image := nn.PrependCLS(imageScope.In("cls"), vit.Embed(imageScope, cfg.vit(), images))
	image = Add(image, Reshape(Slice(types, AxisElem(1)), 1, 1, cfg.Dim)) // [batch, ImageTokens, dim]
	batch := images.Shape().Dim(0)
	keyMask = Concatenate([]*Node{nn.MaskToBool(mask), BroadcastToDims(Const(g, true), batch, cfg.ImageTokens())}, 1)
	return Concatenate([]*Node{text, image}, 1), keyMask
}

// wordTable is the word embedding table [VocabSize, Dim], shared by the input and the
// MLM decoder.
func wordTable(scope *model.Scope, cfg Config, g *Graph, dtype dtypes.DType) *Node {
	return scope.At("text").At("word_embed").WithInitializer(nn.TruncatedNormalInit(scope, nn.ViTStddev)).
		VariableWithShape("embeddings", shapes.Make(dtype, cfg.VocabSize, cfg.Dim)).NodeValue(g)
}

// embedText returns word plus position embeddings [batch, L, dim] of ids [batch, L].
func embedText(scope *model.Scope, cfg Config, ids *Node, dtype dtypes.DType) *Node {
	g := ids.Graph()
	words := Gather(wordTable(scope, cfg, g, dtype), ExpandAxes(ConvertDType(ids, dtypes.Int32), -1)) // [batch, L, dim]
	L := ids.Shape().Dim(1)
	pos := scope.At("text").At("pos_embed").WithInitializer(nn.TruncatedNormalInit(scope, nn.ViTStddev)).
		VariableWithShape("embeddings", shapes.Make(dtype, cfg.MaxLen, cfg.Dim)).NodeValue(g)
	return Add(words, ExpandAxes(Slice(pos, AxisRange(0, L)), 0))
}

// ITMLogits is the image-text matching head: pooled [batch, Dim] -> [batch, 2]
// (index 1: the text describes the image). Variables under scope "itm".
func ITMLogits(scope *model.Scope, pooled *Node) *Node {
	return nn.Dense(scope.In("itm"), pooled, true, 2)
}

// MLMLogits is the masked-language-modelling head over the encoded text tokens
// [batch, L, Dim] -> [batch, L, VocabSize]: a transform (Dense, GELU, LayerNorm) and the
// word embeddings transposed, plus a bias (BERT's prediction head, tied as in ViLT).
// scope is the one given to Encode; the head's own variables are under "mlm".
func MLMLogits(scope *model.Scope, cfg Config, text *Node) *Node {
	s := scope.WithInitializer(nn.XavierUniformInit(scope)).In("mlm")
	h := nn.LayerNorm(s.In("ln"), nn.Activate(nn.Dense(s.In("transform"), text, true, cfg.Dim), nn.ActGELU), 0)
	table := wordTable(scope, cfg, text.Graph(), text.DType())
	logits := DotGeneral(h, []int{2}, nil, table, []int{1}, nil) // [batch, L, vocab]
	bias := s.WithInitializer(nn.ZeroInit).VariableWithShape("bias", shapes.Make(text.DType(), cfg.VocabSize)).
		NodeValue(text.Graph())
	return Add(logits, ExpandLeftToRank(bias, 3))
}

// VQALogits is ViLT's VQA classifier: pooled [batch, Dim] -> Dense(2*Dim), LayerNorm,
// GELU, Dense(answers) -> [batch, answers]. Variables under scope "vqa".
func VQALogits(scope *model.Scope, cfg Config, pooled *Node, answers int) *Node {
	if answers <= 0 {
		exceptions.Panicf("vilt.VQALogits: %d answers", answers)
	}
	s := scope.WithInitializer(nn.XavierUniformInit(scope)).In("vqa")
	h := nn.Dense(s.In("fc1"), pooled, true, 2*cfg.Dim)
	h = nn.Activate(nn.LayerNorm(s.In("ln"), h, 1e-5), nn.ActGELU)
	return nn.Dense(s.In("fc2"), h, true, answers)
}
