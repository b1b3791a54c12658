package nn

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// MLP is the transformer's feed-forward block: dense to hidden ("fc1") with exact
// (erf) GELU, dropout, dense to outDim ("fc2"), dropout — ViT's MlpBlock. Dense and
// GELU use the backend's fused kernels (the go backend has their backward too).
// dropout applies in training only.
//
// x: [..., dim]; returns [..., outDim].
func MLP(scope *model.Scope, x *Node, hidden, outDim int, dropout float64) *Node {
	return MLPActivation(scope, x, hidden, outDim, dropout, ActGELU)
}

// MLPActivation is MLP with another activation between the two dense layers (OpenAI
// CLIP's QuickGELU); the variables are the same.
// x: [..., dim]; returns [..., outDim].
func MLPActivation(scope *model.Scope, x *Node, hidden, outDim int, dropout float64, act Activation) *Node {
	if hidden <= 0 || outDim <= 0 {
		exceptions.Panicf("nn.MLP: hidden (%d) and outDim (%d) must be positive", hidden, outDim)
	}
	h := Activate(Dense(scope.In("fc1"), x, true, hidden), act)
	h = layers.DropoutStatic(scope, h, dropout)
	y := Dense(scope.In("fc2"), h, true, outDim)
	return layers.DropoutStatic(scope, y, dropout)
}

// DropPath drops whole residual branches per example with probability rate and scales
// the kept ones by 1/(1-rate) (stochastic depth as in timm, whose expectation equals
// the input; GoMLX's layers.DropPath does not rescale). It is the identity outside
// training or when rate <= 0.
//
// x: [batch, ...]; returns the same shape.
func DropPath(scope *model.Scope, x *Node, rate float64) *Node {
	g := x.Graph()
	if rate <= 0 || !scope.IsTraining(g) {
		return x
	}
	if rate >= 1 {
		exceptions.Panicf("nn.DropPath: rate must be below 1, got %g", rate)
	}
	maskDims := make([]int, x.Rank())
	for i := range maskDims {
		maskDims[i] = 1
	}
	maskDims[0] = x.Shape().Dim(0)
	keep := scope.RandomBernoulli(Scalar(g, dtypes.Float32, 1-rate), shapes.Make(x.DType(), maskDims...))
	return Mul(x, MulScalar(keep, 1/(1-rate)))
}
