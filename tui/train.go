package tui

import (
	"slices"
	"strings"
	"time"

	"github.com/mmdna/mmdna/events"
)

// runState is where a run is, as far as its events tell.
type runState int

const (
	statePreparing runState = iota // started; building data and model.
	stateCompiling                 // the start event came; the first step compiles the graph, no progress yet.
	stateRunning
	statePaused
	stateStopping // stop asked; waiting for the checkpoint and the stopped event.
	stateStopped
	stateFinished
	stateFailed
)

// ended reports whether the run is over (the UI may quit at once).
func (s runState) ended() bool { return s >= stateStopped }

func (s runState) String() string {
	return [...]string{"preparing", "starting", "training", "paused", "stopping", "stopped", "finished", "failed"}[s]
}

// maxPoints bounds a series: past it, every other point is dropped, so a long run's
// charts keep their shape at a bounded cost.
const maxPoints = 2048

// series is one line of a chart: x is the training step.
type series struct {
	x, y []float64
}

func (s *series) add(x, y float64) {
	s.x, s.y = append(s.x, x), append(s.y, y)
	if len(s.x) > maxPoints {
		n := 0
		for i := range s.x {
			if i%2 == 0 || i == len(s.x)-1 {
				s.x[n], s.y[n] = s.x[i], s.y[i]
				n++
			}
		}
		s.x, s.y = s.x[:n], s.y[:n]
	}
}

// metricSeries is a metric as training reports it and as evaluation measures it.
type metricSeries struct {
	train, eval series
}

// trainModel is the state of the training view, built from the run's events.
type trainModel struct {
	exp     string
	backend string
	dir     string
	state   runState
	closed  bool // the event channel was closed.

	step, steps int
	epoch       float64
	wallS       float64
	eta         time.Duration
	imgPerS, lr float64
	loss        float64 // the latest training loss.

	charts     map[string]*metricSeries
	chartNames []string // "loss" first, then the others sorted.
	chartPage  int
	trainLast  map[string]float64 // the latest training value of each metric.
	lastEval   *events.Event      // the latest "eval" evaluation.
	final      *events.Event      // the "test" evaluation at the end.
	samples    *events.Event      // the latest evaluation, of any split, that carried samples.

	ckptStep int
	ckptPath string
	saving   bool

	logs    []string
	message string // what the stopped or finished event said.
	err     error
	errStep int

	width, height int
	showHelp      bool
}

// maxLogs is how many log lines are kept.
const maxLogs = 200

func newTrain(exp, backend, dir string) *trainModel {
	return &trainModel{exp: exp, backend: backend, dir: dir, charts: map[string]*metricSeries{},
		trainLast: map[string]float64{}}
}

func (m *trainModel) chart(name string) *metricSeries {
	c, ok := m.charts[name]
	if !ok {
		c = &metricSeries{}
		m.charts[name] = c
		m.chartNames = append(m.chartNames, name)
		slices.SortFunc(m.chartNames, func(a, b string) int {
			switch {
			case a == b:
				return 0
			case a == "loss":
				return -1
			case b == "loss":
				return 1
			}
			return strings.Compare(a, b)
		})
	}
	return c
}

func (m *trainModel) log(s string) {
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		m.logs = append(m.logs, line)
	}
	if len(m.logs) > maxLogs {
		m.logs = slices.Clone(m.logs[len(m.logs)-maxLogs:])
	}
}

// apply updates the model with one event of the run.
func (m *trainModel) apply(e events.Event) {
	if e.Steps > 0 {
		m.steps = e.Steps
	}
	switch e.Kind {
	case events.KindStart:
		if m.state == statePreparing {
			m.state = stateCompiling
		}
		m.step = e.Step
		if e.Path != "" {
			m.dir = e.Path
		}
		m.log(e.Message)
	case events.KindStep:
		m.step, m.epoch, m.eta, m.wallS, m.loss = e.Step, e.Epoch, e.ETA, e.WallS, e.Loss
		if m.state == stateCompiling || m.state == statePreparing {
			m.state = stateRunning
		}
		m.chart("loss").train.add(float64(e.Step), e.Loss)
		for name, v := range e.Metrics {
			switch name {
			case "lr":
				m.lr = v
			case "img_per_s":
				m.imgPerS = v
			default:
				m.trainLast[name] = v
				m.chart(name).train.add(float64(e.Step), v)
			}
		}
	case events.KindEval:
		ev := e
		if len(e.Samples) > 0 { // an evaluation without samples keeps the last ones on screen.
			m.samples = &ev
		}
		if e.Split == "test" {
			m.final = &ev
			return
		}
		m.lastEval = &ev
		if e.Loss != 0 { // evaluations without a loss report 0.
			m.chart("loss").eval.add(float64(e.Step), e.Loss)
		}
		for name, v := range e.Metrics {
			m.chart(name).eval.add(float64(e.Step), v)
		}
	case events.KindCheckpoint:
		m.ckptStep, m.ckptPath, m.saving = e.Step, e.Path, false
	case events.KindLog:
		m.log(e.Message)
	case events.KindPaused, events.KindResumed:
		// The loop confirms pause and resume; the key press already flipped the state,
		// this keeps it right if a command was lost.
		m.log(e.Message)
		switch {
		case e.Kind == events.KindPaused && m.state == stateRunning:
			m.state = statePaused
		case e.Kind == events.KindResumed && m.state == statePaused:
			m.state = stateRunning
		}
	case events.KindStopped:
		m.state, m.message, m.step = stateStopped, e.Message, e.Step
		if e.Path != "" {
			m.ckptPath = e.Path
			m.ckptStep = e.Step
		}
	case events.KindFinished:
		m.state, m.message, m.step = stateFinished, e.Message, e.Step
		if e.Path != "" {
			m.dir = e.Path
		}
		if m.final == nil && len(e.Metrics) > 0 { // a finished run resumed: results.json's metrics.
			m.final = &events.Event{Kind: events.KindEval, Split: "test", Step: e.Step, Metrics: e.Metrics}
		}
	case events.KindFailed:
		m.state, m.err, m.errStep = stateFailed, e.Err, e.Step
		if m.err == nil {
			m.err = errUnknown
		}
	}
}

// closeEvents records that the run's goroutine is done; a run that ended without
// saying how (which the trainer does not do) counts as failed.
func (m *trainModel) closeEvents() {
	m.closed = true
	if !m.state.ended() {
		m.state, m.err = stateFailed, errEndedSilently
	}
}
