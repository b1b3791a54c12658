package fusion

import (
	"fmt"
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// dense is a weight matrix [in, out] and its biases [out] set by hand, in nn.Dense's
// layout (y_j = Σ_i x_i w[i][j] + b_j).
type dense struct {
	in, out int
	w, b    []float32
}

// knownDense fills a dense layer with 0.3 sin(...) weights and 0.2 cos(...) biases: small
// enough to keep tanh and sigmoid away from saturation on the towers' features, different
// per unit and per phase so that a swapped operand or transposed weight changes the
// result.
func knownDense(in, out int, phase float64) dense {
	d := dense{in: in, out: out, w: make([]float32, in*out), b: make([]float32, out)}
	for i := range in {
		for j := range out {
			d.w[i*out+j] = float32(0.3 * math.Sin(1.7*float64(i)+0.9*float64(j)+phase))
		}
	}
	for j := range out {
		d.b[j] = float32(0.2 * math.Cos(2.3*float64(j)+phase))
	}
	return d
}

// apply computes x·w + b in float64 for one example x: [in].
func (d dense) apply(x []float64) []float64 {
	y := make([]float64, d.out)
	for j := range d.out {
		y[j] = float64(d.b[j])
		for i := range d.in {
			y[j] += x[i] * float64(d.w[i*d.out+j])
		}
	}
	return y
}

// store puts the layer in s as the variables of nn.Dense under scope path.
func (d dense) store(t *testing.T, s *model.Store, path string) {
	t.Helper()
	for name, v := range map[string]*tensors.Tensor{
		path + "/dense/weights": tensors.FromFlatDataAndDimensions(d.w, d.in, d.out),
		path + "/dense/biases":  tensors.FromFlatDataAndDimensions(d.b, d.out),
	} {
		if _, err := s.CreateVariable(name, v); err != nil {
			t.Fatal(err)
		}
	}
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// TestFusionValues checks the core of gated and bilinear fusion against a float64
// computation by hand: the fusion layers and the linear classifier (Hidden = 0, the
// P projection of MLB) are set to known values, the towers keep their random
// initialisation, and the joint vector and logit of every example are recomputed from
// the pooled features the model returns.
func TestFusionValues(t *testing.T) {
	const width = 3 // GateDim and Rank
	for _, kind := range []Kind{Gated, Bilinear} {
		cfg := tiny(kind, 0)
		cfg.GateDim, cfg.Rank = width, width
		s := model.NewStore()
		img, txt := knownDense(16, width, 0.1), knownDense(16, width, 1.3)
		gate := knownDense(32, width, 2.2) // reads [v; t]
		out := knownDense(width, 1, 0.7)   // the classifier's only layer
		switch kind {
		case Gated:
			img.store(t, s, "/gmu/image")
			txt.store(t, s, "/gmu/text")
			gate.store(t, s, "/gmu/gate")
		case Bilinear:
			img.store(t, s, "/mlb/image")
			txt.store(t, s, "/mlb/text")
		}
		out.store(t, s, "/classifier/out")
		exec := model.MustNewExec(backend, s, func(scope *model.Scope, in []*Node) []*Node {
			o := Build(scope, cfg, in[0], in[1], in[2])
			return []*Node{o.ImageFeatures, o.TextFeatures, o.Joint, o.Logits}
		})
		images, ids, mask, _ := xorBatch()
		res := exec.MustExec(images, ids, mask)
		flat := make([][]float32, len(res))
		for i, r := range res {
			flat[i] = tensors.MustCopyFlatData[float32](r)
		}
		if spread(flat[0]) < 0.1 || spread(flat[1]) < 0.1 {
			t.Fatalf("%s: pooled features nearly constant (%v, %v): the test would only check biases", kind,
				spread(flat[0]), spread(flat[1]))
		}
		for e := range 8 {
			v, tx := make([]float64, 16), make([]float64, 16)
			for i := range 16 {
				v[i], tx[i] = float64(flat[0][e*16+i]), float64(flat[1][e*16+i])
			}
			hv, ht := img.apply(v), txt.apply(tx)
			z := gate.apply(append(append([]float64{}, v...), tx...))
			want := make([]float64, width)
			for j := range width {
				switch kind {
				case Gated: // h = z ⊙ tanh(W_v v) + (1-z) ⊙ tanh(W_t t)
					zj := sigmoid(z[j])
					want[j] = zj*math.Tanh(hv[j]) + (1-zj)*math.Tanh(ht[j])
				case Bilinear: // f = tanh(U v) ⊙ tanh(V t)
					want[j] = math.Tanh(hv[j]) * math.Tanh(ht[j])
				}
			}
			want = append(want, out.apply(want)[0])
			got := append(append([]float64{}, f64(flat[2][e*width:(e+1)*width])...), float64(flat[3][e]))
			if err := near(got, want, 1e-5); err != nil {
				t.Errorf("%s, example %d: [joint, logit] = %.6f, want %.6f: %v", kind, e, got, want, err)
			}
		}
	}
}

// spread is max - min of x.
func spread(x []float32) float64 {
	lo, hi := x[0], x[0]
	for _, v := range x {
		lo, hi = min(lo, v), max(hi, v)
	}
	return float64(hi - lo)
}

func f64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// near reports the first element of got farther than tol from want.
func near(got, want []float64, tol float64) error {
	for i := range want {
		if math.IsNaN(got[i]) || math.Abs(got[i]-want[i]) > tol {
			return fmt.Errorf("element %d off by %.2g", i, got[i]-want[i])
		}
	}
	return nil
}
