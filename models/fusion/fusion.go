// Package fusion holds the fusion baselines of section 10.3 of the chapter for tasks
// that need both modalities (does this caption match this image?): the same two towers,
// a ViT for images and nn.TextEncoder for text, meeting at different places and in
// different ways.
//
//   - Early fusion / joint representation (10.3.1, the chapter's ViT+BERT example): the
//     pooled features of both towers are concatenated into one joint vector and a
//     classifier reads it: a linear one as in the chapter (Hidden = 0), or an MLP.
//   - Late fusion: each tower ends in its own prediction, K sigmoid concept scores p
//     (image) and q (text); only the predictions meet, combined by the product rule
//     p⊙q beside p and q and read out linearly, as an ensemble combines its members.
//   - Hybrid fusion: the text tokens attend to the image tokens (cross-modal attention,
//     the chapter's example of fusion at an intermediate stage), and the attended text
//     is combined with both towers' pooled features by an MLP at the end.
//   - Gated fusion (gated.go): a gated multimodal unit (GMU, Arevalo et al. 2017) mixes
//     the two pooled features unit by unit, with gates computed from both.
//   - Bilinear pooling (gated.go): low-rank bilinear pooling as in MLB (Kim et al. 2017),
//     the Hadamard product of the two pooled features projected to a common rank.
//
// Early, gated and bilinear fusion meet at the same place (the pooled features) and
// differ only in how: a concatenation, a gated sum, a product.
//
// Build returns the named intermediates (tower tokens, pooled features, the joint
// representation, the logits and, for hybrid, the cross-attention maps).
package fusion

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
)

// Kind names a fusion strategy.
type Kind string

// The fusion strategies.
const (
	Early    Kind = "early"
	Late     Kind = "late"
	Hybrid   Kind = "hybrid"
	Gated    Kind = "gated"
	Bilinear Kind = "bilinear"
)

// Kinds lists the strategies: the chapter's three in its order, then the two that
// replace the concatenation of early fusion by a gated sum and by a product.
var Kinds = []Kind{Early, Late, Hybrid, Gated, Bilinear}

// Config describes a fusion model.
type Config struct {
	Kind  Kind
	Image vit.Config           // image tower; Classes must be 0.
	Text  nn.TextEncoderConfig // text tower, read by mean pooling (its Pooling is ignored).
	// Hidden is the width of the MLP after the fusion point (early, hybrid, gated,
	// bilinear); 0 gives the chapter's linear classifier (hybrid needs Hidden > 0).
	Hidden int
	// GateDim is the width of the gated multimodal unit (gated): of h_v, h_t, z and h.
	GateDim int
	// Rank is the rank R of low-rank bilinear pooling (bilinear): the width of the
	// Hadamard product.
	Rank int
	// Concepts is the number of per-modality predictions of late fusion.
	Concepts int
	// CrossDepth is the number of cross-attention blocks of hybrid fusion; CrossHeads
	// their heads.
	CrossDepth, CrossHeads int
	// Outputs is the number of logits: 1 for a yes/no decision.
	Outputs int
	// ReturnAttention makes hybrid fusion return its cross-attention maps.
	ReturnAttention bool
}

// Validate reports the first inconsistency.
func (c Config) Validate() error {
	if err := c.Image.Validate(); err != nil {
		return fmt.Errorf("fusion: image tower: %w", err)
	}
	switch {
	case c.Image.Classes != 0:
		return fmt.Errorf("fusion: image tower has a head (Classes=%d); want 0", c.Image.Classes)
	case c.Text.VocabSize <= 0 || c.Text.Dim <= 0 || c.Text.Depth <= 0 || c.Text.Heads <= 0:
		return fmt.Errorf("fusion: text tower: vocab %d, dim %d, depth %d, heads %d must be positive",
			c.Text.VocabSize, c.Text.Dim, c.Text.Depth, c.Text.Heads)
	case c.Outputs <= 0:
		return fmt.Errorf("fusion: outputs %d must be positive", c.Outputs)
	case c.Hidden < 0:
		return fmt.Errorf("fusion: hidden %d must be >= 0", c.Hidden)
	}
	switch c.Kind {
	case Early:
	case Late:
		if c.Concepts <= 0 {
			return fmt.Errorf("fusion: late fusion needs concepts > 0, got %d", c.Concepts)
		}
	case Hybrid:
		if c.CrossDepth <= 0 || c.CrossHeads <= 0 || c.Hidden <= 0 {
			return fmt.Errorf("fusion: hybrid fusion needs cross_depth, cross_heads and hidden > 0, got %d, %d, %d",
				c.CrossDepth, c.CrossHeads, c.Hidden)
		}
		if c.Text.Dim%c.CrossHeads != 0 {
			return fmt.Errorf("fusion: text width %d is not divisible by %d cross-attention heads", c.Text.Dim, c.CrossHeads)
		}
	case Gated:
		if c.GateDim <= 0 {
			return fmt.Errorf("fusion: gated fusion needs gate_dim > 0, got %d", c.GateDim)
		}
	case Bilinear:
		if c.Rank <= 0 {
			return fmt.Errorf("fusion: bilinear fusion needs rank > 0, got %d", c.Rank)
		}
	default:
		return fmt.Errorf("fusion: kind %q: want early, late, hybrid, gated or bilinear", c.Kind)
	}
	return nil
}

