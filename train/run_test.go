package train

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/metric"
	"github.com/mmdna/mmdna/internal/testbackend"
)

var testBackend = testbackend.Go()

// xorSource: 2-D points labelled by the sign of x0*x1, a pure function of step.
// nanAt >= 0 puts a NaN input into that step's batch.
type xorSource struct {
	batch int
	nanAt int
}

func (s xorSource) StepsPerEpoch() int { return 10 }
func (s xorSource) BatchSize() int     { return s.batch }
func (s xorSource) Batch(step int) ([]*tensors.Tensor, []*tensors.Tensor, error) {
	rng := rand.New(rand.NewPCG(7, uint64(step)))
	x := make([]float32, 2*s.batch)
	y := make([]int32, s.batch)
	for i := range s.batch {
		a, b := rng.Float32()*2-1, rng.Float32()*2-1
		x[2*i], x[2*i+1] = a, b
		if a*b > 0 {
			y[i] = 1
		}
	}
	if step == s.nanAt {
		x[0] = float32(math.NaN())
	}
	return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(x, s.batch, 2)},
		[]*tensors.Tensor{tensors.FromFlatDataAndDimensions(y, s.batch, 1)}, nil
}

func xorModel(scope *model.Scope, _ any, inputs []*Node) []*Node {
	h := activation.Relu(layers.DenseWithBias(scope.In("hidden"), inputs[0], 16))
	return []*Node{layers.DenseWithBias(scope.In("out"), h, 2)}
}

func xorTask(src Source) *Task {
	return &Task{
		Model: xorModel,
		Loss:  loss.SparseCategoricalCrossEntropyLogits,
		Data:  src,
		Evaluate: func(ev *Evaluation) (Metrics, error) {
			exec, err := EvalExec(ev, func(scope *model.Scope, x *Node) *Node {
				return xorModel(scope, nil, []*Node{x})[0]
			})
			if err != nil {
				return nil, err
			}
			in, lab, _ := xorSource{batch: 256, nanAt: -1}.Batch(1_000_000)
			out, err := exec.Exec(in[0])
			if err != nil {
				return nil, err
			}
			logits := tensors.MustCopyFlatData[float32](out[0])
			labels := tensors.MustCopyFlatData[int32](lab[0])
			correct := 0
			for i, l := range labels {
				if (logits[2*i+1] > logits[2*i]) == (l == 1) {
					correct++
				}
			}
			return Metrics{"accuracy": float64(correct) / float64(len(labels))}, nil
		},
	}
}

func testConfig() Config {
	c := DefaultConfig()
	c.Steps, c.Warmup, c.LR = 40, 5, 0.02
	c.LogEvery, c.EvalEvery, c.CkptEvery, c.Keep = 5, 10, 10, 2
	c.BestMetric = "accuracy"
	return c
}

type recorder struct{ events []Event }

func (r *recorder) Emit(e Event) { r.events = append(r.events, e) }

func run(t *testing.T, ctx context.Context, dir string, resume bool, cfg Config, src xorSource, sinks ...Sink) (*Results, error) {
	t.Helper()
	return Run(ctx, xorTask(src), cfg, Options{Experiment: "xor", Dir: dir, Resume: resume,
		Backend: testBackend, Sinks: sinks})
}

type metricLine struct {
	Step  int      `json:"step"`
	Split string   `json:"split"`
	Loss  *float64 `json:"loss"`
	TimeS *float64 `json:"time_s"`
	Epoch *float64 `json:"epoch"`
}

func readMetrics(t *testing.T, dir string) []metricLine {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []metricLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m metricLine
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("metrics.jsonl line %q: %v", sc.Text(), err)
		}
		if m.Loss == nil || m.TimeS == nil || m.Epoch == nil || m.Split == "" {
			t.Fatalf("metrics.jsonl line %q lacks a required field", sc.Text())
		}
		lines = append(lines, m)
	}
	return lines
}

func TestRunTrainsAndWritesFiles(t *testing.T) {
	dir := t.TempDir()
	rec := &recorder{}
	res, err := run(t, context.Background(), dir, false, testConfig(), xorSource{batch: 64, nanAt: -1}, rec)
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 40 || res.Metrics["accuracy"] < 0.8 {
		t.Errorf("after 40 steps: steps=%d accuracy=%.3f, want 40 and >= 0.8", res.Steps, res.Metrics["accuracy"])
	}
	if res.TrainImgPerS <= 0 {
		t.Errorf("train_img_per_s = %v, want > 0", res.TrainImgPerS)
	}
	var got Results
	data, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &got); err != nil || got.Experiment != "xor" || got.Steps != 40 {
		t.Fatalf("results.json = %s (%v)", data, err)
	}
	lines := readMetrics(t, dir)
	var trainSteps []int
	splits := map[string]int{}
	for _, l := range lines {
		splits[l.Split]++
		if l.Split == "train" {
			trainSteps = append(trainSteps, l.Step)
		}
	}
	if want := []int{5, 10, 15, 20, 25, 30, 35, 40}; !slices.Equal(trainSteps, want) {
		t.Errorf("train lines at steps %v, want %v", trainSteps, want)
	}
	if splits["eval"] != 4 || splits["test"] != 1 {
		t.Errorf("eval/test lines = %d/%d, want 4/1", splits["eval"], splits["test"])
	}
	steps, _ := listStepCheckpoints(filepath.Join(dir, "checkpoints"))
	if len(steps) != 2 || filepath.Base(steps[1]) != "step-00000040" {
		t.Errorf("checkpoints = %v, want the newest 2 ending with step-00000040", steps)
	}
	if _, err := os.Stat(filepath.Join(dir, "checkpoints", "best", "state.json")); err != nil {
		t.Errorf("best checkpoint missing: %v", err)
	}
	if rec.events[0].Kind != KindStart || rec.events[len(rec.events)-1].Kind != KindFinished {
		t.Errorf("events start with %s and end with %s", rec.events[0].Kind, rec.events[len(rec.events)-1].Kind)
	}
}

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

