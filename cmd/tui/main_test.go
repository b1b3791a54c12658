package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/mmdna/mmdna/events"
	"github.com/mmdna/mmdna/experiments"
	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/tui"
	"github.com/muesli/termenv"
)

func init() {
	// Plain text on any terminal, so the screens can be searched for words.
	lipgloss.SetColorProfile(termenv.Ascii)
	// An experiment whose building panics: the UI must get a failed event, not a crash.
	experiments.Register(&experiments.Experiment{Name: "test-panic", Description: "panics while building", Wall: "0 s",
		Build: func(*experiments.Env) (*train.Task, error) { panic("boom while building") }})
}

func mustParse(t *testing.T, args ...string) *config {
	t.Helper()
	var stderr bytes.Buffer
	cfg, err := parseArgs(args, &stderr)
	if err != nil {
		t.Fatalf("parseArgs(%q): %v %s", args, err, stderr.String())
	}
	return cfg
}

// TestEndToEnd runs mlp-spirals at its smoke size through the real program and
// wiring until the final results show, then quits with q.
func TestEndToEnd(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	cfg := mustParse(t, "-exp", "mlp-spirals", "-set", "smoke=true", "-out", dir, "-start")
	m := tui.New(cfg.cat, cfg.opt)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte("final results @ step 200"))
	}, teatest.WithDuration(60*time.Second), teatest.WithCheckInterval(100*time.Millisecond))
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*tui.Model)
	view := ansi.Strip(final.View())
	for _, want := range []string{"finished", "final results @ step 200 (test split)", "test ", "accuracy", "run directory: " + dir} {
		if !strings.Contains(view, want) {
			t.Errorf("final screen lacks %q:\n%s", want, view)
		}
	}
	if final.Outcome() != "finished" {
		t.Errorf("outcome %q, want finished", final.Outcome())
	}
	if _, err := os.Stat(filepath.Join(dir, "results.json")); err != nil {
		t.Errorf("no results.json: %v", err)
	}
	if info := cfg.cat.Existing("mlp-spirals"); !info.Finished || info.Step != 200 || info.Steps != 200 {
		t.Errorf("Existing after the run: %+v, want finished at 200 of 200", info)
	}
}

// TestStopAndResume presses q mid-run: the run stops with a checkpoint, and starting
// again with resume continues from it (the charts get the earlier metrics back).
func TestStopAndResume(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	cfg := mustParse(t, "-exp", "mlp-spirals", "-set", "steps=1000000;log_every=20;eval_every=0;ckpt_every=0", "-out", dir, "-start")
	tm := teatest.NewTestModel(t, tui.New(cfg.cat, cfg.opt), teatest.WithInitialTermSize(80, 24))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("img/s")) },
		teatest.WithDuration(30*time.Second))
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	first := tm.FinalModel(t, teatest.WithFinalTimeout(20*time.Second)).(*tui.Model)
	if first.Outcome() != "stopped" {
		t.Fatalf("after q: outcome %q, want stopped:\n%s", first.Outcome(), ansi.Strip(first.View()))
	}
	info := cfg.cat.Existing("mlp-spirals")
	if !info.Resumable || info.Step <= 0 || info.Finished {
		t.Fatalf("after q: %+v, want a resumable checkpoint", info)
	}

	cfg.opt.Resume = true
	tm = teatest.NewTestModel(t, tui.New(cfg.cat, cfg.opt), teatest.WithInitialTermSize(80, 24))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("resuming mlp-spirals at step")) },
		teatest.WithDuration(30*time.Second))
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	second := tm.FinalModel(t, teatest.WithFinalTimeout(20*time.Second)).(*tui.Model)
	if again := cfg.cat.Existing("mlp-spirals"); second.Outcome() != "stopped" || again.Step < info.Step {
		t.Fatalf("resumed run: outcome %q, checkpoint step %d, want stopped at >= %d", second.Outcome(), again.Step, info.Step)
	}
}

