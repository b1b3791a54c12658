package tui

import (
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/mmdna/mmdna/events"
)

func TestListAndStart(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opt      Options
		existing map[string]RunInfo
		keys     []string
		screen   screen
		started  []Request
		quit     bool
	}{
		{name: "default selected, enter starts it", keys: []string{"enter"}, screen: screenTrain,
			started: []Request{{Name: "mlp-spirals", Sets: []string{}}}},
		{name: "up selects the other", keys: []string{"up", "enter"}, screen: screenTrain,
			started: []Request{{Name: "clip-shapes", Sets: []string{}}}},
		{name: "cursor stops at the ends", keys: []string{"down", "down", "enter"}, screen: screenTrain,
			started: []Request{{Name: "mlp-spirals", Sets: []string{}}}},
		{name: "q quits", keys: []string{"q"}, screen: screenList, quit: true},
		{name: "-set travels with the request", opt: Options{Sets: []string{"steps=300;lr=0.02"}}, keys: []string{"enter"},
			screen: screenTrain, started: []Request{{Name: "mlp-spirals", Sets: []string{"steps=300", "lr=0.02"}}}},
		{name: "invalid -set opens the form instead", opt: Options{Sets: []string{"steps=ten"}}, keys: []string{"enter"},
			screen: screenForm},
		{name: "existing run asks", existing: map[string]RunInfo{"mlp-spirals": {Dir: "runs/mlp-spirals", Exists: true, Resumable: true, Step: 700, Steps: 1500}},
			keys: []string{"enter"}, screen: screenConfirm},
		{name: "r resumes", existing: map[string]RunInfo{"mlp-spirals": {Dir: "runs/mlp-spirals", Exists: true, Resumable: true, Step: 700}},
			keys: []string{"enter", "r"}, screen: screenTrain, started: []Request{{Name: "mlp-spirals", Sets: []string{}, Resume: true}}},
		{name: "f starts fresh", existing: map[string]RunInfo{"mlp-spirals": {Dir: "runs/mlp-spirals", Exists: true, Resumable: true, Step: 700}},
			keys: []string{"enter", "f"}, screen: screenTrain, started: []Request{{Name: "mlp-spirals", Sets: []string{}, Fresh: true}}},
		{name: "c cancels", existing: map[string]RunInfo{"mlp-spirals": {Dir: "runs/mlp-spirals", Exists: true, Resumable: true, Step: 700}},
			keys: []string{"enter", "c"}, screen: screenList},
		{name: "no checkpoint: r is not offered", existing: map[string]RunInfo{"mlp-spirals": {Dir: "runs/mlp-spirals", Exists: true}},
			keys: []string{"enter", "r"}, screen: screenConfirm},
		{name: "-start skips the list", opt: Options{Exp: "clip-shapes", Start: true}, screen: screenTrain,
			started: []Request{{Name: "clip-shapes", Sets: []string{}}}},
		{name: "-start -resume answers the question", opt: Options{Start: true, Resume: true},
			existing: map[string]RunInfo{"mlp-spirals": {Dir: "runs/mlp-spirals", Exists: true, Resumable: true, Step: 700}},
			screen:   screenTrain, started: []Request{{Name: "mlp-spirals", Sets: []string{}, Resume: true}}},
		{name: "-start -fresh answers the question", opt: Options{Start: true, Fresh: true},
			existing: map[string]RunInfo{"mlp-spirals": {Dir: "runs/mlp-spirals", Exists: true, Resumable: true, Step: 700}},
			screen:   screenTrain, started: []Request{{Name: "mlp-spirals", Sets: []string{}, Fresh: true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cat := newFakeCatalog()
			if tc.existing != nil {
				cat.existing = tc.existing
			}
			m := New(cat, tc.opt)
			m.Init()
			cmd := press(m, tc.keys...)
			if tc.screen == screenForm && !strings.Contains(m.form.err, "steps=ten") {
				t.Errorf("form error %q, want it to name steps=ten", m.form.err)
			}
			if m.screen != tc.screen {
				t.Errorf("screen = %d, want %d", m.screen, tc.screen)
			}
			if got := isQuit(cmd); got != tc.quit {
				t.Errorf("quit = %v, want %v", got, tc.quit)
			}
			if !slices.EqualFunc(cat.started, tc.started, func(a, b Request) bool {
				return a.Name == b.Name && slices.Equal(a.Sets, b.Sets) && a.Resume == b.Resume && a.Fresh == b.Fresh
			}) {
				t.Errorf("started %+v, want %+v", cat.started, tc.started)
			}
		})
	}
}

