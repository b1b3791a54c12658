package train

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	gtrain "github.com/gomlx/gomlx/ml/train"
)

func TestScheduleValues(t *testing.T) {
	s := Schedule{LR: 1e-3, MinLR: 1e-5, Warmup: 10, Steps: 110}
	for _, tc := range []struct {
		step int
		want float64
	}{
		{0, 1e-4},  // first warmup step: LR * 1/10.
		{9, 1e-3},  // last warmup step reaches LR.
		{10, 1e-3}, // cosine starts at LR.
		{60, 1e-5 + (1e-3-1e-5)*0.5},
		{110, 1e-5}, // and ends at MinLR.
		{500, 1e-5},
	} {
		if got := s.At(tc.step); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("At(%d) = %g, want %g", tc.step, got, tc.want)
		}
	}
}

func TestScheduleGraphMatchesGo(t *testing.T) {
	for _, s := range []Schedule{{LR: 1e-3, MinLR: 1e-5, Warmup: 10, Steps: 110}, {LR: 0.5, Steps: 7}, {LR: 0.1, Warmup: 3, Steps: 3}} {
		exec := MustNewExec(testBackend, func(step *Node) *Node { return s.graph(step) })
		for _, step := range []int{0, 1, 2, 5, 9, 10, 11, 50, 109, 110, 200} {
			got := tensors.ToScalar[float64](exec.MustExec(float64(step))[0])
			if want := s.At(step); math.Abs(got-want) > 1e-9 {
				t.Errorf("%+v step %d: graph %g, Go %g", s, step, got, want)
			}
		}
	}
}

func TestClipByGlobalNorm(t *testing.T) {
	// Gradients [3] and [4]: global norm 5.
	exec := MustNewExec(testBackend, func(a, b *Node) []*Node { return ClipByGlobalNorm([]*Node{a, b}, 2.5) })
	out := exec.MustExec([]float32{3}, []float32{4})
	if a, b := tensors.MustCopyFlatData[float32](out[0])[0], tensors.MustCopyFlatData[float32](out[1])[0]; math.Abs(float64(a)-1.5) > 1e-6 || math.Abs(float64(b)-2) > 1e-6 {
		t.Errorf("clip to 2.5 of (3, 4) = (%v, %v), want (1.5, 2)", a, b)
	}
	// Below the threshold gradients are untouched.
	out = MustNewExec(testBackend, func(a *Node) []*Node { return ClipByGlobalNorm([]*Node{a}, 10) }).MustExec([]float32{3, 4})
	if got := tensors.MustCopyFlatData[float32](out[0]); got[0] != 3 || got[1] != 4 {
		t.Errorf("clip to 10 of (3, 4) = %v, want unchanged", got)
	}
}

