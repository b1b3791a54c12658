package train

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	gtrain "github.com/gomlx/gomlx/ml/train"
	"github.com/mmdna/mmdna/rundir"
)

// Options says where and how a Task runs.
type Options struct {
	Experiment string
	Dir        string // run directory: metrics.jsonl, results.json, checkpoints/ (see package rundir).
	Resume     bool   // continue from the newest checkpoint in Dir/checkpoints.
	Backend    compute.Backend
	// BackendName is the configuration the backend was made from ("go",
	// "xla:cuda"), for results.json; "" uses Backend.Name().
	BackendName string
	Params      map[string]any // the run's hyperparameters, recorded with checkpoints and results.
	Sinks       []Sink
	Control     <-chan Command // optional.
}

// Results is what a finished run writes to results.json (package rundir reads and
// writes it); Details come from the test evaluation (Evaluation.Detail).
type Results = rundir.Results

// ErrStopped is returned by Run when the context was cancelled: the run saved a
// checkpoint and can be resumed.
var ErrStopped = errors.New("training stopped")

// ErrNonFinite matches (errors.Is) the error of a run stopped by the NaN guard (the
// loss, the gradients' global norm or the updated weights became NaN or infinite; the
// last good checkpoint is kept), and of a checkpoint refused for non-finite weights.
var ErrNonFinite = errors.New("NaN or infinite values in training")

// Run trains task with cfg in opt.Dir, emitting events to opt.Sinks. When ctx is
// cancelled it finishes the current step, saves a checkpoint and returns ErrStopped.
// Any other error has already been reported as a KindFailed event; the last good
// checkpoint is never overwritten by a failed step.
func Run(ctx context.Context, task *Task, cfg Config, opt Options) (*Results, error) {
	r := &runner{task: task, cfg: cfg, opt: opt, ctx: ctx, ckptDir: filepath.Join(opt.Dir, rundir.CheckpointsDir)}
	res, err := r.run(ctx)
	if err != nil && !errors.Is(err, ErrStopped) {
		r.emit(Event{Kind: KindFailed, Step: r.step, Err: err})
	}
	if r.metrics != nil {
		if cerr := r.metrics.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	return res, err
}

type runner struct {
	task    *Task
	cfg     Config
	opt     Options
	ctx     context.Context
	ckptDir string
	store   *model.Store
	metrics *rundir.MetricsWriter

	step      int // training steps completed.
	lastCkpt  string
	lastEval  int // step of the last "eval" evaluation.
	best      *BestMetric
	details   map[string]any // of the test evaluation, for results.json.
	saveNow   bool
	startTime time.Time
	prevWallS float64       // wall time of earlier sessions of this run.
	paused    time.Duration // time spent paused, not counted as training time.

	// Throughput: steps and time after this session's first (compiling) step,
	// excluding evaluations, checkpoints and pauses.
	trainSteps  int
	trainTime   time.Duration
	window      stepWindow
	sessionStep int // steps done in this session.
}

type stepWindow struct {
	start   time.Time
	steps   int // timed steps (a session's first, compiling step is not timed).
	losses  int // steps whose loss is in lossSum (the first step's is).
	lossSum float64
	skipped time.Duration // evaluation/checkpoint/pause time inside the window.
}

// emit completes e and sends it to the sinks; step and eval events also go to
// metrics.jsonl.
func (r *runner) emit(e Event) { r.emitRecord(e, true) }

// emitRecord is emit; hasLoss false leaves the loss out of metrics.jsonl (an
// evaluation that reports none: e.Loss is 0, as events have it).
func (r *runner) emitRecord(e Event, hasLoss bool) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if e.Steps == 0 {
		e.Steps = r.cfg.Steps
	}
	if e.Step == 0 {
		e.Step = r.step
	}
	if e.Epoch == 0 && r.task.Data != nil {
		e.Epoch = float64(e.Step) / float64(r.task.Data.StepsPerEpoch())
	}
	if e.WallS == 0 && !r.startTime.IsZero() {
		e.WallS = r.wallS()
	}
	for _, s := range r.opt.Sinks {
		s.Emit(e)
	}
	if r.metrics != nil && (e.Kind == KindStep || e.Kind == KindEval) {
		rec := rundir.Record{Step: e.Step, Epoch: e.Epoch, Split: e.Split, TimeS: e.WallS, Metrics: e.Metrics}
		if hasLoss {
			rec.Loss = &e.Loss
		}
		r.metrics.Write(rec)
	}
}

func (r *runner) backendName() string {
	if r.opt.BackendName != "" {
		return r.opt.BackendName
	}
	return r.opt.Backend.Name()
}

func (r *runner) logf(format string, args ...any) {
	r.emit(Event{Kind: KindLog, Message: fmt.Sprintf(format, args...)})
}

func (r *runner) wallS() float64 {
	return r.prevWallS + (time.Since(r.startTime) - r.paused).Seconds()
}

