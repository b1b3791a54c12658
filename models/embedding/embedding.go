// Package embedding holds the chapter's two image-text embedding models (section 10.4,
// "multimodal_embeding.py" and "crossmodal_attention.py") on mmdna's CLIP towers:
//
//   - MultimodalEmbedding, the dual encoder: a CNN image encoder and a text transformer
//     read at its first token (BERT's [CLS]), each followed by Linear + LayerNorm into a
//     shared space, L2-normalised, logits = exp(s)·img·txtᵀ with s initialised to
//     log(1/0.07), the symmetric cross-entropy on the diagonal. It is models/clip with
//     the preset's choices fixed.
//   - CrossModalEmbedding, the chapter's EnhancedMultimodalEmbedding with cross-modal
//     attention inside the embedding, done per pair (see cross.go): the caption queries
//     the feature-map tokens of one image, and the text-conditioned image embedding is
//     compared with that caption. Every (image, caption) pair of a batch gets a score
//     that depends on that image and that caption alone.
//   - Chapter, optional, the chapter's own forward pass as written (chapter.go): its
//     nn.MultiheadAttention on 2-D [batch, dim] tensors attends across the batch, and
//     its logits compare each combined vector with the other combined vectors.
//
// Variables: the towers and projections under clip's names ("image/stage_NN",
// "image_projection", "text/...", "text_projection", "logit_scale/log_scale"), so a
// MultimodalEmbedding run loads as a clip model; CrossModalEmbedding adds
// "image_tokens" (the per-token projection of the feature map) and "cross" (the
// attention: to_q, to_kv, to_out).
package embedding

import (
	"errors"
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/mmdna/mmdna/models/clip"
	"github.com/mmdna/mmdna/nn"
)

// Kind names one of the models.
type Kind string

// The models.
const (
	KindMultimodal Kind = "multimodal" // the dual encoder, MultimodalEmbedding.
	KindCrossModal Kind = "crossmodal" // per-pair cross-modal attention (mmdna's CrossModalEmbedding).
	KindChapter    Kind = "chapter"    // the chapter's forward pass: attention across the batch.
)

// Kinds lists the models in the order the docs present them.
var Kinds = []Kind{KindMultimodal, KindCrossModal, KindChapter}

// Config describes a model: the towers (shared by every kind) and the cross-modal
// attention.
type Config struct {
	Kind Kind
	// Towers are the image and text towers with their projections: a conv image tower
	// (the chapter's ResNet18 in small), first-token text pooling, Linear + LayerNorm
	// projections with bias; Validate checks those choices.
	Towers clip.Config
	// Heads of the cross-modal attention; they must divide Towers.EmbedDim.
	Heads int
}

// Validate reports the first inconsistency, naming the field.
func (c Config) Validate() error {
	switch c.Kind {
	case KindMultimodal, KindCrossModal, KindChapter:
	default:
		return fmt.Errorf("embedding: kind %q: want %q, %q or %q", c.Kind, KindMultimodal, KindCrossModal, KindChapter)
	}
	if err := c.Towers.Validate(); err != nil {
		return fmt.Errorf("embedding: %w", err)
	}
	t := c.Towers
	switch {
	case t.Tower != clip.TowerConv:
		return fmt.Errorf("embedding: image tower %q: want %q (the feature map gives the attention its tokens)", t.Tower, clip.TowerConv)
	case t.TextPool != clip.PoolFirst:
		return fmt.Errorf("embedding: text pool %q: want %q (BERT's [CLS], as the chapter)", t.TextPool, clip.PoolFirst)
	case !t.ProjectionLayerNorm || !t.ProjectionBias:
		return fmt.Errorf("embedding: projections must be Linear + LayerNorm with bias, as the chapter's")
	case c.Heads <= 0 || t.EmbedDim%c.Heads != 0:
		return fmt.Errorf("embedding: heads %d must be positive and divide embed_dim %d", c.Heads, t.EmbedDim)
	}
	return nil
}

// Preset returns the towers of the clip preset name (its conv tower, first-token
// pooling and Linear + LayerNorm projections forced) for images of
// image×image×channels and a vocabulary of vocab ids in sequences of maxLen, with 4
// attention heads.
func Preset(kind Kind, name string, image, channels, vocab, maxLen int) (Config, error) {
	towers, err := clip.Preset(name, image, channels, vocab, maxLen)
	if err != nil && !errors.Is(err, clip.ErrImageSize) {
		return Config{}, err // the image size is checked below, for the conv tower.
	}
	towers.Tower, towers.TextPool = clip.TowerConv, clip.PoolFirst
	towers.ProjectionLayerNorm, towers.ProjectionBias = true, true
	cfg := Config{Kind: kind, Towers: towers, Heads: 4}
	if err := towers.CheckImage(image, image); err != nil {
		return cfg, fmt.Errorf("embedding: %w", err)
	}
	return cfg, cfg.Validate()
}

// Output is what Build returns.
type Output struct {
	// Logits are the scaled scores the loss reads: [batch, batch], image i (row)
	// against caption j (column) for KindMultimodal and KindCrossModal; combined vector
	// i against combined vector j for KindChapter.
	Logits     *Node
	LogitScale *Node // scalar: exp(s), clamped at Towers.MaxLogitScale.
}

