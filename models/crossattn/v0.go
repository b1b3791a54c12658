package crossattn

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/nn"
)

// v0 is the chapter's basic structure (code): two independent scaled dot-product
// attentions on the raw features, no normalisation and no parameters.
//
//	image_attended = softmax(I·Tᵀ/√dim)·T     text_attended = softmax(T·Iᵀ/√dim)·I
func v0(scope *model.Scope, cfg Config, img, txt, txtMask *Node) (*Node, *Node) {
	scale := 1 / math.Sqrt(float64(cfg.Dim))
	i, t := asHeads(img), asHeads(txt) // [b, 1, n, dim]
	imgOut := attend(scope, i, t, t, scale, nn.KeyBias(txtMask, img.DType()), 0)
	txtOut := attend(scope, t, i, i, scale, nil, 0)
	return fromHeads(imgOut), fromHeads(txtOut)
}
