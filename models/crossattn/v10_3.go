package crossattn

import (
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// v10_3 is our reading (the run list names it; it trained well; the second results
// table lists "softmax temperature scaling to control the sharpness of the attention
// distribution", a success): v9 with a learned temperature per head, τ_h = exp(s_h)
// with s ("log_temperature", [heads]) starting at 0, dividing the scores:
// softmax(q·kᵀ/(√d·τ_h)). With one token per modality (the chapter's matching model)
// the softmax is 1 whatever τ is, and v10_3 computes what v9 does.
func v10_3(scope *model.Scope, cfg Config, img, txt, txtMask *Node) (*Node, *Node) {
	return v9Block(scope, cfg, img, txt, txtMask, v9Parts{qkv: temperedQKV})
}

// temperedQKV is sharedQKV with the queries divided by the head's temperature, which
// divides that head's scores.
func temperedQKV(scope *model.Scope, cfg Config, x, y *Node, xIsImage bool) (q, k, v *Node) {
	q, k, v = sharedQKV(scope, cfg, x, y, xIsImage)
	s := scope.WithInitializer(initializer.Zero).
		VariableWithShape("log_temperature", shapes.Make(q.DType(), cfg.Heads)).NodeValue(q.Graph())
	invTau := Reshape(Exp(Neg(s)), 1, cfg.Heads, 1, 1)
	return Mul(q, invTau), k, v
}
