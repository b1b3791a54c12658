package embedding

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/testbackend"
)

var backend = testbackend.Go

// side is the image side of the tests: the tiny preset's two conv stages leave a 4x4
// feature map, 16 tokens.
const side = 16

// tinyConfig is the tiny clip preset as a model of kind, for side x side RGB images,
// 12 ids, 5 tokens: embed_dim 16, 4 heads of 4.
func tinyConfig(t *testing.T, kind Kind) Config {
	t.Helper()
	cfg, err := Preset(kind, "tiny", side, 3, 12, 5)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// batch returns n pairs drawn from seed: images [n, side, side, 3], each a random
// colour (N(0, 1) per channel) plus N(0, 0.3²) noise per pixel, so that pooled
// features tell images apart, and captions [BOS] w1 w2 [EOS] [PAD] with words from 3..11, mask 1 on the first four.
func batch(n int, seed uint64) (images, ids, mask *tensors.Tensor) {
	rng := rand.New(rand.NewPCG(seed, 11))
	x := make([]float32, n*side*side*3)
	for i := range n {
		colour := []float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
		for k := range side * side * 3 {
			x[i*side*side*3+k] = float32(colour[k%3] + 0.3*rng.NormFloat64())
		}
	}
	id, m := make([]int32, n*5), make([]int32, n*5)
	for i := range n {
		copy(id[i*5:], []int32{1, int32(3 + rng.IntN(9)), int32(3 + rng.IntN(9)), 2, 0})
		copy(m[i*5:], []int32{1, 1, 1, 1, 0})
	}
	return tensors.FromFlatDataAndDimensions(x, n, side, side, 3), tensors.FromFlatDataAndDimensions(id, n, 5),
		tensors.FromFlatDataAndDimensions(m, n, 5)
}

// pickRows builds a batch from the examples of two batches along the leading axis: rows of a
// (when pick[k] >= 0) or of b (row -pick[k]-1).
func pickRows[T float32 | int32](t *testing.T, a, b *tensors.Tensor, pick []int) *tensors.Tensor {
	t.Helper()
	av, bv := flatOf[T](t, a), flatOf[T](t, b)
	dims := a.Shape().Dimensions
	row := len(av) / dims[0]
	var out []T
	for _, p := range pick {
		if p >= 0 {
			out = append(out, av[p*row:(p+1)*row]...)
		} else {
			out = append(out, bv[(-p-1)*row:(-p)*row]...)
		}
	}
	d := append([]int{len(pick)}, dims[1:]...)
	return tensors.FromFlatDataAndDimensions(out, d...)
}

func flatOf[T float32 | int32](t *testing.T, x *tensors.Tensor) []T {
	t.Helper()
	v, err := tensors.CopyFlatData[T](x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func flat64(t *testing.T, x *tensors.Tensor) []float64 {
	t.Helper()
	v := flatOf[float32](t, x)
	out := make([]float64, len(v))
	for i, f := range v {
		out[i] = float64(f)
	}
	return out
}

// randomize gives every float variable of store values from N(0, 0.5²) (gains
// around 1), so biases are not the trivial zeros.
func randomize(t *testing.T, store *model.Store, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	for v := range store.IterVariables() {
		if !v.DType().IsFloat() || strings.Contains(v.Path(), "rng") {
			continue
		}
		vals := make([]float32, v.Shape().Size())
		for i := range vals {
			vals[i] = float32(rng.NormFloat64() * 0.5)
			if strings.HasSuffix(v.Path(), "gain") {
				vals[i]++
			}
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(vals, v.Shape().Dimensions...)); err != nil {
			t.Fatal(err)
		}
	}
}

// variable returns the values of the variable at path as float64.
func variable(t *testing.T, store *model.Store, path string) []float64 {
	t.Helper()
	v := store.GetVariable(path)
	if v == nil {
		t.Fatalf("no variable %s", path)
	}
	return flat64(t, v.MustValue())
}
