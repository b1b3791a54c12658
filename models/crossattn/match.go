package crossattn

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
)

// What the matching model hands to the cross-attention version.
const (
	// TokensPooled feeds one token per modality, the pooled image and the pooled
	// sentence: the chapter's ImageTextMatchingModel (image_features.unsqueeze(1)).
	// Every softmax then runs over a single key and equals 1, so the versions differ
	// only by their projections, normalisations, residuals and FFNs.
	TokensPooled = "pooled"
	// TokensAll feeds every patch token and every word token (padding masked), so
	// the attention weights matter; outputs are mean-pooled before the similarity.
	TokensAll = "tokens"
)

// DefaultLogitScale is the initial multiplier of the cosine similarities, 1/0.07
// (CLIP, and the chapter's MultimodalEmbedding: logit_scale = log(1/0.07), exp'd).
const DefaultLogitScale = 1 / 0.07

// MatchConfig configures the chapter's image-text matching model.
type MatchConfig struct {
	// Version names the cross-attention version under test (see Names).
	Version string
	// Attn sizes the version; Attn.Dim is the projection width (the chapter's 256).
	Attn Config
	// Image is the image encoder, a ViT with Classes 0 (the chapter uses a ResNet-50).
	Image vit.Config
	// Text is the text encoder (the chapter uses BERT's pooler output).
	Text nn.TextEncoderConfig
	// Tokens is TokensPooled (the chapter) or TokensAll.
	Tokens string
	// LogitScale is the initial similarity multiplier; 0 means DefaultLogitScale.
	LogitScale float64
}

// Validate reports the first bad field.
func (c MatchConfig) Validate() error {
	if _, err := Get(c.Version); err != nil {
		return err
	}
	if err := c.Attn.Validate(); err != nil {
		return err
	}
	if err := c.Image.Validate(); err != nil {
		return err
	}
	switch {
	case c.Image.Classes != 0:
		return fmt.Errorf("crossattn: the image encoder must have no head (Classes 0), got %d", c.Image.Classes)
	case c.Tokens != TokensPooled && c.Tokens != TokensAll:
		return fmt.Errorf("crossattn: tokens %q: want %q or %q", c.Tokens, TokensPooled, TokensAll)
	case c.LogitScale < 0:
		return fmt.Errorf("crossattn: logit scale %g must be positive (0: default)", c.LogitScale)
	case c.Text.VocabSize <= 0 || c.Text.Dim <= 0 || c.Text.Depth <= 0 || c.Text.Heads <= 0:
		return fmt.Errorf("crossattn: text encoder vocab %d, dim %d, depth %d, heads %d must be positive",
			c.Text.VocabSize, c.Text.Dim, c.Text.Depth, c.Text.Heads)
	}
	return nil
}

// MatchOutput holds the named intermediates of Match.
type MatchOutput struct {
	ImageFeatures *Node // [batch, n_img, dim]: projected image features, the version's input.
	TextFeatures  *Node // [batch, n_txt, dim]: projected text features.
	TextMask      *Node // [batch, n_txt] or nil (pooled).
	ImageAttended *Node // [batch, n_img, dim]: the version's image output.
	TextAttended  *Node // [batch, n_txt, dim]: the version's text output.
	ImageEmbed    *Node // [batch, dim]: pooled and L2-normalised image output.
	TextEmbed     *Node // [batch, dim]: pooled and L2-normalised text output.
	LogitScale    *Node // scalar: exp of the learned log-scale.
}

// Match runs the matching model on a batch of (image, caption) pairs: each image and
// its own caption go through the cross-attention together (the chapter calls
// cross_attention(image_features, text_features) on the batch), and each output is
// pooled and L2-normalised. Variables: "image_encoder", "image_proj", "text_encoder",
// "text_proj", "cross_attention", "logit_scale".
//
// images: [batch, H, W, C] float32; ids, mask: [batch, len] int32 (datasets/text).
func Match(scope *model.Scope, cfg MatchConfig, images, ids, mask *Node) *MatchOutput {
	if err := cfg.Validate(); err != nil {
		exceptions.Panicf("%v", err)
	}
	// Encoders first: their variables are created, hence initialised, before the
	// version's, so every version starts from the same encoder weights for a seed.
	img := vit.Build(scope.At("image_encoder"), cfg.Image, images)
	txt := nn.TextEncoder(scope.At("text_encoder"), cfg.Text, ids, mask)
	linScope := scope.WithInitializer(LinearInit(scope))
	out := &MatchOutput{}
	if cfg.Tokens == TokensPooled {
		out.ImageFeatures = ExpandAxes(linear(linScope.At("image_proj"), img.PreLogits, cfg.Attn.Dim), 1) // [b, 1, dim]
		out.TextFeatures = ExpandAxes(linear(linScope.At("text_proj"), txt.Pooled, cfg.Attn.Dim), 1)
	} else {
		out.ImageFeatures = linear(linScope.At("image_proj"), img.Encoded, cfg.Attn.Dim) // [b, n_img, dim]
		out.TextFeatures = linear(linScope.At("text_proj"), txt.Tokens, cfg.Attn.Dim)    // [b, len, dim]
		out.TextMask = mask
	}
	out.ImageAttended, out.TextAttended = Forward(scope.At("cross_attention"), cfg.Version, cfg.Attn,
		out.ImageFeatures, out.TextFeatures, out.TextMask)
	out.ImageEmbed = nn.NormalizeL2(nn.MaskedMean(out.ImageAttended, nil, 1), -1, 0)
	out.TextEmbed = nn.NormalizeL2(nn.MaskedMean(out.TextAttended, out.TextMask, 1), -1, 0)
	init := cfg.LogitScale
	if init == 0 {
		init = DefaultLogitScale
	}
	logScale := scope.At("logit_scale").WithInitializer(func(g *Graph, s shapes.Shape) *Node {
		return MulScalar(Ones(g, s), math.Log(init))
	}).VariableWithShape("log_scale", shapes.Make(out.ImageEmbed.DType())).NodeValue(images.Graph())
	out.LogitScale = Exp(logScale)
	return out
}

// Logits returns the similarity matrix scale·⟨image_i, text_j⟩, [batch, batch]:
// row i scores image i against every caption of the batch.
func (o *MatchOutput) Logits() *Node {
	return Mul(DotGeneral(o.ImageEmbed, []int{1}, nil, o.TextEmbed, []int{1}, nil), o.LogitScale)
}

// PairScores returns scale·⟨image_b, text_b⟩ [batch]: the score of each pair that
// went through the cross-attention together, the chapter's evaluation
// (model(image, caption)[0, 0] for one candidate caption at a time).
func (o *MatchOutput) PairScores() *Node {
	return Mul(ReduceSum(Mul(o.ImageEmbed, o.TextEmbed), -1), o.LogitScale)
}

// Loss is the chapter's symmetric contrastive loss on Logits: the mean of the
// image→text and text→image cross-entropies with the pairs on the diagonal.
func (o *MatchOutput) Loss() *Node { return nn.ClipLoss(o.ImageEmbed, o.TextEmbed, o.LogitScale) }