// Output holds the named intermediates of Build.
type Output struct {
	ImageTokens   *Node   // [batch, image_tokens, image_dim]: the ViT's encoded tokens.
	TextTokens    *Node   // [batch, len, text_dim]: the text encoder's tokens.
	ImageFeatures *Node   // [batch, image_dim]: pooled image.
	TextFeatures  *Node   // [batch, text_dim]: pooled text (mean over real tokens).
	Joint         *Node   // [batch, width]: what the classifier reads.
	Logits        *Node   // [batch, Outputs].
	Attention     []*Node // hybrid, with ReturnAttention: per block [batch, heads, len, image_tokens].
}

// Build runs a fusion model under scope.
// images: [batch, H, W, C] float32; ids, mask: [batch, len] int32 (mask 1 on real
// tokens). Variables: "image/...", "text/...", and per strategy "classifier"
// (early), "image_concepts", "text_concepts", "combine" (late), "cross_NN" (each an
// nn.CrossAttentionBlock), "classifier" (hybrid), "gmu/{image,text,gate}", "classifier"
// (gated), "mlb/{image,text}", "classifier" (bilinear).
func Build(scope *model.Scope, cfg Config, images, ids, mask *Node) *Output {
	if err := cfg.Validate(); err != nil {
		exceptions.Panicf("%v", err)
	}
	img := vit.Build(scope.In("image"), cfg.Image, images)
	tc := cfg.Text
	tc.Pooling = nn.PoolMean
	txt := nn.TextEncoder(scope.In("text"), tc, ids, mask)
	out := &Output{ImageTokens: img.Encoded, TextTokens: txt.Tokens, ImageFeatures: img.PreLogits, TextFeatures: txt.Pooled}
	scope = scope.WithInitializer(nn.XavierUniformInit(scope))
	switch cfg.Kind {
	case Early:
		out.Joint = Concatenate([]*Node{out.ImageFeatures, out.TextFeatures}, -1) // [batch, image_dim+text_dim]
		out.Logits = classify(scope.In("classifier"), out.Joint, cfg.Hidden, cfg.Outputs)
	case Late:
		p := Sigmoid(nn.Dense(scope.In("image_concepts"), out.ImageFeatures, true, cfg.Concepts)) // [batch, K]
		q := Sigmoid(nn.Dense(scope.In("text_concepts"), out.TextFeatures, true, cfg.Concepts))   // [batch, K]
		out.Joint = Concatenate([]*Node{Mul(p, q), p, q}, -1)                                     // [batch, 3K]
		out.Logits = nn.Dense(scope.In("combine"), out.Joint, true, cfg.Outputs)
	case Hybrid:
		attended, attn := crossAttend(scope, cfg, out.TextTokens, out.ImageTokens)
		out.Attention = attn
		pooled := nn.MaskedMean(attended, mask, 1) // [batch, text_dim]
		out.Joint = Concatenate([]*Node{pooled, out.ImageFeatures, out.TextFeatures}, -1)
		out.Logits = classify(scope.In("classifier"), out.Joint, cfg.Hidden, cfg.Outputs)
	case Gated:
		out.Joint = gatedUnit(scope.In("gmu"), out.ImageFeatures, out.TextFeatures, cfg.GateDim) // [batch, GateDim]
		out.Logits = classify(scope.In("classifier"), out.Joint, cfg.Hidden, cfg.Outputs)
	case Bilinear:
		out.Joint = lowRankBilinear(scope.In("mlb"), out.ImageFeatures, out.TextFeatures, cfg.Rank) // [batch, Rank]
		out.Logits = classify(scope.In("classifier"), out.Joint, cfg.Hidden, cfg.Outputs)
	}
	return out
}

// classify is a linear classifier (hidden = 0) or a one-hidden-layer MLP with GELU and a
// LayerNorm on the joint vector first (its parts come from different towers and scales).
// x: [batch, width] -> [batch, outputs].
func classify(scope *model.Scope, x *Node, hidden, outputs int) *Node {
	if hidden == 0 {
		return nn.Dense(scope.In("out"), x, true, outputs)
	}
	h := nn.LayerNorm(scope.In("ln"), x, 0)
	h = activation.Gelu(nn.Dense(scope.In("hidden"), h, true, hidden))
	return nn.Dense(scope.In("out"), h, true, outputs)
}

// crossAttend runs cfg.CrossDepth pre-LN cross-attention blocks (nn.CrossAttentionBlock)
// in which the text tokens query the image tokens:
//
//	t = t + CrossAttention(LN(t), LN(img));  t = t + MLP(LN(t))
//
// text: [batch, len, text_dim]; image: [batch, tokens, image_dim]. Returns the attended
// text [batch, len, text_dim] and, with cfg.ReturnAttention, the maps.
func crossAttend(scope *model.Scope, cfg Config, text, image *Node) (*Node, []*Node) {
	var maps []*Node
	dim := text.Shape().Dim(-1)
	block := nn.BlockConfig{Heads: cfg.CrossHeads, MLPDim: 2 * dim, ReturnAttention: cfg.ReturnAttention}
	for i := range cfg.CrossDepth {
		var coef *Node
		text, coef = nn.CrossAttentionBlock(scope.In("cross_%02d", i), block, text, image, nil)
		if cfg.ReturnAttention {
			maps = append(maps, coef)
		}
	}
	return text, maps
}
