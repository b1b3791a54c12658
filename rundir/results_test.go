package rundir

import (
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestResultsRoundTrip: every field survives, and a NaN metric is written as null
// (encoding/json alone refuses it) and read back as NaN.
func TestResultsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	in := &Results{Experiment: "vit-fmnist", Backend: "go", Steps: 40, WallS: 12.5, TrainImgPerS: 300,
		Metrics: map[string]float64{Accuracy: 0.9, Loss: math.NaN()}, Best: &BestMetric{Metric: Accuracy, Value: 0.91, Step: 30},
		Details: map[string]any{"confusion": [][]int{{1, 2}, {3, 4}}}, Params: map[string]any{"steps": 40},
		FinishedAt: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	if err := WriteResults(dir, in); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, ResultsFile))
	if !strings.Contains(string(data), `"loss": null`) || !strings.Contains(string(data), "\n  \"backend\": \"go\",\n") {
		t.Errorf("results.json:\n%s\nwant indented, with the NaN loss as null", data)
	}
	got, err := ReadResults(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Experiment != in.Experiment || got.Backend != in.Backend || got.Steps != 40 || got.WallS != 12.5 || got.TrainImgPerS != 300 ||
		got.Metrics[Accuracy] != 0.9 || !math.IsNaN(got.Metrics[Loss]) || *got.Best != *in.Best ||
		got.Params["steps"] != 40.0 || !got.FinishedAt.Equal(in.FinishedAt) {
		t.Errorf("read back %+v", got)
	}
	var confusion [][]int
	if ok, err := got.Detail("confusion", &confusion); !ok || err != nil || confusion[1][0] != 3 {
		t.Errorf("Detail(confusion) = %v, %v, %v", ok, err, confusion)
	}
	if ok, err := got.Detail("absent", &confusion); ok || err != nil {
		t.Errorf("Detail(absent) = %v, %v; want false, nil", ok, err)
	}
	var wrong string
	if _, err := got.Detail("confusion", &wrong); err == nil || !strings.Contains(err.Error(), "confusion") {
		t.Errorf("Detail into a wrong type: %v, want an error naming it", err)
	}
}

func TestReadResultsErrors(t *testing.T) {
	if _, err := ReadResults(t.TempDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing results.json: %v, want fs.ErrNotExist", err)
	}
	for _, content := range []string{`{"steps":`, `{"steps":"ten"}`, `{"metrics":{"accuracy":"high"}}`, `[]`} {
		dir := t.TempDir()
		write(t, filepath.Join(dir, ResultsFile), content)
		if _, err := ReadResults(dir); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, ResultsFile)+": corrupted") {
			t.Errorf("results.json %s: %v, want a corrupted error naming the file", content, err)
		}
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, ResultsFile), `{"steps":10}`) // an old or minimal file is fine.
	if res, err := ReadResults(dir); err != nil || res.Steps != 10 || res.Metrics == nil {
		t.Errorf("minimal results: %+v, %v", res, err)
	}
}

// FuzzReadResults: parsing never panics, and results it accepts are written and
// parsed back with the same steps and metric names.
func FuzzReadResults(f *testing.F) {
	f.Add(`{"experiment":"x","steps":3,"metrics":{"accuracy":0.5,"loss":null},"best":{"metric":"accuracy","value":1,"step":2}}`)
	f.Add(`{"details":{"a":[1,2]},"params":{"k":"v"},"finished_at":"2026-12-02T10:00:00Z"}`)
	f.Fuzz(func(t *testing.T, content string) {
		res, err := parseResults("f", []byte(content))
		if err != nil {
			return
		}
		data, err := json.Marshal(res)
		if err != nil {
			t.Fatalf("writing back %+v: %v", res, err)
		}
		again, err := parseResults("f", data)
		if err != nil || again.Steps != res.Steps || len(again.Metrics) != len(res.Metrics) {
			t.Fatalf("read back %+v, %v; first read %+v", again, err, res)
		}
	})
}
