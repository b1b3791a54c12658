package crossattn

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/nn"
)

// v1 is co-attention without normalisation (prose: "v1 used the same attention
// matrix and its transpose for image→text and text→image, sensitive to the input
// scale"; v2's code is "co-attention + added LN", so v1 is v2 without the LN).
//
//	attn = softmax(I·Tᵀ/√dim)   image_out = attn·T   text_out = attnᵀ·I
func v1(scope *model.Scope, cfg Config, img, txt, txtMask *Node) (*Node, *Node) {
	imgOut, txtOut := coAttend(scope, asHeads(img), asHeads(txt), 1/math.Sqrt(float64(cfg.Dim)), nn.KeyBias(txtMask, img.DType()))
	return fromHeads(imgOut), fromHeads(txtOut)
}
