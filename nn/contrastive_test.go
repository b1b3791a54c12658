package nn

import (
	"math"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/testbackend"
)

// contrastiveBatch is a fixed batch of 4 pairs in 3 dimensions, not normalised: the
// tests normalise it in float64 for the references and in the graph for the losses.
var (
	contrastiveImg = [][]float32{{1, 0.2, -0.3}, {0.1, 1, 0.4}, {-0.5, 0.3, 1}, {0.7, 0.7, 0.1}}
	contrastiveTxt = [][]float32{{0.9, 0.1, 0.2}, {0.3, 0.8, -0.2}, {0.2, 0.1, 0.9}, {-0.4, 0.6, 0.5}}
)

// unit64 returns the rows of x normalised in float64.
func unit64(x [][]float32) [][]float64 {
	out := make([][]float64, len(x))
	for i, row := range x {
		var n float64
		for _, v := range row {
			n += float64(v) * float64(v)
		}
		for _, v := range row {
			out[i] = append(out[i], float64(v)/math.Sqrt(n))
		}
	}
	return out
}

func dot64(a, b []float64) (s float64) {
	for k := range a {
		s += a[k] * b[k]
	}
	return s
}

// sigLIPRef is Algorithm 1 of Zhai et al. 2023 in float64 loops:
// -Σ_ij log σ(z_ij (t x_i·y_j + b)) / n with z = +1 on the diagonal, -1 elsewhere.
func sigLIPRef(x, y [][]float64, t, b float64) float64 {
	var s float64
	for i := range x {
		for j := range y {
			z := -1.0
			if i == j {
				z = 1
			}
			s += math.Log(1 + math.Exp(-z*(t*dot64(x[i], y[j])+b))) // -log σ(v) = log(1+e^-v)
		}
	}
	return s / float64(len(x))
}

// tripletRef is the bidirectional cosine-distance triplet in float64 loops.
func tripletRef(x, y [][]float64, m float64, hardest bool) float64 {
	n := len(x)
	var total float64
	for dir := range 2 {
		for a := range n {
			var worst, sum float64
			for j := range n {
				if j == a {
					continue
				}
				var dPos, dNeg float64
				if dir == 0 { // image anchor a, negative text j
					dPos, dNeg = 1-dot64(x[a], y[a]), 1-dot64(x[a], y[j])
				} else { // text anchor a, negative image j
					dPos, dNeg = 1-dot64(y[a], x[a]), 1-dot64(y[a], x[j])
				}
				h := math.Max(0, m+dPos-dNeg)
				worst, sum = math.Max(worst, h), sum+h
			}
			if hardest {
				total += worst / float64(n)
			} else {
				total += sum / float64(n*(n-1))
			}
		}
	}
	return total
}

// ntXentRef is SimCLR's NT-Xent over the 2n views [x; y] in float64 loops: row k's
// positive is its pair, its denominator all 2n-1 other views.
func ntXentRef(x, y [][]float64, tau float64) float64 {
	z := append(append([][]float64{}, x...), y...)
	n2 := len(z)
	var total float64
	for k := range z {
		var denom float64
		for j := range z {
			if j != k {
				denom += math.Exp(dot64(z[k], z[j]) / tau)
			}
		}
		pos := (k + n2/2) % n2
		total += -dot64(z[k], z[pos])/tau + math.Log(denom)
	}
	return total / float64(n2)
}

func TestSigLIPLossReference(t *testing.T) {
	x, y := unit64(contrastiveImg), unit64(contrastiveTxt)
	for _, tb := range [][2]float64{{10, -10}, {2, 0.5}, {30, -3}} {
		got := scalarOf(t, func(in []*Node) *Node {
			return SigLIPLoss(NormalizeL2(in[0], -1, 0), NormalizeL2(in[1], -1, 0), in[2], in[3])
		}, contrastiveImg, contrastiveTxt, float32(tb[0]), float32(tb[1]))
		assertScalar(t, "SigLIPLoss", got, sigLIPRef(x, y, tb[0], tb[1]), 1e-4)
	}
	// At SigLIP's init (t = 10, b = -10), matched orthonormal pairs: each diagonal logit
	// is 10·1 - 10 = 0, costing log 2; each off-diagonal one is 10·0 - 10 with label -1,
	// costing log(1 + e^-10). The sum over the 4 pairs is divided by n = 2, not by 4.
	got := scalarOf(t, func(in []*Node) *Node { return SigLIPLoss(in[0], in[0], in[1], in[2]) },
		[][]float32{{1, 0}, {0, 1}}, float32(10), float32(-10))
	assertScalar(t, "SigLIPLoss at init on matched pairs", got, (2*math.Log(2)+2*math.Log1p(math.Exp(-10)))/2, 1e-5)
}

