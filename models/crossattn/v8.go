package crossattn

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/nn"
)

// v8 is the chapter's "independent multi-head" (code): an input LayerNorm ("norm"),
// one to_q/to_k/to_v/to_out used by both directions, a separate attention for
// image→text and text→image, and an output LayerNorm ("out_norm"):
//
//	image_out = LN_out(out(MHA(q=Î, k=T̂, v=T̂)))   text_out = LN_out(out(MHA(q=T̂, k=Î, v=Î)))
func v8(scope *model.Scope, cfg Config, img, txt, txtMask *Node) (*Node, *Node) {
	norm := scope.At("norm")
	i, t := layerNorm(norm, img), layerNorm(norm, txt)
	imgAtt, txtAtt := biAttend(scope, cfg, i, t, txtMask, sharedQKV, 0)
	out, outNorm := scope.At("to_out"), scope.At("out_norm")
	return layerNorm(outNorm, linear(out, imgAtt, cfg.Dim)), layerNorm(outNorm, linear(out, txtAtt, cfg.Dim))
}

// qkvFn projects the querying modality x to per-head queries and the attended
// modality y to per-head keys and values; xIsImage says which direction it is.
// x: [batch, nx, dim]; y: [batch, ny, dim]. Returns q [batch, h, nx, d] and
// k, v [batch, h or 1, ny, d] (1: one head shared by all query heads).
type qkvFn func(scope *model.Scope, cfg Config, x, y *Node, xIsImage bool) (q, k, v *Node)

// sharedQKV is v8's and v9's projection: to_q, to_k, to_v shared by both directions.
func sharedQKV(scope *model.Scope, cfg Config, x, y *Node, _ bool) (q, k, v *Node) {
	return cfg.split(linear(scope.At("to_q"), x, cfg.Dim)), cfg.split(linear(scope.At("to_k"), y, cfg.Dim)),
		cfg.split(linear(scope.At("to_v"), y, cfg.Dim))
}

// biAttend runs the two directions of v8/v9, image→text (text keys masked) and
// text→image, with the projections of qkv and dropout rate on the weights; heads are
// merged. i: [batch, n_img, dim]; t: [batch, n_txt, dim].
func biAttend(scope *model.Scope, cfg Config, i, t, txtMask *Node, qkv qkvFn, rate float64) (imgAtt, txtAtt *Node) {
	scale := 1 / math.Sqrt(float64(cfg.headDim()))
	q, k, v := qkv(scope, cfg, i, t, true)
	imgAtt = attend(scope, q, broadcastHeads(k, cfg.Heads), broadcastHeads(v, cfg.Heads), scale, nn.KeyBias(txtMask, i.DType()), rate)
	q, k, v = qkv(scope, cfg, t, i, false)
	txtAtt = attend(scope, q, broadcastHeads(k, cfg.Heads), broadcastHeads(v, cfg.Heads), scale, nil, rate)
	return nn.MergeHeads(imgAtt), nn.MergeHeads(txtAtt)
}

// broadcastHeads repeats a single shared key/value head [batch, 1, n, d] over h
// heads (multi-query attention); other inputs pass unchanged.
func broadcastHeads(x *Node, h int) *Node {
	if x.Shape().Dim(1) == h {
		return x
	}
	b, n, d := x.Shape().Dim(0), x.Shape().Dim(2), x.Shape().Dim(3)
	return BroadcastToDims(x, b, h, n, d)
}
