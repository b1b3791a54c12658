package tui

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/mmdna/mmdna/events"
	"github.com/muesli/termenv"
)

// TestMain renders without colour, so views are plain text and golden files stable.
func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

// fakeCatalog is a Catalog with two experiments and hand-written parameter rules:
// steps (int, default 1500; 200 with smoke=true unless set), lr (number > 0) and
// smoke (bool).
type fakeCatalog struct {
	existing map[string]RunInfo
	started  []Request
	sessions []*fakeSession
	startErr error
}

type fakeSession struct {
	events  chan events.Event
	control chan events.Command
	stopped bool
}

func newFakeCatalog() *fakeCatalog {
	return &fakeCatalog{existing: map[string]RunInfo{}}
}

func (c *fakeCatalog) Experiments() []Experiment {
	return []Experiment{
		{Name: "clip-shapes", Description: "CLIP on captioned shapes: zero-shot and retrieval", Wall: "8 min"},
		{Name: "mlp-spirals", Description: "MLP on three 2-D spirals: the smallest end-to-end run, no data files", Wall: "20 s"},
	}
}

func (c *fakeCatalog) Default() string { return "mlp-spirals" }
func (c *fakeCatalog) Backend() string { return "go: Go Portable Compute Backend (parallelism=2)" }

func (c *fakeCatalog) Params(name string, sets []string) ([]Param, error) {
	if name != "clip-shapes" && name != "mlp-spirals" {
		return nil, fmt.Errorf("-exp %s: unknown experiment", name)
	}
	vals := map[string]string{"smoke": "false", "steps": "1500", "lr": "0.01"}
	userSteps := false
	for _, s := range sets {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("-set %q: want key=value", s)
		}
		switch k {
		case "steps":
			if n, err := strconv.Atoi(v); err != nil || n <= 0 {
				return nil, fmt.Errorf("-set steps=%s: want a positive integer", v)
			}
			userSteps = true
		case "lr":
			if f, err := strconv.ParseFloat(v, 64); err != nil || f <= 0 {
				return nil, fmt.Errorf("-set lr=%s: want a positive number", v)
			}
		case "smoke":
			if _, err := strconv.ParseBool(v); err != nil {
				return nil, fmt.Errorf("-set smoke=%s: want true or false", v)
			}
		default:
			return nil, fmt.Errorf("-set %s: unknown parameter; valid keys: smoke, steps, lr", k)
		}
		vals[k] = v
	}
	if vals["smoke"] == "true" && !userSteps {
		vals["steps"] = "200"
	}
	return []Param{
		{Key: "smoke", Value: vals["smoke"], Doc: "shrink everything to a ~1 minute run"},
		{Key: "steps", Value: vals["steps"], Doc: "optimisation steps"},
		{Key: "lr", Value: vals["lr"], Doc: "peak learning rate (after warmup)"},
	}, nil
}

func (c *fakeCatalog) Existing(name string) RunInfo {
	if info, ok := c.existing[name]; ok {
		return info
	}
	return RunInfo{Dir: "runs/" + name}
}

func (c *fakeCatalog) Start(req Request) (*Session, error) {
	if c.startErr != nil {
		return nil, c.startErr
	}
	s := &fakeSession{events: make(chan events.Event, 64), control: make(chan events.Command, 2)}
	c.started = append(c.started, req)
	c.sessions = append(c.sessions, s)
	return &Session{Dir: "runs/" + req.Name, Events: s.events, Control: s.control, Stop: func() { s.stopped = true }}, nil
}

func (c *fakeCatalog) last() *fakeSession { return c.sessions[len(c.sessions)-1] }

