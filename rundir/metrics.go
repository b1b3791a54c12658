package rundir

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
)

// The splits a Record belongs to.
const (
	SplitTrain = "train" // training progress, every log period.
	SplitEval  = "eval"  // a periodic evaluation.
	SplitTest  = "test"  // the final evaluation.
)

// Record is one line of metrics.jsonl:
//
//	{"step":int,"epoch":float,"split":"train"|"eval"|"test","loss":float,"time_s":float, ...metrics}
//
// A non-finite number is written as null and read back as NaN. "loss" is left out
// when the line has none (an evaluation that reports no loss).
type Record struct {
	Step  int     // training steps completed.
	Epoch float64 // Step / steps per epoch.
	Split string  // SplitTrain, SplitEval or SplitTest.
	// Loss is nil when the line has no loss.
	Loss  *float64
	TimeS float64 // training wall time in seconds, continued across resumes.
	// Metrics holds the other fields: accuracy, lr, img_per_s, r_at_1_i2t, ...
	Metrics map[string]float64
}

// reserved are the fields of a Record that are not metrics.
var reserved = map[string]bool{"step": true, "epoch": true, "split": true, "loss": true, "time_s": true}

// Value returns the loss (name "loss") or metric name of the record, and whether
// the record has it.
func (r Record) Value(name string) (float64, bool) {
	if name == Loss {
		if r.Loss == nil {
			return 0, false
		}
		return *r.Loss, true
	}
	v, ok := r.Metrics[name]
	return v, ok
}

// MarshalJSON writes the record as one JSON object, metrics in name order.
func (r Record) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	split, _ := json.Marshal(r.Split)
	fmt.Fprintf(&b, `{"step":%d,"epoch":%s,"split":%s`, r.Step, jsonNum(r.Epoch), split)
	if r.Loss != nil {
		fmt.Fprintf(&b, `,"loss":%s`, jsonNum(*r.Loss))
	}
	fmt.Fprintf(&b, `,"time_s":%s`, jsonNum(r.TimeS))
	for _, k := range slices.Sorted(maps.Keys(r.Metrics)) {
		if reserved[k] {
			return nil, fmt.Errorf("metric name %q is a reserved field of metrics.jsonl", k)
		}
		key, _ := json.Marshal(k)
		fmt.Fprintf(&b, `,%s:%s`, key, jsonNum(r.Metrics[k]))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads one line: step a non-negative integer and split one of the
// three are required; every other field must be a number or null.
func (r *Record) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil || raw == nil {
		return errors.New("not a JSON object")
	}
	step, ok := raw["step"]
	if !ok {
		return errors.New("no step")
	}
	n, err := strconv.ParseUint(string(step), 10, 31)
	if err != nil {
		return fmt.Errorf("step is %s, want a non-negative integer", step)
	}
	var split string
	if err := json.Unmarshal(raw["split"], &split); err != nil || (split != SplitTrain && split != SplitEval && split != SplitTest) {
		return fmt.Errorf("split is %s, want \"train\", \"eval\" or \"test\"", orNothing(raw["split"]))
	}
	*r = Record{Step: int(n), Split: split, Metrics: map[string]float64{}}
	for k, v := range raw {
		if k == "step" || k == "split" {
			continue
		}
		var p *float64
		if err := json.Unmarshal(v, &p); err != nil {
			return fmt.Errorf("%s is %s, want a number or null", k, v)
		}
		x := math.NaN()
		if p != nil {
			x = *p
		}
		switch k {
		case "epoch":
			r.Epoch = x
		case "loss":
			r.Loss = &x
		case "time_s":
			r.TimeS = x
		default:
			r.Metrics[k] = x
		}
	}
	return nil
}

func orNothing(v json.RawMessage) string {
	if v == nil {
		return "missing"
	}
	return string(v)
}

