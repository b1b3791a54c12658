package train

import (
	"math/rand/v2"
	"runtime"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/loss"
)

// BenchmarkCheckpoint saves and loads a store of 64 MiB (16 float32 variables of 1 Mi
// elements, trainable, so the save's finite check runs too) and reports the bytes the
// heap grew by per operation. Targets: a save streams the tensors' bytes, so it
// allocates well under the store's size (it fails above a quarter of it); a load holds
// one staged copy of the variables, about the store's size, never two.
//
//	go test -run '^$' -bench BenchmarkCheckpoint -benchtime 5x ./train/
func BenchmarkCheckpoint(b *testing.B) {
	const vars, elems = 16, 1 << 20
	store := model.NewStore()
	for i := range vars {
		values := make([]float32, elems)
		for j := range values {
			values[j] = float32(i*elems+j) * 1e-6
		}
		if _, err := store.CreateVariable(string(rune('a'+i)), tensors.FromValue(values)); err != nil {
			b.Fatal(err)
		}
	}
	size := int64(vars * elems * 4)
	dir := b.TempDir()
	var path string
	b.Run("save", func(b *testing.B) {
		b.SetBytes(size)
		var alloc uint64
		for i := 0; i < b.N; i++ {
			before := totalAlloc()
			var err error
			if path, err = SaveCheckpoint(dir, store, CheckpointState{Step: 1}, 1); err != nil {
				b.Fatal(err)
			}
			alloc += totalAlloc() - before
		}
		perOp := float64(alloc) / float64(b.N)
		b.ReportMetric(perOp/(1<<20), "alloc-MiB/op")
		if perOp > float64(size)/4 {
			b.Fatalf("a save allocated %.1f MiB for a %d MiB store: it should stream", perOp/(1<<20), size>>20)
		}
	})
	b.Run("load", func(b *testing.B) {
		b.SetBytes(size)
		var alloc uint64
		for i := 0; i < b.N; i++ {
			s := model.NewStore()
			before := totalAlloc()
			if _, err := LoadCheckpoint(path, s); err != nil {
				b.Fatal(err)
			}
			alloc += totalAlloc() - before
			s.Finalize()
		}
		b.ReportMetric(float64(alloc)/float64(b.N)/(1<<20), "alloc-MiB/op")
	})
}

// totalAlloc returns the bytes allocated on the heap since the program started.
func totalAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// wideSource yields batches of 64 random 512-d inputs with 10 classes.
type wideSource struct{}

func (wideSource) StepsPerEpoch() int { return 100 }
func (wideSource) BatchSize() int     { return 64 }
func (wideSource) Batch(step int) ([]*tensors.Tensor, []*tensors.Tensor, error) {
	r := rand.New(rand.NewPCG(1, uint64(step)))
	x := make([]float32, 64*512)
	for i := range x {
		x[i] = r.Float32()
	}
	y := make([]int32, 64)
	for i := range y {
		y[i] = int32(r.IntN(10))
	}
	return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(x, 64, 512)},
		[]*tensors.Tensor{tensors.FromFlatDataAndDimensions(y, 64, 1)}, nil
}

// BenchmarkTrainStep times the train step Run takes (AdamW, clipping, the NaN guard's
// gradient norm and weight sum) of a 3.7M-weight MLP (512-1024x4-10, batch 64) on the
// go backend, reporting CPU ms per step beside wall time: run it on a checkout from
// before a change to the step to see what the change costs. The NaN guard's weight
// check measured nothing above noise this way (28.3-28.8 CPU ms, 28.3-28.5 before).
//
//	go test -run '^$' -bench BenchmarkTrainStep -benchtime 1x ./train/
func BenchmarkTrainStep(b *testing.B) {
	task := &Task{Model: func(scope *model.Scope, _ any, in []*Node) []*Node {
		h := in[0] // [64, 512]
		for i := range 4 {
			h = activation.Relu(layers.DenseWithBias(scope.In("layer_%d", i), h, 1024))
		}
		return []*Node{layers.DenseWithBias(scope.In("out"), h, 10)}
	}, Loss: loss.SparseCategoricalCrossEntropyLogits, Data: wideSource{},
		Evaluate: func(*Evaluation) (Metrics, error) { return nil, nil }}
	for i := 0; i < b.N; i++ {
		res, err := Bench(task, DefaultConfig(), testBackend, 3, 30)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.MedianS*1e3, "ms/step")
		b.ReportMetric(res.CPUS*1e3, "cpu-ms/step")
	}
}
