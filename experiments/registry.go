// Package experiments holds mmdna's named experiments in one registry. An experiment
// is a config, one file named after it, that reads like a big_vision config: the
// data, the model, the schedule, the metrics, and in its header the command to run it,
// its wall time on the reference 2-core machine and the result it reaches. It
// declares its hyperparameters in one place (Families, Params, Defaults, Smoke), and
// Params.Origin says where each value came from: train's defaults, the common
// parameters, a family, the experiment, the smoke size, -set or a resumed run.
//
// What several configs share is in task_<family>.go (the family's parameters and the
// train.Task builder) and data.go (the data families); data code is in datasets/,
// evaluation in eval/. cmd/train, cmd/tui, cmd/bench and the notebooks all run
// experiments through this package.
package experiments

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/gomlx/compute"
	"github.com/mmdna/mmdna/train"
)

// Experiment is a named, reproducible training run.
type Experiment struct {
	Name        string
	Description string // one line, for -list and the TUI.
	Wall        string // expected wall time at the default size on 2 cores, e.g. "6 min".
	// BenchOnly marks a benchmark-size experiment on synthetic data (cmd/bench): it
	// learns nothing worth watching, so the TUI's list leaves it out.
	BenchOnly bool
	// Families are the parameter sets the experiment shares with others (a model
	// family's sizes, a dataset's splits), each declared once in its family's file.
	// The common training parameters (CommonParams) come first, then the families',
	// then Params.
	Families []Family
	// Params are the experiment's own hyperparameters.
	Params []Param
	// Defaults set this experiment's values of any declared parameter (common, family
	// or own): with Params, the one place where its configuration is written.
	Defaults map[string]any
	// Smoke overrides applied with -set smoke=true: the same code path at a size that
	// finishes in about a minute. Keys the user sets explicitly win.
	Smoke map[string]any
	// BestMetric is the evaluation metric tracked for checkpoints/best ("" none);
	// BestLower says lower is better.
	BestMetric string
	BestLower  bool
	// NoDecayRank1 exempts biases, norm gains and scalars (CLIP's logit scale) from
	// weight decay, as open_clip does; the default decays every variable, as
	// torch.optim.AdamW does with one parameter group.
	NoDecayRank1 bool
	// Peer, optional, returns the command line of this experiment's PyTorch peer
	// (a script in bench/peers/) for the resolved parameters; cmd/bench runs it with
	// "--mode bench --batch N --steps S" appended and reads the JSON object on its
	// last line of output (img_per_s, step_s_median).
	Peer func(p *Params) []string
	// Build wires data and model into a task.
	Build func(env *Env) (*train.Task, error)
	// Study, set instead of Build, runs an experiment made of several trainings (an
	// ablation): it gets the run directory, the run's context, UI commands and sinks,
	// trains what it needs (typically train.Run in subdirectories) and writes
	// results.json itself. It must stop with train.ErrStopped when ctx is cancelled,
	// and skip finished parts on a second run (-resume).
	Study func(ctx context.Context, env *Env, run StudyRun) (*train.Results, error)
}

// StudyRun is what Job.Run hands to an Experiment.Study.
type StudyRun struct {
	Control     <-chan train.Command
	Sinks       []train.Sink
	BackendName string
	Resume      bool
}

// Env is what Build receives.
type Env struct {
	P       *Params
	Dir     string // the run directory (pictures, tokenizer files).
	Backend compute.Backend
	// Log reports a line of progress while building (data generation, loading).
	Log func(format string, args ...any)
}

var registry = map[string]*Experiment{}

// Register adds an experiment; it panics on a duplicate name (a programming error).
func Register(e *Experiment) {
	if _, dup := registry[e.Name]; dup {
		panic("experiments: duplicate experiment " + e.Name)
	}
	registry[e.Name] = e
}

// Get returns the named experiment, or an error listing the known ones.
func Get(name string) (*Experiment, error) {
	if e, ok := registry[name]; ok {
		return e, nil
	}
	return nil, fmt.Errorf("-exp %s: unknown experiment; known: %s", name, strings.Join(Names(), ", "))
}

// Names returns the registered experiment names, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// All returns the registered experiments, sorted by name.
func All() []*Experiment {
	out := make([]*Experiment, 0, len(registry))
	for _, n := range Names() {
		out = append(out, registry[n])
	}
	return out
}

// Default is the experiment `make run` starts: the embedded multimodal one when it is
// registered, else the smallest real experiment.
func Default() string {
	for _, n := range []string{"clip-shapes", "vit-fmnist", "mlp-spirals"} {
		if _, ok := registry[n]; ok {
			return n
		}
	}
	return Names()[0]
}

