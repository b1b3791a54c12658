package train

import (
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph code reads better unqualified.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// Schedule is linear warmup from 0 to LR over Warmup steps, then a half cosine from
// LR down to MinLR at step Steps. It is evaluated both in Go (for progress lines and
// the UI) and in the training graph; TestScheduleGraphMatchesGo keeps the two equal.
type Schedule struct {
	LR, MinLR     float64
	Warmup, Steps int
}

// At returns the learning rate used for the update that takes the model from step
// `step` to step+1 (step counts completed updates, starting at 0).
func (s Schedule) At(step int) float64 {
	if s.Warmup > 0 && step < s.Warmup {
		return s.LR * float64(step+1) / float64(s.Warmup)
	}
	decay := s.Steps - s.Warmup
	if decay <= 0 {
		return s.LR
	}
	frac := math.Min(1, float64(step-s.Warmup)/float64(decay))
	return s.MinLR + (s.LR-s.MinLR)*0.5*(1+math.Cos(math.Pi*frac))
}

// graph builds the same function of the global step inside a graph.
// step: scalar, the number of completed updates before this one.
func (s Schedule) graph(step *Node) *Node {
	g := step.Graph()
	dtype := step.DType()
	lr := Scalar(g, dtype, s.LR)
	decay := s.Steps - s.Warmup
	if decay > 0 {
		frac := DivScalar(SubScalar(step, float64(s.Warmup)), float64(decay))
		frac = ClipScalar(frac, 0, 1)
		cos := OnePlus(Cos(MulScalar(frac, math.Pi)))
		lr = AddScalar(MulScalar(cos, 0.5*(s.LR-s.MinLR)), s.MinLR)
	}
	if s.Warmup > 0 {
		warm := MulScalar(AddScalar(step, 1), s.LR/float64(s.Warmup))
		lr = Where(LessThan(step, Scalar(g, dtype, float64(s.Warmup))), warm, lr)
	}
	return lr
}

// AdamW is GoMLX's Adam with decoupled weight decay, driven by a Schedule, with
// optional clipping of the global gradient norm (as torch.nn.utils.clip_grad_norm_).
type AdamW struct {
	Schedule    Schedule
	WeightDecay float64
	Beta1       float64
	Beta2       float64
	Epsilon     float64 // 1e-8 as PyTorch, not GoMLX's 1e-7 default, for side-by-side runs.
	ClipNorm    float64 // 0 disables clipping.
}

// UpdateGraph implements optimizer.Interface.
func (o *AdamW) UpdateGraph(scope *model.Scope, g *Graph, loss *Node) {
	grads := scope.BuildTrainableVariablesGradientsGraph(loss)
	o.UpdateGraphWithGradients(scope, grads, loss.DType())
}

// UpdateGraphWithGradients implements optimizer.Interface: it sets the learning-rate
// variable from the schedule, clips the gradients and hands them to Adam.
func (o *AdamW) UpdateGraphWithGradients(scope *model.Scope, grads []*Node, dtype dtypes.DType) {
	g := grads[0].Graph()
	// The global step is incremented by Adam below; here it still holds the number of
	// completed updates, which is what Schedule.At expects.
	step := ConvertDType(optimizer.GetGlobalStepVar(scope).NodeValue(g), dtype)
	lr := o.Schedule.graph(step)
	optimizer.LearningRateVarWithValue(scope, dtype, o.Schedule.LR).SetNodeValue(lr)
	if o.ClipNorm > 0 {
		grads = ClipByGlobalNorm(grads, o.ClipNorm)
	}
	o.adam().UpdateGraphWithGradients(scope, grads, dtype)
}

// Clear implements optimizer.Interface.
func (o *AdamW) Clear(scope *model.Scope) error { return o.adam().Clear(scope) }

// gradientOptimizer is what GoMLX's Adam implements beyond optimizer.Interface.
type gradientOptimizer interface {
	optimizer.Interface
	UpdateGraphWithGradients(scope *model.Scope, grads []*Node, lossDType dtypes.DType)
}

func (o *AdamW) adam() gradientOptimizer {
	// LearningRate is left unset so Adam reads the variable set above.
	return optimizer.Adam().Betas(o.Beta1, o.Beta2).Epsilon(o.Epsilon).WeightDecay(o.WeightDecay).Done().(gradientOptimizer)
}

// ClipByGlobalNorm scales all gradients by min(1, maxNorm/‖g‖), ‖g‖ the L2 norm of
// all gradients together.
func ClipByGlobalNorm(grads []*Node, maxNorm float64) []*Node {
	var sumSq *Node
	for _, grad := range grads {
		s := ReduceAllSum(Square(grad))
		if sumSq == nil {
			sumSq = s
		} else {
			sumSq = Add(sumSq, ConvertDType(s, sumSq.DType()))
		}
	}
	norm := Sqrt(sumSq)
	// scale = maxNorm / max(norm, maxNorm): 1 below the threshold, no division by 0.
	scale := Div(Scalar(norm.Graph(), norm.DType(), maxNorm), MaxScalar(norm, maxNorm))
	out := make([]*Node, len(grads))
	for i, grad := range grads {
		out[i] = Mul(grad, ConvertDType(scale, grad.DType()))
	}
	return out
}
