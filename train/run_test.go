package train

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/mmdna/mmdna/internal/testbackend"
	"github.com/mmdna/mmdna/rundir"
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

// readMetrics reads the run's metrics.jsonl; xorTask's evaluation reports no loss,
// so only train lines may have one (and all of them must).
func readMetrics(t *testing.T, dir string) []rundir.Record {
	t.Helper()
	recs, err := rundir.ReadMetrics(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if (r.Loss == nil) != (r.Split != rundir.SplitTrain) {
			t.Fatalf("metrics record %+v: a train line without a loss, or an evaluation without one that has one", r)
		}
	}
	return recs
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
	got, err := rundir.ReadResults(dir)
	if err != nil || got.Experiment != "xor" || got.Steps != 40 {
		t.Fatalf("results.json = %+v (%v)", got, err)
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
