package crossattn

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/nn"
)

// v4 adds independent linear projections per modality to v2 (prose: "v4 adds
// independent linear transformations (projections) to each modality"; the dldna
// evaluation script names them image_proj and text_proj): the normalised features are
// projected, then co-attended.
//
//	Î = image_proj(LN(I))   T̂ = text_proj(LN(T))   image_out = attn·T̂   text_out = attnᵀ·Î
func v4(scope *model.Scope, cfg Config, img, txt, txtMask *Node) (*Node, *Node) {
	norm := scope.At("norm")
	i := linear(scope.At("image_proj"), layerNorm(norm, img), cfg.Dim)
	t := linear(scope.At("text_proj"), layerNorm(norm, txt), cfg.Dim)
	imgOut, txtOut := coAttend(scope, asHeads(i), asHeads(t), 1/math.Sqrt(float64(cfg.Dim)), nn.KeyBias(txtMask, img.DType()))
	return fromHeads(imgOut), fromHeads(txtOut)
}
