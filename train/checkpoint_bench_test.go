package train

import (
	"runtime"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
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
