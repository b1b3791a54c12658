package nn

import (
	"math"
	"slices"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/testbackend"
)

func TestPrependCLS(t *testing.T) {
	store := model.NewStore()
	setVar(t, store, "/cls/token", []float32{1, 2, 3})
	x := [][][]float32{{{4, 5, 6}, {7, 8, 9}}, {{10, 11, 12}, {13, 14, 15}}}
	outs := testbackend.Run(t, store, func(scope *model.Scope, in []*Node) []*Node {
		return []*Node{PrependCLS(scope.In("cls"), in[0]), PrependMask(in[1])}
	}, x, [][]int32{{1, 0}, {1, 1}})
	if got := outs[0].Shape().Dimensions; !slices.Equal(got, []int{2, 3, 3}) {
		t.Fatalf("shape %v, want [2 3 3]", got)
	}
	assertClose(t, "tokens", flat(t, outs[0]), []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 10, 11, 12, 13, 14, 15}, 0)
	mask := tensors.MustCopyFlatData[bool](outs[1])
	if !slices.Equal(mask, []bool{true, true, false, true, true, true}) {
		t.Errorf("mask %v", mask)
	}
}

// TestXavierUniformInit checks the reference initialisation through Scope.WithInitializer:
// dense weights [256, 128] from xavier_uniform, |w| <= sqrt(6/384) = 0.125 with
// stddev 0.125/sqrt(3) = 0.0722, zero biases, and a zero head with ZeroInit.
func TestXavierUniformInit(t *testing.T) {
	store := model.NewStore()
	x := make([][]float32, 4)
	for i := range x {
		x[i] = make([]float32, 256)
	}
	testbackend.Run(t, store, func(scope *model.Scope, in []*Node) []*Node {
		scope = scope.WithInitializer(XavierUniformInit(scope))
		h := Dense(scope.In("fc"), in[0], true, 128)
		return []*Node{Dense(scope.In("head").WithInitializer(ZeroInit), h, true, 10)}
	}, x)
	w := tensors.MustCopyFlatData[float32](store.GetVariable("/fc/dense/weights").MustValue())
	sumSq := 0.0
	for _, v := range w {
		if math.Abs(float64(v)) > 0.125+1e-6 {
			t.Fatalf("weight %g beyond the xavier bound 0.125", v)
		}
		sumSq += float64(v) * float64(v)
	}
	if std := math.Sqrt(sumSq / float64(len(w))); std < 0.069 || std > 0.0755 {
		t.Errorf("weight stddev %g, want about 0.0722", std)
	}
	for _, path := range []string{"/fc/dense/biases", "/head/dense/weights", "/head/dense/biases"} {
		for _, v := range tensors.MustCopyFlatData[float32](store.GetVariable(path).MustValue()) {
			if v != 0 {
				t.Fatalf("%s has %g, want zeros", path, v)
			}
		}
	}
}

// TestLecunNormalInit: stddev sqrt(1/fan_in) after truncation at 2 stddev of the
// rescaled normal, biases zero.
func TestLecunNormalInit(t *testing.T) {
	store := model.NewStore()
	x := [][]float32{make([]float32, 64)}
	testbackend.Run(t, store, func(scope *model.Scope, in []*Node) []*Node {
		return []*Node{Dense(scope.In("fc").WithInitializer(LecunNormalInit(scope)), in[0], true, 512)}
	}, x)
	w := tensors.MustCopyFlatData[float32](store.GetVariable("/fc/dense/weights").MustValue())
	sumSq := 0.0
	for _, v := range w {
		sumSq += float64(v) * float64(v)
	}
	if std := math.Sqrt(sumSq / float64(len(w))); math.Abs(std-0.125) > 0.004 {
		t.Errorf("weight stddev %g, want sqrt(1/64) = 0.125", std)
	}
	for _, v := range tensors.MustCopyFlatData[float32](store.GetVariable("/fc/dense/biases").MustValue()) {
		if v != 0 {
			t.Fatal("biases not zero")
		}
	}
}