func TestFormEditsAndValidates(t *testing.T) {
	m := New(newFakeCatalog(), Options{})
	press(m, "e")
	if m.screen != screenForm || m.form.exp != "mlp-spirals" {
		t.Fatalf("e: screen %d exp %q, want the form of mlp-spirals", m.screen, m.form.exp)
	}
	value := func(key string) string {
		for _, p := range m.form.params {
			if p.Key == key {
				return p.Value
			}
		}
		return "?"
	}
	// Rows: smoke, steps, lr, [start]. Edit steps to "ten": refused, still editing.
	press(m, "down", "enter", "backspace", "backspace", "backspace", "backspace", "t", "e", "n", "enter")
	if !m.form.editing || !strings.Contains(m.form.err, "steps=ten") || value("steps") != "1500" {
		t.Fatalf("steps=ten: editing %v err %q steps %s; want refused, editing, 1500", m.form.editing, m.form.err, value("steps"))
	}
	press(m, "backspace", "backspace", "backspace", "3", "0", "0", "enter")
	if m.form.editing || m.form.err != "" || value("steps") != "300" {
		t.Fatalf("steps=300: editing %v err %q steps %s", m.form.editing, m.form.err, value("steps"))
	}
	// smoke=true shrinks steps only where the user did not set them: reset steps first.
	press(m, "d", "up", "enter", "backspace", "backspace", "backspace", "backspace", "backspace", "t", "r", "u", "e", "enter")
	if value("smoke") != "true" || value("steps") != "200" {
		t.Fatalf("smoke=true: smoke %s steps %s, want true 200", value("smoke"), value("steps"))
	}
	// esc cancels an edit without applying it.
	press(m, "down", "down", "enter", "9", "esc")
	if m.form.editing || value("lr") != "0.01" {
		t.Fatalf("esc: editing %v lr %s", m.form.editing, value("lr"))
	}
	// Back to the list keeps the sets; Enter there starts with them.
	press(m, "esc")
	if m.screen != screenList || m.sets["mlp-spirals"].String() != "smoke=true" {
		t.Fatalf("esc: screen %d sets %q", m.screen, m.sets["mlp-spirals"].String())
	}
	cat := m.cat.(*fakeCatalog)
	press(m, "e", "s")
	if m.screen != screenTrain || len(cat.started) != 1 || !slices.Equal(cat.started[0].Sets, []string{"smoke=true"}) {
		t.Fatalf("s: screen %d started %+v", m.screen, cat.started)
	}
}

func TestFormStartRow(t *testing.T) {
	cat := newFakeCatalog()
	m := New(cat, Options{})
	press(m, "e", "down", "down", "down", "enter") // the row after the last parameter.
	if m.screen != screenTrain || len(cat.started) != 1 {
		t.Fatalf("enter on [start]: screen %d, %d started", m.screen, len(cat.started))
	}
}

func TestTrainingEvents(t *testing.T) {
	for _, tc := range []struct {
		upTo     events.Kind
		state    runState
		step     int
		ckpt     string
		evalStep int
		final    bool
	}{
		{events.KindStart, stateCompiling, 0, "", 0, false},
		{events.KindStep, stateRunning, 700, "runs/mlp-spirals/checkpoints/step-00000500", 500, false},
		{events.KindStopped, stateStopped, 700, "runs/mlp-spirals/checkpoints/step-00000700", 500, false},
		{events.KindFailed, stateFailed, 700, "runs/mlp-spirals/checkpoints/step-00000500", 500, false},
		{events.KindFinished, stateFinished, 1500, "runs/mlp-spirals/checkpoints/step-00001500", 1500, true},
	} {
		t.Run(string(tc.upTo), func(t *testing.T) {
			m := New(newFakeCatalog(), Options{})
			press(m, "enter")
			feed(m, script(tc.upTo)...)
			tr := m.train
			if tr.state != tc.state || tr.step != tc.step || tr.ckptPath != tc.ckpt || (tr.final != nil) != tc.final {
				t.Errorf("state %v step %d ckpt %q final %v; want %v %d %q %v", tr.state, tr.step, tr.ckptPath, tr.final != nil,
					tc.state, tc.step, tc.ckpt, tc.final)
			}
			if tc.evalStep > 0 && (tr.lastEval == nil || tr.lastEval.Step != tc.evalStep) {
				t.Errorf("last eval %+v, want step %d", tr.lastEval, tc.evalStep)
			}
			if tc.upTo == events.KindStep {
				if !slices.Equal(tr.chartNames, []string{"loss", "accuracy"}) {
					t.Errorf("charts %v, want [loss accuracy]", tr.chartNames)
				}
				loss := tr.charts["loss"]
				if len(loss.train.x) != 7 || loss.train.y[0] != 1.1 || len(loss.eval.x) != 1 || loss.eval.y[0] != 0.25 {
					t.Errorf("loss series train %v/%v eval %v/%v", loss.train.x, loss.train.y, loss.eval.x, loss.eval.y)
				}
				if tr.lr != 0.01 || tr.imgPerS != 52000 || tr.eta != 8*1e9 {
					t.Errorf("lr %v img/s %v eta %v, want 0.01 52000 8s", tr.lr, tr.imgPerS, tr.eta)
				}
			}
		})
	}
}

