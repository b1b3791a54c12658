package nn

import (
	"math"
	"slices"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/testbackend"
)

// flat64 flattens a float64 matrix.
func flat64(m [][]float64) []float64 {
	var out []float64
	for _, r := range m {
		out = append(out, r...)
	}
	return out
}

func assertClose64(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol {
			t.Fatalf("%s[%d] = %g, want %g", what, i, got[i], want[i])
		}
	}
}

// TestSinCos2DHandComputed checks MAE's 2-D embedding worked out by hand. With dim 4
// each axis gets 2 features and ω = 1, so token (row i, column j) is
// [sin j, cos j, sin i, cos i]. With dim 8, ω = [1, 1/10000^(1/2)] = [1, 0.01].
func TestSinCos2DHandComputed(t *testing.T) {
	s1, c1 := math.Sin(1), math.Cos(1)
	got, err := SinCos2DValues(2, 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	assertClose64(t, "2x2 dim 4", flat64(got), []float64{
		0, 1, 0, 1, // (0,0)
		s1, c1, 0, 1, // (0,1)
		0, 1, s1, c1, // (1,0)
		s1, c1, s1, c1, // (1,1)
	}, 1e-12)
	got, err = SinCos2DValues(1, 2, 8)
	if err != nil {
		t.Fatal(err)
	}
	assertClose64(t, "1x2 dim 8, token 1", got[1], []float64{
		0.8414709848, 0.0099998333, 0.5403023059, 0.9999500004, 0, 0, 1, 1}, 1e-9)

	outs := testbackend.Run(t, nil, func(_ *model.Scope, in []*Node) []*Node {
		return []*Node{SinCos2D(in[0].Graph(), dtypes.Float32, 2, 2, 4)}
	}, []float32{0})
	assertClose(t, "graph constant", flat(t, outs[0]),
		[]float32{0, 1, 0, 1, float32(s1), float32(c1), 0, 1, 0, 1, float32(s1), float32(c1), float32(s1), float32(c1), float32(s1), float32(c1)}, 1e-7)
}

// TestSinCos1DHandComputed: dim 4 gives ω = [1, 0.01]; position 2 is
// [sin 2, sin 0.02, cos 2, cos 0.02].
func TestSinCos1DHandComputed(t *testing.T) {
	got, err := SinCos1DValues(3, 4)
	if err != nil {
		t.Fatal(err)
	}
	assertClose64(t, "position 2", got[2], []float64{0.9092974268, 0.0199986667, -0.4161468365, 0.9998000067}, 1e-9)
	assertClose64(t, "position 0", got[0], []float64{0, 0, 1, 1}, 0)
}

func TestSinCosBadSizes(t *testing.T) {
	for _, tc := range []struct{ h, w, dim int }{{2, 2, 6}, {0, 2, 4}, {2, 2, 0}} {
		if _, err := SinCos2DValues(tc.h, tc.w, tc.dim); err == nil {
			t.Errorf("SinCos2DValues(%d, %d, %d): no error", tc.h, tc.w, tc.dim)
		}
	}
	if _, err := SinCos1DValues(3, 5); err == nil {
		t.Error("SinCos1DValues with odd dim: no error")
	}
}

// TestBilinearMatrix checks the half-pixel interpolation weights by hand: 2 -> 4 maps
// output i to source (i+0.5)/2-0.5 = -0.25, 0.25, 0.75, 1.25 (clamped at the borders);
// 4 -> 2 averages pairs.
func TestBilinearMatrix(t *testing.T) {
	assertClose64(t, "2->4", flat64(BilinearMatrix(4, 2)), []float64{1, 0, 0.75, 0.25, 0.25, 0.75, 0, 1}, 1e-12)
	assertClose64(t, "4->2", flat64(BilinearMatrix(2, 4)), []float64{0.5, 0.5, 0, 0, 0, 0, 0.5, 0.5}, 1e-12)
	assertClose64(t, "3->3", flat64(BilinearMatrix(3, 3)), []float64{1, 0, 0, 0, 1, 0, 0, 0, 1}, 0)
}

// TestLearnedPosEmbeddingInterpolation stores a 2x2 grid [[1 2] [3 4]] and reads it at
// 2x2 (unchanged) and at 4x3: every output is Σ A[i,a]·B[j,b]·E[a,b] with the hand
// weights of TestBilinearMatrix for rows and, for 2 -> 3 columns (sources -1/6, 0.5,
// 7/6), [1 0], [0.5 0.5], [0 1].
func TestLearnedPosEmbeddingInterpolation(t *testing.T) {
	store := model.NewStore()
	setVar(t, store, "/pos_embed/embeddings", [][][]float32{{{1}, {2}}, {{3}, {4}}})
	rowsW := [][]float32{{1, 0}, {0.75, 0.25}, {0.25, 0.75}, {0, 1}}
	colsW := [][]float32{{1, 0}, {0.5, 0.5}, {0, 1}}
	e := [][]float32{{1, 2}, {3, 4}}
	var want []float32
	for i := range 4 {
		for j := range 3 {
			v := float32(0)
			for a := range 2 {
				for b := range 2 {
					v += rowsW[i][a] * colsW[j][b] * e[a][b]
				}
			}
			want = append(want, v)
		}
	}
	outs := testbackend.Run(t, store, func(scope *model.Scope, in []*Node) []*Node {
		g := in[0].Graph()
		same := LearnedPosEmbedding(scope.In("pos_embed"), g, dtypes.Float32, 2, 2, 1)
		resized := LearnedPosEmbedding(scope.Shared("pos_embed"), g, dtypes.Float32, 4, 3, 1)
		return []*Node{same, resized}
	}, []float32{0})
	assertClose(t, "same grid", flat(t, outs[0]), []float32{1, 2, 3, 4}, 0)
	if got := outs[1].Shape().Dimensions; !slices.Equal(got, []int{12, 1}) {
		t.Fatalf("resized shape %v, want [12 1]", got)
	}
	assertClose(t, "resized", flat(t, outs[1]), want, 1e-6)
	if got := store.GetVariable("/pos_embed/embeddings").Shape().Dimensions; !slices.Equal(got, []int{2, 2, 1}) {
		t.Errorf("stored grid changed to %v", got)
	}
}

// TestLearnedPosEmbeddingInit checks the fresh table: truncated normal with stddev
// about 0.02 (truncation at 2σ lowers it to 0.88·0.02) and no value beyond 0.04.
func TestLearnedPosEmbeddingInit(t *testing.T) {
	outs := testbackend.Run(t, nil, func(scope *model.Scope, in []*Node) []*Node {
		return []*Node{LearnedPosEmbedding(scope.In("pos_embed"), in[0].Graph(), dtypes.Float32, 16, 16, 64)}
	}, []float32{0})
	v := flat(t, outs[0])
	sum, sumSq := 0.0, 0.0
	for _, x := range v {
		if math.Abs(float64(x)) > 0.04+1e-7 {
			t.Fatalf("value %g beyond 2 stddev", x)
		}
		sum += float64(x)
		sumSq += float64(x) * float64(x)
	}
	n := float64(len(v))
	mean, std := sum/n, math.Sqrt(sumSq/n-(sum/n)*(sum/n))
	if math.Abs(mean) > 0.001 || std < 0.016 || std > 0.019 {
		t.Errorf("mean %g, stddev %g; want about 0 and 0.0176", mean, std)
	}
}
