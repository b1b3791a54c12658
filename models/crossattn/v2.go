package crossattn

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/nn"
)

// v2 is the chapter's "co-attention + added LN" (code): one LayerNorm ("norm") on
// both inputs, then v1's shared attention matrix, no residual.
//
//	Î = LN(I), T̂ = LN(T)   attn = softmax(Î·T̂ᵀ/√dim)   image_out = attn·T̂   text_out = attnᵀ·Î
func v2(scope *model.Scope, cfg Config, img, txt, txtMask *Node) (*Node, *Node) {
	return coAttendNormed(scope, cfg, img, txt, txtMask)
}

// coAttendNormed is v2's body, which v3 extends: normalise both inputs with one
// LayerNorm and co-attend.
func coAttendNormed(scope *model.Scope, cfg Config, img, txt, txtMask *Node) (*Node, *Node) {
	norm := scope.At("norm")
	i, t := layerNorm(norm, img), layerNorm(norm, txt)
	imgOut, txtOut := coAttend(scope, asHeads(i), asHeads(t), 1/math.Sqrt(float64(cfg.Dim)), nn.KeyBias(txtMask, img.DType()))
	return fromHeads(imgOut), fromHeads(txtOut)
}
