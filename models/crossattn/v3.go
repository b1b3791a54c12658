package crossattn

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
)

// v3 is v2 plus a residual connection to the raw (unnormalised) input features
// (code), the chapter's failure case:
//
//	image_out = I + attn·T̂     text_out = T + attnᵀ·Î
//
// In the matching model each output then carries both members of its pair, so a
// caption's score can rise without the image and caption agreeing.
func v3(scope *model.Scope, cfg Config, img, txt, txtMask *Node) (*Node, *Node) {
	imgAtt, txtAtt := coAttendNormed(scope, cfg, img, txt, txtMask)
	return Add(img, imgAtt), Add(txt, txtAtt)
}
