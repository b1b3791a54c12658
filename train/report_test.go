package train

import (
	"context"
	"strings"
	"testing"
)

// TestReportReceivesTestResult: the Evaluation a Report receives carries what the test
// evaluation left in ev.Result (not an eval split's, not nil), so a report draws from
// the evaluation instead of computing it again.
func TestReportReceivesTestResult(t *testing.T) {
	task := xorTask(xorSource{batch: 16, nanAt: -1})
	evaluate := task.Evaluate
	var calls []string
	task.Evaluate = func(ev *Evaluation) (Metrics, error) {
		calls = append(calls, ev.Split)
		ev.Result = ev.Split + " result"
		return evaluate(ev)
	}
	var got any
	task.Report = func(ev *Evaluation) error {
		got = ev.Result
		return nil
	}
	cfg := testConfig()
	cfg.Steps = 20
	if _, err := Run(context.Background(), task, cfg, Options{Experiment: "xor", Dir: t.TempDir(), Backend: testBackend}); err != nil {
		t.Fatal(err)
	}
	if got != "test result" || len(calls) < 2 || calls[len(calls)-1] != "test" {
		t.Errorf("report received %v after evaluations %v, want the test evaluation's result", got, calls)
	}
}

// TestSamplesReachEvents: the lines an evaluation gives ev.Sample travel on its eval
// event, and Progress prints them under the evaluation's line.
func TestSamplesReachEvents(t *testing.T) {
	task := xorTask(xorSource{batch: 16, nanAt: -1})
	evaluate := task.Evaluate
	task.Evaluate = func(ev *Evaluation) (Metrics, error) {
		ev.Sample("truth -> " + ev.Split)
		return evaluate(ev)
	}
	var evals []Event
	sink := SinkFunc(func(e Event) {
		if e.Kind == KindEval {
			evals = append(evals, e)
		}
	})
	cfg := testConfig()
	cfg.Steps = 20
	if _, err := Run(context.Background(), task, cfg, Options{Experiment: "xor", Dir: t.TempDir(), Backend: testBackend,
		Sinks: []Sink{sink}}); err != nil {
		t.Fatal(err)
	}
	if len(evals) < 2 {
		t.Fatalf("%d eval events, want at least 2", len(evals))
	}
	for _, e := range evals {
		if len(e.Samples) != 1 || e.Samples[0] != "truth -> "+e.Split {
			t.Errorf("%s event samples %q, want [%q]", e.Split, e.Samples, "truth -> "+e.Split)
		}
	}
	var b strings.Builder
	Progress{W: &b, Prefix: "[x] "}.Emit(Event{Kind: KindEval, Split: "eval", Step: 5, Metrics: Metrics{"a": 1},
		Samples: []string{"s1", "s2"}})
	if want := "[x] eval @ step 5: a 1.0000\n[x]   s1\n[x]   s2\n"; b.String() != want {
		t.Errorf("progress %q, want %q", b.String(), want)
	}
}