// Family is a named set of parameters that several experiments declare (a model
// family's sizes, a dataset's splits); -list names it as where a value came from.
type Family struct {
	Name   string
	Params []Param
}

// Where a parameter's value came from, as Params.Origin reports it and -list shows it.
const (
	FromTrain      = "train default" // train.DefaultConfig, through CommonParams.
	FromCommon     = "common"        // CommonParams' own defaults.
	FromFamily     = "family "       // followed by the family's name: its declaration.
	FromExperiment = "experiment"    // the experiment's Params or Defaults.
	FromSmoke      = "smoke"         // the experiment's Smoke, with -set smoke=true.
	FromSet        = "-set"          // the user.
	FromResume     = "resume"        // the run's config.json, on -resume.
)

// CommonParams are the training hyperparameters every experiment accepts. All but
// smoke and batch_size have train.DefaultConfig's defaults, and TrainConfig maps them
// back onto it.
func CommonParams() []Param {
	d := train.DefaultConfig()
	return []Param{
		{"smoke", false, "shrink everything to a ~1 minute run on the same code path"},
		{"steps", d.Steps, "optimisation steps"},
		{"batch_size", 128, "examples per training batch"},
		{"lr", d.LR, "peak learning rate (after warmup)"},
		{"min_lr", d.MinLR, "learning rate at the end of the cosine schedule"},
		{"warmup", d.Warmup, "linear warmup steps"},
		{"weight_decay", d.WeightDecay, "AdamW decoupled weight decay"},
		{"clip_norm", d.ClipNorm, "clip the global gradient norm (0 disables)"},
		{"seed", int(d.Seed), "seed for initialisation, dropout and data order"},
		{"log_every", d.LogEvery, "steps between progress lines"},
		{"eval_every", d.EvalEvery, "steps between evaluations (0: only at the end)"},
		{"ckpt_every", d.CkptEvery, "steps between checkpoints (0: only at the end)"},
		{"keep", d.Keep, "step checkpoints to keep (0 keeps all)"},
	}
}

// Resolve builds the parameters of e: the declared defaults, user sets, e.Defaults
// and (if smoke) the smoke sizes for keys the user did not set.
func (e *Experiment) Resolve(sets []string) (*Params, error) {
	p := e.NewParams()
	if err := p.ParseSets(sets); err != nil {
		return nil, err
	}
	if err := e.applyDefaults(p); err != nil {
		return nil, err
	}
	return p, nil
}

// NewParams returns e's declared parameters at their declared defaults: the common
// ones, the families', its own.
func (e *Experiment) NewParams() *Params {
	var decls []declared
	for _, p := range CommonParams() {
		origin := FromTrain
		if p.Key == "smoke" || p.Key == "batch_size" {
			origin = FromCommon
		}
		decls = append(decls, declared{p, origin})
	}
	for _, f := range e.Families {
		for _, p := range f.Params {
			decls = append(decls, declared{p, FromFamily + f.Name})
		}
	}
	for _, p := range e.Params {
		decls = append(decls, declared{p, FromExperiment})
	}
	return newParams(decls)
}

// applyDefaults sets e.Defaults, then with smoke e.Smoke, on the keys the user (or a
// resumed run's config.json) did not set.
func (e *Experiment) applyDefaults(p *Params) error {
	for k, v := range e.Defaults {
		if err := p.setDefault(k, v, FromExperiment); err != nil {
			return fmt.Errorf("experiment %s: %w", e.Name, err)
		}
	}
	if p.Bool("smoke") {
		for k, v := range e.Smoke {
			if err := p.setDefault(k, v, FromSmoke); err != nil {
				return fmt.Errorf("experiment %s: %w", e.Name, err)
			}
		}
	}
	return nil
}

// TrainConfig maps the common parameters onto train.Config.
func TrainConfig(p *Params) train.Config {
	c := train.DefaultConfig()
	c.Steps = p.Int("steps")
	c.LR = p.Float("lr")
	c.MinLR = p.Float("min_lr")
	c.Warmup = p.Int("warmup")
	c.WeightDecay = p.Float("weight_decay")
	c.ClipNorm = p.Float("clip_norm")
	c.Seed = int64(p.Int("seed"))
	c.LogEvery = p.Int("log_every")
	c.EvalEvery = p.Int("eval_every")
	c.CkptEvery = p.Int("ckpt_every")
	c.Keep = p.Int("keep")
	return c
}