// TestAdamWMatchesReference trains one vector with our AdamW (schedule, clipping,
// decoupled weight decay) and compares every step with torch.optim.AdamW's update
// rule written out in Go.
func TestAdamWMatchesReference(t *testing.T) {
	target := []float64{1, -2, 0.5}
	w0 := []float64{0.3, 0.2, -0.1}
	cfg := Config{Steps: 6, LR: 0.1, MinLR: 0.01, Warmup: 2, WeightDecay: 0.1, Beta1: 0.9, Beta2: 0.999,
		Epsilon: 1e-8, ClipNorm: 0.5}
	store := model.NewStore()
	if _, err := store.CreateVariable("/w", tensors.FromValue([]float64{w0[0], w0[1], w0[2]})); err != nil {
		t.Fatal(err)
	}
	trainer := gtrain.NewTrainer(testBackend, store, func(scope *model.Scope, x *Node) *Node {
		w := scope.Store().GetVariable("/w").NodeValue(x.Graph())
		return Add(w, MulScalar(x, 0)) // the "prediction" is w itself.
	}, func(labels, predictions []*Node) *Node {
		d := Sub(predictions[0], labels[0])
		return MulScalar(ReduceAllSum(Mul(d, d)), 0.5)
	}, cfg.optimizer(), nil, nil)

	// Reference: torch.optim.AdamW with clip_grad_norm_ and our schedule.
	w := append([]float64(nil), w0...)
	m, v := make([]float64, 3), make([]float64, 3)
	for step := range cfg.Steps {
		g := make([]float64, 3)
		var norm float64
		for i := range w {
			g[i] = w[i] - target[i]
			norm += g[i] * g[i]
		}
		norm = math.Sqrt(norm)
		if norm > cfg.ClipNorm {
			for i := range g {
				g[i] *= cfg.ClipNorm / norm
			}
		}
		lr := cfg.schedule().At(step)
		for i := range w {
			w[i] -= lr * cfg.WeightDecay * w[i]
			m[i] = cfg.Beta1*m[i] + (1-cfg.Beta1)*g[i]
			v[i] = cfg.Beta2*v[i] + (1-cfg.Beta2)*g[i]*g[i]
			mHat := m[i] / (1 - math.Pow(cfg.Beta1, float64(step+1)))
			vHat := v[i] / (1 - math.Pow(cfg.Beta2, float64(step+1)))
			w[i] -= lr * mHat / (math.Sqrt(vHat) + cfg.Epsilon)
		}
		if _, err := trainer.TrainStep(gtrain.Batch{Inputs: []*tensors.Tensor{tensors.FromValue([]float64{0, 0, 0})},
			Labels: []*tensors.Tensor{tensors.FromValue(target)}}); err != nil {
			t.Fatal(err)
		}
		got := tensors.MustCopyFlatData[float64](store.GetVariable("/w").MustValue())
		for i := range w {
			if math.Abs(got[i]-w[i]) > 1e-9 {
				t.Fatalf("step %d: w = %v, reference AdamW %v", step+1, got, w)
			}
		}
	}
}

// TestAdamWNoDecay: with zero gradients only the decay moves weights; NoDecayRank1
// keeps the rank-1 variable in place while the matrix shrinks by (1 - lr_t*wd) at
// each step t.
func TestAdamWNoDecay(t *testing.T) {
	cfg := Config{Steps: 3, LR: 0.1, WeightDecay: 0.5, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}
	store := model.NewStore()
	store.CreateVariable("/b", tensors.FromValue([]float64{1, 2}))
	store.CreateVariable("/w", tensors.FromValue([][]float64{{1, 2}}))
	opt := cfg.optimizer()
	opt.NoDecay = NoDecayRank1
	trainer := gtrain.NewTrainer(testBackend, store, func(scope *model.Scope, x *Node) *Node {
		g := x.Graph()
		b, w := scope.Store().GetVariable("/b").NodeValue(g), scope.Store().GetVariable("/w").NodeValue(g)
		return Add(MulScalar(Add(ReduceAllSum(b), ReduceAllSum(w)), 0), ReduceAllSum(x)) // gradient 0.
	}, func(_, predictions []*Node) *Node { return predictions[0] }, opt, nil, nil)
	for range 3 {
		if _, err := trainer.TrainStep(gtrain.Batch{Inputs: []*tensors.Tensor{tensors.FromValue([]float64{0})},
			Labels: []*tensors.Tensor{tensors.FromValue([]float64{0})}}); err != nil {
			t.Fatal(err)
		}
	}
	b := tensors.MustCopyFlatData[float64](store.GetVariable("/b").MustValue())
	w := tensors.MustCopyFlatData[float64](store.GetVariable("/w").MustValue())
	shrink := 1.0
	for step := range 3 {
		shrink *= 1 - cfg.schedule().At(step)*cfg.WeightDecay
	}
	if b[0] != 1 || b[1] != 2 || math.Abs(w[0]-shrink) > 1e-12 || math.Abs(w[1]-2*shrink) > 1e-12 {
		t.Errorf("after 3 steps: b %v (want [1 2]), w %v (want [%g %g])", b, w, shrink, 2*shrink)
	}
}