func (r *runner) run(ctx context.Context) (*Results, error) {
	if err := r.task.validate(); err != nil {
		return nil, err
	}
	if err := r.cfg.Validate(); err != nil {
		return nil, err
	}
	if r.opt.Backend == nil {
		return nil, fmt.Errorf("train: no backend")
	}
	if err := os.MkdirAll(r.ckptDir, 0o755); err != nil {
		return nil, fmt.Errorf("run directory %s: %w", r.opt.Dir, unwrapPathErr(err))
	}
	r.store = model.NewStore()
	for k, v := range r.opt.Params { // hyperparameters travel with the store, as GoMLX expects.
		r.store.SetParam(k, v)
	}
	r.store.SetParam(model.ParamInitialSeed, r.cfg.Seed)
	if err := r.store.SetRNGStateFromSeed(r.cfg.Seed); err != nil {
		return nil, err
	}
	resumeStep := -1
	var skipped []string // log lines about damaged checkpoints, emitted once the run has started.
	if !r.opt.Resume && r.task.Init != nil {
		if err := r.task.Init(r.store); err != nil {
			return nil, err
		}
	}
	if r.opt.Resume {
		st, path, notes, err := resumeCheckpoint(r.ckptDir, r.store)
		if err != nil {
			return nil, err
		}
		r.step, r.prevWallS, r.best, r.lastCkpt, r.lastEval = st.Step, st.WallS, st.Best, path, st.Step
		resumeStep, skipped = st.Step, notes
	}
	var err error
	if r.metrics, err = rundir.OpenMetrics(r.opt.Dir, resumeStep); err != nil {
		return nil, fmt.Errorf("run directory %s: %w", r.opt.Dir, unwrapPathErr(err))
	}
	r.startTime = time.Now()
	// Metrics 0 and 1 are GoMLX's batch loss and its moving average, 2 and 3 the
	// step's health (stepHealthMetrics), then the task's.
	trainer := gtrain.NewTrainer(r.opt.Backend, r.store, r.task.Model, r.task.Loss, r.cfg.optimizer(),
		append(stepHealthMetrics(), r.task.TrainMetrics...), nil)
	if r.opt.Resume {
		if err := adoptMetricState(r.store, trainer.TrainMetrics()); err != nil {
			return nil, fmt.Errorf("%s: %w", r.lastCkpt, err)
		}
	}
	loop := gtrain.NewLoop(trainer)
	if loop.LoopStep != r.step {
		return nil, fmt.Errorf("%s: global step %d does not match the checkpoint's step %d", r.lastCkpt, loop.LoopStep, r.step)
	}
	what := fmt.Sprintf("training %s for %d steps on %s in %s", r.opt.Experiment, r.cfg.Steps, r.backendName(), r.opt.Dir)
	if r.opt.Resume {
		what = fmt.Sprintf("resuming %s at step %d of %d from %s", r.opt.Experiment, r.step, r.cfg.Steps, r.lastCkpt)
	}
	r.emit(Event{Kind: KindStart, Message: what, Path: r.opt.Dir})
	for _, note := range skipped {
		r.logf("%s", note)
	}

	if r.step >= r.cfg.Steps {
		if res, err := rundir.ReadResults(r.opt.Dir); err == nil {
			r.emit(Event{Kind: KindFinished, Path: r.opt.Dir, Metrics: res.Metrics, Message: fmt.Sprintf(
				"%s already finished at step %d; to train longer, resume with a larger steps", r.opt.Experiment, r.step)})
			return res, nil
		}
	} else {
		loop.OnStep("mmdna", 0, r.onStep)
		ds := &stepDataset{src: r.task.Data, start: r.step}
		if _, err := loop.RunSteps(ds, r.cfg.Steps-r.step); err != nil {
			return nil, r.stepError(err)
		}
	}
	return r.finish()
}

// stepError turns the loop's error into what Run returns, saving a checkpoint first
// when the run was stopped on request.
func (r *runner) stepError(err error) error {
	if errors.Is(err, ErrStopped) {
		if r.lastCkpt == "" || filepath.Base(r.lastCkpt) != fmt.Sprintf("%s%08d", stepPrefix, r.step) {
			if cerr := r.checkpoint(); cerr != nil {
				return cerr
			}
		}
		r.emit(Event{Kind: KindStopped, Path: r.lastCkpt,
			Message: fmt.Sprintf("stopped at step %d; checkpoint %s (resume with -resume)", r.step, r.lastCkpt)})
		return ErrStopped
	}
	var nan *nanError
	if errors.As(err, &nan) {
		return nan
	}
	return err
}

type nanError struct {
	what     string // "loss is NaN", "gradient norm is +Inf", ...
	step     int
	lastCkpt string
}

// Is makes errors.Is(err, ErrNonFinite) true.
func (e *nanError) Is(target error) bool { return target == ErrNonFinite }

func (e *nanError) Error() string {
	where := "no checkpoint was saved yet"
	if e.lastCkpt != "" {
		where = "last good checkpoint: " + e.lastCkpt
	}
	return fmt.Sprintf("%s at step %d, training stopped (%s); lower lr or raise warmup", e.what, e.step, where)
}