// collect runs a session to its end and returns its events.
func collect(t *testing.T, sess *tui.Session) []events.Event {
	t.Helper()
	var out []events.Event
	timeout := time.After(60 * time.Second)
	for {
		select {
		case e, ok := <-sess.Events:
			if !ok {
				return out
			}
			out = append(out, e)
		case <-timeout:
			t.Fatal("the session did not end")
		}
	}
}

func TestFailuresBecomeEvents(t *testing.T) {
	existing := filepath.Join(t.TempDir(), "existing")
	os.MkdirAll(filepath.Join(existing, "checkpoints", "step-00000010"), 0o755)
	for _, tc := range []struct {
		name string
		exp  string
		out  string
		want string
	}{
		{"panic in the experiment", "test-panic", filepath.Join(t.TempDir(), "p"), "panic: boom while building"},
		{"existing run without resume or fresh", "mlp-spirals", existing, "-resume or replace it with -fresh"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cat := mustParse(t, "-exp", "mlp-spirals", "-out", tc.out).cat
			sess, err := cat.Start(tui.Request{Name: tc.exp})
			if err != nil {
				t.Fatal(err)
			}
			evs := collect(t, sess)
			last := evs[len(evs)-1]
			if last.Kind != events.KindFailed || last.Err == nil || !strings.Contains(last.Err.Error(), tc.want) {
				t.Fatalf("last event %+v, want failed with %q", last, tc.want)
			}
		})
	}
}

func TestStopWhilePreparing(t *testing.T) {
	cat := mustParse(t, "-exp", "mlp-spirals", "-out", filepath.Join(t.TempDir(), "run")).cat
	sess, err := cat.Start(tui.Request{Name: "mlp-spirals", Sets: []string{"smoke=true"}})
	if err != nil {
		t.Fatal(err)
	}
	sess.Stop()
	evs := collect(t, sess)
	if last := evs[len(evs)-1]; last.Kind != events.KindStopped {
		t.Fatalf("last event %+v, want stopped", last)
	}
}

func TestBadArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown experiment", []string{"-exp", "nope"}, "unknown experiment"},
		{"unknown key", []string{"-exp", "mlp-spirals", "-set", "bogus=1"}, "valid keys: smoke, steps"},
		{"wrong type", []string{"-exp", "mlp-spirals", "-set", "steps=ten"}, "want an integer"},
		{"invalid value", []string{"-exp", "mlp-spirals", "-set", "lr=-1"}, "lr"},
		{"resume and fresh", []string{"-resume", "-fresh"}, "exclude each other"},
		{"stray argument", []string{"mlp-spirals"}, "unexpected argument"},
		{"no xla", []string{"-backend", "xla:cuda"}, "make build-xla"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			_, err := parseArgs(tc.args, &stderr)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one line containing %q", err, tc.want)
			}
		})
	}
}

func TestPlain(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	cfg := mustParse(t, "-exp", "mlp-spirals", "-set", "smoke=true", "-out", dir, "-plain")
	var stdout, stderr bytes.Buffer
	if code := runPlain(cfg, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d; stderr %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"[mlp-spirals] step 100/200", "test @ step 200", "finished 200 steps"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("plain output holds escape sequences")
	}
	stderr.Reset()
	if code := runPlain(cfg, &stdout, &stderr); code != exitBadArgs || !strings.Contains(stderr.String(), "-resume") {
		t.Errorf("second run without -resume: exit %d, stderr %q", code, stderr.String())
	}
}

// TestPlainBadInput: in plain mode a run directory -fresh must not touch is bad
// input: one line on stderr, nothing on stdout, exit status 2, nothing deleted.
func TestPlainBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"config.json", "model.safetensors"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := mustParse(t, "-exp", "mlp-spirals", "-set", "smoke=true", "-out", dir, "-plain", "-fresh")
	var stdout, stderr bytes.Buffer
	code := runPlain(cfg, &stdout, &stderr)
	msg := strings.TrimSpace(stderr.String())
	if code != exitBadArgs || stdout.Len() != 0 || strings.Contains(msg, "\n") || !strings.Contains(msg, "-fresh") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 2, nothing on stdout, one -fresh line on stderr", code, stdout.String(), msg)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("the directory holds %d entries after the refusal, want the 2 it had", len(entries))
	}
}
