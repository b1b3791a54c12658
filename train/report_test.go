package train

import (
	"context"
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
