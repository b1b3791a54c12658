package eval

import (
	"math/rand/v2"
	"testing"
)

// gaussianClasses draws n points of dim features around one centre per class; the
// centres are far apart on the first feature, the others are noise.
func gaussianClasses(seed uint64, n, dim, classes int, sep float64) ([]float32, []int32) {
	rng := rand.New(rand.NewPCG(seed, 2))
	x := make([]float32, n*dim)
	y := make([]int32, n)
	for i := range n {
		c := rng.IntN(classes)
		y[i] = int32(c)
		for d := range dim {
			x[i*dim+d] = float32(rng.NormFloat64())
		}
		x[i*dim] += float32(sep * float64(c))
		x[i*dim+1] = 1000 + 0.001*x[i*dim+1] // a badly scaled feature the standardiser must tame.
	}
	return x, y
}

func TestLinearProbeSeparable(t *testing.T) {
	const dim, classes = 5, 3
	trX, trY := gaussianClasses(1, 600, dim, classes, 8)
	teX, teY := gaussianClasses(2, 300, dim, classes, 8)
	res, err := LinearProbe(trX, trY, teX, teY, dim, classes, ProbeConfig{Seed: 1, Epochs: 100})
	if err != nil {
		t.Fatal(err)
	}
	if res.TrainAccuracy < 0.99 || res.TestAccuracy < 0.99 {
		t.Errorf("separable classes: %+v, want accuracies of at least 0.99", res)
	}
	// Pure noise features: the probe cannot beat chance by much on unseen data.
	rng := rand.New(rand.NewPCG(3, 3))
	noise := func(n int) ([]float32, []int32) {
		x, y := make([]float32, n*dim), make([]int32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		for i := range y {
			y[i] = int32(rng.IntN(classes))
		}
		return x, y
	}
	nX, nY := noise(600)
	mX, mY := noise(3000)
	res, err = LinearProbe(nX, nY, mX, mY, dim, classes, ProbeConfig{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.TestAccuracy > 0.42 {
		t.Errorf("noise features: test accuracy %.3f, want near chance 0.33", res.TestAccuracy)
	}
}

func TestLinearProbeBadInput(t *testing.T) {
	x := []float32{1, 2, 3, 4}
	y := []int32{0, 1}
	for name, tc := range map[string]struct {
		trX         []float32
		trY, teY    []int32
		teX         []float32
		dim, labels int
	}{
		"short features": {x[:3], y, nil, nil, 2, 2},
		"label range":    {x, []int32{0, 2}, nil, nil, 2, 2},
		"negative label": {x, []int32{-1, 0}, nil, nil, 2, 2},
		"one class":      {x, []int32{0, 0}, nil, nil, 2, 1},
		"zero dim":       {x, y, nil, nil, 0, 2},
		"no examples":    {nil, nil, nil, nil, 2, 2},
		"test mismatch":  {x, y, []int32{0}, []float32{1}, 2, 2},
		"nan feature":    {[]float32{1, 2, 3, float32NaN()}, y, nil, nil, 2, 2},
	} {
		if _, err := LinearProbe(tc.trX, tc.trY, tc.teX, tc.teY, tc.dim, tc.labels, ProbeConfig{}); err == nil {
			t.Errorf("%s: LinearProbe accepted it", name)
		}
	}
}

func float32NaN() float32 {
	zero := float32(0)
	return zero / zero
}
