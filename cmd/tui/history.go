package main

import (
	"errors"
	"io/fs"
	"math"

	"github.com/mmdna/mmdna/events"
	"github.com/mmdna/mmdna/rundir"
)

// historySink passes a resumed run's events on and, right after its start event,
// replays the run's earlier metrics (metrics.jsonl, which the trainer has just cut
// back to the checkpoint's step) so the charts show the whole run, not only what
// follows the resume.
type historySink struct {
	next events.Sink
	dir  string // the run directory.
	done bool
}

func (h *historySink) Emit(e events.Event) {
	h.next.Emit(e)
	if e.Kind != events.KindStart || h.done {
		return
	}
	h.done = true
	recs, err := rundir.ReadMetrics(h.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return // no history: the charts start empty.
	}
	if err != nil {
		h.next.Emit(events.Event{Kind: events.KindLog, Message: "charts start empty: " + err.Error()})
		return
	}
	for _, p := range history(recs, e.Step) {
		h.next.Emit(p)
	}
}

// history turns metrics records into step ("train" records) and eval ("eval"
// records) events up to maxStep. Test records are left out: they belong to the end
// of an earlier session. Null (NaN) metrics are left out; a missing loss is 0, as
// in the events of a live evaluation without one.
func history(recs []rundir.Record, maxStep int) []events.Event {
	var out []events.Event
	for _, r := range recs {
		if r.Step > maxStep || r.Split == rundir.SplitTest {
			continue
		}
		e := events.Event{Kind: events.KindEval, Step: r.Step, Epoch: r.Epoch, Split: r.Split, WallS: r.TimeS,
			Metrics: map[string]float64{}}
		if r.Split == rundir.SplitTrain {
			e.Kind = events.KindStep
		}
		if r.Loss != nil {
			e.Loss = *r.Loss
		}
		for k, v := range r.Metrics {
			if !math.IsNaN(v) {
				e.Metrics[k] = v
			}
		}
		out = append(out, e)
	}
	return out
}
