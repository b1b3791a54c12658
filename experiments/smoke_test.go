package experiments

import (
	"context"
	"github.com/mmdna/mmdna/datasets/fmnist"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/mmdna/mmdna/internal/testbackend"
	"github.com/mmdna/mmdna/rundir"
	"github.com/mmdna/mmdna/train"
)

// The helpers every experiment's smoke test uses: run it in a temporary directory,
// check its metrics and files, and check that it learned (the training loss fell).

// runExp trains experiment name with sets (each "k=v;k2=v2") in a temporary
// directory on the go backend and returns the run directory and its results.
func runExp(t *testing.T, name string, sets ...string) (string, *train.Results) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	job, err := Prepare(Request{Name: name, Sets: sets, Out: dir, Backend: testbackend.Go(), Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	res, err := job.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return dir, res
}

// prepareErr returns the error of preparing experiment name with sets.
func prepareErr(t *testing.T, name string, sets ...string) error {
	t.Helper()
	_, err := Prepare(Request{Name: name, Sets: sets, Out: filepath.Join(t.TempDir(), "run"), Backend: testbackend.Go()})
	return err
}

// wantRun fails unless every named metric is present and finite, every file exists
// and is not empty, and the run directory holds nothing rundir.RemoveRun does not
// know (a new picture must join rundir's list, or -fresh would refuse the run).
func wantRun(t *testing.T, dir string, m train.Metrics, metrics []string, files ...string) {
	t.Helper()
	if _, other, err := rundir.Files(dir); err != nil || len(other) > 0 {
		t.Errorf("%s holds what rundir does not know as a run's file: %v (%v); add it to rundir's list", dir, other, err)
	}
	for _, k := range metrics {
		if v, ok := m[k]; !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("metric %s = %v (present %v)", k, v, ok)
		}
	}
	for _, f := range files {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// wantLossFalls fails unless the run learned: the mean of the last k training losses
// of metrics.jsonl (each the mean over a log period) is below the mean of the first k
// by at least the fraction drop of the latter.
func wantLossFalls(t *testing.T, dir string, k int, drop float64) {
	t.Helper()
	recs, err := rundir.ReadMetrics(dir)
	if err != nil {
		t.Fatal(err)
	}
	var losses []float64
	for _, r := range recs {
		if r.Split == rundir.SplitTrain && r.Loss != nil {
			losses = append(losses, *r.Loss)
		}
	}
	if len(losses) < 2*k {
		t.Fatalf("%d training losses logged, want at least %d to compare the first %d with the last", len(losses), 2*k, k)
	}
	mean := func(v []float64) float64 {
		var s float64
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	first, last := mean(losses[:k]), mean(losses[len(losses)-k:])
	t.Logf("training loss: first %d logged %.4f, last %d %.4f (%.1f%% lower; want %.0f%%): %v", k, first, k, last,
		100*(1-last/first), 100*drop, losses)
	if !(last <= first*(1-drop)) {
		t.Errorf("training loss did not fall: mean of the first %d logged %.4f, of the last %d %.4f; want %.0f%% lower",
			k, first, k, last, 100*drop)
	}
}

// needFMNIST skips the test without Fashion-MNIST's files (the Debian package
// dataset-fashion-mnist, make data) and in -short: it loads all of Fashion-MNIST.
func needFMNIST(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(fmnist.DefaultDir, fmnist.TrainImages+".gz")); err != nil {
		t.Skipf("Fashion-MNIST not installed in %s", fmnist.DefaultDir)
	}
	if testing.Short() {
		t.Skip("loads all of Fashion-MNIST")
	}
}
