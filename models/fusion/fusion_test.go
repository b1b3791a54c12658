package fusion

import (
	"math"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/mmdna/mmdna/internal/testbackend"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
)

var backend = testbackend.Go()

// tiny is a fusion model on 8x8 RGB images (4 patches) and 4-token texts.
func tiny(kind Kind, hidden int) Config {
	return Config{Kind: kind,
		Image:  vit.Config{Image: 8, Channels: 3, Patch: 4, Dim: 16, Depth: 1, Heads: 2, MLPDim: 32, Pool: vit.PoolGAP},
		Text:   nn.TextEncoderConfig{VocabSize: 10, MaxLen: 4, Dim: 16, Depth: 1, Heads: 2, MLPDim: 32},
		Hidden: hidden, Concepts: 8, CrossDepth: 1, CrossHeads: 2, GateDim: 12, Rank: 20, Outputs: 1,
		ReturnAttention: true}
}

// xorBatch is a matching task no additive score can solve: images are bright (+1) or
// dark (-1), texts say "bright" (id 5) or "dark" (id 6), and the label is 1 when they
// agree. Two examples of each of the four combinations.
func xorBatch() (images, ids, mask, labels *tensors.Tensor) {
	const n = 8
	x := make([]float32, n*8*8*3)
	id := make([]int32, n*4)
	m := make([]int32, n*4)
	y := make([]float32, n)
	for i := range n {
		bright, saysBright := i%2 == 0, (i/2)%2 == 0
		v := float32(-1)
		if bright {
			v = 1
		}
		for j := range 8 * 8 * 3 {
			x[i*192+j] = v + 0.05*float32(j%5)
		}
		word := int32(6)
		if saysBright {
			word = 5
		}
		copy(id[i*4:], []int32{1, word, 2, 0})
		copy(m[i*4:], []int32{1, 1, 1, 0})
		if bright == saysBright {
			y[i] = 1
		}
	}
	return tensors.FromFlatDataAndDimensions(x, n, 8, 8, 3), tensors.FromFlatDataAndDimensions(id, n, 4),
		tensors.FromFlatDataAndDimensions(m, n, 4), tensors.FromFlatDataAndDimensions(y, n, 1)
}

func TestShapes(t *testing.T) {
	for _, tc := range []struct {
		kind   Kind
		hidden int
		joint  int
	}{{Early, 0, 32}, {Early, 24, 32}, {Late, 0, 24}, {Hybrid, 24, 48}, {Gated, 0, 12}, {Gated, 24, 12},
		{Bilinear, 0, 20}, {Bilinear, 24, 20}} {
		cfg := tiny(tc.kind, tc.hidden)
		exec := model.MustNewExec(backend, model.NewStore(), func(scope *model.Scope, in []*Node) []*Node {
			o := Build(scope, cfg, in[0], in[1], in[2])
			return append([]*Node{o.ImageTokens, o.TextTokens, o.ImageFeatures, o.TextFeatures, o.Joint, o.Logits},
				o.Attention...)
		})
		images, ids, mask, _ := xorBatch()
		out := exec.MustExec(images, ids, mask)
		want := [][]int{{8, 4, 16}, {8, 4, 16}, {8, 16}, {8, 16}, {8, tc.joint}, {8, 1}}
		if tc.kind == Hybrid {
			want = append(want, []int{8, 2, 4, 4}) // [batch, heads, text len, image tokens]
		}
		if len(out) != len(want) {
			t.Fatalf("%s: %d outputs, want %d", tc.kind, len(out), len(want))
		}
		for i, w := range want {
			if got := out[i].Shape().Dimensions; !slices.Equal(got, w) {
				t.Errorf("%s (hidden %d): output %d shape %v, want %v", tc.kind, tc.hidden, i, got, w)
			}
		}
	}
}

// TestLateJointValues: the late joint vector is [p⊙q, p, q] with p, q the sigmoid
// concept scores; with concept weights zero and biases set by hand, p = σ(1) and
// q = σ(-2) in every concept.
func TestLateJointValues(t *testing.T) {
	cfg := tiny(Late, 0)
	cfg.Concepts = 2
	store := model.NewStore()
	set := func(name string, v []float32, dims ...int) {
		if _, err := store.CreateVariable(name, tensors.FromFlatDataAndDimensions(v, dims...)); err != nil {
			t.Fatal(err)
		}
	}
	set("/image_concepts/dense/weights", make([]float32, 32), 16, 2)
	set("/image_concepts/dense/biases", []float32{1, 1}, 2)
	set("/text_concepts/dense/weights", make([]float32, 32), 16, 2)
	set("/text_concepts/dense/biases", []float32{-2, -2}, 2)
	exec := model.MustNewExec(backend, store, func(scope *model.Scope, in []*Node) *Node {
		return Build(scope, cfg, in[0], in[1], in[2]).Joint
	})
	images, ids, mask, _ := xorBatch()
	got := tensors.MustCopyFlatData[float32](exec.MustExec(images, ids, mask)[0])
	p, q := 1/(1+math.Exp(-1)), 1/(1+math.Exp(2))
	want := []float64{p * q, p * q, p, p, q, q}
	for i, w := range want {
		if math.Abs(float64(got[i])-w) > 1e-5 {
			t.Fatalf("joint of example 0 = %v, want %v", got[:6], want)
		}
	}
}

