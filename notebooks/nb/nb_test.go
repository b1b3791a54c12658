package nb

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmdna/mmdna/rundir"
	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/viz"
)

// TestTrain trains mlp-spirals for 20 steps (well under a second) and checks the
// results, the run's files, the progress lines and the loss curve drawn from it.
func TestTrain(t *testing.T) {
	t.Setenv("GOMLX_BACKEND", "go")
	runs := Runs(filepath.Join(t.TempDir(), "runs"))
	var progress bytes.Buffer
	// The second settings string overrides the first's steps, as a later -set does.
	res, err := runs.Train("spirals", "mlp-spirals", &progress,
		"smoke=true;steps=200;warmup=2;eval_every=10;log_every=5;ckpt_every=10;test_size=90", "steps=20")
	if err != nil {
		t.Fatalf("Train: %v", err)
	}
	if res.Steps != 20 || res.Experiment != "mlp-spirals" {
		t.Errorf("results: steps %d, experiment %q; want 20, mlp-spirals", res.Steps, res.Experiment)
	}
	if acc, ok := res.Metrics["accuracy"]; !ok || acc < 0 || acc > 1 {
		t.Errorf("test accuracy %v (present %v), want a value in [0, 1]", acc, ok)
	}
	for _, f := range []string{"results.json", "metrics.jsonl", "config.json"} {
		if _, err := os.Stat(runs.File("spirals", f)); err != nil {
			t.Errorf("run file: %v", err)
		}
	}

	out := progress.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for _, l := range lines {
		if !strings.HasPrefix(l, "[spirals] ") {
			t.Errorf("progress line %q lacks the run's prefix", l)
		}
	}
	if !strings.Contains(out, "[spirals] step 20/20") {
		t.Errorf("progress has no line for step 20:\n%s", out)
	}
	if strings.Contains(out, "checkpoint step") {
		t.Errorf("progress shows checkpoint lines:\n%s", out)
	}
	if strings.Contains(out, string(runs)) {
		t.Errorf("progress names the runs folder %s:\n%s", runs, out)
	}

	again, err := runs.Results("spirals")
	if err != nil {
		t.Fatalf("Results: %v", err)
	}
	if again.Steps != res.Steps || again.Metrics["accuracy"] != res.Metrics["accuracy"] {
		t.Errorf("results.json: steps %d accuracy %v; Train returned %d %v",
			again.Steps, again.Metrics["accuracy"], res.Steps, res.Metrics["accuracy"])
	}

	recs, err := rundir.ReadMetrics(runs.Dir("spirals"))
	if err != nil {
		t.Fatalf("ReadMetrics: %v", err)
	}
	trainLoss, evalLoss := LossSeries(recs)
	// Logged every 5 steps and evaluated every 10: train at 5..20, eval at 10 and 20.
	if got := trainLoss.X; len(got) != 4 || got[0] != 5 || got[3] != 20 {
		t.Errorf("train loss steps %v, want [5 10 15 20]", got)
	}
	if got := evalLoss.X; len(got) != 2 || got[0] != 10 || got[1] != 20 {
		t.Errorf("eval loss steps %v, want [10 20]", got)
	}

	data, err := runs.LossCurve("spirals", "mlp-spirals: cross-entropy")
	if err != nil {
		t.Fatalf("LossCurve: %v", err)
	}
	checkChart(t, data)
	onDisk, err := os.ReadFile(runs.File("spirals", "loss_curve.png"))
	if err != nil || !bytes.Equal(onDisk, data) {
		t.Errorf("loss_curve.png on disk (err %v) differs from the bytes LossCurve returned", err)
	}

	if _, err := runs.Train("x", "no-such-experiment", nil); err == nil {
		t.Error("Train of an unknown experiment: no error")
	}
}

// checkChart checks that data is a PNG of viz's chart size.
func checkChart(t *testing.T, data []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("loss curve: %v", err)
	}
	if b := img.Bounds(); b.Dx() != viz.ChartWidth || b.Dy() != viz.ChartHeight {
		t.Errorf("loss curve is %dx%d, want %dx%d", b.Dx(), b.Dy(), viz.ChartWidth, viz.ChartHeight)
	}
}

// TestLossCurve draws a curve from a hand-written metrics.jsonl, with a null
// (non-finite) loss that becomes NaN (the chart skips it), a test row and an
// evaluation without a loss that are left out.
func TestLossCurve(t *testing.T) {
	runs := Runs(t.TempDir())
	if err := os.MkdirAll(runs.Dir("r"), 0o755); err != nil {
		t.Fatal(err)
	}
	jsonl := `{"step":10,"split":"train","loss":2.5}
{"step":20,"split":"train","loss":null}

{"step":20,"split":"eval","loss":1.5,"accuracy":0.5}
{"step":30,"split":"train","loss":1.25}
{"step":30,"split":"eval","accuracy":0.6}
{"step":30,"split":"test","loss":1.0}
`
	if err := os.WriteFile(runs.File("r", "metrics.jsonl"), []byte(jsonl), 0o644); err != nil {
		t.Fatal(err)
	}
	recs, err := rundir.ReadMetrics(runs.Dir("r"))
	if err != nil {
		t.Fatal(err)
	}
	tr, ev := LossSeries(recs)
	if !equal(tr.X, 10, 20, 30) || tr.Y[0] != 2.5 || !math.IsNaN(tr.Y[1]) || tr.Y[2] != 1.25 || !equal(ev.X, 20) || !equal(ev.Y, 1.5) {
		t.Errorf("series: train %v %v, eval %v %v; want [10 20 30] [2.5 NaN 1.25], [20] [1.5]", tr.X, tr.Y, ev.X, ev.Y)
	}
	data, err := runs.LossCurve("r", "title")
	if err != nil {
		t.Fatal(err)
	}
	checkChart(t, data)
}

