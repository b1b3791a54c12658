package nn

import (
	"math"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/testbackend"
)

// scalarOf runs fn on the inputs and returns its scalar output.
func scalarOf(t *testing.T, fn func(in []*Node) *Node, inputs ...any) float64 {
	t.Helper()
	outs := testbackend.Run(t, nil, func(_ *model.Scope, in []*Node) []*Node { return []*Node{fn(in)} }, inputs...)
	return float64(flat(t, outs[0])[0])
}

func assertScalar(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.7f, want %.7f", what, got, want)
	}
}

// TestClipLossHandComputed: img = [[1 0] [0 1]], txt = [[0.6 0.8] [1 0]], scale 2 give
// logits [[1.2 2] [1.6 0]]. Rows (image→text): log(e^1.2+e^2)-1.2 = 1.171101 and
// log(e^1.6+1) = 1.783900, mean 1.477501. Columns (text→image): log(e^1.2+e^1.6)-1.2 =
// 0.912999 and log(e^2+1) = 2.126928, mean 1.519972. Loss = their mean, 1.498736.
func TestClipLossHandComputed(t *testing.T) {
	img := [][]float32{{1, 0}, {0, 1}}
	txt := [][]float32{{0.6, 0.8}, {1, 0}}
	got := scalarOf(t, func(in []*Node) *Node { return ClipLoss(in[0], in[1], in[2]) }, img, txt, float32(2))
	assertScalar(t, "ClipLoss", got, 1.4987361676, 1e-5)
	// Perfectly matched pairs at a large scale cost almost nothing.
	got = scalarOf(t, func(in []*Node) *Node { return ClipLoss(in[0], in[0], in[1]) }, img, float32(100))
	assertScalar(t, "ClipLoss of matched pairs", got, 0, 1e-5)
}

// TestInfoNCEHandComputed: the inputs are normalised first, query [[1 0] [0 2]] to
// [[1 0] [0 1]] and positives [[3 4] [1 0]] to [[0.6 0.8] [1 0]]; at temperature 0.5
// the logits are [[1.2 2] [1.6 0]], whose row cross-entropy is 1.477501 (see
// TestClipLossHandComputed).
func TestInfoNCEHandComputed(t *testing.T) {
	got := scalarOf(t, func(in []*Node) *Node { return InfoNCE(in[0], in[1], 0.5) },
		[][]float32{{1, 0}, {0, 2}}, [][]float32{{3, 4}, {1, 0}})
	assertScalar(t, "InfoNCE", got, 1.4775007034, 1e-5)
}

// TestNTXentHandComputed: views a0=(1,0), a1=(0,1), b0=(0.6,0.8), b1=(1,0) at
// temperature 1. Row a0 sees a1, b0, b1 with similarities 0, 0.6, 1 and positive b0:
// log(1+e^0.6+e)-0.6 = 1.112070. Row a1: 0, 0.8, 0, positive b1: log(2+e^0.8) = 1.441146.
// Row b0: 0.6, 0.8, 0.6, positive a0: log(2e^0.6+e^0.8)-0.6 = 1.169818. Row b1: 1, 0,
// 0.6, positive a1: log(e+1+e^0.6) = 1.712070. Mean 1.358774.
func TestNTXentHandComputed(t *testing.T) {
	got := scalarOf(t, func(in []*Node) *Node { return NTXent(in[0], in[1], 1) },
		[][]float32{{1, 0}, {0, 1}}, [][]float32{{0.6, 0.8}, {1, 0}})
	assertScalar(t, "NTXent", got, 1.3587744536, 1e-5)
	// Scaling a view does not change cosine similarities.
	got = scalarOf(t, func(in []*Node) *Node { return NTXent(in[0], in[1], 1) },
		[][]float32{{3, 0}, {0, 0.5}}, [][]float32{{6, 8}, {2, 0}})
	assertScalar(t, "NTXent of rescaled views", got, 1.3587744536, 1e-5)
}

// TestTripletMarginHandComputed: margin 1; example 0 has d(a,p) = 5 and d(a,n) = 1,
// loss 5; example 1 has 1 and 5, loss max(0, -3) = 0; example 2 has 1 and 1.5, loss
// 0.5. Mean 11/6.
func TestTripletMarginHandComputed(t *testing.T) {
	got := scalarOf(t, func(in []*Node) *Node { return TripletMargin(in[0], in[1], in[2], 1) },
		[][]float32{{0, 0}, {1, 1}, {0, 0}}, [][]float32{{3, 4}, {1, 2}, {0, 1}}, [][]float32{{1, 0}, {4, 5}, {0, 1.5}})
	assertScalar(t, "TripletMargin", got, 11.0/6, 1e-5)
}

// TestNormalizeL2 checks unit rows, a zero row kept at zero, and a finite gradient at
// the zero row.
func TestNormalizeL2(t *testing.T) {
	outs := testbackend.Run(t, nil, func(_ *model.Scope, in []*Node) []*Node {
		y := NormalizeL2(in[0], -1, 0)
		loss := ReduceAllSum(Mul(y, in[1]))
		return []*Node{y, Gradient(loss, in[0])[0]}
	}, [][]float32{{3, 4}, {0, 0}}, [][]float32{{1, 2}, {3, 4}})
	assertClose(t, "normalised", flat(t, outs[0]), []float32{0.6, 0.8, 0, 0}, 1e-6)
	// d/dx (x/|x|)·w = (w - (w·u)u)/|x| at x = (3,4): u = (0.6,0.8), w·u = 2.2,
	// so (1-1.32, 2-1.76)/5 = (-0.064, 0.048).
	grad := flat(t, outs[1])
	assertClose(t, "gradient of row 0", grad[:2], []float32{-0.064, 0.048}, 1e-6)
	for _, g := range grad[2:] {
		if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
			t.Fatalf("gradient at the zero row is %g", g)
		}
	}
}

func TestLossBadInput(t *testing.T) {
	a, b3 := [][]float32{{1, 0}, {0, 1}}, [][]float32{{1, 0, 0}, {0, 1, 0}}
	for _, tc := range []struct {
		name string
		fn   func(in []*Node) *Node
		want string
	}{
		{"clip shapes", func(in []*Node) *Node { return ClipLoss(in[0], in[1], ScalarOne(in[0].Graph(), in[0].DType())) }, "differ in shape"},
		{"infonce temperature", func(in []*Node) *Node { return InfoNCE(in[0], in[0], 0) }, "temperature must be positive"},
		{"ntxent temperature", func(in []*Node) *Node { return NTXent(in[0], in[0], -1) }, "temperature must be positive"},
		{"triplet shapes", func(in []*Node) *Node { return TripletMargin(in[0], in[0], in[1], 1) }, "differ in shape"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runErr(t, func(_ *model.Scope, in []*Node) []*Node { return []*Node{tc.fn(in)} }, a, b3)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
