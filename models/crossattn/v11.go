package crossattn

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
)

// v11 combines v10_4's multi-query attention with v10_5's hierarchical fusion (prose;
// the dldna file "v11: v9 + Multi-query + Hierarchical Fusion" agrees, and applies the
// output projection to each level before weighting, which we follow). Multi-query is
// v10_4's: one shared key/value head.
func v11(scope *model.Scope, cfg Config, img, txt, txtMask *Node) (*Node, *Node) {
	return hierBlock(scope, cfg, img, txt, txtMask, multiQueryQKV, true)
}
