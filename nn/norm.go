package nn

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	gnn "github.com/gomlx/gomlx/ml/nn"
)

// DefaultLayerNormEpsilon is the layer-norm epsilon of the ViT reference (1e-6);
// GoMLX's norm.LayerNorm defaults to 1e-3.
const DefaultLayerNormEpsilon = 1e-6

// LayerNorm normalises x over its last axis and applies a learned gain (initialised to
// one) and offset (zero), the variables "gain" and "offset" directly under scope.
// epsilon <= 0 means DefaultLayerNormEpsilon.
//
// It is GoMLX's layer norm with one difference: in training graphs on backends without
// a fused layer-norm backward (the go backend) it builds only the decomposed form, since
// the fused forward would be computed beside the decomposed one the gradient needs.
//
// x: [..., dim]; returns the same shape.
func LayerNorm(scope *model.Scope, x *Node, epsilon float64) *Node {
	if epsilon <= 0 {
		epsilon = DefaultLayerNormEpsilon
	}
	g := x.Graph()
	dim := x.Shape().Dim(-1)
	gain := scope.WithInitializer(initializer.One).
		VariableWithShape("gain", shapes.Make(x.DType(), dim)).NodeValue(g)
	offset := scope.WithInitializer(initializer.Zero).
		VariableWithShape("offset", shapes.Make(x.DType(), dim)).NodeValue(g)
	if useFused(scope, g, compute.OpTypeFusedLayerNorm, compute.OpTypeInvalid) {
		return gnn.LayerNorm(x, []int{x.Rank() - 1}, epsilon, gain, offset, nil)
	}
	return layerNormDecomposed(x, gain, offset, epsilon)
}

// layerNormDecomposed is (x - mean) / sqrt(var + eps) * gain + offset over the last axis.
// x: [..., dim]; gain, offset: [dim]
func layerNormDecomposed(x, gain, offset *Node, epsilon float64) *Node {
	mean := ReduceAndKeep(x, ReduceMean, -1)
	centered := Sub(x, mean)
	variance := ReduceAndKeep(Square(centered), ReduceMean, -1)
	// Reciprocal on the [..., 1] tensor, then one Mul: cheaper than dividing the full tensor.
	normalized := Mul(centered, Reciprocal(Sqrt(AddScalar(variance, epsilon))))
	return Add(Mul(normalized, ExpandLeftToRank(gain, x.Rank())), ExpandLeftToRank(offset, x.Rank()))
}
