package nn

import (
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// ViTStddev is the standard deviation of the ViT reference initialisation (timm's
// trunc_normal_(std=.02), MAE's and the cls token's normal(std=.02)).
const ViTStddev = 0.02

// truncationRounds is how many times TruncatedNormalInit redraws values beyond 2σ;
// after 4 redraws a value is still out with probability 0.0455^5 ≈ 2e-7, and those few
// are clipped to ±2σ.
const truncationRounds = 4

// TruncatedNormalInit returns an initializer drawing from a normal with mean 0 and the
// given stddev, truncated at ±2 stddev (values beyond are redrawn), from the store's
// random state (so ParamInitialSeed makes it deterministic). Non-float variables get
// zeros. Use it as scope.WithInitializer(nn.TruncatedNormalInit(scope, 0.02)).
func TruncatedNormalInit(scope *model.Scope, stddev float64) model.VariableInitializer {
	return func(g *Graph, shape shapes.Shape) *Node {
		if !shape.DType.IsFloat() {
			return Zeros(g, shape)
		}
		z := scope.RandomNormal(g, shape)
		for range truncationRounds {
			outside := GreaterThan(Abs(z), Scalar(g, shape.DType, 2))
			z = Where(outside, scope.RandomNormal(g, shape), z)
		}
		return MulScalar(ClipScalar(z, -2, 2), stddev)
	}
}

// ViTInit returns the ViT reference initializer for a scope: weights (rank >= 2,
// dense kernels and embedding tables) from a truncated normal with stddev 0.02, biases
// and other rank <= 1 variables zero. LayerNorm's gains set their own initializer (one)
// and are unaffected. Use it as scope.WithInitializer(nn.ViTInit(scope)).
func ViTInit(scope *model.Scope) model.VariableInitializer {
	weights := TruncatedNormalInit(scope, ViTStddev)
	return func(g *Graph, shape shapes.Shape) *Node {
		if shape.Rank() <= 1 {
			return Zeros(g, shape)
		}
		return weights(g, shape)
	}
}

// ZeroInit initialises every variable to zero: ViT's classification head
// (scope.In("head").WithInitializer(nn.ZeroInit)), and the output projections of a
// block to make it start as the identity.
var ZeroInit model.VariableInitializer = initializer.Zero