func TestTrainingKeys(t *testing.T) {
	cat := newFakeCatalog()
	m := New(cat, Options{})
	press(m, "enter")
	feed(m, script(events.KindStep)...)
	sess := cat.last()

	press(m, "p")
	if m.train.state != statePaused || <-sess.control != events.CmdTogglePause {
		t.Fatalf("p: state %v, want paused and CmdTogglePause sent", m.train.state)
	}
	feed(m, events.Event{Kind: events.KindResumed, Message: "resumed at step 700"}) // the loop confirms a resume.
	if m.train.state != stateRunning {
		t.Fatalf("resumed log: state %v, want training", m.train.state)
	}
	press(m, "s")
	if !m.train.saving || <-sess.control != events.CmdSave {
		t.Fatalf("s: saving %v, want true and CmdSave sent", m.train.saving)
	}
	feed(m, events.Event{Kind: events.KindCheckpoint, Step: 712, Path: "runs/mlp-spirals/checkpoints/step-00000712"})
	if m.train.saving || m.train.ckptStep != 712 {
		t.Fatalf("checkpoint: saving %v step %d", m.train.saving, m.train.ckptStep)
	}
	press(m, "p", "p", "p") // the queue holds 2: the third press is refused (state unchanged), not blocking.
	if m.train.state != stateRunning || len(sess.control) != 2 || !strings.Contains(strings.Join(m.train.logs, "\n"), "busy") {
		t.Fatalf("full control queue: state %v logs %q", m.train.state, m.train.logs)
	}
	if cmd := press(m, "q"); isQuit(cmd) || !sess.stopped || m.train.state != stateStopping {
		t.Fatalf("q: quit at once %v, stop called %v, state %v; want a clean stop first", isQuit(cmd), sess.stopped, m.train.state)
	}
	feed(m, script(events.KindStopped)[len(script(events.KindStep)):]...)
	_, cmd := m.Update(eventsMsg{gen: m.gen, closed: true})
	if !isQuit(cmd) || m.Outcome() != "stopped" {
		t.Fatalf("events closed after q: quit %v outcome %q", isQuit(cmd), m.Outcome())
	}
	if s := m.Summary(); !strings.Contains(s, "step-00000700") || !strings.Contains(s, "resume") {
		t.Errorf("summary %q lacks the checkpoint and how to resume", s)
	}
}

func TestCtrlCTwiceQuitsAtOnce(t *testing.T) {
	m := New(newFakeCatalog(), Options{})
	press(m, "enter")
	feed(m, script(events.KindStep)...)
	if cmd := press(m, "ctrl+c"); isQuit(cmd) {
		t.Fatal("first ctrl+c quit without stopping the run")
	}
	if cmd := press(m, "ctrl+c"); !isQuit(cmd) {
		t.Fatal("second ctrl+c did not quit")
	}
}

func TestStopMsg(t *testing.T) {
	cat := newFakeCatalog()
	m := New(cat, Options{})
	if _, cmd := m.Update(StopMsg{}); !isQuit(cmd) {
		t.Fatal("StopMsg on the list did not quit")
	}
	press(m, "enter")
	feed(m, script(events.KindStep)...)
	if _, cmd := m.Update(StopMsg{}); isQuit(cmd) || !cat.last().stopped {
		t.Fatal("StopMsg while training did not stop the run cleanly")
	}
}

