package clip

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/nn"
)

// Logits returns scale · imgEmb · txtEmbᵀ: [n_img, n_txt], image i against text j.
// imgEmb: [n_img, dim], txtEmb: [n_txt, dim], both normalised; scale: scalar.
func Logits(imgEmb, txtEmb, scale *Node) *Node {
	sim := DotGeneral(imgEmb, []int{1}, nil, txtEmb, []int{1}, nil) // [n_img, n_txt]
	return Mul(sim, Reshape(ConvertDType(scale, sim.DType())))
}

// Loss is CLIP's symmetric contrastive loss on a batch of matching pairs (image i goes
// with text i): the mean of the image→text and text→image cross-entropies of the
// scaled cosine similarities, nn.ClipLoss (open_clip's ClipLoss). Returns a scalar.
func Loss(out *Output) *Node {
	return nn.ClipLoss(out.ImageEmbeds, out.TextEmbeds, out.LogitScale)
}

// LossFn adapts Loss to a GoMLX loss function over the predictions
// [image_embeds, text_embeds, logit_scale] (what an experiment's model function
// returns); the labels are ignored, the targets being the diagonal.
func LossFn(_, predictions []*Node) *Node {
	return nn.ClipLoss(predictions[0], predictions[1], predictions[2])
}

// Predictions returns the outputs LossFn expects, in order.
func (o *Output) Predictions() []*Node {
	return []*Node{o.ImageEmbeds, o.TextEmbeds, o.LogitScale}
}

// LossKind names a contrastive objective for the dual encoder. All of them train the
// same embeddings, which zero-shot classification and retrieval rank by cosine
// similarity; only the training signal differs.
type LossKind string

// The objectives.
const (
	LossInfoNCE LossKind = "infonce" // CLIP's symmetric cross-modal InfoNCE (nn.ClipLoss), learnable scale.
	LossNTXent  LossKind = "ntxent"  // SimCLR's NT-Xent over the 2B embeddings (nn.NTXent), fixed temperature.
	LossTriplet LossKind = "triplet" // bidirectional hinge on cosine distance (nn.CrossModalTriplet).
	LossSigLIP  LossKind = "siglip"  // SigLIP's pairwise sigmoid (nn.SigLIPLoss), learnable scale and bias.
)

// LossKinds lists the objectives in the order the documentation gives them.
var LossKinds = []LossKind{LossInfoNCE, LossNTXent, LossTriplet, LossSigLIP}

// Defaults of the objectives' fixed hyperparameters.
const (
	DefaultNTXentTemperature = 0.1 // SimCLR's best τ in its ablation of the temperature (Chen et al. 2020).
	DefaultTripletMargin     = 0.2 // VSE++'s margin α (Faghri et al. 2018).
	DefaultSigLIPInitBias    = -10 // SigLIP's initial b: σ(logits) ≈ 0 at init, as almost every pair is a negative.
)

// DefaultSigLIPInitLogScale is SigLIP's t' = log 10 (t = exp(t') = 10 at init).
var DefaultSigLIPInitLogScale = math.Log(10)

// LossConfig chooses the training objective. An empty Kind is CLIP's InfoNCE;
// Temperature and Margin are used as given, so build one with NewLossConfig (the
// defaults) or from the experiments' parameters, and check it with Validate.
type LossConfig struct {
	Kind        LossKind            // empty: LossInfoNCE.
	Temperature float64             // NT-Xent's τ, > 0.
	Margin      float64             // the triplet margin, >= 0.
	Negatives   nn.TripletNegatives // the triplet's negatives; empty: nn.TripletHardest.
}

// NewLossConfig is the objective kind with the documented defaults.
func NewLossConfig(kind LossKind) LossConfig {
	return LossConfig{Kind: kind, Temperature: DefaultNTXentTemperature, Margin: DefaultTripletMargin,
		Negatives: nn.TripletHardest}
}

// kind returns Kind or its default.
func (c LossConfig) kind() LossKind {
	if c.Kind == "" {
		return LossInfoNCE
	}
	return c.Kind
}

// Validate reports a bad choice in one line naming the experiments' parameter; the
// hyperparameters are checked whichever objective reads them, so a typo never waits
// for the run that would use it.
func (c LossConfig) Validate() error {
	switch c.kind() {
	case LossInfoNCE, LossNTXent, LossTriplet, LossSigLIP:
	default:
		return fmt.Errorf("parameter loss: %q is not one of %v", c.Kind, LossKinds)
	}
	if !(c.Temperature > 0) || math.IsInf(c.Temperature, 0) {
		return fmt.Errorf("parameter temperature: %g, want a positive number", c.Temperature)
	}
	if !(c.Margin >= 0) || math.IsInf(c.Margin, 0) {
		return fmt.Errorf("parameter margin: %g, want a number >= 0", c.Margin)
	}
	switch c.Negatives {
	case "", nn.TripletHardest, nn.TripletMean:
	default:
		return fmt.Errorf("parameter triplet_negatives: %q, want %q or %q", c.Negatives, nn.TripletHardest, nn.TripletMean)
	}
	return nil
}

// Apply adapts the dual encoder's configuration to the objective: SigLIP starts its
// scale at t = 10 (t' = log 10) instead of CLIP's 1/0.07, unless cfg sets its own. The
// scale keeps the model's clamp (MaxLogitScale, 100 by default), which SigLIP does not
// have; at this size t stays far below it.
func (c LossConfig) Apply(cfg *Config) {
	if c.kind() == LossSigLIP && cfg.InitLogitScale == 0 {
		cfg.InitLogitScale = DefaultSigLIPInitLogScale
	}
}

// LogitBias returns SigLIP's learned bias b, the scalar variable "logit_bias/bias"
// (initialised to DefaultSigLIPInitBias). It lives in the model's scope, so a
// checkpoint saves it; zero-shot and retrieval rank by cosine and do not read it.
func LogitBias(scope *model.Scope, g *Graph) *Node {
	return scope.In("logit_bias").VariableWithValue("bias", float32(DefaultSigLIPInitBias)).NodeValue(g)
}

// Predictions returns what the objective's loss function (Fn) reads: [image_embeds,
// text_embeds, logit_scale], and for SigLIP the bias as a fourth output, created under
// scope.
func (c LossConfig) Predictions(scope *model.Scope, out *Output) []*Node {
	p := out.Predictions()
	if c.kind() == LossSigLIP {
		p = append(p, LogitBias(scope, out.ImageEmbeds.Graph()))
	}
	return p
}

// Fn returns the objective as a GoMLX loss function over Predictions' outputs; the
// labels are ignored, every objective taking image i and text i as the matching pair.
// NT-Xent and the triplet do not read the logit scale, which then keeps its initial
// value (its gradient is zero).
func (c LossConfig) Fn() func(labels, predictions []*Node) *Node {
	temperature, margin, negatives := c.Temperature, c.Margin, c.Negatives
	if negatives == "" {
		negatives = nn.TripletHardest
	}
	switch c.kind() {
	case LossNTXent:
		return func(_, p []*Node) *Node { return nn.NTXent(p[0], p[1], temperature) }
	case LossTriplet:
		return func(_, p []*Node) *Node { return nn.CrossModalTriplet(p[0], p[1], margin, negatives) }
	case LossSigLIP:
		return func(_, p []*Node) *Node { return nn.SigLIPLoss(p[0], p[1], p[2], p[3]) }
	default:
		return LossFn
	}
}
