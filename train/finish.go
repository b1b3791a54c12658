package train

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"time"

	"github.com/mmdna/mmdna/rundir"
)

// evaluation returns the Evaluation handed to the task for split.
func (r *runner) evaluation(split string) *Evaluation {
	return &Evaluation{Backend: r.opt.Backend, Store: r.store, Split: split, Step: r.step, Dir: r.opt.Dir, Log: r.logf}
}

// evaluate runs the task's evaluation on split and emits it; on "eval" it also
// tracks the best metric and keeps a copy of that checkpoint.
func (r *runner) evaluate(split string) (Metrics, error) {
	m, _, err := r.evaluateResult(split)
	return m, err
}

// evaluateResult is evaluate that also returns what Evaluate left in ev.Result.
func (r *runner) evaluateResult(split string) (Metrics, any, error) {
	m, result, samples, err := r.callEvaluate(split)
	if err != nil {
		return nil, nil, err
	}
	if split == "eval" {
		r.lastEval = r.step
	}
	rest := maps.Clone(m)
	loss, hasLoss := rest[rundir.Loss]
	delete(rest, rundir.Loss)
	r.emitRecord(Event{Kind: KindEval, Split: split, Loss: loss, Metrics: rest, Samples: samples}, hasLoss)
	if split == "eval" && r.cfg.BestMetric != "" {
		v, ok := m[r.cfg.BestMetric]
		if !ok {
			return nil, nil, fmt.Errorf("best_metric %q is not among the evaluation metrics %v", r.cfg.BestMetric, Event{Metrics: m}.MetricNames())
		}
		if r.cfg.better(v, r.best) {
			r.best = &BestMetric{Metric: r.cfg.BestMetric, Value: v, Step: r.step}
			path, err := SaveBestCheckpoint(r.ckptDir, r.store, r.state())
			if err != nil {
				return nil, nil, err
			}
			r.logf("new best %s %.4f at step %d -> %s", r.cfg.BestMetric, v, r.step, path)
		}
	}
	return m, result, nil
}

// callEvaluate runs the task's Evaluate, turning a panic in graph building into an
// error; result is what Evaluate left in ev.Result, samples its ev.Sample lines.
func (r *runner) callEvaluate(split string) (m Metrics, result any, samples []string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("evaluating %s at step %d: %v", split, r.step, p)
		}
	}()
	ev := r.evaluation(split)
	defer ev.close()
	defer func() {
		if split == "test" {
			r.details = ev.details
		}
	}()
	m, err = r.task.Evaluate(ev)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("evaluating %s at step %d: %w", split, r.step, err)
	}
	return m, ev.Result, ev.samples, nil
}

func (r *runner) state() CheckpointState {
	return CheckpointState{Step: r.step, WallS: r.wallS(), Best: r.best, Params: r.opt.Params}
}

func (r *runner) checkpoint() error {
	path, err := SaveCheckpoint(r.ckptDir, r.store, r.state(), r.cfg.Keep)
	if err != nil {
		return err
	}
	r.lastCkpt = path
	r.emit(Event{Kind: KindCheckpoint, Path: path})
	return nil
}

// finish runs after the last step: a last evaluation and checkpoint if the periodic
// ones missed the final step, the test evaluation, the task's report, results.json.
func (r *runner) finish() (*Results, error) {
	if r.window.steps > 0 { // steps after the last progress line.
		r.trainSteps += r.window.steps
		r.trainTime += time.Since(r.window.start) - r.window.skipped
		r.window = stepWindow{}
	}
	if r.lastEval != r.step {
		if _, err := r.evaluate("eval"); err != nil {
			return nil, err
		}
	}
	if r.lastCkpt == "" || filepath.Base(r.lastCkpt) != fmt.Sprintf("%s%08d", stepPrefix, r.step) {
		if err := r.checkpoint(); err != nil {
			return nil, err
		}
	}
	test, result, err := r.evaluateResult("test")
	if err != nil {
		return nil, err
	}
	if r.task.Report != nil {
		if err := r.report(result); err != nil {
			return nil, err
		}
	}
	imgPerS := 0.0
	if r.trainTime > 0 {
		imgPerS = float64(r.trainSteps*r.task.Data.BatchSize()) / r.trainTime.Seconds()
	}
	res := &Results{Experiment: r.opt.Experiment, Backend: r.backendName(), Steps: r.step,
		WallS: r.wallS(), TrainImgPerS: imgPerS, Metrics: test, Best: r.best, Params: r.opt.Params, Details: r.details,
		FinishedAt: time.Now().UTC().Round(time.Second)}
	if err := rundir.WriteResults(r.opt.Dir, res); err != nil {
		return nil, err
	}
	r.emit(Event{Kind: KindFinished, Path: r.opt.Dir, Metrics: test,
		Message: fmt.Sprintf("finished %d steps in %s; results in %s", r.step,
			time.Duration(r.wallS()*float64(time.Second)).Round(time.Second), filepath.Join(r.opt.Dir, rundir.ResultsFile))})
	return res, nil
}

// report runs the task's Report with what the test evaluation left in ev.Result.
func (r *runner) report(result any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("writing the report: %v", p)
		}
	}()
	if err := os.MkdirAll(r.opt.Dir, 0o755); err != nil {
		return err
	}
	ev := r.evaluation("test")
	ev.Result = result
	defer ev.close()
	if err := r.task.Report(ev); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}
