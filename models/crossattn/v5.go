package crossattn

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/nn"
)

// v5 is our reading (the chapter's run list names it and nothing else): its second
// results table, next to "modality-specific projections", lists a "shared projection
// layer: a single projection for both modalities to reduce complexity". So v5 is v4
// with one projection ("proj") applied to both normalised inputs.
func v5(scope *model.Scope, cfg Config, img, txt, txtMask *Node) (*Node, *Node) {
	i, t := sharedProjection(scope, cfg, img, txt)
	imgOut, txtOut := coAttend(scope, asHeads(i), asHeads(t), 1/math.Sqrt(float64(cfg.Dim)), nn.KeyBias(txtMask, img.DType()))
	return fromHeads(imgOut), fromHeads(txtOut)
}

// sharedProjection is proj(LN(x)) for both modalities, with one LayerNorm and one
// projection. Returns [batch, n, dim] each.
func sharedProjection(scope *model.Scope, cfg Config, img, txt *Node) (i, t *Node) {
	norm, proj := scope.At("norm"), scope.At("proj")
	return linear(proj, layerNorm(norm, img), cfg.Dim), linear(proj, layerNorm(norm, txt), cfg.Dim)
}
