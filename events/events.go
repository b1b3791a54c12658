// Package events holds what a training run reports and what steers it: Event, Sink
// and Command. It imports no graph code, so user interfaces (cmd/tui) can depend on
// it alone; package train emits these events.
package events

import (
	"maps"
	"slices"
	"time"
)

// Kind says what an Event reports.
type Kind string

// The kinds of events a run emits, in the order a run usually emits them.
const (
	KindStart      Kind = "start"      // the run begins (or resumes); Message says which.
	KindStep       Kind = "step"       // training progress, every LogEvery steps.
	KindEval       Kind = "eval"       // evaluation results; Split is "eval" or "test".
	KindCheckpoint Kind = "checkpoint" // a checkpoint was written to Path.
	KindLog        Kind = "log"        // a line of text for humans.
	KindPaused     Kind = "paused"     // the loop paused on request (CmdPause); Message says where.
	KindResumed    Kind = "resumed"    // the loop resumed after a pause.
	KindStopped    Kind = "stopped"    // stopped on request, after saving a checkpoint.
	KindFinished   Kind = "finished"   // all steps done, results written.
	KindFailed     Kind = "failed"     // the run failed; Err says why.
)

// Event is one thing that happened during a run. Sinks turn events into files,
// progress lines or UI updates.
type Event struct {
	Kind  Kind
	Time  time.Time
	Step  int     // training steps completed.
	Steps int     // training steps planned.
	Epoch float64 // Step / steps per epoch.
	Split string  // "train", "eval" or "test".
	Loss  float64
	// Metrics holds the other numbers: accuracy, img_per_s, lr, r_at_1, ...
	Metrics map[string]float64
	// Samples are a few examples of the model's output at an evaluation (eval
	// events), one line each: "truth -> prediction" for a UI to show, e.g. captions.
	Samples []string
	WallS   float64       // training wall time in seconds, continued across resumes.
	ETA     time.Duration // estimated time to the last step (step events).
	Message string
	Path    string // checkpoint directory, or the run directory for start/finished.
	Err     error
}

// MetricNames returns the event's metric names, sorted.
func (e Event) MetricNames() []string {
	return slices.Sorted(maps.Keys(e.Metrics))
}

// Sink receives the events of a run, in order, from the training goroutine. A sink
// must not block for long: training waits for it.
type Sink interface {
	Emit(Event)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(Event)

// Emit implements Sink.
func (f SinkFunc) Emit(e Event) { f(e) }

// ChanSink sends every event to a channel, for UIs that read on another goroutine.
// Give the channel a buffer: training blocks while it is full.
type ChanSink chan<- Event

// Emit implements Sink.
func (c ChanSink) Emit(e Event) { c <- e }

// Command is sent to a running training loop to steer it.
type Command int

// Commands a UI can send.
const (
	CmdPause       Command = iota + 1 // pause after the current step.
	CmdResume                         // resume a paused run.
	CmdTogglePause                    // pause or resume.
	CmdSave                           // write a checkpoint after the current step.
)
