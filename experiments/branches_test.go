package experiments

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/testbackend"
)

// TestBranchesSameLoss: the experiments whose training step runs in nn.BranchesOf
// compute the same loss with one branch and with two or four (the defaults of fusion-shapes,
// vit-fmnist-ref and mae-fmnist),
// on the same weights and batch (a store seeded alike, so MAE draws the same masking
// noise). vilt-shapes at a VQA step, where the grounding and relation losses are on.
func TestBranchesSameLoss(t *testing.T) {
	for _, c := range []struct {
		name, sets string
		step, k    int // k: the branches compared with one.
	}{
		{"fusion-shapes", "smoke=true;shapes_train=64;shapes_val=8;shapes_test=8;batch_size=8;fusion=hybrid", 0, 2},
		{"fusion-shapes", "smoke=true;shapes_train=64;shapes_val=8;shapes_test=8;batch_size=8;fusion=gated", 0, 4},
		{"vilt-shapes", viltTiny + ";batch_size=8;relation_loss=1;ground_loss=1", 20, 2},
		{"mae-shapes", maeTiny + "batch_size=8;shapes_train=64;shapes_val=8;shapes_test=8", 0, 4},
		{"caption-shapes", "smoke=true;shapes_train=64;shapes_val=8;shapes_test=8;batch_size=8;dropout=0", 0, 2},
	} {
		var losses [2]float64
		for i, k := range []int{1, c.k} {
			job, err := Prepare(Request{Name: c.name, Sets: []string{fmt.Sprintf("%s;branches=%d", c.sets, k)},
				Out: filepath.Join(t.TempDir(), "run"), Backend: testbackend.Go()})
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			in, labels, err := job.Task.Data.Batch(c.step)
			if err != nil {
				t.Fatal(err)
			}
			store := model.NewStore()
			if err := store.SetRNGStateFromSeed(7); err != nil {
				t.Fatal(err)
			}
			task := job.Task
			exec := model.MustNewExec(testbackend.Go(), store, func(scope *model.Scope, xs []*Node) *Node {
				return task.Loss(xs[len(in):], task.Model(scope, nil, xs[:len(in)]))
			})
			args := make([]any, 0, len(in)+len(labels))
			for _, x := range append(in, labels...) {
				args = append(args, x)
			}
			losses[i] = float64(tensors.ToScalar[float32](exec.MustExec(args...)[0]))
		}
		if math.IsNaN(losses[0]) || math.Abs(losses[0]-losses[1]) > 1e-4*math.Max(1, math.Abs(losses[0])) {
			t.Errorf("%s [%s]: loss %.6f with one branch, %.6f with %d", c.name, c.sets, losses[0], losses[1], c.k)
		}
	}
}