// Build runs the model on a batch of matching pairs (image i goes with caption i).
// images: [batch, H, W, C]; ids, mask: [batch, len] int32 (mask 1 on real tokens).
func Build(scope *model.Scope, cfg Config, images, ids, mask *Node) *Output {
	if err := cfg.Validate(); err != nil {
		exceptions.Panicf("%v", err)
	}
	if cfg.Kind == KindMultimodal {
		o := clip.Build(scope, cfg.Towers, images, ids, mask)
		return &Output{Logits: o.LogitsPerImage, LogitScale: o.LogitScale}
	}
	scale := clip.LogitScale(scope, cfg.Towers, images.Graph())
	var sim *Node // [batch, batch] cosine similarities.
	switch cfg.Kind {
	case KindCrossModal:
		img := EncodeImage(scope, cfg, images)
		sim = PairScores(scope, cfg, img, EncodeText(scope, cfg, ids, mask))
	case KindChapter:
		sim = chapterSimilarity(scope, cfg, images, ids, mask)
	}
	return &Output{Logits: Mul(sim, ConvertDType(scale, sim.DType())), LogitScale: scale}
}

// Image is the image side of CrossModalEmbedding, computed once per image.
type Image struct {
	// Embed is MultimodalEmbedding's image embedding before normalisation: the pooled
	// feature map through Linear + LayerNorm ("image_projection"): [batch, embed_dim].
	Embed *Node
	// Tokens are the feature map's cells, each through its own Linear + LayerNorm
	// ("image_tokens"): [batch, tokens, embed_dim], tokens = (H/2^stages)·(W/2^stages).
	Tokens *Node
}

// EncodeImage runs the conv tower and keeps its feature map as tokens.
// images: [batch, H, W, C].
func EncodeImage(scope *model.Scope, cfg Config, images *Node) Image {
	if images.DType() != dtypes.Float32 {
		images = ConvertDType(images, dtypes.Float32)
	}
	is := scope.In("image")
	fmap := nn.ConvStages(is.WithInitializer(nn.XavierUniformInit(is)), cfg.Towers.Conv.Channels, images) // [b, h, w, c]
	b, h, w, c := fmap.Shape().Dim(0), fmap.Shape().Dim(1), fmap.Shape().Dim(2), fmap.Shape().Dim(3)
	tokens := Reshape(fmap, b, h*w, c)
	// The pooled path is clip.ConvEncoder's (the same mean) and the same projection
	// variables as the dual encoder, so the two models differ only by the attention.
	return Image{
		Embed:  projectLN(scope.In("image_projection"), cfg, ReduceMean(tokens, 1)),
		Tokens: projectLN(scope.In("image_tokens"), cfg, tokens),
	}
}

// Text is the text side of CrossModalEmbedding.
type Text struct {
	Features *Node // [batch, embed_dim]: the [CLS] token through Linear + LayerNorm: the query.
	Embed    *Node // [batch, embed_dim]: Features L2-normalised: what a pair is compared with.
}

// EncodeText runs the text tower read at its first token and its projection.
// ids, mask: [batch, len] int32.
func EncodeText(scope *model.Scope, cfg Config, ids, mask *Node) Text {
	// clip.EncodeText's tower and [CLS] reading, without its normalised projection.
	enc := nn.TextEncoder(scope.In("text"), cfg.Towers.Text, ids, mask)
	cls := Squeeze(SliceAxis(enc.Tokens, 1, AxisElem(0)), 1) // [batch, text_dim]
	u := projectLN(scope.In("text_projection"), cfg, cls)
	return Text{Features: u, Embed: nn.NormalizeL2(u, -1, 0)}
}

// projectLN is clip's projection without the final normalisation: Dense (stddev
// width^-0.5, as clip) then LayerNorm. x: [..., width] -> [..., embed_dim].
func projectLN(scope *model.Scope, cfg Config, x *Node) *Node {
	std := 1 / math.Sqrt(float64(x.Shape().Dim(-1)))
	scope = scope.WithInitializer(nn.TruncatedNormalInit(scope, std))
	return nn.LayerNorm(scope.In("ln"), nn.Dense(scope, x, true, cfg.Towers.EmbedDim), 0)
}

// Loss is the chapter's contrastive_loss: the mean of the cross-entropies of the rows
// (image→text) and of the columns (text→image) of logits [batch, batch], the targets
// on the diagonal. Returns a scalar.
func Loss(logits *Node) *Node {
	n := logits.Shape().Dim(0)
	eye := ConvertDType(Diagonal(logits.Graph(), n), logits.DType()) // [n, n]
	// LogSoftmax over axis 1: each image against every caption; over axis 0: each
	// caption against every image. The diagonal holds the matching pairs.
	picked := Add(ReduceAllSum(Mul(LogSoftmax(logits, 1), eye)), ReduceAllSum(Mul(LogSoftmax(logits, 0), eye)))
	return DivScalar(Neg(picked), float64(2*n))
}

// LossFn adapts Loss to GoMLX's loss function over the predictions
// [logits, logit_scale]; the labels are ignored (the targets are the diagonal).
func LossFn(_, predictions []*Node) *Node { return Loss(predictions[0]) }

// Predictions returns what LossFn reads, in order.
func (o *Output) Predictions() []*Node { return []*Node{o.Logits, o.LogitScale} }