// keyMsg builds the tea.KeyMsg a terminal sends for k ("enter", "esc", "ctrl+c", "up", or runes).
func keyMsg(k string) tea.KeyMsg {
	switch k {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// press sends keys in order and returns the last command.
func press(m *Model, keys ...string) tea.Cmd {
	var cmd tea.Cmd
	for _, k := range keys {
		_, cmd = m.Update(keyMsg(k))
	}
	return cmd
}

// isQuit runs cmd (with a deadline: event waits block) and reports whether it quits.
func isQuit(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	ch := make(chan tea.Msg, 1)
	go func() { ch <- cmd() }()
	select {
	case msg := <-ch:
		_, ok := msg.(tea.QuitMsg)
		return ok
	case <-time.After(100 * time.Millisecond):
		return false
	}
}

// feed hands events to the model as the event reader would.
func feed(m *Model, evs ...events.Event) tea.Cmd {
	_, cmd := m.Update(eventsMsg{gen: m.gen, events: evs})
	return cmd
}

var errDisk = errors.New("runs/mlp-spirals/checkpoints: no space left on device")

// script is a run of mlp-spirals at 1500 steps: start, steps to 700 with an
// evaluation and a checkpoint at 500, then the end upTo says: KindStart stops after
// the start event, KindStep mid-run, KindStopped, KindFailed or KindFinished.
func script(upTo events.Kind) []events.Event {
	var evs []events.Event
	add := func(e events.Event) bool {
		e.Steps = 1500
		evs = append(evs, e)
		return e.Kind == upTo
	}
	if add(events.Event{Kind: events.KindStart, Message: "training mlp-spirals for 1500 steps on go in runs/mlp-spirals", Path: "runs/mlp-spirals"}) {
		return evs
	}
	for s := 100; s <= 700; s += 100 {
		loss := 1.1 / float64(s/100)
		add(events.Event{Kind: events.KindStep, Step: s, Epoch: float64(s) / 100, Split: "train", Loss: loss,
			Metrics: map[string]float64{"accuracy": 1 - loss/2, "lr": 0.01, "img_per_s": 52000}, ETA: time.Duration(1500-s) * 10 * time.Millisecond, WallS: float64(s) / 100})
		if s == 500 {
			add(events.Event{Kind: events.KindEval, Step: 500, Split: "eval", Loss: 0.25, Metrics: map[string]float64{"accuracy": 0.91}})
			add(events.Event{Kind: events.KindCheckpoint, Step: 500, Path: "runs/mlp-spirals/checkpoints/step-00000500"})
			add(events.Event{Kind: events.KindLog, Step: 500, Message: "new best accuracy 0.9100 at step 500 -> runs/mlp-spirals/checkpoints/best"})
		}
	}
	if upTo == events.KindStep {
		return evs
	}
	switch upTo {
	case events.KindFailed:
		add(events.Event{Kind: events.KindFailed, Step: 700, Err: errDisk})
	case events.KindStopped:
		add(events.Event{Kind: events.KindCheckpoint, Step: 700, Path: "runs/mlp-spirals/checkpoints/step-00000700"})
		add(events.Event{Kind: events.KindStopped, Step: 700, Path: "runs/mlp-spirals/checkpoints/step-00000700",
			Message: "stopped at step 700; checkpoint runs/mlp-spirals/checkpoints/step-00000700 (resume with -resume)"})
	case events.KindFinished:
		add(events.Event{Kind: events.KindEval, Step: 1500, Split: "eval", Loss: 0.05, Metrics: map[string]float64{"accuracy": 0.987}})
		add(events.Event{Kind: events.KindCheckpoint, Step: 1500, Path: "runs/mlp-spirals/checkpoints/step-00001500"})
		add(events.Event{Kind: events.KindEval, Step: 1500, Split: "test", Loss: 0.041, Metrics: map[string]float64{"accuracy": 0.9903}})
		add(events.Event{Kind: events.KindFinished, Step: 1500, Path: "runs/mlp-spirals", Metrics: map[string]float64{"accuracy": 0.9903, "loss": 0.041},
			Message: "finished 1500 steps in 19s; results in runs/mlp-spirals/results.json"})
	}
	return evs
}
