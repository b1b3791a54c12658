package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// printTable writes the rows as a markdown table: for each mmdna row, its speed
// ratio to every peer measured at the same experiment and batch size; then the
// devices, peaks and memory figures as notes.
func printTable(w io.Writer, rows []Row) {
	fmt.Fprintln(w, "| experiment | runner | batch | compile s | step ms (median) | cpu ms/step | img/s | "+
		"GFLOP/step | TFLOP/s | MFU | memory MB | vs peers |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, r := range rows {
		var ratios []string
		if strings.HasPrefix(r.Runner, "mmdna/") {
			for _, q := range rows {
				if q.Experiment == r.Experiment && q.Batch == r.Batch && !strings.HasPrefix(q.Runner, "mmdna/") && q.ImgPerS > 0 {
					ratios = append(ratios, fmt.Sprintf("%.2fx %s", r.ImgPerS/q.ImgPerS, q.Runner))
				}
			}
		}
		fmt.Fprintf(w, "| %s | %s | %d | %s | %.1f | %s | %.0f | %s | %s | %s | %s | %s |\n", r.Experiment, r.Runner,
			r.Batch, num(r.CompileS, "%.2f"), r.StepMS, num(r.CPUMS, "%.0f"), r.ImgPerS, num(r.TrainGFLOP, "%.4g"),
			num(r.TFLOPS, "%.3g"), mfu(r), num(r.MemMB, "%.0f"), strings.Join(ratios, ", "))
	}
	printNotes(w, rows)
}

// printNotes lists, once per runner, its device, precision, peak and what its
// memory figure measures.
func printNotes(w io.Writer, rows []Row) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| runner | device | precision | peak TFLOP/s | peak from | memory is |")
	fmt.Fprintln(w, "|---|---|---|---:|---|---|")
	var seen []string
	for _, r := range rows {
		if slices.Contains(seen, r.Runner) {
			continue
		}
		seen = append(seen, r.Runner)
		source := r.Peak.Source
		if source == "" {
			source = "not available"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", r.Runner, r.Device, r.Precision, num(r.Peak.TFLOPS, "%.3g"),
			source, r.MemWhat)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "GFLOP/step: the matrix products of the model's forward graph (built once on the go backend) x 3 for "+
		"forward + backward; the same count for every runner of an experiment. MFU = TFLOP/s / peak. "+
		"Steps are timed after a compiling step and warm-up steps.")
}

// num formats a positive value, or leaves the cell empty.
func num(v float64, format string) string {
	if v <= 0 {
		return ""
	}
	return fmt.Sprintf(format, v)
}

func mfu(r Row) string {
	if r.MFU <= 0 {
		return ""
	}
	return fmt.Sprintf("%.1f%%", 100*r.MFU)
}