func TestAfterTheEnd(t *testing.T) {
	cat := newFakeCatalog()
	m := New(cat, Options{})
	press(m, "enter")
	feed(m, script(events.KindFinished)...)
	m.Update(eventsMsg{gen: m.gen, closed: true})
	press(m, "p", "s")
	if len(cat.last().control) != 0 {
		t.Fatal("p/s after the end sent commands")
	}
	press(m, "esc")
	if m.screen != screenList {
		t.Fatalf("esc after the end: screen %d, want the list", m.screen)
	}
	press(m, "enter")
	feed(m, script(events.KindFinished)...)
	if cmd := press(m, "q"); !isQuit(cmd) || cat.last().stopped {
		t.Fatal("q after the end must quit without stopping anything")
	}
	if m.Outcome() != "finished" || !strings.Contains(m.Summary(), "0.9903") {
		t.Errorf("outcome %q summary %q", m.Outcome(), m.Summary())
	}
}

func TestStaleEventsDropped(t *testing.T) {
	m := New(newFakeCatalog(), Options{})
	press(m, "enter")
	m.Update(eventsMsg{gen: m.gen - 1, events: script(events.KindFinished)})
	if m.train.state != statePreparing || m.train.step != 0 {
		t.Fatalf("events of another session changed the view: state %v step %d", m.train.state, m.train.step)
	}
}

func TestClosedWithoutEnd(t *testing.T) {
	m := New(newFakeCatalog(), Options{})
	press(m, "enter")
	feed(m, script(events.KindStep)...)
	m.Update(eventsMsg{gen: m.gen, closed: true})
	if m.train.state != stateFailed || m.train.err != errEndedSilently {
		t.Fatalf("state %v err %v, want failed: ended silently", m.train.state, m.train.err)
	}
}

func TestWindowSize(t *testing.T) {
	m := New(newFakeCatalog(), Options{})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	if m.list.width != 120 || m.list.height != 40-m.chromeRows() {
		t.Fatalf("list size %dx%d", m.list.width, m.list.height)
	}
	press(m, "enter")
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	if m.train.width != 100 || m.train.height != 30 {
		t.Fatalf("train size %dx%d", m.train.width, m.train.height)
	}
	feed(m, script(events.KindStep)...)
	for _, w := range []int{200, 120, 80, 60} {
		m.Update(tea.WindowSizeMsg{Width: w, Height: 30})
		if want := max(1, min(2, w/minChartW)); m.train.chartsAcross() != want {
			t.Errorf("width %d: %d charts across, want %d", w, m.train.chartsAcross(), want)
		}
	}
}

func TestStartError(t *testing.T) {
	cat := newFakeCatalog()
	cat.startErr = errDisk
	m := New(cat, Options{})
	press(m, "enter")
	if m.screen != screenList || !strings.Contains(m.View(), "no space left") {
		t.Fatalf("start error: screen %d, view lacks the error", m.screen)
	}
}

func TestDenseEvalsAreALine(t *testing.T) {
	for _, tc := range []struct {
		evals   int
		upTo    int // the last evaluation's step, of 20000.
		markers bool
	}{{3, 20000, true}, {40, 20000, false}, {9, 4500, false}, {2, 4500, true}} {
		m := New(newFakeCatalog(), Options{})
		m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
		press(m, "enter")
		evs := []events.Event{{Kind: events.KindStart, Steps: 20000}}
		for i := 1; i <= tc.evals; i++ {
			step := i * tc.upTo / tc.evals
			evs = append(evs, events.Event{Kind: events.KindStep, Step: step, Steps: 20000, Loss: 1 / float64(i)},
				events.Event{Kind: events.KindEval, Split: "eval", Step: step, Loss: 1.1 / float64(i), Metrics: map[string]float64{"accuracy": 0.9}})
		}
		feed(m, evs...)
		charts := strings.Join(strings.Split(m.View(), "\n")[4:12], "\n")
		if got := strings.Contains(charts, "●"); got != tc.markers {
			t.Errorf("%d evaluations: markers %v, want %v:\n%s", tc.evals, got, tc.markers, charts)
		}
	}
}

func TestShutdownStopsAndDrains(t *testing.T) {
	cat := newFakeCatalog()
	m := New(cat, Options{})
	press(m, "enter")
	sess := cat.last()
	sess.events <- events.Event{Kind: events.KindStopped, Step: 3}
	close(sess.events)
	m.Shutdown(time.Second)
	if !sess.stopped || len(sess.events) != 0 {
		t.Fatalf("Shutdown: stopped %v, %d events left", sess.stopped, len(sess.events))
	}
}
