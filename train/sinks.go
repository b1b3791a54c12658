package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"
)

// MetricsFile writes step and eval events to RUN/metrics.jsonl, one JSON object per
// line: {"step":int,"epoch":float,"split":"train"|"eval"|"test","loss":float,
// "time_s":float, ...metrics}. Non-finite numbers are written as null.
type MetricsFile struct {
	f    *os.File
	path string
	err  error // first write error, reported by Close.
}

// OpenMetricsFile opens path for a run. A fresh run (resumeStep < 0) starts an
// empty file. A resumed run keeps the lines up to and including resumeStep and
// drops the rest (steps the checkpoint does not contain, which will be redone) and
// any line cut short by a crash, so the file has neither gaps nor duplicates.
func OpenMetricsFile(path string, resumeStep int) (*MetricsFile, error) {
	if resumeStep >= 0 {
		if err := truncateMetrics(path, resumeStep); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
		return &MetricsFile{f: f, path: path}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &MetricsFile{f: f, path: path}, nil
}

func truncateMetrics(path string, resumeStep int) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var kept bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var rec struct {
			Step *int `json:"step"`
		}
		line := sc.Bytes()
		if json.Unmarshal(line, &rec) != nil || rec.Step == nil || *rec.Step > resumeStep {
			continue
		}
		kept.Write(line)
		kept.WriteByte('\n')
	}
	return WriteFileAtomic(path, kept.Bytes())
}

// Emit implements Sink: it records step and eval events.
func (m *MetricsFile) Emit(e Event) {
	if m.err != nil || (e.Kind != KindStep && e.Kind != KindEval) {
		return
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"step":%d,"epoch":%s,"split":%q,"loss":%s,"time_s":%s`,
		e.Step, jsonNum(e.Epoch), e.Split, jsonNum(e.Loss), jsonNum(e.WallS))
	for _, k := range e.MetricNames() {
		key, _ := json.Marshal(k)
		fmt.Fprintf(&b, `,%s:%s`, key, jsonNum(e.Metrics[k]))
	}
	b.WriteString("}\n")
	if _, err := m.f.Write(b.Bytes()); err != nil {
		m.err = fmt.Errorf("%s: %w", m.path, err)
	}
}

// Close flushes the file and returns the first write error, if any.
func (m *MetricsFile) Close() error {
	if err := m.f.Close(); err != nil && m.err == nil {
		m.err = err
	}
	return m.err
}

func jsonNum(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "null"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Progress prints one line per event for people and logs: step lines with loss,
// throughput, learning rate and ETA; evaluation results; checkpoints.
type Progress struct {
	W      io.Writer
	Prefix string // e.g. "[vit-fmnist] "
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
			case "img_per_s", "lr":
			default:
				fmt.Fprintf(&b, " | %s %s", k, fmtMetric(e.Metrics[k]))
			}
		}
		fmt.Fprintf(&b, " | lr %.2e | %.0f img/s | eta %s", e.Metrics["lr"], e.Metrics["img_per_s"], fmtDuration(e.ETA))
	case KindEval:
		fmt.Fprintf(&b, "%s @ step %d: loss %.4f", e.Split, e.Step, e.Loss)
		for _, k := range e.MetricNames() {
			fmt.Fprintf(&b, " | %s %s", k, fmtMetric(e.Metrics[k]))
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
	io.WriteString(p.W, b.String())
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
