// Package tui is mmdna's terminal user interface, built with Bubble Tea: an opening
// screen that lists the experiments, a form to edit their parameters, a question
// when the run directory already holds a run, and the training view with progress,
// live charts, evaluation tables, checkpoints and log lines.
//
// The package imports no graph code (no GoMLX, no train, no experiments): it sees
// experiments through the Catalog interface and runs through events.Event, so it
// builds and is tested without a backend. cmd/tui adapts the experiments registry to
// Catalog.
package tui

import "github.com/mmdna/mmdna/events"

// Experiment is one entry of the opening screen.
type Experiment struct {
	Name        string
	Description string // one line.
	Wall        string // expected wall time at the default size, e.g. "20 s".
}

// Param is one resolved hyperparameter, formatted for display and editing.
type Param struct {
	Key   string
	Value string
	Doc   string
}

// RunInfo says what an experiment's run directory already holds.
type RunInfo struct {
	Dir string
	// Exists says training has started there: starting again needs resume or fresh.
	Exists bool
	// Resumable says a checkpoint exists to resume from.
	Resumable bool
	// Finished says the run reached its last step and wrote its results.
	Finished   bool
	Step       int    // steps in the newest checkpoint.
	Checkpoint string // the newest checkpoint's directory ("" none).
	Steps      int    // steps the run planned (0 unknown).
}

// Request asks the catalog to start a run.
type Request struct {
	Name   string
	Sets   []string // "key=value" strings, as -set takes them.
	Resume bool     // continue the run in the run directory.
	Fresh  bool     // replace the run in the run directory.
}

// Session is a run that has been started.
type Session struct {
	Dir string // the run directory.
	// Events delivers the run's events in order, preparation logs included; it is
	// closed when the run's goroutine has returned (after stopped, finished or failed).
	Events <-chan events.Event
	// Control steers the run; the UI never blocks on it (give it a buffer).
	Control chan<- events.Command
	// Stop asks the run to stop: it saves a checkpoint, emits a stopped event and
	// closes Events.
	Stop func()
}

// Catalog is what the UI needs from the experiments registry and the trainer.
type Catalog interface {
	// Experiments lists the experiments in display order.
	Experiments() []Experiment
	// Default names the experiment selected when the UI opens.
	Default() string
	// Params resolves an experiment's parameters with sets applied; the error (one
	// line, naming the key) is why sets are not valid.
	Params(name string, sets []string) ([]Param, error)
	// Existing says what the experiment's run directory holds.
	Existing(name string) RunInfo
	// Backend describes the compute backend and device, for the header.
	Backend() string
	// Start begins the run in the background and returns at once; preparation
	// errors arrive as a failed event.
	Start(req Request) (*Session, error)
}
