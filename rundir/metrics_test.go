package rundir

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func ptr(v float64) *float64 { return &v }

func TestRecordJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		rec  Record
		want string
	}{
		{"train", Record{Step: 10, Epoch: 0.5, Split: SplitTrain, Loss: ptr(1.25), TimeS: 2,
			Metrics: map[string]float64{LR: 0.001, Accuracy: 0.75, ImgPerS: math.Inf(1)}},
			`{"step":10,"epoch":0.5,"split":"train","loss":1.25,"time_s":2,"accuracy":0.75,"img_per_s":null,"lr":0.001}`},
		{"eval without a loss", Record{Step: 20, Epoch: 1, Split: SplitEval, TimeS: 3.5, Metrics: map[string]float64{Accuracy: 0.5}},
			`{"step":20,"epoch":1,"split":"eval","time_s":3.5,"accuracy":0.5}`},
		{"NaN loss", Record{Step: 0, Split: SplitTest, Loss: ptr(math.NaN())},
			`{"step":0,"epoch":0,"split":"test","loss":null,"time_s":0}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.rec.MarshalJSON()
			if err != nil || string(got) != tc.want {
				t.Fatalf("MarshalJSON = %s, %v\nwant %s", got, err, tc.want)
			}
			var back Record
			if err := back.UnmarshalJSON(got); err != nil {
				t.Fatal(err)
			}
			again, _ := back.MarshalJSON()
			if string(again) != tc.want {
				t.Errorf("read back and written again: %s", again)
			}
			if (back.Loss == nil) != (tc.rec.Loss == nil) {
				t.Errorf("loss presence changed: %v", back.Loss)
			}
		})
	}
	if _, err := (Record{Split: SplitEval, Metrics: map[string]float64{Loss: 1}}).MarshalJSON(); err == nil {
		t.Error(`a metric named "loss" was written (it would duplicate the loss field)`)
	}
}

func TestRecordMalformed(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`[1,2]`, "not a JSON object"},
		{`null`, "not a JSON object"},
		{`{"split":"train","loss":1}`, "no step"},
		{`{"step":1.5,"split":"train"}`, "step is 1.5"},
		{`{"step":-3,"split":"train"}`, "step is -3"},
		{`{"step":"7","split":"train"}`, `step is "7"`},
		{`{"step":1}`, "split is missing"},
		{`{"step":1,"split":"valid"}`, `split is "valid"`},
		{`{"step":1,"split":"eval","loss":"low"}`, `loss is "low", want a number or null`},
		{`{"step":1,"split":"eval","accuracy":[1]}`, "accuracy is [1]"},
	} {
		var r Record
		if err := r.UnmarshalJSON([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.in, err, tc.want)
		}
	}
}

// TestParseMetricsTornLine: a last line without a newline that does not parse is
// what a kill mid-write leaves: left out. A bad line anywhere else is an error.
func TestParseMetricsTornLine(t *testing.T) {
	good := `{"step":10,"split":"train","loss":1}` + "\n\n" + `{"step":10,"split":"eval","loss":null,"accuracy":0.5}` + "\r\n"
	recs, err := ParseMetrics("m", strings.NewReader(good+`{"step":20,"spl`))
	if err != nil || len(recs) != 2 || !math.IsNaN(*recs[1].Loss) || recs[1].Metrics[Accuracy] != 0.5 {
		t.Fatalf("torn last line: %+v, %v; want the 2 whole records", recs, err)
	}
	recs, err = ParseMetrics("m", strings.NewReader(good+`{"step":20,"split":"train","loss":0.5}`))
	if err != nil || len(recs) != 3 {
		t.Errorf("whole last line without newline: %d records, %v; want 3", len(recs), err)
	}
	for _, in := range []string{good + "{oops}\n", "{oops}\n" + good, good + `{"step":20,"spl` + "\n"} {
		if _, err := ParseMetrics("runs/x/metrics.jsonl", strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), "runs/x/metrics.jsonl: line ") {
			t.Errorf("bad line with a newline after it: %v, want an error naming the file and line", err)
		}
	}
	if _, err := ReadMetrics(t.TempDir()); err == nil || !strings.Contains(err.Error(), MetricsFile) {
		t.Errorf("ReadMetrics without a file: %v", err)
	}
}

// TestOpenMetricsResume: a resume keeps the lines up to the checkpoint's step byte
// for byte, drops later ones and a torn last line, then appends.
func TestOpenMetricsResume(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, MetricsFile)
	kept := `{"step":10,"split":"train","loss":1}` + "\n" + `{"step":20,"epoch":2.0,"split":"train","loss":0.5}` + "\n" +
		`{"step":20,"split":"eval","loss":0.6}` + "\n"
	write(t, path, kept+`{"step":30,"split":"train","loss":0.4}`+"\n"+`{"step":40,"spl`)
	w, err := OpenMetrics(dir, 20)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(Record{Step: 25, Split: SplitTrain, Loss: ptr(0.45)})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if want := kept + `{"step":25,"epoch":0,"split":"train","loss":0.45,"time_s":0}` + "\n"; string(data) != want {
		t.Errorf("after resume at 20:\n%s\nwant\n%s", data, want)
	}

	write(t, path, kept+"{oops}\n"+kept)
	if _, err := OpenMetrics(dir, 20); err == nil || !strings.Contains(err.Error(), "line 4") {
		t.Errorf("resume over a damaged line: %v, want an error naming line 4", err)
	}
	w, err = OpenMetrics(dir, -1) // a fresh run starts an empty file.
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if data, _ := os.ReadFile(path); len(data) != 0 {
		t.Errorf("fresh file holds %q", data)
	}
	if _, err := OpenMetrics(filepath.Join(dir, "missing"), -1); err == nil {
		t.Error("OpenMetrics in a missing directory succeeded")
	}
}