// onStep runs after every training step: NaN guard, progress, evaluation,
// checkpoints and UI commands, in that order, so a checkpoint is never taken from a
// step whose loss, gradient norm or updated weights were not finite.
func (r *runner) onStep(loop *gtrain.Loop, metrics []*tensors.Tensor) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("at step %d: %v", r.step, p)
		}
	}()
	now := time.Now()
	r.step = loop.LoopStep + 1
	r.sessionStep++
	loss := shapes.ConvertTo[float64](metrics[0].Value())
	if what := stepHealth(loss, metrics); what != "" {
		return &nanError{what: what, step: r.step, lastCkpt: r.lastCkpt}
	}
	if r.sessionStep == 1 {
		// The first step of a session includes graph compilation: time from here,
		// but keep its loss (the curve should start where training starts).
		r.window = stepWindow{start: now}
	} else {
		r.window.steps++
	}
	r.window.losses++
	r.window.lossSum += loss
	if r.step%r.cfg.LogEvery == 0 && r.window.steps > 0 {
		r.emitStep(loop, metrics, now)
	}
	if r.cfg.EvalEvery > 0 && r.step%r.cfg.EvalEvery == 0 && r.step < r.cfg.Steps {
		t0 := time.Now()
		if _, err := r.evaluate("eval"); err != nil {
			return err
		}
		r.window.skipped += time.Since(t0)
	}
	if (r.cfg.CkptEvery > 0 && r.step%r.cfg.CkptEvery == 0 && r.step < r.cfg.Steps) || r.saveNow {
		t0 := time.Now()
		r.saveNow = false
		if err := r.checkpoint(); err != nil {
			return err
		}
		r.window.skipped += time.Since(t0)
	}
	return r.control(loop)
}

func (r *runner) emitStep(loop *gtrain.Loop, metrics []*tensors.Tensor, now time.Time) {
	elapsed := now.Sub(r.window.start) - r.window.skipped
	r.trainSteps += r.window.steps
	r.trainTime += elapsed
	perStep := elapsed.Seconds() / float64(r.window.steps)
	m := Metrics{
		rundir.LR:      r.cfg.schedule().At(r.step - 1),
		rundir.ImgPerS: float64(r.task.Data.BatchSize()) / perStep,
	}
	for i, mi := range loop.Trainer.TrainMetrics() {
		// 0, 1: the batch loss and its moving average; the weights' finiteness is always 1 here.
		if i >= 2 && i < len(metrics) && mi.ShortName() != metricWeightsFinite {
			m[mi.ShortName()] = shapes.ConvertTo[float64](metrics[i].Value())
		}
	}
	eta := time.Duration(float64(r.cfg.Steps-r.step) * perStep * float64(time.Second))
	r.emit(Event{Kind: KindStep, Split: "train", Loss: r.window.lossSum / float64(r.window.losses), Metrics: m, ETA: eta})
	r.window = stepWindow{start: now}
}

// control applies UI commands and cancellation between steps.
func (r *runner) control(loop *gtrain.Loop) error {
	paused := false
	for {
		if !paused {
			if ctxDone(r.ctx) {
				return ErrStopped
			}
			select {
			case cmd := <-r.opt.Control:
				paused = r.apply(cmd, paused)
				continue
			default:
				return nil
			}
		}
		t0 := time.Now()
		select {
		case <-r.ctx.Done():
			r.paused += time.Since(t0)
			return ErrStopped
		case cmd := <-r.opt.Control:
			r.paused += time.Since(t0)
			r.window.skipped += time.Since(t0)
			paused = r.apply(cmd, paused)
			if !paused {
				r.emit(Event{Kind: KindResumed, Message: fmt.Sprintf("resumed at step %d", r.step)})
			}
		}
	}
}

func (r *runner) apply(cmd Command, paused bool) bool {
	switch cmd {
	case CmdPause:
		paused = true
	case CmdResume:
		paused = false
	case CmdTogglePause:
		paused = !paused
	case CmdSave:
		r.saveNow = true
		if paused { // save right away: no step will run until resumed.
			r.saveNow = false
			if err := r.checkpoint(); err != nil {
				r.logf("checkpoint failed: %v", err)
			}
		}
	}
	if paused {
		r.emit(Event{Kind: KindPaused, Message: fmt.Sprintf("paused at step %d", r.step)})
	}
	return paused
}

// stepDataset adapts a Source to GoMLX's Dataset, yielding batches from step
// `start` on; the next batch is prepared on another goroutine while a step runs.
type stepDataset struct {
	src   Source
	start int
}

func (d *stepDataset) Name() string { return "train" }

func (d *stepDataset) Iter() iter.Seq2[gtrain.Batch, error] {
	return func(yield func(gtrain.Batch, error) bool) {
		type item struct {
			b   gtrain.Batch
			err error
		}
		ch := make(chan item, 1)
		done := make(chan struct{})
		defer close(done)
		go func() {
			for step := d.start; ; step++ {
				in, lab, err := d.src.Batch(step)
				select {
				case ch <- item{gtrain.Batch{Inputs: in, Labels: lab}, err}:
				case <-done:
					return
				}
				if err != nil {
					return
				}
			}
		}()
		for it := range ch {
			if !yield(it.b, it.err) || it.err != nil {
				return
			}
		}
	}
}

func ctxDone(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return true
	default:
		return false
	}
}
