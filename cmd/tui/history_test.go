package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmdna/mmdna/events"
	"github.com/mmdna/mmdna/rundir"
)

func TestHistory(t *testing.T) {
	in := strings.Join([]string{
		`{"step":100,"epoch":1,"split":"train","loss":0.5,"time_s":1.5,"accuracy":0.8,"lr":0.01,"img_per_s":null}`,
		``,
		`{"step":100,"epoch":1,"split":"eval","loss":0.4,"time_s":1.6,"accuracy":0.85}`,
		`{"step":200,"epoch":2,"split":"train","loss":0.3,"time_s":3}`,
		`{"step":200,"epoch":2,"split":"test","loss":0.2,"time_s":3.1,"accuracy":0.9}`,
		`{"step":300,"epoch":3,"split":"train","loss":0.1,"time_s":4}`,
	}, "\n")
	recs, err := rundir.ParseMetrics("m", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	got := history(recs, 250)
	if len(got) != 3 {
		t.Fatalf("%d events, want 3 (the test line and step 300 left out): %+v", len(got), got)
	}
	e := got[0]
	if e.Kind != events.KindStep || e.Step != 100 || e.Epoch != 1 || e.Loss != 0.5 || e.WallS != 1.5 ||
		e.Metrics["accuracy"] != 0.8 || e.Metrics["lr"] != 0.01 || len(e.Metrics) != 2 {
		t.Errorf("train line: %+v (null img_per_s must be dropped)", e)
	}
	if e := got[1]; e.Kind != events.KindEval || e.Split != "eval" || e.Loss != 0.4 || e.Metrics["accuracy"] != 0.85 {
		t.Errorf("eval line: %+v", e)
	}
	if got[2].Step != 200 {
		t.Errorf("third event at step %d, want 200", got[2].Step)
	}
}

// TestHistorySink: the replay follows the start event; a damaged file becomes one
// log line and empty charts, not a failure.
func TestHistorySink(t *testing.T) {
	dir := t.TempDir()
	line := `{"step":10,"epoch":1,"split":"train","loss":0.5}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, rundir.MetricsFile), []byte(line+line), 0o644); err != nil {
		t.Fatal(err)
	}
	var got []events.Event
	h := &historySink{next: events.SinkFunc(func(e events.Event) { got = append(got, e) }), dir: dir}
	h.Emit(events.Event{Kind: events.KindStart, Step: 10})
	h.Emit(events.Event{Kind: events.KindStart, Step: 10}) // replayed once only.
	if len(got) != 4 || got[1].Kind != events.KindStep || got[2].Kind != events.KindStep || got[3].Kind != events.KindStart {
		t.Errorf("events %+v, want start, the 2 records, start", got)
	}
	if err := os.WriteFile(filepath.Join(dir, rundir.MetricsFile), []byte("{oops}\n"+line), 0o644); err != nil {
		t.Fatal(err)
	}
	got = nil
	h = &historySink{next: events.SinkFunc(func(e events.Event) { got = append(got, e) }), dir: dir}
	h.Emit(events.Event{Kind: events.KindStart})
	if len(got) != 2 || got[1].Kind != events.KindLog || !strings.Contains(got[1].Message, "line 1") {
		t.Errorf("damaged file: %+v, want start and a log line naming line 1", got)
	}
}
