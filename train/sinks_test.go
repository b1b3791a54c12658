package train

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestProgressLines: one line per event; an evaluation without a loss (Loss 0, as
// Run emits it) shows no loss.
func TestProgressLines(t *testing.T) {
	var b strings.Builder
	p := Progress{W: &b, Prefix: "[x] "}
	p.Emit(Event{Kind: KindStep, Step: 50, Steps: 200, Epoch: 0.25, Loss: 0.5,
		Metrics: Metrics{"lr": 0.001, "img_per_s": 1000, "accuracy": 0.75}, ETA: 90 * time.Second})
	p.Emit(Event{Kind: KindEval, Split: "eval", Step: 50, Loss: 0.4, Metrics: Metrics{"accuracy": 0.8}})
	p.Emit(Event{Kind: KindEval, Split: "test", Step: 200, Metrics: Metrics{"accuracy": 0.9, "top5_accuracy": 1}})
	want := "[x] step  50/200 ep 0.25 | loss 0.5000 | accuracy 0.7500 | lr 1.00e-03 | 1000 img/s | eta 1m30s\n" +
		"[x] eval @ step 50: loss 0.4000 | accuracy 0.8000\n" +
		"[x] test @ step 200: accuracy 0.9000 | top5_accuracy 1.0000\n"
	if b.String() != want {
		t.Errorf("progress:\n%s\nwant\n%s", b.String(), want)
	}

	var out, errs strings.Builder
	p = Progress{W: &out, Err: &errs, Prefix: "[x] "}
	p.Emit(Event{Kind: KindFailed, Step: 7, Err: errors.New("boom")})
	p.Emit(Event{Kind: KindStopped, Message: "stopped at step 7"})
	if out.String() != "[x] stopped at step 7\n" || errs.String() != "[x] failed at step 7: boom\n" {
		t.Errorf("with Err set: out %q, err %q; want the failure alone on Err", out.String(), errs.String())
	}
}