func TestMetricsWriterKeepsFirstError(t *testing.T) {
	w, err := OpenMetrics(t.TempDir(), -1)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(Record{Split: SplitEval, Metrics: map[string]float64{"step": 1}})
	w.Write(Record{Split: SplitEval})
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), `"step" is a reserved field`) {
		t.Errorf("Close = %v, want the first write's error", err)
	}
}

func TestCurve(t *testing.T) {
	recs, err := ParseMetrics("m", strings.NewReader(strings.Join([]string{
		`{"step":5,"split":"train","loss":2,"accuracy":0.1}`,
		`{"step":10,"split":"train","loss":1.5}`,
		`{"step":10,"split":"eval","loss":null,"accuracy":0.3}`,
		`{"step":20,"split":"eval","accuracy":0.4}`,
		`{"step":20,"split":"test","loss":1.1,"accuracy":0.5}`,
	}, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	if x, y := Curve(recs, SplitTrain, Loss); !reflect.DeepEqual(x, []float64{5, 10}) || !reflect.DeepEqual(y, []float64{2, 1.5}) {
		t.Errorf("train loss: %v %v", x, y)
	}
	if x, y := Curve(recs, SplitEval, Loss); len(x) != 1 || x[0] != 10 || !math.IsNaN(y[0]) {
		t.Errorf("eval loss: %v %v, want step 10 only (the null as NaN; step 20 has no loss)", x, y)
	}
	if x, y := Curve(recs, SplitEval, Accuracy); !reflect.DeepEqual(x, []float64{10, 20}) || !reflect.DeepEqual(y, []float64{0.3, 0.4}) {
		t.Errorf("eval accuracy: %v %v", x, y)
	}
}

// FuzzParseMetrics: ParseMetrics never panics; what it returns is valid and
// survives a write and a second parse unchanged.
func FuzzParseMetrics(f *testing.F) {
	f.Add(`{"step":100,"epoch":1,"split":"train","loss":0.5,"accuracy":0.8}` + "\n")
	f.Add(`{"step":1,"split":"eval","loss":null}` + "\n" + `{"step":2}`)
	f.Add(`{"step":3,"split":"test","time_s":1e300,"x":-0}` + "\n\n[]")
	f.Fuzz(func(t *testing.T, in string) {
		recs, err := ParseMetrics("f", strings.NewReader(in))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		for _, r := range recs {
			if r.Step < 0 || (r.Split != SplitTrain && r.Split != SplitEval && r.Split != SplitTest) {
				t.Fatalf("invalid record %+v from %q", r, in)
			}
			line, err := r.MarshalJSON()
			if err != nil {
				t.Fatalf("writing %+v: %v", r, err)
			}
			buf.Write(append(line, '\n'))
		}
		again, err := ParseMetrics("f", bytes.NewReader(buf.Bytes()))
		if err != nil || len(again) != len(recs) {
			t.Fatalf("re-parse: %d records, %v; want %d", len(again), err, len(recs))
		}
		for i := range recs {
			a, _ := recs[i].MarshalJSON()
			b, _ := again[i].MarshalJSON()
			if !bytes.Equal(a, b) {
				t.Fatalf("record %d changed: %s then %s", i, a, b)
			}
		}
	})
}
