// Package train runs mmdna experiments: it drives GoMLX's train.Loop with AdamW and a
// warmup + cosine schedule, gradient clipping, periodic evaluation, atomic
// checkpoints with resume, best-model tracking and a NaN guard, and reports what
// happens as Events to Sinks (metrics.jsonl, progress lines, the TUI's channel).
//
// Data order is a pure function of the step (see Source), so a resumed run trains on
// exactly the batches an uninterrupted run would have seen.
package train

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	gtrain "github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/metric"
	"github.com/mmdna/mmdna/rundir"
)

// Source yields the training batch of a given step.
type Source interface {
	// Batch returns the inputs and labels for step (0-based count of completed
	// updates). It must depend only on step and the source's own configuration and
	// seed: that is what makes resume exact. Ownership of the tensors passes to the
	// caller.
	Batch(step int) (inputs, labels []*tensors.Tensor, err error)
	// StepsPerEpoch is the number of steps that visit every training example once.
	StepsPerEpoch() int
	// BatchSize is the number of examples per batch, for throughput figures.
	BatchSize() int
}

// Metrics maps metric names to values (rundir.Metrics: null in JSON for a
// non-finite value). The key "loss" becomes Event.Loss.
type Metrics = rundir.Metrics

// Evaluation is handed to a Task's Evaluate and Report functions.
type Evaluation struct {
	Backend compute.Backend
	Store   *model.Store
	Split   string // "eval" during training, "test" at the end.
	Step    int    // training steps completed.
	Dir     string // the run directory: pictures go here.
	// Log sends a line to the run's sinks (progress output, UI).
	Log func(format string, args ...any)
	// Result is what Evaluate computed and a report draws from (embeddings, logits,
	// the examples it scored): Evaluate may leave it here, and the Evaluation that
	// Report receives carries the test evaluation's, so a report never evaluates again.
	Result any

	execs   []*model.Exec // finalized when the evaluation ends.
	details map[string]any
	samples []string
}

// Sample adds a line to the evaluation's examples of what the model outputs (a
// generated caption beside its reference): they travel on the eval event to the
// progress output and the TUI. Keep them few (about 4) and one line each.
func (ev *Evaluation) Sample(line string) {
	ev.samples = append(ev.samples, line)
}

// Detail attaches structured results that do not fit a number (a confusion matrix,
// per-class accuracies, retrieval examples). Details of the final test evaluation
// are written to results.json under "details".
func (ev *Evaluation) Detail(key string, value any) {
	if ev.details == nil {
		ev.details = map[string]any{}
	}
	ev.details[key] = value
}

// EvalExec builds an inference executor of fn over the model's current weights, valid
// for this evaluation only. GoMLX's go backend prefers constants for variables: in a
// graph not built for training, variable values are embedded as constants when the
// graph is compiled, so an executor kept from an earlier evaluation would keep
// answering with that step's weights. Building one per evaluation is cheap next to
// the evaluation itself, and the executors are freed when it ends.
func EvalExec[F model.ExecGraphFn](ev *Evaluation, fn F) (*model.Exec, error) {
	exec, err := model.NewExec(ev.Backend, ev.Store, fn)
	if err != nil {
		return nil, err
	}
	ev.execs = append(ev.execs, exec)
	return exec, nil
}

func (ev *Evaluation) close() {
	for _, e := range ev.execs {
		e.Finalize()
	}
	ev.execs = nil
}

// Task is what an experiment hands to Run: a model, its loss, its data and how to
// evaluate it.
type Task struct {
	// Model builds predictions from the inputs a Source yields (GoMLX's canonical
	// model function). It is called in training mode for the train step; Evaluate
	// usually builds its own inference graph from the same model code.
	Model gtrain.ModelFn
	// Loss turns (labels, predictions) into a scalar. It may be nil when Model adds
	// its losses with gomlx's train.AddLoss.
	Loss loss.LossFn
	Data Source
	// TrainMetrics are computed on every training batch and reported on step events
	// under their ShortName (e.g. a moving-average accuracy).
	TrainMetrics []metric.Interface
	// Evaluate computes metrics on held-out data of ev.Split. Required.
	Evaluate func(ev *Evaluation) (Metrics, error)
	// Init, optional, sets the starting values of variables in the fresh store before
	// the first step (pretrained weights, `-set init=DIR`); variables it does not
	// create are initialised by the model as usual. A resumed run does not call it: the
	// checkpoint holds every variable.
	Init func(store *model.Store) error
	// Report, optional, runs once at the end after the test evaluation: pictures
	// (predictions, attention maps, reconstructions) and extra files in ev.Dir.
	// ev.Result holds what the test evaluation left there.
	Report func(ev *Evaluation) error
	// ExampleUnit names what a batch counts, for throughput ("img" by default).
	ExampleUnit string
}

func (t *Task) validate() error {
	switch {
	case t.Model == nil:
		return fmt.Errorf("train: task has no model function")
	case t.Data == nil:
		return fmt.Errorf("train: task has no data source")
	case t.Evaluate == nil:
		return fmt.Errorf("train: task has no Evaluate function")
	case t.Data.StepsPerEpoch() < 1:
		return fmt.Errorf("train: the training set is smaller than one batch (%d examples per batch)", t.Data.BatchSize())
	}
	return nil
}