// jsonNum writes v as a JSON number, or null when it is NaN or infinite.
func jsonNum(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "null"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// ReadMetrics reads dir/metrics.jsonl (see ParseMetrics). A missing file is an
// error that matches fs.ErrNotExist.
func ReadMetrics(dir string) ([]Record, error) {
	path := filepath.Join(dir, MetricsFile)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseMetrics(path, f)
}

// ParseMetrics reads metrics.jsonl lines from r; name (the file's path) is named in
// errors, with the line number. Blank lines are skipped. A last line that has no
// newline and does not parse is left out: a run killed mid-write leaves one, and
// the next resume drops it. Any other line that does not parse is an error.
func ParseMetrics(name string, r io.Reader) ([]Record, error) {
	var out []Record
	err := scanMetrics(name, r, func(_ []byte, rec Record) { out = append(out, rec) })
	return out, err
}

// scanMetrics calls fn with each record of r and the line it came from (without
// its newline).
func scanMetrics(name string, r io.Reader, fn func(line []byte, rec Record)) error {
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("%s: %w", name, err)
		}
		torn := errors.Is(err, io.EOF) // no newline: the last line, maybe cut short.
		if text := bytes.TrimSpace(line); len(text) > 0 {
			var rec Record
			if perr := json.Unmarshal(text, &rec); perr != nil {
				if torn {
					return nil
				}
				return fmt.Errorf("%s: line %d: %v", name, n, perr)
			}
			fn(bytes.TrimRight(line, "\r\n"), rec)
		}
		if torn {
			return nil
		}
	}
}

// Curve returns the steps (x) and values (y) of the loss or metric name on the
// records of split, in file order. Records without it are left out; a null value
// is NaN (viz.LineChart skips those points).
func Curve(recs []Record, split, name string) (x, y []float64) {
	for _, r := range recs {
		if v, ok := r.Value(name); ok && r.Split == split {
			x, y = append(x, float64(r.Step)), append(y, v)
		}
	}
	return x, y
}

// MetricsWriter appends Records to a run's metrics.jsonl, one line each.
type MetricsWriter struct {
	f    *os.File
	path string
	err  error // the first error, reported by Close.
}

// OpenMetrics opens dir/metrics.jsonl for a run. A fresh run (resumeStep < 0)
// starts an empty file. A resumed run keeps the records up to and including
// resumeStep and drops the rest (steps the checkpoint does not contain, which will
// be redone) and a torn last line, so the file has neither gaps nor duplicates.
func OpenMetrics(dir string, resumeStep int) (*MetricsWriter, error) {
	path := filepath.Join(dir, MetricsFile)
	if resumeStep < 0 {
		f, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		return &MetricsWriter{f: f, path: path}, nil
	}
	if err := truncateMetrics(path, resumeStep); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	return &MetricsWriter{f: f, path: path}, nil
}

// truncateMetrics rewrites path keeping the lines of steps up to resumeStep, byte
// for byte.
func truncateMetrics(path string, resumeStep int) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	var kept bytes.Buffer
	err = scanMetrics(path, f, func(line []byte, rec Record) {
		if rec.Step <= resumeStep {
			kept.Write(line)
			kept.WriteByte('\n')
		}
	})
	if err != nil {
		return fmt.Errorf("%w; fix or remove that line to resume", err)
	}
	return WriteFileAtomic(path, kept.Bytes())
}

// Write appends rec as one line. After the first error it writes nothing more;
// Close returns that error.
func (w *MetricsWriter) Write(rec Record) {
	if w.err != nil {
		return
	}
	line, err := rec.MarshalJSON()
	if err == nil {
		_, err = w.f.Write(append(line, '\n'))
	}
	if err != nil {
		w.err = fmt.Errorf("%s: %w", w.path, err)
	}
}

// Close closes the file and returns the first error of the writer, if any.
func (w *MetricsWriter) Close() error {
	if err := w.f.Close(); err != nil && w.err == nil {
		w.err = fmt.Errorf("%s: %w", w.path, err)
	}
	return w.err
}
