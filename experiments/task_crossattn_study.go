package experiments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/mmdna/mmdna/datasets/pairs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mmdna/mmdna/models/crossattn"
	"github.com/mmdna/mmdna/rundir"
	"github.com/mmdna/mmdna/train"
)

// The ablation is a Study: it trains the versions one by one, each with train.Run in
// versions/<name>/ (a normal crossattn-match run directory), then writes the table,
// the CSV and the curves, and results.json. Versions whose run directory holds
// results.json (or failed.json) are not trained again, so running it again after an
// interruption goes on with the next version. A version that fails is recorded with
// its error and the others go on.

// crossAttnAblation holds what the versions share: parameters, data and where they go.
type crossAttnAblation struct {
	env      *Env
	data     *pairs.Data
	versions []string
	results  []versionResult
	run      StudyRun
}

func studyCrossAttnAblation(ctx context.Context, env *Env, run StudyRun) (*train.Results, error) {
	start := time.Now()
	versions, err := parseCrossAttnVersions(env.P.String("versions"))
	if err != nil {
		return nil, err
	}
	a := &crossAttnAblation{env: env, versions: versions, run: run}
	a.emit(train.Event{Kind: train.KindStart, Path: env.Dir, Message: fmt.Sprintf(
		"ablation of %d versions in %s", len(versions), env.Dir)})
	if a.data, err = loadPairs(env); err != nil {
		return nil, a.fail(err)
	}
	if err := a.trainAll(ctx); err != nil {
		if errors.Is(err, train.ErrStopped) {
			a.emit(train.Event{Kind: train.KindStopped, Path: env.Dir, Message: err.Error()})
			return nil, train.ErrStopped
		}
		return nil, a.fail(err)
	}
	paths, err := writeAblationOutputs(env.Dir, a.results)
	if err != nil {
		return nil, a.fail(err)
	}
	a.logf("wrote %s", strings.Join(paths, ", "))
	steps := 0
	for _, r := range a.results {
		steps += r.Steps
	}
	res := &train.Results{Experiment: "crossattn-ablation", Backend: run.BackendName, Steps: steps,
		WallS: time.Since(start).Seconds(), Metrics: ablationMetrics(a.results), Params: env.P.Map(),
		Details: map[string]any{"versions": a.results}, FinishedAt: time.Now().UTC().Round(time.Second)}
	if err := rundir.WriteResults(env.Dir, res); err != nil {
		return nil, a.fail(err)
	}
	a.emit(train.Event{Kind: train.KindFinished, Path: env.Dir, Metrics: res.Metrics, Message: fmt.Sprintf(
		"ablation finished: %d versions in %s; results in %s", len(a.results),
		time.Since(start).Round(time.Second), filepath.Join(env.Dir, rundir.ResultsFile))})
	return res, nil
}

// emit sends an event of the ablation itself to the run's sinks.
func (a *crossAttnAblation) emit(e train.Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	for _, s := range a.run.Sinks {
		s.Emit(e)
	}
}

func (a *crossAttnAblation) logf(format string, args ...any) {
	a.emit(train.Event{Kind: train.KindLog, Message: fmt.Sprintf(format, args...)})
}

func (a *crossAttnAblation) fail(err error) error {
	a.emit(train.Event{Kind: train.KindFailed, Err: err})
	return err
}

// versionSinks relays a version's events to the run's sinks: progress, evaluations,
// checkpoints and pauses as they are (a UI shows the version in training); the
// version's start, end and failure become log lines, since they do not end the
// ablation.
func (a *crossAttnAblation) versionSinks(v string) []train.Sink {
	return []train.Sink{train.SinkFunc(func(e train.Event) {
		switch e.Kind {
		case train.KindStart, train.KindFinished, train.KindStopped:
			e = train.Event{Kind: train.KindLog, Time: e.Time, Message: "[" + v + "] " + e.Message}
		case train.KindFailed:
			e = train.Event{Kind: train.KindLog, Time: e.Time, Message: fmt.Sprintf("[%s] failed: %v", v, e.Err)}
		}
		a.emit(e)
	})}
}

