package nn

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/layers/regularizer"
	"github.com/gomlx/gomlx/ml/model"
	gnn "github.com/gomlx/gomlx/ml/nn"
)

// Dense is a linear layer with the variables "dense/weights" and "dense/biases" under
// scope, the same shapes as GoMLX's layers.Dense (weights [in, out], biases [out]) and
// the same fused matrix product, with the bias added as its own op in training graphs: the go backend's
// fused dense backward sums the bias gradient column by column over a strided buffer
// (10% of a ViT block's training step in pprof), while the gradient of a separate Add is
// a vectorised leading-axis reduction. Measured on the block benchmark: about 12% off
// the training step. (Storing the weights [out, in] where out < in, so that the backward
// transposes the narrower output gradient, was slower: 20% on the same benchmark.)
// x: [..., in]; returns [..., out].
func Dense(scope *model.Scope, x *Node, useBias bool, out int) *Node {
	scope = scope.In("dense")
	g := x.Graph()
	in := x.Shape().Dim(-1)
	wVar := scope.VariableWithShape("weights", shapes.Make(x.DType(), in, out))
	if reg := regularizer.FromScope(scope); reg != nil {
		reg(g, wVar)
	}
	w := wVar.NodeValue(g)
	if !useBias {
		return gnn.Dense(x, w, nil, compute.DenseLayoutInputOutputs)
	}
	bias := scope.VariableWithShape("biases", shapes.Make(x.DType(), out)).NodeValue(g)
	if !scope.IsTraining(g) {
		// No backward: the matmul's epilogue adds the bias for free.
		return gnn.Dense(x, w, bias, compute.DenseLayoutInputOutputs)
	}
	y := gnn.Dense(x, w, nil, compute.DenseLayoutInputOutputs)
	return Add(y, ExpandLeftToRank(bias, y.Rank()))
}
