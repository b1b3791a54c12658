package train

import (
	"fmt"
	"math"
	"path"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph code reads better unqualified.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/gomlx/gomlx/ml/train/metric"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/gomlx/gomlx/support/exceptions"
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

// AdamW is Adam with decoupled weight decay (Loshchilov & Hutter), as
// torch.optim.AdamW, driven by a Schedule, with optional clipping of the global
// gradient norm (as torch.nn.utils.clip_grad_norm_) and an optional filter of the
// variables that get no weight decay. TestAdamWMatchesReference steps it beside
// PyTorch's update rule written out in Go.
//
// It keeps GoMLX's variable layout (moments under /AdamOptimizer/..., the
// optimizers/learning_rate variable, the global step), so checkpoints read the same.
// Each update also records the global gradient norm (before clipping) and whether
// every updated weight is finite, which the run's NaN guard reads (stepHealthMetrics).
type AdamW struct {
	Schedule    Schedule
	WeightDecay float64
	Beta1       float64
	Beta2       float64
	Epsilon     float64 // 1e-8 as PyTorch, not GoMLX's 1e-7 default, for side-by-side runs.
	ClipNorm    float64 // 0 disables clipping.
	// NoDecay, if set, exempts the variables it returns true for from weight decay
	// (e.g. NoDecayRank1: biases, LayerNorm gains, logit scales).
	NoDecay func(v *model.Variable) bool
}

// adamScope is where the moments and the step counter live (GoMLX's Adam default).
const adamScope = optimizer.AdamDefaultScope

// NoDecayRank1 exempts variables of rank <= 1 (biases, norm gains and offsets,
// scalars such as CLIP's logit scale) from weight decay, as open_clip and timm do.
func NoDecayRank1(v *model.Variable) bool { return v.Shape().Rank() <= 1 }

// UpdateGraph implements optimizer.Interface.
func (o *AdamW) UpdateGraph(scope *model.Scope, g *Graph, loss *Node) {
	grads := scope.BuildTrainableVariablesGradientsGraph(loss)
	o.UpdateGraphWithGradients(scope, grads, loss.DType())
}

// UpdateGraphWithGradients implements optimizer.Interface: learning rate from the
// schedule, gradient clipping, then per variable
//
//	m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g²
//	w = w - lr (wd w) - lr m/(1-b1^t) / (sqrt(v/(1-b2^t)) + eps)
//
// grads are in the order of scope.BuildTrainableVariablesGradientsGraph.
func (o *AdamW) UpdateGraphWithGradients(scope *model.Scope, grads []*Node, dtype dtypes.DType) {
	if len(grads) == 0 {
		exceptions.Panicf("AdamW: no gradients: the model has no trainable variables")
	}
	g := grads[0].Graph()
	// The global step still holds the number of completed updates, which is what
	// Schedule.At expects; it is incremented below.
	step := ConvertDType(optimizer.GetGlobalStepVar(scope).NodeValue(g), dtype)
	lr := o.Schedule.graph(step)
	optimizer.LearningRateVarWithValue(scope, dtype, o.Schedule.LR).SetNodeValue(lr)
	norm := globalNorm(grads)
	if o.ClipNorm > 0 {
		grads = clipToNorm(grads, norm, o.ClipNorm)
	}
	optimizer.IncrementGlobalStep(g, dtype)
	t := optimizer.IncrementCounter(scope.At(adamScope), g, "step", dtype) // 1 at the first update.
	beta1, beta2 := Scalar(g, dtype, o.Beta1), Scalar(g, dtype, o.Beta2)
	debias1 := Reciprocal(OneMinus(Pow(beta1, t)))
	debias2 := Reciprocal(OneMinus(Pow(beta2, t)))
	i := 0
	var weightSum *Node // of all updated weights: float32 scalar, finite iff they all are.
	for v := range scope.IterVariables() {
		if !v.Trainable || !v.InUseByGraph(g) {
			continue
		}
		if i >= len(grads) {
			exceptions.Panicf("AdamW: more trainable variables than gradients (%d)", len(grads))
		}
		updated := o.update(scope, v, ConvertDType(grads[i], dtype), lr, debias1, debias2)
		if sum := floatSum(updated); weightSum == nil {
			weightSum = sum
		} else {
			weightSum = Add(weightSum, sum)
		}
		i++
	}
	if i != len(grads) {
		exceptions.Panicf("AdamW: %d gradients for %d trainable variables", len(grads), i)
	}
	model.SetGraphParam(g, graphParamGradNorm, norm)
	model.SetGraphParam(g, graphParamWeightsFinite, IsFinite(weightSum))
}

// floatSum returns the sum of x's elements as a float32 scalar, summed in float32 at
// least (a float16 sum would overflow at 65504). A NaN or an infinity anywhere in x
// makes it NaN or infinite (+Inf and -Inf add to NaN); finite weights whose sum passes
// 3.4e38 would too, far beyond any trained model. It stands for an IsFinite check of
// every element, which on the go backend costs 45% more CPU per step of a 3.7M-weight
// MLP, where the sum costs nothing measurable.
func floatSum(x *Node) *Node {
	if x.DType().Size() < 4 {
		x = ConvertDType(x, dtypes.Float32)
	}
	return ConvertDType(ReduceAllSum(x), dtypes.Float32)
}

// update applies one AdamW step to v and returns v's new value. grad: the (clipped)
// gradient, v's shape.
func (o *AdamW) update(scope *model.Scope, v *model.Variable, grad, lr, debias1, debias2 *Node) *Node {
	g := grad.Graph()
	dtype := grad.DType()
	m1, m2 := o.moments(scope, v, dtype)
	m := Add(MulScalar(m1.NodeValue(g), o.Beta1), MulScalar(grad, 1-o.Beta1))
	s := Add(MulScalar(m2.NodeValue(g), o.Beta2), MulScalar(Square(grad), 1-o.Beta2))
	m1.SetNodeValue(m)
	m2.SetNodeValue(s)
	w := v.NodeValue(g)
	if w.DType() != dtype {
		w = ConvertDType(w, dtype)
	}
	stepDir := Div(Mul(m, debias1), AddScalar(Sqrt(Mul(s, debias2)), o.Epsilon))
	if o.WeightDecay > 0 && (o.NoDecay == nil || !o.NoDecay(v)) {
		stepDir = Add(stepDir, MulScalar(w, o.WeightDecay))
	}
	updated := Sub(w, Mul(lr, stepDir))
	if updated.DType() != v.Shape().DType {
		updated = ConvertDType(updated, v.Shape().DType)
	}
	v.SetNodeValue(updated)
	return updated
}

// moments returns (creating them at zero) the first and second moment variables of
// v, at GoMLX Adam's paths: /AdamOptimizer/<v's scope>/<name>_1st_moment, _2nd_moment.
func (o *AdamW) moments(scope *model.Scope, v *model.Variable, dtype dtypes.DType) (m1, m2 *model.Variable) {
	s := scope.Store().Scope(path.Join("/", adamScope, v.Scope())).WithInitializer(initializer.Zero)
	shape := v.Shape().Clone()
	shape.DType = dtype
	m1 = s.VariableWithShape(v.Name()+"_1st_moment", shape).SetTrainable(false)
	m2 = s.VariableWithShape(v.Name()+"_2nd_moment", shape).SetTrainable(false)
	return m1, m2
}

// Clear implements optimizer.Interface: it deletes the moments and the step counter.
func (o *AdamW) Clear(scope *model.Scope) error {
	return scope.Store().Scope("/" + adamScope).DeleteVariablesInScope()
}

// ClipByGlobalNorm scales all gradients by min(1, maxNorm/‖g‖), ‖g‖ the L2 norm of
// all gradients together.
func ClipByGlobalNorm(grads []*Node, maxNorm float64) []*Node {
	return clipToNorm(grads, globalNorm(grads), maxNorm)
}

// globalNorm is the L2 norm of all gradients together, a scalar of the first one's
// dtype. A gradient with a NaN or an infinity makes it NaN or +Inf, and so does a
// squared norm that overflows (for float32, a norm above about 1.8e19).
func globalNorm(grads []*Node) *Node {
	var sumSq *Node
	for _, grad := range grads {
		s := ReduceAllSum(Square(grad))
		if sumSq == nil {
			sumSq = s
		} else {
			sumSq = Add(sumSq, ConvertDType(s, sumSq.DType()))
		}
	}
	return Sqrt(sumSq)
}

// clipToNorm scales grads by min(1, maxNorm/norm).
func clipToNorm(grads []*Node, norm *Node, maxNorm float64) []*Node {
	// scale = maxNorm / max(norm, maxNorm): 1 below the threshold, no division by 0.
	scale := Div(Scalar(norm.Graph(), norm.DType(), maxNorm), MaxScalar(norm, maxNorm))
	out := make([]*Node, len(grads))
	for i, grad := range grads {
		out[i] = Mul(grad, ConvertDType(scale, grad.DType()))
	}
	return out
}

// AdamW leaves the step's health in the train step's graph, under these graph
// parameters, for the NaN guard; stepHealthMetrics carries them out of the graph.
const (
	graphParamGradNorm      = "/mmdna_grad_norm"      // scalar: the global gradient norm, before clipping.
	graphParamWeightsFinite = "/mmdna_weights_finite" // scalar bool: every updated weight is finite (floatSum).
)

// Short names of the step-health metrics on step events.
const (
	metricGradNorm      = "grad_norm"
	metricWeightsFinite = "weights_finite"
)

// stepHealthMetrics returns the train metrics "grad_norm" and "weights_finite" (1 or
// 0) that AdamW's update graph records: one sum per weight (floatSum), no extra pass
// over the gradients when clipping is on (the norm is the one clipping uses).
func stepHealthMetrics() []metric.Interface {
	read := func(name, key string) metric.Interface {
		return metric.NewBaseMetric(name, name, name, func(_ *model.Scope, _, predictions []*Node) *Node {
			g := predictions[0].Graph()
			value, found := model.GetGraphParam(g, key)
			if !found {
				exceptions.Panicf("train: metric %s: the optimizer did not record it (train.AdamW does)", name)
			}
			return ConvertDType(value.(*Node), dtypes.Float32)
		}, nil)
	}
	return []metric.Interface{read(metricGradNorm, graphParamGradNorm), read(metricWeightsFinite, graphParamWeightsFinite)}
}

// stepHealth says what of a step was not finite ("" if all was): the loss (the
// weights before the step), the global gradient norm or the updated weights.
// metrics: the train step's outputs, the health metrics at 2 and 3.
func stepHealth(loss float64, metrics []*tensors.Tensor) string {
	gradNorm := shapes.ConvertTo[float64](metrics[2].Value())
	switch {
	case math.IsNaN(loss) || math.IsInf(loss, 0):
		return fmt.Sprintf("loss is %v", loss)
	case math.IsNaN(gradNorm) || math.IsInf(gradNorm, 0):
		return fmt.Sprintf("gradient norm is %v", gradNorm)
	case shapes.ConvertTo[float64](metrics[3].Value()) != 1:
		return "updated weights are NaN or infinite"
	}
	return ""
}
