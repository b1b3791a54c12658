package nn

import (
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
)

// PrependCLS prepends a learnable cls token to a sequence: the variable "token"
// [dim] under scope, initialised from a truncated normal with stddev 0.02 (MAE), the
// same for every example. Callers create it under scope "cls".
//
// x: [batch, tokens, dim] -> [batch, 1+tokens, dim], the cls token at position 0.
func PrependCLS(scope *model.Scope, x *Node) *Node {
	checkRank("PrependCLS", "x", x, 3)
	batch, dim := x.Shape().Dim(0), x.Shape().Dim(2)
	token := scope.WithInitializer(TruncatedNormalInit(scope, ViTStddev)).
		VariableWithShape("token", shapes.Make(x.DType(), dim)).NodeValue(x.Graph())
	cls := BroadcastToDims(Reshape(token, 1, 1, dim), batch, 1, dim)
	return Concatenate([]*Node{cls, x}, 1)
}

// PrependMask extends a padding mask for a sequence that got a cls token with
// PrependCLS: the cls position is always attended to.
// mask: [batch, tokens] bool or int -> [batch, 1+tokens] bool.
func PrependMask(mask *Node) *Node {
	checkRank("PrependMask", "mask", mask, 2)
	mask = MaskToBool(mask)
	ones := OnesLike(SliceAxis(mask, 1, AxisRange(0, 1)))
	return Concatenate([]*Node{ones, mask}, 1)
}
