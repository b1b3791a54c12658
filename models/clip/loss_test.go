package clip

import (
	"math"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// TestLossKindsTrain trains the tiny dual encoder 15 steps with each objective at its
// defaults: the loss falls to at most 0.8 of where it started, and only SigLIP creates
// the bias variable (its value is checked in experiments' TestClipShapesLosses).
func TestLossKindsTrain(t *testing.T) {
	for _, kind := range LossKinds {
		t.Run(string(kind), func(t *testing.T) {
			lc := NewLossConfig(kind)
			cfg := tiny(t, "tiny")
			lc.Apply(&cfg)
			store := model.NewStore()
			store.SetParam(model.ParamInitialSeed, int64(5))
			trainer := train.NewTrainer(backend, store, func(scope *model.Scope, in []*Node) []*Node {
				return lc.Predictions(scope, Build(scope, cfg, in[0], in[1], in[2]))
			}, lc.Fn(), optimizer.Adam().LearningRate(1e-2).Done(), nil, nil)
			var first, last float64
			for step := range 15 {
				images, ids, mask := pairs(8)
				m, err := trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{images, ids, mask}})
				if err != nil {
					t.Fatal(err)
				}
				last = float64(tensors.ToScalar[float32](m[0]))
				if step == 0 {
					first = last
				}
			}
			t.Logf("%s: loss %.4f -> %.4f", kind, first, last)
			if math.IsNaN(last) || last > 0.8*first {
				t.Errorf("%s: loss %.4f -> %.4f, want at most 0.8 of the start", kind, first, last)
			}
			if (store.GetVariable("/logit_bias/bias") != nil) != (kind == LossSigLIP) {
				t.Errorf("%s: logit_bias/bias exists: %v", kind, store.GetVariable("/logit_bias/bias") != nil)
			}
		})
	}
}

// TestLossConfigApply: SigLIP starts the scale at t = 10 unless the config sets one;
// the other objectives keep CLIP's 1/0.07.
func TestLossConfigApply(t *testing.T) {
	var cfg Config
	NewLossConfig(LossSigLIP).Apply(&cfg)
	if math.Abs(math.Exp(cfg.InitLogitScale)-10) > 1e-9 {
		t.Errorf("siglip initial scale %g, want 10", math.Exp(cfg.InitLogitScale))
	}
	cfg = Config{InitLogitScale: 1}
	NewLossConfig(LossSigLIP).Apply(&cfg)
	if cfg.InitLogitScale != 1 {
		t.Errorf("siglip overrode the configured log-scale 1 with %g", cfg.InitLogitScale)
	}
	cfg = Config{}
	NewLossConfig(LossNTXent).Apply(&cfg)
	if cfg.InitLogitScale != 0 {
		t.Errorf("ntxent changed the log-scale to %g", cfg.InitLogitScale)
	}
}

func TestLossConfigValidate(t *testing.T) {
	for _, kind := range LossKinds {
		if err := NewLossConfig(kind).Validate(); err != nil {
			t.Errorf("%s defaults: %v", kind, err)
		}
	}
	bad := func(f func(*LossConfig)) LossConfig { c := NewLossConfig(LossTriplet); f(&c); return c }
	for want, c := range map[string]LossConfig{
		"parameter loss":              bad(func(c *LossConfig) { c.Kind = "hinge" }),
		"parameter temperature":       bad(func(c *LossConfig) { c.Temperature = 0 }),
		"parameter margin":            bad(func(c *LossConfig) { c.Margin = math.NaN() }),
		"parameter triplet_negatives": bad(func(c *LossConfig) { c.Negatives = "all" }),
	} {
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: error %v, want one containing %q", c, err, want)
		}
	}
}
