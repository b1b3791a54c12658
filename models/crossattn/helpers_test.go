package crossattn

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/testbackend"
)

var testBackend = testbackend.Go

// randomizeVariables gives every float variable of store (the RNG state excluded)
// values from N(0, 0.5²) with offsets, so biases and LayerNorm gains are not the
// trivial zeros and ones; graphs built afterwards see the new values.
func randomizeVariables(t *testing.T, store *model.Store, seed uint64) {
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
				vals[i] += 1
			}
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(vals, v.Shape().Dimensions...)); err != nil {
			t.Fatal(err)
		}
	}
}

// varValue returns the values of the variable at path as float64.
func varValue(t *testing.T, store *model.Store, path string) []float64 {
	t.Helper()
	v := store.GetVariable(path)
	if v == nil {
		t.Fatalf("no variable %s", path)
	}
	f, err := tensors.CopyFlatData[float32](v.MustValue())
	if err != nil {
		t.Fatal(err)
	}
	return to64(f)
}

func to64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func flat(t *testing.T, x *tensors.Tensor) []float64 {
	t.Helper()
	f, err := tensors.CopyFlatData[float32](x)
	if err != nil {
		t.Fatal(err)
	}
	return to64(f)
}

func randMatrix(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// assertClose fails unless got and want agree within tol (absolute plus relative).
func assertClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.IsNaN(got[i]) || math.Abs(got[i]-want[i]) > tol*(1+math.Abs(want[i])) {
			t.Fatalf("%s: value %d = %g, want %g (tol %g)", what, i, got[i], want[i], tol)
		}
	}
}

// mat is a row-major matrix for the hand computations.
type mat struct {
	r, c int
	v    []float64
}

func newMat(r, c int) mat             { return mat{r, c, make([]float64, r*c)} }
func (m mat) at(i, j int) float64     { return m.v[i*m.c+j] }
func (m mat) set(i, j int, x float64) { m.v[i*m.c+j] = x }
func matOf(r, c int, v []float64) mat { return mat{r, c, v} }
func (m mat) row(i int) []float64     { return m.v[i*m.c : (i+1)*m.c] }
func (m mat) cols(from, to int) mat {
	out := newMat(m.r, to-from)
	for i := range m.r {
		for j := from; j < to; j++ {
			out.set(i, j-from, m.at(i, j))
		}
	}
	return out
}

func matmul(a, b mat) mat {
	out := newMat(a.r, b.c)
	for i := range a.r {
		for j := range b.c {
			s := 0.0
			for k := range a.c {
				s += a.at(i, k) * b.at(k, j)
			}
			out.set(i, j, s)
		}
	}
	return out
}

func transpose(a mat) mat {
	out := newMat(a.c, a.r)
	for i := range a.r {
		for j := range a.c {
			out.set(j, i, a.at(i, j))
		}
	}
	return out
}

func addMat(a, b mat) mat {
	out := newMat(a.r, a.c)
	for i := range a.v {
		out.v[i] = a.v[i] + b.v[i]
	}
	return out
}

func scaleMat(a mat, s float64) mat {
	out := newMat(a.r, a.c)
	for i := range a.v {
		out.v[i] = a.v[i] * s
	}
	return out
}

// softmaxRows applies a row softmax; keep (len a.c) masks columns, nil keeps all.
func softmaxRows(a mat, keep []bool) mat {
	out := newMat(a.r, a.c)
	for i := range a.r {
		m := math.Inf(-1)
		for j := range a.c {
			if keep == nil || keep[j] {
				m = math.Max(m, a.at(i, j))
			}
		}
		s := 0.0
		for j := range a.c {
			if keep == nil || keep[j] {
				e := math.Exp(a.at(i, j) - m)
				out.set(i, j, e)
				s += e
			}
		}
		for j := range a.c {
			out.set(i, j, out.at(i, j)/s)
		}
	}
	return out
}

// linearRef is x·W + b with W [in, out] as the Dense variables store it.
func linearRef(x mat, w, b []float64) mat {
	y := matmul(x, matOf(x.c, len(b), w))
	for i := range y.r {
		for j := range y.c {
			y.set(i, j, y.at(i, j)+b[j])
		}
	}
	return y
}

// layerNormRef is PyTorch's LayerNorm (biased variance, eps 1e-5) per row.
func layerNormRef(x mat, gain, offset []float64) mat {
	out := newMat(x.r, x.c)
	for i := range x.r {
		row := x.row(i)
		mean, v := 0.0, 0.0
		for _, a := range row {
			mean += a
		}
		mean /= float64(x.c)
		for _, a := range row {
			v += (a - mean) * (a - mean)
		}
		v /= float64(x.c)
		for j, a := range row {
			out.set(i, j, (a-mean)/math.Sqrt(v+1e-5)*gain[j]+offset[j])
		}
	}
	return out
}

func geluRef(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }

func shapeF32(dims ...int) shapes.Shape { return shapes.Make(dtypes.Float32, dims...) }
