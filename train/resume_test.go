package train

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/mmdna/mmdna/rundir"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/metric"
)

// xorDropoutTask is xorTask with dropout on the hidden layer while training, so
// that a resume has the RNG state to restore as well.
func xorDropoutTask(src Source) *Task {
	task := xorTask(src)
	task.Model = func(scope *model.Scope, _ any, inputs []*Node) []*Node {
		h := activation.Relu(layers.DenseWithBias(scope.In("hidden"), inputs[0], 16))
		h = layers.DropoutStatic(scope, h, 0.3)
		return []*Node{layers.DenseWithBias(scope.In("out"), h, 2)}
	}
	task.TrainMetrics = []metric.Interface{metric.NewMovingAverageSparseCategoricalAccuracy("Moving Average Accuracy", "accuracy", 0.05)}
	return task
}

// uuidInName matches the random part GoMLX puts in a metric's scope name.
var uuidInName = regexp.MustCompile(`_uuid_[0-9a-f-]{36}`)

// checkpointBytes loads the checkpoint at path and returns every variable's bytes by
// path, metric uuids replaced by "*".
func checkpointBytes(t *testing.T, path string) map[string]string {
	t.Helper()
	s := model.NewStore()
	if _, err := LoadCheckpoint(path, s); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for p, b := range storeBytes(t, s) {
		name := uuidInName.ReplaceAllString(p, "_uuid_*")
		if _, dup := out[name]; dup {
			t.Errorf("%s: two variables named %s (a metric's state left behind by an earlier session)", path, name)
		}
		out[name] = b
	}
	return out
}

// metricValues reads dir/metrics.jsonl, without the fields that are timings.
func metricValues(t *testing.T, dir string) []map[string]any {
	t.Helper()
	readMetrics(t, dir) // checks the required fields.
	data, err := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for line := range strings.Lines(string(data)) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "time_s")
		delete(m, "img_per_s")
		out = append(out, m)
	}
	return out
}

// TestResumeFallsBackToIntactCheckpoint damages the newest checkpoints of a run in
// several ways: the resume uses the newest intact one, says which it skipped and why,
// moves them aside, and truncates metrics.jsonl to the step it resumed from.
func TestResumeFallsBackToIntactCheckpoint(t *testing.T) {
	pristine := t.TempDir()
	cfg := testConfig()
	cfg.Steps, cfg.CkptEvery, cfg.Keep, cfg.EvalEvery = 20, 5, 0, 5
	if _, err := run(t, context.Background(), pristine, false, cfg, xorSource{batch: 32, nanAt: -1}); err != nil {
		t.Fatal(err)
	}
	step := func(dir string, n int) string {
		return filepath.Join(dir, "checkpoints", fmt.Sprintf("step-%08d", n))
	}
	truncate := func(dir string, n int) {
		name := filepath.Join(step(dir, n), varsFile)
		data, _ := os.ReadFile(name)
		os.WriteFile(name, data[:len(data)/2], 0o644)
	}
	flip := func(dir string, n int) {
		name := filepath.Join(step(dir, n), varsFile)
		data, _ := os.ReadFile(name)
		data[len(data)-5] ^= 0xff
		os.WriteFile(name, data, 0o644)
	}
	badState := func(dir string, n int) { os.WriteFile(filepath.Join(step(dir, n), stateFile), []byte("{"), 0o644) }
	for _, tc := range []struct {
		name    string
		damage  func(dir string)
		resumed int      // the step resumed from.
		skipped []int    // the damaged checkpoints, newest first.
		reasons []string // why each was skipped.
	}{
		{"truncated vars", func(dir string) { truncate(dir, 20) }, 15, []int{20}, []string{"truncated"}},
		{"bad hash", func(dir string) { flip(dir, 20) }, 15, []int{20}, []string{"sha256"}},
		{"bad state.json", func(dir string) { badState(dir, 20) }, 15, []int{20}, []string{"corrupted"}},
		{"no state.json", func(dir string) { os.Remove(filepath.Join(step(dir, 20), stateFile)) }, 15, []int{20}, []string{"no such file"}},
		{"three damaged", func(dir string) { truncate(dir, 20); flip(dir, 15); badState(dir, 10) }, 5, []int{20, 15, 10},
			[]string{"truncated", "sha256", "corrupted"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(pristine)); err != nil {
				t.Fatal(err)
			}
			tc.damage(dir)
			rec := &recorder{}
			cfg := cfg
			cfg.Steps = 30
			if _, err := run(t, context.Background(), dir, true, cfg, xorSource{batch: 32, nanAt: -1}, rec); err != nil {
				t.Fatalf("resume: %v", err)
			}
			var logs []string
			for _, e := range rec.events {
				if e.Kind == KindStart && !strings.Contains(e.Message, fmt.Sprintf("at step %d of 30 from %s", tc.resumed, step(dir, tc.resumed))) {
					t.Errorf("start: %q, want resuming at step %d from %s", e.Message, tc.resumed, step(dir, tc.resumed))
				}
				if e.Kind == KindLog && strings.Contains(e.Message, " is damaged (") {
					logs = append(logs, e.Message)
				}
			}
			if len(logs) != len(tc.skipped) {
				t.Fatalf("log lines about damaged checkpoints: %q, want one for each of %v", logs, tc.skipped)
			}
			for i, n := range tc.skipped {
				aside := filepath.Join(dir, "checkpoints", fmt.Sprintf("damaged-step-%08d", n))
				for _, want := range []string{step(dir, n) + "/", tc.reasons[i], "moved aside to " + filepath.Base(aside),
					"resuming from " + filepath.Base(step(dir, tc.resumed))} {
					if !strings.Contains(logs[i], want) {
						t.Errorf("log %q does not say %q", logs[i], want)
					}
				}
				if _, err := os.Stat(aside); err != nil {
					t.Errorf("damaged checkpoint not kept aside: %v", err)
				}
			}
			seen := map[string]bool{}
			var trainSteps []int
			for _, l := range readMetrics(t, dir) {
				key := fmt.Sprintf("%s@%d", l.Split, l.Step)
				if seen[key] {
					t.Errorf("duplicate metrics line: split %s step %d", l.Split, l.Step)
				}
				seen[key] = true
				if l.Split == "train" {
					trainSteps = append(trainSteps, l.Step)
				}
			}
			if want := []int{5, 10, 15, 20, 25, 30}; !slices.Equal(trainSteps, want) {
				t.Errorf("train lines after resume at steps %v, want %v", trainSteps, want)
			}
			if bad := nonFiniteVariable(t, step(dir, 20)); bad != "" { // loads: step-20 was written anew.
				t.Errorf("step-20: %s", bad)
			}
		})
	}
	t.Run("none intact", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.CopyFS(dir, os.DirFS(pristine)); err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{5, 10, 15, 20} {
			truncate(dir, n)
		}
		cfg := cfg
		cfg.Steps = 30
		_, err := run(t, context.Background(), dir, true, cfg, xorSource{batch: 32, nanAt: -1})
		if err == nil || !strings.Contains(err.Error(), step(dir, 20)) || !strings.Contains(err.Error(), "truncated") ||
			!strings.Contains(err.Error(), "no intact checkpoint") || strings.Contains(err.Error(), "\n") {
			t.Fatalf("error = %v, want one line naming %s, what is wrong with it, and that none is intact", err, step(dir, 20))
		}
		if _, err := os.Stat(step(dir, 20)); err != nil {
			t.Errorf("a failed resume moved the checkpoints: %v", err)
		}
	})
}

