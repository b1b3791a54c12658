package experiments

// The spirals task (mlp-spirals): three interleaved 2-D spirals, drawn point by point
// from a seed, and an MLP.

import (
	"math"
	"math/rand/v2"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph code reads better unqualified.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/metric"
	"github.com/mmdna/mmdna/eval"
	"github.com/mmdna/mmdna/train"
)

const spiralArms = 3

// spiralPoints draws n labelled points; point i of a given seed is always the same.
func spiralPoints(seed uint64, first, n int, noise float64, x []float32, y []int32) {
	for i := range n {
		rng := rand.New(rand.NewPCG(seed, uint64(first+i)))
		arm := rng.IntN(spiralArms)
		r := rng.Float64()
		theta := r*3*math.Pi + 2*math.Pi*float64(arm)/spiralArms
		x[2*i] = float32(r*math.Cos(theta) + noise*rng.NormFloat64())
		x[2*i+1] = float32(r*math.Sin(theta) + noise*rng.NormFloat64())
		y[i] = int32(arm)
	}
}

// spiralSource streams fresh points: batch step holds points step*batch ... of the seed.
type spiralSource struct {
	seed  uint64
	batch int
	noise float64
}

func (s spiralSource) StepsPerEpoch() int { return 100 } // the stream is infinite; an "epoch" is a display unit.
func (s spiralSource) BatchSize() int     { return s.batch }
func (s spiralSource) Batch(step int) ([]*tensors.Tensor, []*tensors.Tensor, error) {
	x := make([]float32, 2*s.batch)
	y := make([]int32, s.batch)
	spiralPoints(s.seed, step*s.batch, s.batch, s.noise, x, y)
	return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(x, s.batch, 2)},
		[]*tensors.Tensor{tensors.FromFlatDataAndDimensions(y, s.batch, 1)}, nil
}

// buildSpirals is an MLP of layers x hidden GELU layers on the spirals' points.
func buildSpirals(env *Env) (*train.Task, error) {
	p := env.P
	hidden, depth := p.Int("hidden"), p.Int("layers")
	modelFn := func(scope *model.Scope, _ any, inputs []*Node) []*Node {
		h := inputs[0] // [batch, 2]
		for i := range depth {
			h = activation.Gelu(layers.DenseWithBias(scope.In("hidden_%02d", i), h, hidden))
		}
		return []*Node{layers.DenseWithBias(scope.In("logits"), h, spiralArms)} // [batch, arms]
	}
	seed := uint64(p.Int("seed"))
	noise := p.Float("noise")
	// Evaluation sets are drawn from other seeds than the training stream.
	evalSet := func(split string) ([]float32, []int32) {
		n := p.Int("test_size")
		x, y := make([]float32, 2*n), make([]int32, n)
		off := uint64(1_000_003)
		if split == "test" {
			off = 2_000_003
		}
		spiralPoints(seed+off, 0, n, noise, x, y)
		return x, y
	}
	return &train.Task{
		Model:        modelFn,
		Loss:         loss.SparseCategoricalCrossEntropyLogits,
		Data:         spiralSource{seed: seed, batch: p.Int("batch_size"), noise: noise},
		TrainMetrics: []metric.Interface{metric.NewMovingAverageSparseCategoricalAccuracy("Moving Average Accuracy", "accuracy", 0.05)},
		ExampleUnit:  "points",
		Evaluate: func(ev *train.Evaluation) (train.Metrics, error) {
			exec, err := train.EvalExec(ev, func(scope *model.Scope, x *Node) *Node {
				return modelFn(scope, nil, []*Node{x})[0]
			})
			if err != nil {
				return nil, err
			}
			x, y := evalSet(ev.Split)
			out, err := eval.Run(exec, len(y), len(y), func(idx []int) ([]*tensors.Tensor, error) {
				pts := make([]float32, 2*len(idx))
				for k, i := range idx {
					pts[2*k], pts[2*k+1] = x[2*i], x[2*i+1]
				}
				return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(pts, len(idx), 2)}, nil
			})
			if err != nil {
				return nil, err
			}
			c, err := eval.Classify(out[0], y)
			if err != nil {
				return nil, err
			}
			return c.Metrics(), nil
		},
	}, nil
}
