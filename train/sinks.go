package train

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/mmdna/mmdna/rundir"
)

// Progress prints one line per event for people and logs: step lines with loss,
// throughput, learning rate and ETA; evaluation results; checkpoints.
type Progress struct {
	W      io.Writer
	Err    io.Writer // failure lines; nil writes them to W. Commands set stderr.
	Prefix string    // e.g. "[vit-fmnist] "
}

// Emit implements Sink.
func (p Progress) Emit(e Event) {
	var b strings.Builder
	b.WriteString(p.Prefix)
	switch e.Kind {
	case KindStart, KindLog, KindPaused, KindResumed, KindStopped, KindFinished:
		b.WriteString(e.Message)
	case KindStep:
		fmt.Fprintf(&b, "step %*d/%d ep %.2f | loss %.4f", digits(e.Steps), e.Step, e.Steps, e.Epoch, e.Loss)
		for _, k := range e.MetricNames() {
			switch k {
			case rundir.ImgPerS, rundir.LR:
			default:
				fmt.Fprintf(&b, " | %s %s", k, fmtMetric(e.Metrics[k]))
			}
		}
		fmt.Fprintf(&b, " | lr %.2e | %.0f img/s | eta %s", e.Metrics[rundir.LR], e.Metrics[rundir.ImgPerS], fmtDuration(e.ETA))
	case KindEval:
		fmt.Fprintf(&b, "%s @ step %d:", e.Split, e.Step)
		sep := " "
		if e.Loss != 0 { // an evaluation without a loss reports 0 (the TUI leaves it out too).
			fmt.Fprintf(&b, " loss %.4f", e.Loss)
			sep = " | "
		}
		for _, k := range e.MetricNames() {
			fmt.Fprintf(&b, "%s%s %s", sep, k, fmtMetric(e.Metrics[k]))
			sep = " | "
		}
		for _, s := range e.Samples {
			fmt.Fprintf(&b, "\n%s  %s", p.Prefix, s)
		}
	case KindCheckpoint:
		fmt.Fprintf(&b, "checkpoint step %d -> %s", e.Step, e.Path)
	case KindFailed:
		if e.Step > 0 {
			fmt.Fprintf(&b, "failed at step %d: %v", e.Step, e.Err)
		} else {
			fmt.Fprintf(&b, "failed: %v", e.Err)
		}
	}
	b.WriteByte('\n')
	w := p.W
	if e.Kind == KindFailed && p.Err != nil {
		w = p.Err
	}
	io.WriteString(w, b.String())
}

func digits(n int) int { return len(fmt.Sprint(n)) }

func fmtMetric(v float64) string {
	if v != 0 && (math.Abs(v) >= 1e4 || math.Abs(v) < 1e-3) {
		return fmt.Sprintf("%.3e", v)
	}
	return fmt.Sprintf("%.4f", v)
}

func fmtDuration(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return d.Round(time.Second).String()
}