func equal(got []float64, want ...float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func TestMetricsTable(t *testing.T) {
	res := &train.Results{Metrics: train.Metrics{"accuracy": 0.87654321, "loss": 0.5, "top5_accuracy": 1, "big": 123456}}
	got := MetricsTable(res, "accuracy", "missing", "big", "loss", "top5_accuracy")
	want := "| metric | value |\n|---|---:|\n" +
		"| accuracy | 0.8765 |\n" +
		"| big | 1.235e+05 |\n" +
		"| loss | 0.5 |\n" +
		"| top5_accuracy | 1 |\n"
	if got != want {
		t.Errorf("MetricsTable:\n%q\nwant\n%q", got, want)
	}
	if got, want := MetricsTable(nil, "loss"), "| metric | value |\n|---|---:|\n"; got != want {
		t.Errorf("MetricsTable(nil) = %q, want %q", got, want)
	}
}

func TestMalformedMetrics(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, jsonl, want string }{
		{"damaged line", "{\"step\":1,\"split\":\"train\",\"loss\":1}\n{\"step\":2,\"spl\n{\"step\":3,\"split\":\"train\"}", "line 2: unexpected end of JSON input"},
		{"array", "[1,2]\n", "line 1: not a JSON object"},
		{"null", "{\"step\":1,\"split\":\"train\"}\nnull\n", "line 2: not a JSON object"},
		{"text", "loss 1.0\n", "line 1: invalid character 'l'"},
		{"step", "{\"step\":\"ten\",\"split\":\"eval\",\"loss\":1}\n", `line 1: step is "ten"`},
		{"nostep", "{\"split\":\"train\",\"loss\":1}\n", "line 1: no step"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runs := Runs(filepath.Join(dir, tc.name))
			path := runs.File("r", "metrics.jsonl")
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(tc.jsonl), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := runs.LossCurve("r", "t")
			if err == nil {
				t.Fatalf("LossCurve of %q: no error", tc.jsonl)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "nb: "+path+": ") || !strings.Contains(msg, tc.want) ||
				strings.Contains(msg, "\n") {
				t.Errorf("error %q, want one line naming %s and %q", msg, path, tc.want)
			}
			if _, err := os.Stat(runs.File("r", "loss_curve.png")); err == nil {
				t.Error("loss_curve.png written from a malformed file")
			}
		})
	}
	absent := Runs(dir)
	if _, err := absent.LossCurve("absent", "t"); err == nil || !strings.Contains(err.Error(), absent.File("absent", "metrics.jsonl")) {
		t.Errorf("LossCurve of a run without metrics: %v, want an error naming the file", err)
	}
}

func TestResultsAndPNGErrors(t *testing.T) {
	runs := Runs(t.TempDir())
	if err := os.MkdirAll(runs.Dir("r"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(runs.File("r", "results.json"), []byte(`{"steps":`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runs.Results("r"); err == nil || !strings.Contains(err.Error(), runs.File("r", "results.json")) {
		t.Errorf("Results of a truncated file: %v, want an error naming it", err)
	}
	if err := os.WriteFile(runs.File("r", "x.png"), []byte("GIF89a"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runs.PNG("r", "x.png"); err == nil || !strings.Contains(err.Error(), "x.png: not a PNG file") {
		t.Errorf("PNG of a GIF: %v, want an error naming x.png", err)
	}
	if _, err := runs.PNG("r", "absent.png"); err == nil {
		t.Error("PNG of a missing file: no error")
	}
}

func TestRel(t *testing.T) {
	sep := string(filepath.Separator)
	runs := Runs(sep + filepath.Join("tmp", "gonb", "runs"))
	in := "wrote " + string(runs) + sep + "vit" + sep + "results.json; kept " + string(runs) + "x" + sep + "y"
	want := "wrote vit" + sep + "results.json; kept " + string(runs) + "x" + sep + "y"
	if got := runs.Rel(in); got != want {
		t.Errorf("Rel(%q) = %q, want %q", in, got, want)
	}
	var b bytes.Buffer
	n, err := runs.Writer(&b).Write([]byte(in))
	if err != nil || n != len(in) || b.String() != want {
		t.Errorf("Writer: wrote %d of %d (err %v): %q, want %q", n, len(in), err, b.String(), want)
	}
	if got := Runs("").Rel(in); got != in {
		t.Errorf("empty Runs changed %q to %q", in, got)
	}
}
