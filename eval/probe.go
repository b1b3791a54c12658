package eval

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// ProbeConfig configures LinearProbe. Zero values take the defaults noted.
type ProbeConfig struct {
	Epochs      int     // passes over the training features; 0 means 30.
	Batch       int     // examples per Adam step; 0 means 256.
	LR          float64 // Adam's learning rate; 0 means 0.01.
	WeightDecay float64 // L2 penalty on the weights (not the biases); 0 means none.
	Seed        uint64  // shuffling order.
}

// ProbeResult is the accuracy of a trained linear probe.
type ProbeResult struct {
	TrainAccuracy float64 `json:"train_accuracy"`
	TestAccuracy  float64 `json:"test_accuracy"`
}

// LinearProbe trains a linear classifier (softmax regression) on frozen features
// and reports its accuracy: the paper's linear-probing protocol, whose classifier
// reads features standardised by a BatchNorm without affine parameters; here they
// are standardised by the training features' per-dimension mean and standard
// deviation, which is what that BatchNorm computes at the end of training.
//
// trainX: [nTrain*dim] row-major; trainY: [nTrain] in [0, classes); testX, testY
// likewise (testX may be empty).
func LinearProbe(trainX []float32, trainY []int32, testX []float32, testY []int32, dim, classes int, cfg ProbeConfig) (ProbeResult, error) {
	if err := checkProbeData("train", trainX, trainY, dim, classes); err != nil {
		return ProbeResult{}, err
	}
	if len(trainY) == 0 {
		return ProbeResult{}, fmt.Errorf("eval.LinearProbe: no training examples")
	}
	if err := checkProbeData("test", testX, testY, dim, classes); err != nil {
		return ProbeResult{}, err
	}
	if cfg.Epochs <= 0 {
		cfg.Epochs = 30
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 256
	}
	if cfg.LR <= 0 {
		cfg.LR = 0.01
	}
	mean, std := standardiser(trainX, dim)
	p := newSoftmaxRegression(dim, classes)
	n := len(trainY)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x9b0be))
	x := make([]float64, dim)
	for range cfg.Epochs {
		order := rng.Perm(n)
		for start := 0; start < n; start += cfg.Batch {
			p.zeroGrad()
			idx := order[start:min(start+cfg.Batch, n)]
			for _, i := range idx {
				standardise(trainX[i*dim:(i+1)*dim], mean, std, x)
				p.accumulate(x, int(trainY[i]))
			}
			p.adamStep(cfg.LR, cfg.WeightDecay, len(idx))
		}
	}
	return ProbeResult{TrainAccuracy: p.accuracy(trainX, trainY, mean, std), TestAccuracy: p.accuracy(testX, testY, mean, std)}, nil
}

func checkProbeData(split string, x []float32, y []int32, dim, classes int) error {
	if dim <= 0 || classes < 2 {
		return fmt.Errorf("eval.LinearProbe: dim %d and classes %d: want dim > 0 and at least 2 classes", dim, classes)
	}
	if len(x) != len(y)*dim {
		return fmt.Errorf("eval.LinearProbe: %s: %d feature values for %d labels of dim %d", split, len(x), len(y), dim)
	}
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("eval.LinearProbe: %s: feature %d of example %d is %v", split, i%dim, i/dim, v)
		}
	}
	for i, l := range y {
		if l < 0 || int(l) >= classes {
			return fmt.Errorf("eval.LinearProbe: %s: label %d of example %d out of range [0, %d)", split, l, i, classes)
		}
	}
	return nil
}

// standardiser returns the per-dimension mean and standard deviation of x [n*dim]
// (a constant dimension gets std 1).
func standardiser(x []float32, dim int) (mean, std []float64) {
	n := len(x) / dim
	mean, std = make([]float64, dim), make([]float64, dim)
	for i := range n {
		for d := range dim {
			mean[d] += float64(x[i*dim+d])
		}
	}
	for d := range mean {
		mean[d] /= float64(n)
	}
	for i := range n {
		for d := range dim {
			v := float64(x[i*dim+d]) - mean[d]
			std[d] += v * v
		}
	}
	for d := range std {
		std[d] = math.Sqrt(std[d] / float64(n))
		if std[d] < 1e-12 {
			std[d] = 1
		}
	}
	return mean, std
}

func standardise(row []float32, mean, std, dst []float64) {
	for d, v := range row {
		dst[d] = (float64(v) - mean[d]) / std[d]
	}
}

// softmaxRegression holds logits = x W + b with W [dim, classes], its gradient
// accumulators and Adam's moments, all flattened with the biases after the weights.
type softmaxRegression struct {
	dim, classes int
	w, grad      []float64 // [dim*classes + classes]
	m, v         []float64
	step         int
	logits       []float64
}

func newSoftmaxRegression(dim, classes int) *softmaxRegression {
	n := dim*classes + classes
	return &softmaxRegression{dim: dim, classes: classes, w: make([]float64, n), grad: make([]float64, n),
		m: make([]float64, n), v: make([]float64, n), logits: make([]float64, classes)}
}

func (p *softmaxRegression) zeroGrad() { clear(p.grad) }

// forward fills p.logits with the softmax probabilities of x and returns the argmax.
func (p *softmaxRegression) forward(x []float64) int {
	k := p.classes
	bias := p.w[p.dim*k:]
	copy(p.logits, bias)
	for d, xv := range x {
		row := p.w[d*k : (d+1)*k]
		for c := range k {
			p.logits[c] += xv * row[c]
		}
	}
	best, mx := 0, p.logits[0]
	for c, l := range p.logits {
		if l > mx {
			best, mx = c, l
		}
	}
	var sum float64
	for c := range p.logits {
		p.logits[c] = math.Exp(p.logits[c] - mx)
		sum += p.logits[c]
	}
	for c := range p.logits {
		p.logits[c] /= sum
	}
	return best
}

// accumulate adds the cross-entropy gradient of one example: (softmax - onehot) x.
func (p *softmaxRegression) accumulate(x []float64, label int) {
	k := p.classes
	p.forward(x)
	p.logits[label]--
	for d, xv := range x {
		g := p.grad[d*k : (d+1)*k]
		for c := range k {
			g[c] += xv * p.logits[c]
		}
	}
	gb := p.grad[p.dim*k:]
	for c := range k {
		gb[c] += p.logits[c]
	}
}

// adamStep applies Adam (β = 0.9, 0.999) to the mean gradient over n examples, with
// an L2 penalty wd on the weights.
func (p *softmaxRegression) adamStep(lr, wd float64, n int) {
	const b1, b2, eps = 0.9, 0.999, 1e-8
	p.step++
	c1 := 1 - math.Pow(b1, float64(p.step))
	c2 := 1 - math.Pow(b2, float64(p.step))
	weights := p.dim * p.classes
	for i := range p.w {
		g := p.grad[i] / float64(n)
		if i < weights {
			g += wd * p.w[i]
		}
		p.m[i] = b1*p.m[i] + (1-b1)*g
		p.v[i] = b2*p.v[i] + (1-b2)*g*g
		p.w[i] -= lr * (p.m[i] / c1) / (math.Sqrt(p.v[i]/c2) + eps)
	}
}

func (p *softmaxRegression) accuracy(xs []float32, ys []int32, mean, std []float64) float64 {
	if len(ys) == 0 {
		return math.NaN()
	}
	x := make([]float64, p.dim)
	correct := 0
	for i, y := range ys {
		standardise(xs[i*p.dim:(i+1)*p.dim], mean, std, x)
		if p.forward(x) == int(y) {
			correct++
		}
	}
	return float64(correct) / float64(len(ys))
}