// parseCrossAttnVersions reads the versions parameter: "all" is the chapter's run list.
func parseCrossAttnVersions(s string) ([]string, error) {
	if strings.TrimSpace(s) == "all" {
		return crossattn.ChapterOrder, nil
	}
	var out []string
	for _, v := range strings.Split(s, ",") {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if _, err := crossattn.Get(v); err != nil {
			return nil, fmt.Errorf("parameter versions=%s: %w", s, err)
		}
		if slices.Contains(out, v) {
			return nil, fmt.Errorf("parameter versions=%s: %s is listed twice", s, v)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("parameter versions=%q: name at least one version, or all", s)
	}
	return out, nil
}

// ablationMetrics summarises the versions: counts by status and verdict, and "loss",
// the mean final validation loss of the versions that trained.
func ablationMetrics(rs []versionResult) train.Metrics {
	m := train.Metrics{"versions": float64(len(rs))}
	var loss float64
	var n int
	for _, r := range rs {
		m[r.Status]++
		if r.Verdict != nil && r.Verdict.TrainedWell {
			m["probe_trained_well"]++
		}
		if r.Summary != nil {
			m["test_trained_well_mean"] += float64(r.Summary.TrainedWell) / float64(len(rs))
		}
		if r.Status != statusFailed && !math.IsNaN(float64(r.ValLoss)) {
			loss += float64(r.ValLoss)
			n++
		}
	}
	m[rundir.Loss] = math.NaN()
	if n > 0 {
		m[rundir.Loss] = loss / float64(n)
	}
	return m
}

// trainAll trains the versions in order; cancelling ctx stops the version in
// training after a checkpoint and returns train.ErrStopped.
func (a *crossAttnAblation) trainAll(ctx context.Context) error {
	a.results = a.results[:0]
	for i, v := range a.versions {
		a.logf("version %s (%d of %d)", v, i+1, len(a.versions))
		r, err := a.runVersion(ctx, v)
		if err != nil {
			return err
		}
		a.results = append(a.results, r)
		a.logf("version %s: %s, %d steps in %.0f s, val loss %.4f", v, r.describe(), r.Steps, float64(r.WallS), float64(r.ValLoss))
	}
	return nil
}

func (a *crossAttnAblation) versionDir(v string) string {
	return filepath.Join(a.env.Dir, rundir.VersionsDir, v)
}

// versionParams are the parameters of version v's crossattn-match run.
func (a *crossAttnAblation) versionParams(v string) map[string]any {
	p := a.env.P.Map()
	delete(p, "versions")
	p["version"] = v
	return p
}

// runVersion trains version v unless its directory holds a finished or failed run.
// Its error is for the ablation as a whole (interrupted, or a directory trained with
// other parameters); the version's own failure is recorded in the result.
func (a *crossAttnAblation) runVersion(ctx context.Context, v string) (versionResult, error) {
	dir := a.versionDir(v)
	params := a.versionParams(v)
	if r, done, err := readVersion(dir, v, params, a.env.P.Int("batch_size")); done || err != nil {
		if done {
			a.logf("version %s: already done in %s", v, dir)
		}
		return r, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return versionResult{}, fmt.Errorf("versions: %w", err)
	}
	if err := rundir.WriteConfig(dir, rundir.Config{Experiment: "crossattn-match", Params: params}); err != nil {
		return versionResult{}, err
	}
	latest, _ := train.LatestCheckpoint(filepath.Join(dir, rundir.CheckpointsDir))
	start := time.Now()
	err := trainVersion(ctx, a, v, dir, params, latest != "")
	if errors.Is(err, train.ErrStopped) {
		return versionResult{}, fmt.Errorf("%w: ablation interrupted during version %s (checkpoint saved); run it again to continue", err, v)
	}
	if err != nil {
		f := versionFailure{Error: err.Error(), WallS: time.Since(start).Seconds(), Diverged: errors.Is(err, train.ErrNonFinite)}
		data, _ := json.MarshalIndent(f, "", "  ")
		if werr := rundir.WriteFileAtomic(filepath.Join(dir, rundir.FailedFile), append(data, '\n')); werr != nil {
			return versionResult{}, werr
		}
		a.logf("version %s failed: %v", v, err)
	}
	r, _, err := readVersion(dir, v, params, a.env.P.Int("batch_size"))
	return r, err
}

// trainVersion builds and trains one version; a panic in its code becomes an error.
func trainVersion(ctx context.Context, a *crossAttnAblation, v, dir string, params map[string]any, resume bool) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("version %s: %v", v, p)
		}
	}()
	task, err := crossAttnTask(a.env.P, a.data, v)
	if err != nil {
		return err
	}
	_, err = train.Run(ctx, task, TrainConfig(a.env.P), train.Options{Experiment: "crossattn-match", Dir: dir,
		Resume: resume, Backend: a.env.Backend, BackendName: a.run.BackendName, Params: params,
		Sinks: a.versionSinks(v), Control: a.run.Control})
	return err
}

func pathExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// diffRunParams reports the keys whose values differ between a run's config.json and
// want (compared as JSON, where integers are numbers).
func diffRunParams(dir string, want map[string]any) ([]string, error) {
	rc, err := rundir.ReadConfig(dir)
	if err != nil {
		return nil, err
	}
	wantJSON, _ := json.Marshal(want)
	var norm map[string]any
	_ = json.Unmarshal(wantJSON, &norm)
	var diff []string
	for _, k := range slices.Sorted(maps.Keys(norm)) {
		a, _ := json.Marshal(rc.Params[k])
		b, _ := json.Marshal(norm[k])
		if string(a) != string(b) {
			diff = append(diff, fmt.Sprintf("%s=%s (now %s)", k, a, b))
		}
	}
	return diff, nil
}

func errSmallSplit(sp *pairs.Split, b int) error {
	return fmt.Errorf("%s: %d images, fewer than one batch of %d for evaluation", sp.Name, sp.N, b)
}
