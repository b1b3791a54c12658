package nb

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/viz"
)

// maxLine is the longest metrics.jsonl line ParseMetrics accepts: a test row with
// many metrics is a few KiB, far below it.
const maxLine = 1 << 24

// ParseMetrics reads metrics.jsonl lines (as train.MetricsFile writes them) from
// r: one map a line, numbers as float64, null for a non-finite value. Blank
// lines are skipped. name (the file's path) is named in errors, with the line.
func ParseMetrics(name string, r io.Reader) ([]map[string]any, error) {
	var rows []map[string]any
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var row map[string]any
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			return nil, fmt.Errorf("nb: %s: line %d: %v", name, line, err)
		}
		if row == nil {
			return nil, fmt.Errorf("nb: %s: line %d: null, want a JSON object", name, line)
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("nb: %s: %v", name, err)
	}
	return rows, nil
}

// ReadMetrics reads the metrics.jsonl file at path (see ParseMetrics).
func ReadMetrics(path string) ([]map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseMetrics(path, f)
}

// LossSeries returns the "train" and "eval" loss of metrics rows against their
// step, in file order. Rows of other splits ("test") and rows whose loss is null
// (non-finite) or missing are left out. name (the file's path) is named in
// errors: a train or eval row whose step is not a number is one.
func LossSeries(name string, rows []map[string]any) (trainLoss, evalLoss viz.Series, err error) {
	trainLoss, evalLoss = viz.Series{Name: "train"}, viz.Series{Name: "eval"}
	series := map[string]*viz.Series{"train": &trainLoss, "eval": &evalLoss}
	for i, r := range rows {
		s, ok := series[fmt.Sprint(r["split"])]
		loss, isNum := r["loss"].(float64)
		if !ok || !isNum {
			continue
		}
		step, isNum := r["step"].(float64)
		if !isNum {
			return trainLoss, evalLoss, fmt.Errorf("nb: %s: row %d: step is %v, want a number", name, i+1, r["step"])
		}
		s.X, s.Y = append(s.X, step), append(s.Y, loss)
	}
	return trainLoss, evalLoss, nil
}

// LossCurve plots the training and evaluation loss of run name (from its
// metrics.jsonl) with viz.LineChart, titled title, into the run's
// loss_curve.png, and returns the PNG's bytes.
func (r Runs) LossCurve(name, title string) ([]byte, error) {
	path := r.File(name, "metrics.jsonl")
	rows, err := ReadMetrics(path)
	if err != nil {
		return nil, err
	}
	trainLoss, evalLoss, err := LossSeries(path, rows)
	if err != nil {
		return nil, err
	}
	if err := viz.LineChart(r.File(name, "loss_curve.png"), title, "step", "loss", trainLoss, evalLoss); err != nil {
		return nil, err
	}
	return r.PNG(name, "loss_curve.png")
}

// MetricsTable is a markdown table of the named metrics of res, in the order
// given, values with four significant digits; names res lacks are left out.
func MetricsTable(res *train.Results, names ...string) string {
	var b strings.Builder
	b.WriteString("| metric | value |\n|---|---:|\n")
	if res == nil {
		return b.String()
	}
	for _, n := range names {
		if v, ok := res.Metrics[n]; ok {
			fmt.Fprintf(&b, "| %s | %.4g |\n", n, v)
		}
	}
	return b.String()
}
