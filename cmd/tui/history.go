package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/mmdna/mmdna/events"
)

// historySink passes a resumed run's events on and, right after its start event,
// replays the run's earlier metrics (metrics.jsonl, which the trainer has just cut
// back to the checkpoint's step) so the charts show the whole run, not only what
// follows the resume.
type historySink struct {
	next events.Sink
	path string
	done bool
}

func (h *historySink) Emit(e events.Event) {
	h.next.Emit(e)
	if e.Kind != events.KindStart || h.done {
		return
	}
	h.done = true
	f, err := os.Open(h.path)
	if err != nil {
		return // no history: the charts start empty.
	}
	defer f.Close()
	past, err := readHistory(f, e.Step)
	if err != nil {
		h.next.Emit(events.Event{Kind: events.KindLog, Message: "charts start empty: " + h.path + ": " + err.Error()})
	}
	for _, p := range past {
		h.next.Emit(p)
	}
}

// readHistory parses metrics.jsonl into step ("train" lines) and eval ("eval"
// lines) events up to maxStep. Test lines are left out: they belong to the end of
// an earlier session. Non-finite numbers are written as null and are skipped.
func readHistory(r io.Reader, maxStep int) ([]events.Event, error) {
	var out []events.Event
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		e, err := parseMetricsLine(line)
		if err != nil {
			return out, fmt.Errorf("line %d: %w", n, err)
		}
		if e.Step > maxStep || e.Split == "test" {
			continue
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

func parseMetricsLine(line []byte) (events.Event, error) {
	var rec map[string]any
	if err := json.Unmarshal(line, &rec); err != nil {
		return events.Event{}, fmt.Errorf("not a JSON object: %v", err)
	}
	step, ok := rec["step"].(float64)
	if !ok || step < 0 || step != float64(int(step)) {
		return events.Event{}, fmt.Errorf("step is %v, want a non-negative integer", rec["step"])
	}
	split, _ := rec["split"].(string)
	e := events.Event{Step: int(step), Split: split, Metrics: map[string]float64{}}
	switch split {
	case "train":
		e.Kind = events.KindStep
	case "eval", "test":
		e.Kind = events.KindEval
	default:
		return events.Event{}, fmt.Errorf("split is %q, want train, eval or test", split)
	}
	for k, v := range rec {
		f, isNum := v.(float64)
		switch {
		case k == "step" || k == "split":
		case k == "epoch" && isNum:
			e.Epoch = f
		case k == "loss" && isNum:
			e.Loss = f
		case k == "time_s" && isNum:
			e.WallS = f
		case isNum && k != "epoch" && k != "loss" && k != "time_s":
			e.Metrics[k] = f
		}
	}
	return e, nil
}