// TestResumeIsExact stops a run with dropout mid-way (as SIGINT would), resumes it,
// and compares every variable of its final checkpoint (weights, AdamW moments, step
// counters, RNG state, the train metrics' running averages) bitwise with an
// uninterrupted run's: the go backend is deterministic, so any difference is state the
// checkpoint failed to carry. The test metrics and metrics.jsonl must agree too.
func TestResumeIsExact(t *testing.T) {
	cfg := testConfig()
	src := xorSource{batch: 64, nanAt: -1}
	train := func(ctx context.Context, dir string, resume bool, sinks ...Sink) (*Results, error) {
		return Run(ctx, xorDropoutTask(src), cfg, Options{Experiment: "xor", Dir: dir, Resume: resume, Backend: testBackend, Sinks: sinks})
	}
	fullDir := t.TempDir()
	full, err := train(context.Background(), fullDir, false)
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	stopAt := SinkFunc(func(e Event) {
		if e.Kind == KindStep && e.Step == 25 {
			cancel()
		}
	})
	if _, err := train(ctx, dir, false, stopAt); err != ErrStopped {
		t.Fatalf("stopped run returned %v, want ErrStopped", err)
	}
	latest, _ := LatestCheckpoint(filepath.Join(dir, "checkpoints"))
	if filepath.Base(latest) != "step-00000025" {
		t.Fatalf("latest checkpoint after stop = %q, want step-00000025", latest)
	}
	resumed, err := train(context.Background(), dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Steps != full.Steps || resumed.Metrics["accuracy"] != full.Metrics["accuracy"] {
		t.Errorf("resumed run: steps %d accuracy %v; uninterrupted: steps %d accuracy %v",
			resumed.Steps, resumed.Metrics["accuracy"], full.Steps, full.Metrics["accuracy"])
	}
	want := checkpointBytes(t, filepath.Join(fullDir, "checkpoints", "step-00000040"))
	got := checkpointBytes(t, filepath.Join(dir, "checkpoints", "step-00000040"))
	for p, b := range want {
		if g, ok := got[p]; !ok {
			t.Errorf("variable %s missing from the resumed run", p)
		} else if g != b {
			t.Errorf("variable %s differs between the resumed and the uninterrupted run", p)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("resumed run has variable %s, the uninterrupted run not", p)
		}
	}
	seeded := model.NewStore()
	if err := seeded.SetRNGStateFromSeed(cfg.Seed); err != nil {
		t.Fatal(err)
	}
	if want["/#rngState"] == storeBytes(t, seeded)["/#rngState"] {
		t.Error("the RNG state never moved: dropout is not active, the test proves nothing about it")
	}

	// metrics.jsonl: the same lines with the same values, but for timings.
	lines, fullLines := metricValues(t, dir), metricValues(t, fullDir)
	if len(lines) != len(fullLines) {
		t.Fatalf("metrics.jsonl: %d lines after resume, %d uninterrupted", len(lines), len(fullLines))
	}
	for i := range lines {
		if !reflect.DeepEqual(lines[i], fullLines[i]) {
			t.Errorf("metrics.jsonl line %d: %v after resume, %v uninterrupted", i+1, lines[i], fullLines[i])
		}
	}
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

func TestDeterministic(t *testing.T) {
	cfg := testConfig()
	cfg.Steps, cfg.EvalEvery, cfg.CkptEvery, cfg.BestMetric = 10, 0, 0, ""
	losses := func() []float64 {
		rec := &recorder{}
		if _, err := run(t, context.Background(), t.TempDir(), false, cfg, xorSource{batch: 32, nanAt: -1}, rec); err != nil {
			t.Fatal(err)
		}
		var out []float64
		for _, e := range rec.events {
			if e.Kind == KindStep || e.Kind == KindEval {
				out = append(out, e.Loss, e.Metrics["accuracy"])
			}
		}
		return out
	}
	a, b := losses(), losses()
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("runs logged %d and %d values", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("run 1 and run 2 differ at value %d: %v vs %v", i, a[i], b[i])
		}
	}
}

func TestNaNGuardKeepsLastGoodCheckpoint(t *testing.T) {
	dir := t.TempDir()
	_, err := run(t, context.Background(), dir, false, testConfig(), xorSource{batch: 32, nanAt: 16})
	if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "NaN at step 17") || !strings.Contains(err.Error(), "step-00000010") {
		t.Fatalf("error = %v, want NaN at step 17 naming the last good checkpoint step-00000010", err)
	}
	latest, _ := LatestCheckpoint(filepath.Join(dir, "checkpoints"))
	st, err := LoadCheckpoint(latest, model.NewStore())
	if err != nil || st.Step != 10 {
		t.Fatalf("last checkpoint %s: step %v, err %v; want step 10 loading cleanly", latest, st, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "results.json")); err == nil {
		t.Error("a failed run wrote results.json")
	}
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

// hugeSource is xorSource with the inputs of step `at` multiplied by 1e25: the loss
// grows like |x| and stays finite, the squared gradient norm grows like x² and
// overflows float32 (as does Adam's second moment, g²).
type hugeSource struct {
	xorSource
	at int
}

func (s hugeSource) Batch(step int) ([]*tensors.Tensor, []*tensors.Tensor, error) {
	in, lab, err := s.xorSource.Batch(step)
	if step == s.at {
		x := tensors.MustCopyFlatData[float32](in[0])
		for i := range x {
			x[i] *= 1e25
		}
		in[0] = tensors.FromFlatDataAndDimensions(x, s.batch, 2)
	}
	return in, lab, err
}

// nonFiniteVariable returns the first float variable of the checkpoint at path that
// holds a NaN or an infinity ("" if none).
func nonFiniteVariable(t *testing.T, path string) string {
	t.Helper()
	s := model.NewStore()
	if _, err := LoadCheckpoint(path, s); err != nil {
		t.Fatal(err)
	}
	for v := range s.IterVariables() {
		value := v.MustValue()
		if dtype, ok := safetensorsDType[value.DType()]; ok {
			bad := -1
			if err := value.ConstBytes(func(b []byte) { bad = firstNonFinite(dtype, b) }); err != nil {
				t.Fatal(err)
			}
			if bad >= 0 {
				return v.Path()
			}
		}
	}
	return ""
}

// A step with a finite loss but an infinite gradient norm stops the run at that step:
// with clipping the step would silently do nothing (every gradient scaled by 0), without
// it Adam's second moments would become Inf and freeze the weights for good; in either
// case the checkpoint of that step would have been saved as good.
func TestNaNGuardChecksGradientNorm(t *testing.T) {
	for _, clip := range []float64{1, 0} {
		t.Run(fmt.Sprintf("clip_norm=%g", clip), func(t *testing.T) {
			dir := t.TempDir()
			cfg := testConfig()
			cfg.ClipNorm, cfg.CkptEvery, cfg.Keep = clip, 5, 0
			_, err := Run(context.Background(), xorTask(hugeSource{xorSource{batch: 32, nanAt: -1}, 9}), cfg,
				Options{Experiment: "xor", Dir: dir, Backend: testBackend})
			if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "gradient norm is +Inf at step 10") ||
				!strings.Contains(err.Error(), "step-00000005") {
				t.Fatalf("error = %v, want the gradient norm +Inf at step 10, naming the last good checkpoint step-00000005", err)
			}
			latest, _ := LatestCheckpoint(filepath.Join(dir, "checkpoints"))
			if filepath.Base(latest) != "step-00000005" {
				t.Fatalf("newest checkpoint %s, want step-00000005", latest)
			}
			if bad := nonFiniteVariable(t, latest); bad != "" {
				t.Errorf("%s: variable %s is not finite", latest, bad)
			}
		})
	}
}

// An update that overflows the weights with a finite loss and gradient (a learning
// rate of 1e39, +Inf in float32) stops the run at that step, before any checkpoint.
func TestNaNGuardChecksUpdatedWeights(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig()
	cfg.LR, cfg.Warmup, cfg.CkptEvery = 1e39, 0, 1
	_, err := run(t, context.Background(), dir, false, cfg, xorSource{batch: 32, nanAt: -1})
	if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "updated weights are NaN or infinite at step 1") {
		t.Fatalf("error = %v, want the updated weights not finite at step 1", err)
	}
	if latest, _ := LatestCheckpoint(filepath.Join(dir, "checkpoints")); latest != "" {
		t.Errorf("checkpoint %s saved from non-finite weights", latest)
	}
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
	var trainSteps []int
	for _, l := range readMetrics(t, dir) {
		if l.Split == "train" {
			trainSteps = append(trainSteps, l.Step)
		}
	}
	if want := []int{5, 10, 15, 20}; !slices.Equal(trainSteps, want) {
		t.Errorf("train lines after resume at steps %v, want %v", trainSteps, want)
	}
}
