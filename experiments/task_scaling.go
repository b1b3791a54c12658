package experiments

// The scaling task (bench-scaling): one Perceiver layer (a cross-attention from a
// fixed latent array to the input, then one latent self-attention block) or one full
// self-attention transformer block, at the same width, on one input of N tokens; the
// loss is the mean square of the output, so a training step is forward, backward and
// the AdamW update. cmd/bench -scaling sweeps N.

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/models/perceiver"
	"github.com/mmdna/mmdna/nn"
	"github.com/mmdna/mmdna/train"
)

// ScalingModels are the models bench-scaling compares (its "model" parameter).
var ScalingModels = []string{"perceiver", "self-attention"}

// scalingModel returns the model's function: inputs [batch, tokens, dim] -> the loss.
func scalingModel(name string, latents int) (func(scope *model.Scope, x *Node) *Node, error) {
	switch name {
	case "perceiver":
		return func(scope *model.Scope, x *Node) *Node {
			dim := x.Shape().Dim(-1)
			cfg := perceiver.Config{NumLatents: latents, LatentDim: dim, LatentHeads: 1, CrossHeads: 1, CrossDimHead: dim,
				Depth: 1, Repeats: 1}
			l, _ := perceiver.Encode(scope, cfg, x, nil)
			return ReduceAllMean(Square(l))
		}, nil
	case "self-attention":
		return func(scope *model.Scope, x *Node) *Node {
			y, _ := nn.Block(scope.In("block"), nn.BlockConfig{Heads: 1}, x, nil)
			return ReduceAllMean(Square(y))
		}, nil
	}
	return nil, fmt.Errorf("parameter model=%s: want %s or %s", name, ScalingModels[0], ScalingModels[1])
}

func buildScaling(env *Env) (*train.Task, error) {
	p := env.P
	fn, err := scalingModel(p.String("model"), p.Int("latents"))
	if err != nil {
		return nil, err
	}
	n, dim, b := p.Int("tokens"), p.Int("dim"), p.Int("batch_size")
	if n < 1 || dim < 1 || p.Int("latents") < 1 {
		return nil, fmt.Errorf("parameters tokens=%d, dim=%d, latents=%d: want positive sizes", n, dim, p.Int("latents"))
	}
	src := &benchSource{batch: b, inputs: []benchArray{benchUniform(benchRNG(p), b, n, dim)}}
	return benchTask(env, src, func(scope *model.Scope, _ any, in []*Node) []*Node {
		return []*Node{fn(scope, in[0])}
	}, func(_, pred []*Node) *Node { return pred[0] }), nil
}
