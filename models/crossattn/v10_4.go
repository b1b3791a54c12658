package crossattn

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
)

// v10_4 is v9 with multi-query attention (prose: "keeps the queries independent but
// shares keys and values ... fewer parameters"): to_q gives Heads query heads, to_k and
// to_v give one key head and one value head of Dim/Heads that every query head
// attends with. (The dldna v11 file projects K and V with one full-width to_kv and
// splits it into heads, which shares nothing; we follow the prose.)
func v10_4(scope *model.Scope, cfg Config, img, txt, txtMask *Node) (*Node, *Node) {
	return v9Block(scope, cfg, img, txt, txtMask, v9Parts{qkv: multiQueryQKV})
}

// multiQueryQKV projects Heads query heads and a single shared key/value head
// [batch, 1, n, Dim/Heads].
func multiQueryQKV(scope *model.Scope, cfg Config, x, y *Node, _ bool) (q, k, v *Node) {
	d := cfg.headDim()
	return cfg.split(linear(scope.At("to_q"), x, cfg.Dim)),
		asHeads(linear(scope.At("to_k"), y, d)), asHeads(linear(scope.At("to_v"), y, d))
}