// TestTrainingXOR trains every strategy for 60 steps on the XOR matching batch. Early
// fusion with the chapter's linear classifier scores image and text additively, so
// its mean loss can never go below ln 2 (by convexity of the log-loss, the two positive
// and two negative combinations have equal summed scores); the MLP, late fusion's
// product rule and hybrid cross-attention learn it, and so do gated and bilinear fusion
// with the same linear classifier (Hidden = 0): their joint vectors hold products of an
// image function and a text function, which a linear read-out can weigh.
func TestTrainingXOR(t *testing.T) {
	for _, tc := range []struct {
		kind   Kind
		hidden int
	}{{Early, 0}, {Early, 32}, {Late, 0}, {Hybrid, 32}, {Gated, 0}, {Gated, 32}, {Bilinear, 0}, {Bilinear, 32}} {
		cfg := tiny(tc.kind, tc.hidden)
		cfg.ReturnAttention = false
		store := model.NewStore()
		store.SetParam(model.ParamInitialSeed, int64(7))
		trainer := train.NewTrainer(backend, store, func(scope *model.Scope, in []*Node) *Node {
			return Build(scope, cfg, in[0], in[1], in[2]).Logits
		}, loss.BinaryCrossentropyLogits, optimizer.Adam().LearningRate(1e-2).Done(), nil, nil)
		var last float64
		for range 60 {
			images, ids, mask, labels := xorBatch()
			m, err := trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{images, ids, mask},
				Labels: []*tensors.Tensor{labels}})
			if err != nil {
				t.Fatal(err)
			}
			last = float64(tensors.ToScalar[float32](m[0]))
		}
		t.Logf("%s (hidden %d): loss %.4f after 60 steps", tc.kind, tc.hidden, last)
		linear := tc.kind == Early && tc.hidden == 0
		if linear && last < math.Ln2-1e-3 {
			t.Errorf("early/linear: loss %.4f below ln 2: an additive score cannot do that", last)
		}
		if !linear && last > 0.35 {
			t.Errorf("%s (hidden %d): loss %.4f after 60 steps, want below 0.35 (half of ln 2)", tc.kind, tc.hidden, last)
		}
	}
}

// TestConfigErrors: every bad configuration gives a one-line error that names what is
// wrong; each strategy's own parameter is checked only for that strategy.
func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		want   string // in the error
		mutate func(c *Config)
	}{
		{"middle", func(c *Config) { c.Kind = "middle" }},
		{"head", func(c *Config) { c.Image.Classes = 2 }},
		{"outputs", func(c *Config) { c.Outputs = 0 }},
		{"concepts", func(c *Config) { c.Kind, c.Concepts = Late, 0 }},
		{"cross_depth", func(c *Config) { c.Kind, c.CrossDepth = Hybrid, 0 }},
		{"heads", func(c *Config) { c.Kind, c.CrossHeads = Hybrid, 3 }},
		{"hidden", func(c *Config) { c.Kind, c.Hidden = Hybrid, 0 }},
		{"text tower", func(c *Config) { c.Text.VocabSize = 0 }},
		{"gate_dim", func(c *Config) { c.Kind, c.GateDim = Gated, 0 }},
		{"rank", func(c *Config) { c.Kind, c.Rank = Bilinear, -1 }},
	} {
		c := tiny(Early, 16)
		tc.mutate(&c)
		if err := c.Validate(); err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate() = %v, want a one-line error about %s", tc.want, err, tc.want)
		}
	}
	for _, kind := range Kinds { // another strategy's parameter is not this one's business
		c := tiny(kind, 16)
		c.GateDim, c.Rank = 0, 0
		if err := c.Validate(); (err == nil) != (kind != Gated && kind != Bilinear) {
			t.Errorf("%s with gate_dim = rank = 0: Validate() = %v", kind, err)
		}
	}
}
