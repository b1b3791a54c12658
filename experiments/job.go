package experiments

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gomlx/compute"
	"github.com/mmdna/mmdna/rundir"
	"github.com/mmdna/mmdna/train"
)

// Request is what a user asks for on the command line or in the TUI.
type Request struct {
	Name    string
	Sets    []string // "k=v;k2=v2" strings, as given to -set.
	Out     string   // run directory; "" means runs/<name>.
	Resume  bool     // continue the run in Out.
	Fresh   bool     // replace the run in Out.
	Backend compute.Backend
	// BackendName is the configuration the backend came from, for results.json.
	BackendName string
	Log         func(format string, args ...any) // progress while building; nil is silent.
}

// Job is a prepared run: parameters resolved, run directory ready, task built.
type Job struct {
	Exp    *Experiment
	Params *Params
	Dir    string
	Resume bool
	Task   *train.Task // nil for a Study.
	Config train.Config
	req    Request
	env    *Env
}

// Prepare resolves the request into a job. Errors are one line, naming the flag,
// file or parameter at fault; nothing in an existing run directory is touched
// unless the request says -fresh, and then only what a run wrote (rundir.RemoveRun).
func Prepare(req Request) (*Job, error) {
	exp, err := Get(req.Name)
	if err != nil {
		return nil, err
	}
	if req.Resume && req.Fresh {
		return nil, errors.New("-resume and -fresh exclude each other")
	}
	dir := runDir(req)
	params, marked, err := resolveForDir(exp, dir, req)
	if err != nil {
		return nil, err
	}
	if err := prepareDir(dir, req.Resume, req.Fresh); err != nil {
		return nil, err
	}
	if req.Resume && exp.Study == nil {
		if latest, _ := train.LatestCheckpoint(filepath.Join(dir, rundir.CheckpointsDir)); latest == "" {
			return nil, fmt.Errorf("-resume: %s has no checkpoint to resume from (the run stopped before its first); start it again with -fresh", dir)
		}
	}
	// A resume with -set records the new values; one of a run from before the
	// marker marks it.
	if !req.Resume || len(req.Sets) > 0 || !marked {
		if err := rundir.WriteConfig(dir, rundir.Config{Experiment: exp.Name, Params: params.Map()}); err != nil {
			return nil, fmt.Errorf("-out %s: %w", dir, unwrap(err))
		}
	}
	cfg := TrainConfig(params)
	cfg.BestMetric, cfg.BestLower = exp.BestMetric, exp.BestLower
	if exp.NoDecayRank1 {
		cfg.NoDecay = train.NoDecayRank1
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	logf := req.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	job := &Job{Exp: exp, Params: params, Dir: dir, Resume: req.Resume, Config: cfg, req: req,
		env: &Env{P: params, Dir: dir, Backend: req.Backend, Log: logf}}
	if exp.Study != nil {
		return job, nil
	}
	if job.Task, err = exp.Build(job.env); err != nil {
		return nil, err
	}
	return job, nil
}

// resolveForDir resolves parameters; a resume starts from the run's config.json and
// applies the request's -set on top (e.g. more steps). marked is false for a resume
// of a run from before the run marker (rundir.Config.Marked).
func resolveForDir(exp *Experiment, dir string, req Request) (p *Params, marked bool, err error) {
	if !req.Resume {
		p, err = exp.Resolve(req.Sets)
		return p, true, err
	}
	rc, err := rundir.ReadConfig(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("-resume: %s has no run to resume (no %s); start one without -resume", dir, rundir.ConfigFile)
	}
	if err != nil {
		return nil, false, fmt.Errorf("-resume: %w", err)
	}
	if rc.Experiment != exp.Name {
		return nil, false, fmt.Errorf("-resume: %s holds a run of %s, not %s", dir, rc.Experiment, exp.Name)
	}
	p = exp.NewParams()
	for k, v := range rc.Params {
		if err := p.setAny(k, v); err != nil {
			return nil, false, fmt.Errorf("-resume: %s: %v", filepath.Join(dir, rundir.ConfigFile), err)
		}
	}
	if err := p.ParseSets(req.Sets); err != nil {
		return nil, false, err
	}
	// Keys the run's config.json lacks (parameters added since) take this
	// experiment's values, not their bare declarations.
	if err := exp.applyDefaults(p); err != nil {
		return nil, false, err
	}
	return p, rc.Marked(), nil
}

// Resolved returns the parameters a request would run with, without touching its run
// directory: the experiment's, or with Resume the run's config.json, with the
// request's -set on top. Params.Origin says where each value came from (what
// `cmd/train -exp NAME -list` prints).
func Resolved(req Request) (*Experiment, *Params, error) {
	exp, err := Get(req.Name)
	if err != nil {
		return nil, nil, err
	}
	p, _, err := resolveForDir(exp, runDir(req), req)
	return exp, p, err
}

// runDir is the request's run directory: -out, or runs/<experiment>.
func runDir(req Request) string {
	if req.Out != "" {
		return req.Out
	}
	return filepath.Join("runs", req.Name)
}

// prepareDir applies the run-directory contract: a new directory, or one where no
// training has started (a failed start leaves only config.json), is used as is; a
// directory holding a run needs -resume or -fresh, and -fresh removes only what a
// run wrote. A config.json that is not a run's is never overwritten.
func prepareDir(dir string, resume, fresh bool) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if resume {
			return fmt.Errorf("-resume: %s does not exist", dir)
		}
	case err != nil:
		return fmt.Errorf("-out %s: %w", dir, unwrap(err))
	case resume:
	case fresh && len(entries) > 0:
		if err := rundir.RemoveRun(dir); err != nil {
			return fmt.Errorf("-fresh: %w", err)
		}
	case HoldsRun(dir):
		return fmt.Errorf("-out %s already holds a run: continue it with -resume or replace it with -fresh", dir)
	default:
		if _, err := rundir.ReadConfig(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("-out: %w; choose another directory", err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("-out %s: %w", dir, unwrap(err))
	}
	probe, err := os.CreateTemp(dir, rundir.WriteProbePattern)
	if err != nil {
		return fmt.Errorf("-out %s: not writable: %w", dir, unwrap(err))
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// HoldsRun says whether training has started in dir (metrics or checkpoints exist),
// the test Prepare applies before it refuses a directory without -resume or -fresh.
func HoldsRun(dir string) bool {
	if fi, err := os.Stat(filepath.Join(dir, rundir.MetricsFile)); err == nil && fi.Size() > 0 {
		return true
	}
	latest, _ := train.LatestCheckpoint(filepath.Join(dir, rundir.CheckpointsDir))
	return latest != ""
}

// Run trains the job, reporting to sinks; control may be nil.
func (j *Job) Run(ctx context.Context, control <-chan train.Command, sinks ...train.Sink) (*train.Results, error) {
	if j.Exp.Study != nil {
		return j.Exp.Study(ctx, j.env, StudyRun{Control: control, Sinks: sinks, BackendName: j.req.BackendName, Resume: j.Resume})
	}
	return train.Run(ctx, j.Task, j.Config, train.Options{Experiment: j.Exp.Name, Dir: j.Dir, Resume: j.Resume,
		Backend: j.req.Backend, BackendName: j.req.BackendName, Params: j.Params.Map(), Sinks: sinks, Control: control})
}

func unwrap(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
