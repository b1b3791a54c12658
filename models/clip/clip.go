// Package clip is the dual encoder of CLIP (Radford et al., 2021; section 10.3.2 and
// the CLIP deep dive of the chapter): an image tower and a text tower, each followed by
// a linear projection into a shared space, L2-normalised, compared by cosine similarity
// times a learnable logit scale, and trained with the symmetric contrastive loss.
//
// The package follows open_clip's split: the model here, the loss in loss.go; the
// zero-shot classifier and the retrieval metrics are evaluation (package eval). The image
// tower is a ViT (models/vit) or a small convolutional encoder (conv.go); the text tower
// is nn.TextEncoder. Presets name sizes, among them "multimodal_embedding", the
// chapter's MultimodalEmbedding (a conv image encoder, a text transformer read at its
// first token as BERT's [CLS], projections with LayerNorm).
//
// Variables: "image/..." and "text/..." (the towers), "image_projection",
// "text_projection" and the scalar "logit_scale/log_scale".
package clip

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
)

// Tower names an image encoder.
type Tower string

// The image towers.
const (
	TowerViT  Tower = "vit"  // models/vit, read at its pooled representation.
	TowerConv Tower = "conv" // ConvEncoder, the chapter's CNN image encoder in small.
)

// TextPool says how the text tower's tokens become one vector.
type TextPool string

// The text poolings.
const (
	PoolEOS   TextPool = "eos"   // the [EOS] token, as CLIP.
	PoolMean  TextPool = "mean"  // the mean of the real tokens.
	PoolFirst TextPool = "first" // the first token ([BOS]), as BERT's [CLS] in the chapter's MultimodalEmbedding.
	// PoolArgmax takes the token at the largest id, OpenAI CLIP's end-of-text token
	// (text.argmax(dim=-1)); with CLIP's tokenizer it is the same token as PoolEOS.
	PoolArgmax TextPool = "argmax"
)

// DefaultInitLogitScale is CLIP's initial log-scale, log(1/0.07): a temperature of 0.07.
var DefaultInitLogitScale = math.Log(1 / 0.07)

// DefaultMaxLogitScale is CLIP's clamp on the scale (the exponentiated value): 100.
const DefaultMaxLogitScale = 100.0

// Config describes a dual encoder.
type Config struct {
	Tower Tower      // TowerViT (default when empty) or TowerConv.
	ViT   vit.Config // the image tower for TowerViT; its Classes must be 0.
	Conv  ConvConfig // the image tower for TowerConv.

	Text     nn.TextEncoderConfig // the text tower; its Pooling is set from TextPool.
	TextPool TextPool             // PoolEOS when empty.

	EmbedDim int // width of the shared space.
	// ProjectionLayerNorm adds a LayerNorm after each projection and ProjectionBias a
	// bias, as the chapter's MultimodalEmbedding (nn.Linear + nn.LayerNorm); CLIP's
	// projections are bias-free matrices.
	ProjectionLayerNorm bool
	ProjectionBias      bool

	// InitLogitScale is the initial natural log of the scale; 0 means
	// DefaultInitLogitScale. MaxLogitScale clamps exp(log-scale); 0 means
	// DefaultMaxLogitScale. NoLogitScaleClamp leaves the scale unclamped, as OpenAI's
	// model computes it at inference.
	InitLogitScale    float64
	MaxLogitScale     float64
	NoLogitScaleClamp bool
}

func (c Config) tower() Tower {
	if c.Tower == "" {
		return TowerViT
	}
	return c.Tower
}

func (c Config) textPool() TextPool {
	if c.TextPool == "" {
		return PoolEOS
	}
	return c.TextPool
}

