package crossattn

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/nn"
)

// v6 is our reading (the chapter's run list only names it): its second results table
// follows the shared projection with "multi-head attention: several heads capture
// several aspects of the relation". So v6 is v5's co-attention split into Heads heads
// of Dim/Heads, each with its own attention matrix (scaled by 1/√head_dim) and its
// transpose, heads merged back.
func v6(scope *model.Scope, cfg Config, img, txt, txtMask *Node) (*Node, *Node) {
	i, t := sharedProjection(scope, cfg, img, txt)
	imgOut, txtOut := coAttend(scope, cfg.split(i), cfg.split(t),
		1/math.Sqrt(float64(cfg.headDim())), nn.KeyBias(txtMask, img.DType()))
	return nn.MergeHeads(imgOut), nn.MergeHeads(txtOut)
}