// TestResumeFromFormat1Run resumes a run that the code before checkpoint format 2
// stopped at step 10 (testdata/v1run: its step-10 checkpoint, in vars.bin, and its
// metrics.jsonl, which goes on to step 20) and compares the end with a run of today's
// code that was never interrupted.
func TestResumeFromFormat1Run(t *testing.T) {
	cfg := testConfig()
	cfg.Steps = 20 // as when testdata/v1run was made.
	src := xorSource{batch: 32, nanAt: -1}
	fullDir := t.TempDir()
	full, err := run(t, context.Background(), fullDir, false, cfg, src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "v1run"))); err != nil {
		t.Fatal(err)
	}
	resumed, err := run(t, context.Background(), dir, true, cfg, src)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Metrics["accuracy"] != full.Metrics["accuracy"] {
		t.Errorf("test accuracy %v after resume, %v uninterrupted", resumed.Metrics["accuracy"], full.Metrics["accuracy"])
	}
	want := checkpointBytes(t, filepath.Join(fullDir, "checkpoints", "step-00000020"))
	got := checkpointBytes(t, filepath.Join(dir, "checkpoints", "step-00000020"))
	if len(got) != len(want) {
		t.Errorf("%d variables after resume, %d uninterrupted", len(got), len(want))
	}
	for p, b := range want {
		if got[p] != b {
			t.Errorf("variable %s differs between the resumed and the uninterrupted run", p)
		}
	}
	// The lines up to the checkpoint are the old run's, written before an evaluation
	// without a loss left "loss" out: read them without readMetrics' check of that.
	recs, err := rundir.ReadMetrics(dir)
	if err != nil {
		t.Fatal(err)
	}
	var trainSteps []int
	for _, l := range recs {
		if l.Split == "train" {
			trainSteps = append(trainSteps, l.Step)
		}
	}
	if want := []int{5, 10, 15, 20}; !slices.Equal(trainSteps, want) {
		t.Errorf("train lines after resume at steps %v, want %v", trainSteps, want)
	}
}
