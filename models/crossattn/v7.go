package crossattn

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/mmdna/mmdna/nn"
)

// v7 is v2 plus shared multi-head attention (prose: "v7 extends the shared attention
// matrix to multiple heads ... it still used the same Q, K, V transformations for the
// image→text and text→image attention"; the dldna file is "v7_2 - v2 + added shared
// multi-head attention"). One LayerNorm ("norm") on the inputs and, as in that file,
// again on the outputs ("otherwise training fails"); one to_q/to_k/to_v/to_out for
// both directions; one attention matrix per head, transposed for the text direction:
//
//	attn = softmax(q(Î)·k(T̂)ᵀ/√d)   image_out = LN(out(attn·v(T̂)))   text_out = LN(out(attnᵀ·v(Î)))
//
// The text direction takes the image's values, as the prose describes; the dldna file
// multiplies attnᵀ by the text values instead (v7_upstream).
func v7(scope *model.Scope, cfg Config, img, txt, txtMask *Node) (*Node, *Node) {
	return sharedMultiHead(scope, cfg, img, txt, txtMask, false)
}

// v7Upstream is the dldna package's v7 file as it is: its text direction is
// attnᵀ·v(T̂), the text's own values, which is defined only when both modalities have
// as many tokens (the chapter's matching model feeds one token each). Not in the
// chapter's run list; run it to see whether that line explains v7's failure.
func v7Upstream(scope *model.Scope, cfg Config, img, txt, txtMask *Node) (*Node, *Node) {
	if img.Shape().Dim(1) != txt.Shape().Dim(1) {
		exceptions.Panicf("crossattn: v7_upstream needs as many image as text tokens, got %s and %s", img.Shape(), txt.Shape())
	}
	return sharedMultiHead(scope, cfg, img, txt, txtMask, true)
}

func sharedMultiHead(scope *model.Scope, cfg Config, img, txt, txtMask *Node, textValuesBothWays bool) (*Node, *Node) {
	norm := scope.At("norm")
	i, t := layerNorm(norm, img), layerNorm(norm, txt)
	q := cfg.split(linear(scope.At("to_q"), i, cfg.Dim))
	k := cfg.split(linear(scope.At("to_k"), t, cfg.Dim))
	vTxt := cfg.split(linear(scope.At("to_v"), t, cfg.Dim))
	bias := nn.KeyBias(txtMask, img.DType())
	attn := nn.SoftmaxLastAxis(scope, scores(q, k, 1/math.Sqrt(float64(cfg.headDim())), bias)) // [b, h, n_img, n_txt]
	imgAtt := weighted(attn, vTxt)                                                             // [b, h, n_img, d]
	vForText := vTxt
	if !textValuesBothWays {
		vForText = cfg.split(linear(scope.At("to_v"), i, cfg.Dim))
	}
	// attnᵀ·v: contract the image axis of attn with the token axis of the values.
	txtAtt := DotGeneral(attn, []int{2}, []int{0, 1}, vForText, []int{2}, []int{0, 1}) // [b, h, n_txt, d]
	out := scope.At("to_out")
	return layerNorm(norm, linear(out, nn.MergeHeads(imgAtt), cfg.Dim)), layerNorm(norm, linear(out, nn.MergeHeads(txtAtt), cfg.Dim))
}
