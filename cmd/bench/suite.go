package main

// -exp all: every model family's experiment at its own size and recipe
// (experiments.BenchSuite), each beside its PyTorch peer, in one summary table.

import (
	"fmt"
	"io"
	"strings"

	"github.com/mmdna/mmdna/experiments"
)

// suiteName is the -exp value that runs experiments.BenchSuite.
const suiteName = "all"

// benchCase is one experiment to measure: a name from -exp with the session's -set,
// or an entry of the suite with its own sets too.
type benchCase struct {
	label  string // the rows' Experiment: the name, or the suite entry's label.
	name   string
	sets   string // applied before -set.
	family string
}

// benchCases expands the -exp list: "all" is the whole suite. suite reports whether
// it was asked for.
func benchCases(names []string) (cases []benchCase, suite bool) {
	for _, n := range names {
		if n != suiteName {
			cases = append(cases, benchCase{label: n, name: n})
			continue
		}
		suite = true
		for _, e := range experiments.BenchSuite() {
			cases = append(cases, benchCase{label: e.Label(), name: e.Experiment, sets: e.Sets, family: e.Family})
		}
	}
	return cases, suite
}

// printSuiteTable writes one line per mmdna row and peer measured beside it (one line
// without a peer when it has none): the step times, their ratio (above 1: mmdna is
// faster), the counted GFLOP of a step, the achieved TFLOP/s and MFU of both against
// each runner's measured peak, the parameter counts and the peak memory; then the
// runners' notes.
func printSuiteTable(w io.Writer, rows []Row) {
	fmt.Fprintln(w, "| family | experiment | batch | mmdna | step ms | peer | peer step ms | peer/mmdna | GFLOP/step | "+
		"TFLOP/s mmdna / peer | MFU mmdna / peer | params mmdna / peer | memory MB mmdna / peer |")
	fmt.Fprintln(w, "|---|---|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		if !strings.HasPrefix(r.Runner, "mmdna/") {
			continue
		}
		var peers []Row
		for _, q := range rows {
			if q.Experiment == r.Experiment && q.Batch == r.Batch && !strings.HasPrefix(q.Runner, "mmdna/") {
				peers = append(peers, q)
			}
		}
		if len(peers) == 0 {
			peers = []Row{{}}
		}
		for _, q := range peers {
			ratio := ""
			if q.StepMS > 0 && r.StepMS > 0 {
				ratio = fmt.Sprintf("%.2fx", q.StepMS/r.StepMS)
			}
			fmt.Fprintf(w, "| %s | %s | %d | %s | %.1f | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Family, r.Experiment,
				r.Batch, strings.TrimPrefix(r.Runner, "mmdna/"), r.StepMS, q.Runner, num(q.StepMS, "%.1f"), ratio,
				num(r.TrainGFLOP, "%.4g"), pair(r.TFLOPS, q.TFLOPS, "%.3g"), pair(100*r.MFU, 100*q.MFU, "%.1f%%"),
				pair(float64(r.Params), float64(q.Params), "%.0f"), pair(r.MemMB, q.MemMB, "%.0f"))
		}
	}
	printNotes(w, rows)
	fmt.Fprintln(w, "peer/mmdna: the peer's median step time over mmdna's (above 1: mmdna is faster). "+
		"Memory: each runner's own measure (notes above).")
}

// pair formats "a / b" with num's rule for each side.
func pair(a, b float64, format string) string {
	if a <= 0 && b <= 0 {
		return ""
	}
	return num(a, format) + " / " + num(b, format)
}