// Validate reports the first inconsistency, naming the field.
func (c Config) Validate() error {
	switch c.tower() {
	case TowerViT:
		if err := c.ViT.Validate(); err != nil {
			return fmt.Errorf("clip: image tower: %w", err)
		}
		if c.ViT.Classes != 0 {
			return fmt.Errorf("clip: image tower: ViT Classes=%d, want 0 (the projection replaces the head)", c.ViT.Classes)
		}
	case TowerConv:
		if err := c.Conv.Validate(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("clip: tower %q: want %q or %q", c.Tower, TowerViT, TowerConv)
	}
	t := c.Text
	switch {
	case t.VocabSize <= 0 || t.MaxLen <= 0 || t.Dim <= 0 || t.Depth <= 0 || t.Heads <= 0:
		return fmt.Errorf("clip: text tower: vocab %d, max_len %d, dim %d, depth %d and heads %d must be positive",
			t.VocabSize, t.MaxLen, t.Dim, t.Depth, t.Heads)
	case t.Dim%t.Heads != 0:
		return fmt.Errorf("clip: text tower: dim %d is not divisible by heads %d", t.Dim, t.Heads)
	case c.EmbedDim <= 0:
		return fmt.Errorf("clip: embed_dim %d must be positive", c.EmbedDim)
	case c.MaxLogitScale < 0 || (c.MaxLogitScale > 0 && c.MaxLogitScale < 1):
		return fmt.Errorf("clip: max logit scale %g: want 0 (default 100) or at least 1", c.MaxLogitScale)
	}
	switch c.textPool() {
	case PoolEOS, PoolMean, PoolFirst, PoolArgmax:
	default:
		return fmt.Errorf("clip: text pool %q: want %q, %q, %q or %q", c.TextPool, PoolEOS, PoolMean, PoolFirst, PoolArgmax)
	}
	return nil
}

// ImageWidth is the width of the image tower's features.
func (c Config) ImageWidth() int {
	if c.tower() == TowerConv {
		return c.Conv.Width()
	}
	return c.ViT.Dim
}

// Output holds the named intermediates of Build.
type Output struct {
	ImageFeatures *Node // [batch, image_width]: the image tower's pooled output.
	TextFeatures  *Node // [batch, text_dim]: the text tower's pooled output.
	ImageEmbeds   *Node // [batch, embed_dim], L2-normalised.
	TextEmbeds    *Node // [batch, embed_dim], L2-normalised.
	LogitScale    *Node // scalar: exp(log-scale), clamped at MaxLogitScale.
	// LogitsPerImage is LogitScale · ImageEmbeds · TextEmbedsᵀ: [batch, batch]; its
	// transpose is open_clip's logits_per_text.
	LogitsPerImage *Node
}

// Named returns the intermediates by name, as big_vision's models do.
func (o *Output) Named() map[string]*Node {
	return map[string]*Node{"image_features": o.ImageFeatures, "text_features": o.TextFeatures,
		"image_embeds": o.ImageEmbeds, "text_embeds": o.TextEmbeds, "logit_scale": o.LogitScale,
		"logits_per_image": o.LogitsPerImage}
}

// Build runs both towers under scope on a batch of pairs.
// images: [batch, H, W, C] float32 (normalised); ids, mask: [batch, len] int32, with
// mask 1 on real tokens (datasets/text's encoding).
func Build(scope *model.Scope, cfg Config, images, ids, mask *Node) *Output {
	if err := cfg.Validate(); err != nil {
		exceptions.Panicf("%v", err)
	}
	out := &Output{}
	out.ImageFeatures, out.ImageEmbeds = EncodeImage(scope, cfg, images)
	out.TextFeatures, out.TextEmbeds = EncodeText(scope, cfg, ids, mask)
	out.LogitScale = LogitScale(scope, cfg, images.Graph())
	out.LogitsPerImage = Logits(out.ImageEmbeds, out.TextEmbeds, out.LogitScale)
	return out
}

// EncodeImage runs the image tower and its projection: the pooled features
// [batch, image_width] and the normalised embeddings [batch, embed_dim]. Zero-shot
// classification and retrieval embed images with it alone.
func EncodeImage(scope *model.Scope, cfg Config, images *Node) (features, embeds *Node) {
	if err := cfg.Validate(); err != nil {
		exceptions.Panicf("%v", err)
	}
	if images.Rank() != 4 {
		exceptions.Panicf("clip: images %s: want [batch, H, W, C]", images.Shape())
	}
	if images.DType() != dtypes.Float32 {
		images = ConvertDType(images, dtypes.Float32)
	}
	if cfg.tower() == TowerConv {
		features = ConvEncoder(scope.In("image"), cfg.Conv, images)
	} else {
		features = vit.Build(scope.In("image"), cfg.ViT, images).PreLogits
	}
	return features, project(scope.In("image_projection"), cfg, features)
}

// EncodeText runs the text tower and its projection: the pooled features
// [batch, text_dim] and the normalised embeddings [batch, embed_dim].
// ids, mask: [batch, len] int32.
func EncodeText(scope *model.Scope, cfg Config, ids, mask *Node) (features, embeds *Node) {
	if err := cfg.Validate(); err != nil {
		exceptions.Panicf("%v", err)
	}
	tc := cfg.Text
	switch cfg.textPool() {
	case PoolMean:
		tc.Pooling = nn.PoolMean
	case PoolArgmax:
		tc.Pooling = nn.PoolArgmax
	default:
		tc.Pooling = nn.PoolEOS
	}
	enc := nn.TextEncoder(scope.In("text"), tc, ids, mask)
	features = enc.Pooled
	if cfg.textPool() == PoolFirst {
		features = Squeeze(SliceAxis(enc.Tokens, 1, AxisElem(0)), 1) // [batch, dim]
	}
	return features, project(scope.In("text_projection"), cfg, features)
}

// project maps tower features into the shared space and normalises them.
// x: [batch, width] -> [batch, embed_dim] of unit L2 norm.
func project(scope *model.Scope, cfg Config, x *Node) *Node {
	// CLIP initialises its projections with stddev width^-0.5, which keeps the
	// projected norm near that of the features.
	std := 1 / math.Sqrt(float64(x.Shape().Dim(-1)))
	scope = scope.WithInitializer(nn.TruncatedNormalInit(scope, std))
	y := nn.Dense(scope, x, cfg.ProjectionBias, cfg.EmbedDim)
	if cfg.ProjectionLayerNorm {
		y = nn.LayerNorm(scope.In("ln"), y, 0)
	}
	return nn.NormalizeL2(y, -1, 0)
}

// LogitScale returns the clamped scale: min(exp(s), MaxLogitScale) for the learned
// log-scale s (the variable "logit_scale/log_scale", initialised to InitLogitScale).
// The clamp is open_clip's clamp of the log-scale at log(100) after every step, applied
// in the graph: beyond it the gradient to s is zero, so s stops growing.
func LogitScale(scope *model.Scope, cfg Config, g *Graph) *Node {
	init := cfg.InitLogitScale
	if init == 0 {
		init = DefaultInitLogitScale
	}
	maxScale := cfg.MaxLogitScale
	if maxScale == 0 {
		maxScale = DefaultMaxLogitScale
	}
	s := scope.In("logit_scale").VariableWithValue("log_scale", float32(init)).NodeValue(g)
	if cfg.NoLogitScaleClamp {
		return Exp(s)
	}
	return MinScalar(Exp(s), maxScale)
}
