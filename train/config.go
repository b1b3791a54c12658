package train

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/ml/model"
)

// Config holds the training hyperparameters every experiment shares. Experiments
// fill it from their parameters (see package experiments), so `-set lr=3e-4` reaches
// it by name.
type Config struct {
	Steps       int     // total optimisation steps.
	LR          float64 // peak learning rate, after warmup.
	MinLR       float64 // learning rate at the last step of the cosine.
	Warmup      int     // linear warmup steps.
	WeightDecay float64 // decoupled (AdamW) weight decay.
	Beta1       float64 // Adam's first-moment decay; 0.9.
	Beta2       float64 // Adam's second-moment decay; 0.999.
	Epsilon     float64 // Adam's epsilon; 1e-8 as PyTorch.
	ClipNorm    float64 // clip the global gradient norm to this; 0 disables.
	Seed        int64   // initialisation, dropout and data order.

	LogEvery  int // a step event every this many steps.
	EvalEvery int // evaluate every this many steps; 0: only at the end.
	CkptEvery int // checkpoint every this many steps; 0: only at the end.
	Keep      int // step checkpoints kept (the best one is kept apart); 0 keeps all.

	// BestMetric names the evaluation metric whose best value is tracked, with a
	// copy of that checkpoint in checkpoints/best; "" disables. BestLower says that
	// lower is better (for losses).
	BestMetric string
	BestLower  bool

	// NoDecay, if set, exempts variables from weight decay (see NoDecayRank1).
	NoDecay func(v *model.Variable) bool
}

// DefaultConfig returns sensible defaults; experiments override what they need.
func DefaultConfig() Config {
	return Config{Steps: 1000, LR: 1e-3, Warmup: 100, WeightDecay: 0.05, Beta1: 0.9, Beta2: 0.999,
		Epsilon: 1e-8, ClipNorm: 1.0, Seed: 1, LogEvery: 20, EvalEvery: 500, CkptEvery: 500, Keep: 3}
}

// Validate reports the first bad value, naming its parameter.
func (c Config) Validate() error {
	bad := func(name string, v any, want string) error {
		return fmt.Errorf("parameter %s=%v: %s", name, v, want)
	}
	switch {
	case c.Steps < 1:
		return bad("steps", c.Steps, "must be at least 1")
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return bad("lr", c.LR, "must be a positive number")
	case c.MinLR < 0 || c.MinLR > c.LR:
		return bad("min_lr", c.MinLR, "must be in [0, lr]")
	case c.Warmup < 0:
		return bad("warmup", c.Warmup, "must be >= 0")
	case c.WeightDecay < 0:
		return bad("weight_decay", c.WeightDecay, "must be >= 0")
	case c.Beta1 < 0 || c.Beta1 >= 1:
		return bad("beta1", c.Beta1, "must be in [0, 1)")
	case c.Beta2 < 0 || c.Beta2 >= 1:
		return bad("beta2", c.Beta2, "must be in [0, 1)")
	case !(c.Epsilon > 0):
		return bad("epsilon", c.Epsilon, "must be positive")
	case c.ClipNorm < 0:
		return bad("clip_norm", c.ClipNorm, "must be >= 0 (0 disables)")
	case c.LogEvery < 1:
		return bad("log_every", c.LogEvery, "must be at least 1")
	case c.EvalEvery < 0:
		return bad("eval_every", c.EvalEvery, "must be >= 0 (0: only at the end)")
	case c.CkptEvery < 0:
		return bad("ckpt_every", c.CkptEvery, "must be >= 0 (0: only at the end)")
	case c.Keep < 0:
		return bad("keep", c.Keep, "must be >= 0 (0 keeps all)")
	}
	return nil
}

func (c Config) schedule() Schedule {
	return Schedule{LR: c.LR, MinLR: c.MinLR, Warmup: c.Warmup, Steps: c.Steps}
}

func (c Config) optimizer() *AdamW {
	return &AdamW{Schedule: c.schedule(), WeightDecay: c.WeightDecay, Beta1: c.Beta1, Beta2: c.Beta2,
		Epsilon: c.Epsilon, ClipNorm: c.ClipNorm, NoDecay: c.NoDecay}
}

// better reports whether v improves on the best so far.
func (c Config) better(v float64, best *BestMetric) bool {
	if math.IsNaN(v) {
		return false
	}
	if best == nil {
		return true
	}
	if c.BestLower {
		return v < best.Value
	}
	return v > best.Value
}
