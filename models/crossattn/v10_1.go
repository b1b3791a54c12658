package crossattn

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
)

// v10_1 is v9 with Q/K/V projections specialised per modality (prose: "based on v9,
// introduces Q/K/V transformations specialised for each modality"): image queries,
// keys and values come from image_to_q/_k/_v, the text's from text_to_q/_k/_v; the
// output projection and the FFN stay shared.
func v10_1(scope *model.Scope, cfg Config, img, txt, txtMask *Node) (*Node, *Node) {
	return v9Block(scope, cfg, img, txt, txtMask, v9Parts{qkv: modalityQKV})
}

// modalityQKV projects each modality with its own to_q/to_k/to_v.
func modalityQKV(scope *model.Scope, cfg Config, x, y *Node, xIsImage bool) (q, k, v *Node) {
	xs, ys := scope.At("image"), scope.At("text")
	if !xIsImage {
		xs, ys = ys, xs
	}
	return cfg.split(linear(xs.At("to_q"), x, cfg.Dim)), cfg.split(linear(ys.At("to_k"), y, cfg.Dim)),
		cfg.split(linear(ys.At("to_v"), y, cfg.Dim))
}