func TestCrossModalTripletReference(t *testing.T) {
	x, y := unit64(contrastiveImg), unit64(contrastiveTxt)
	for _, neg := range []TripletNegatives{TripletHardest, TripletMean} {
		for _, m := range []float64{0.2, 1} {
			got := scalarOf(t, func(in []*Node) *Node {
				return CrossModalTriplet(NormalizeL2(in[0], -1, 0), NormalizeL2(in[1], -1, 0), m, neg)
			}, contrastiveImg, contrastiveTxt)
			want := tripletRef(x, y, m, neg == TripletHardest)
			assertScalar(t, "CrossModalTriplet "+string(neg), got, want, 1e-5)
			if want == 0 {
				t.Errorf("margin %g, %s: the reference is 0, the case tests nothing", m, neg)
			}
		}
	}
	// Orthonormal pairs with margin 0.2: every negative is 1 farther than the positive,
	// so no hinge is active.
	got := scalarOf(t, func(in []*Node) *Node { return CrossModalTriplet(in[0], in[0], 0.2, TripletHardest) },
		[][]float32{{1, 0}, {0, 1}})
	assertScalar(t, "CrossModalTriplet of separated pairs", got, 0, 1e-7)
}

// TestNTXentCrossModalReference checks NTXent, the ntxent objective over images and
// texts, against float64 loops on the 4-pair batch (TestNTXentHandComputed checks 2).
func TestNTXentCrossModalReference(t *testing.T) {
	got := scalarOf(t, func(in []*Node) *Node { return NTXent(in[0], in[1], 0.1) }, contrastiveImg, contrastiveTxt)
	assertScalar(t, "NTXent", got, ntXentRef(unit64(contrastiveImg), unit64(contrastiveTxt), 0.1), 1e-4)
}

// TestContrastiveLossesDescend takes 30 plain gradient steps on free embeddings
// (normalised in the graph, as the towers' outputs) with each loss: the loss falls.
func TestContrastiveLossesDescend(t *testing.T) {
	losses := map[string]func(x, y *Node) *Node{
		"siglip": func(x, y *Node) *Node {
			g := x.Graph()
			return SigLIPLoss(x, y, Scalar(g, x.DType(), 10), Scalar(g, x.DType(), -10))
		},
		"triplet-hardest": func(x, y *Node) *Node { return CrossModalTriplet(x, y, 0.2, TripletHardest) },
		"triplet-mean":    func(x, y *Node) *Node { return CrossModalTriplet(x, y, 0.2, TripletMean) },
		"ntxent":          func(x, y *Node) *Node { return NTXent(x, y, 0.1) },
	}
	for name, loss := range losses {
		t.Run(name, func(t *testing.T) {
			outs := testbackend.Run(t, nil, func(_ *model.Scope, in []*Node) []*Node {
				x, y := in[0], in[1]
				first := loss(NormalizeL2(x, -1, 0), NormalizeL2(y, -1, 0))
				for range 30 {
					l := loss(NormalizeL2(x, -1, 0), NormalizeL2(y, -1, 0))
					grads := Gradient(l, x, y)
					x, y = Sub(x, MulScalar(grads[0], 0.1)), Sub(y, MulScalar(grads[1], 0.1))
				}
				return []*Node{first, loss(NormalizeL2(x, -1, 0), NormalizeL2(y, -1, 0))}
			}, contrastiveImg, contrastiveTxt)
			before, after := float64(flat(t, outs[0])[0]), float64(flat(t, outs[1])[0])
			if !(after < 0.8*before) {
				t.Errorf("loss %.5f after 30 steps, from %.5f: want a fall of at least 20%%", after, before)
			}
		})
	}
}

func TestContrastiveBadInput(t *testing.T) {
	a, b3 := [][]float32{{1, 0}, {0, 1}}, [][]float32{{1, 0, 0}, {0, 1, 0}}
	for _, tc := range []struct {
		name string
		fn   func(in []*Node) *Node
		want string
	}{
		{"siglip shapes", func(in []*Node) *Node {
			one := ScalarOne(in[0].Graph(), in[0].DType())
			return SigLIPLoss(in[0], in[1], one, one)
		}, "differ in shape"},
		{"siglip bias", func(in []*Node) *Node {
			return SigLIPLoss(in[0], in[0], ScalarOne(in[0].Graph(), in[0].DType()), in[0])
		},
			"must be scalars"},
		{"triplet margin", func(in []*Node) *Node { return CrossModalTriplet(in[0], in[0], -1, TripletHardest) }, "margin"},
		{"triplet negatives", func(in []*Node) *Node { return CrossModalTriplet(in[0], in[0], 0.2, "all") }, "negatives"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runErr(t, func(_ *model.Scope, in []*Node) []*Node { return []*Node{tc.fn(in)} }, a, b3)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
