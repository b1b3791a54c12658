package clip

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
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
