package main

import (
	"strings"
	"testing"

	"github.com/mmdna/mmdna/events"
)

func TestReadHistory(t *testing.T) {
	in := strings.Join([]string{
		`{"step":100,"epoch":1,"split":"train","loss":0.5,"time_s":1.5,"accuracy":0.8,"lr":0.01,"img_per_s":null}`,
		``,
		`{"step":100,"epoch":1,"split":"eval","loss":0.4,"time_s":1.6,"accuracy":0.85}`,
		`{"step":200,"epoch":2,"split":"train","loss":0.3,"time_s":3}`,
		`{"step":200,"epoch":2,"split":"test","loss":0.2,"time_s":3.1,"accuracy":0.9}`,
		`{"step":300,"epoch":3,"split":"train","loss":0.1,"time_s":4}`,
	}, "\n")
	got, err := readHistory(strings.NewReader(in), 250)
	if err != nil {
		t.Fatal(err)
	}
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

func TestReadHistoryMalformed(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"not json", `{"step":1,`, "line 1: not a JSON object"},
		{"array", `[1,2]`, "line 1: not a JSON object"},
		{"no step", `{"split":"train","loss":1}`, "line 1: step is <nil>"},
		{"fractional step", `{"step":1.5,"split":"train"}`, "step is 1.5"},
		{"negative step", `{"step":-3,"split":"train"}`, "step is -3"},
		{"string step", `{"step":"7","split":"train"}`, "step is 7"},
		{"bad split", `{"step":1,"split":"valid"}`, `split is "valid"`},
		{"second line", "{\"step\":1,\"split\":\"train\"}\n{oops}", "line 2:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readHistory(strings.NewReader(tc.in), 1000)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func FuzzReadHistory(f *testing.F) {
	f.Add(`{"step":100,"epoch":1,"split":"train","loss":0.5,"accuracy":0.8}`)
	f.Add(`{"step":1,"split":"eval","loss":null}` + "\n" + `{"step":2}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, in string) {
		evs, err := readHistory(strings.NewReader(in), 1<<30)
		for _, e := range evs {
			if e.Step < 0 || (e.Kind != events.KindStep && e.Kind != events.KindEval) || e.Split == "test" {
				t.Fatalf("bad event %+v from %q", e, in)
			}
		}
		_ = err
	})
}
