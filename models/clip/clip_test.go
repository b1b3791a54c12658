package clip

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/mmdna/mmdna/internal/testbackend"
)

var backend = testbackend.Go()

// side is the image side of the tests: 16, the smallest the four conv stages of
// multimodal_embedding take.
const side = 16

// tiny returns a preset for side x side RGB images, 12 ids, 5 tokens.
func tiny(t *testing.T, name string) Config {
	t.Helper()
	cfg, err := Preset(name, side, 3, 12, 5)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// pairs returns n images [n, side, side, 3] (image i is about i/n - 0.5, with a
// channel pattern) and texts [BOS] (5+i%7) [EOS] [PAD] [PAD].
func pairs(n int) (images, ids, mask *tensors.Tensor) {
	const size = side * side * 3
	x := make([]float32, n*size)
	for i := range n {
		for j := range size {
			x[i*size+j] = float32(i)/float32(n) - 0.5 + 0.2*float32((j+i)%3)
		}
	}
	id := make([]int32, n*5)
	m := make([]int32, n*5)
	for i := range n {
		copy(id[i*5:], []int32{1, int32(5 + i%7), 2})
		copy(m[i*5:], []int32{1, 1, 1})
	}
	return tensors.FromFlatDataAndDimensions(x, n, side, side, 3), tensors.FromFlatDataAndDimensions(id, n, 5),
		tensors.FromFlatDataAndDimensions(m, n, 5)
}

func flat(t *testing.T, x *tensors.Tensor) []float32 {
	t.Helper()
	v, err := tensors.CopyFlatData[float32](x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestShapesAndLogits checks the output shapes of both towers (ViT and conv, every
// text pooling), that embeddings have unit norm, that the initial scale is 1/0.07 and
// that LogitsPerImage = scale · img·txtᵀ, recomputed here in Go.
func TestShapesAndLogits(t *testing.T) {
	for _, name := range []string{"tiny", "multimodal_embedding"} {
		for _, pool := range []TextPool{PoolEOS, PoolMean, PoolFirst} {
			cfg := tiny(t, name)
			cfg.TextPool = pool
			exec := model.MustNewExec(backend, model.NewStore(), func(scope *model.Scope, in []*Node) []*Node {
				o := Build(scope, cfg, in[0], in[1], in[2])
				return []*Node{o.ImageFeatures, o.TextFeatures, o.ImageEmbeds, o.TextEmbeds, o.LogitScale, o.LogitsPerImage}
			})
			images, ids, mask := pairs(3)
			out := exec.MustExec(images, ids, mask)
			want := [][]int{{3, cfg.ImageWidth()}, {3, cfg.Text.Dim}, {3, cfg.EmbedDim}, {3, cfg.EmbedDim}, {}, {3, 3}}
			for i, w := range want {
				if got := out[i].Shape().Dimensions; !slices.Equal(got, w) {
					t.Errorf("%s/%s: output %d shape %v, want %v", name, pool, i, got, w)
				}
			}
			img, txt := flat(t, out[2]), flat(t, out[3]) // [3, embed_dim] each.
			d := cfg.EmbedDim
			for i := range 3 {
				for _, m := range [][]float32{img, txt} {
					var ss float64
					for _, v := range m[i*d : (i+1)*d] {
						ss += float64(v * v)
					}
					if math.Abs(ss-1) > 1e-4 {
						t.Errorf("%s/%s: squared norm of embedding %d = %v, want 1", name, pool, i, ss)
					}
				}
			}
			scale := float64(flat(t, out[4])[0])
			if math.Abs(scale-1/0.07) > 1e-3 {
				t.Errorf("%s: initial logit scale %v, want 1/0.07", name, scale)
			}
			for k, v := range flat(t, out[5]) {
				var dot float64 // image k/3 against text k%3.
				for j := range d {
					dot += float64(img[(k/3)*d+j]) * float64(txt[(k%3)*d+j])
				}
				if want := scale * dot; math.Abs(float64(v)-want) > 1e-4 {
					t.Fatalf("%s/%s: logits[%d] = %v, want %v", name, pool, k, v, want)
				}
			}
		}
	}
}

// TestLogitScaleClamp: exp(log-scale) is returned below 100 and clamped at 100 above.
func TestLogitScaleClamp(t *testing.T) {
	cfg := tiny(t, "tiny")
	for _, tc := range []struct{ logScale, want float64 }{
		{math.Log(5), 5}, {math.Log(100), 100}, {math.Log(250), 100}, {8, 100}, {0, 1},
	} {
		store := model.NewStore()
		if _, err := store.CreateVariable("/logit_scale/log_scale", tensors.FromValue(float32(tc.logScale))); err != nil {
			t.Fatal(err)
		}
		exec := model.MustNewExec(backend, store, func(scope *model.Scope, g *Graph) *Node {
			return LogitScale(scope, cfg, g)
		})
		if got := float64(flat(t, exec.MustExec()[0])[0]); math.Abs(got-tc.want) > 1e-3*tc.want {
			t.Errorf("log-scale %.3f: scale %v, want %v", tc.logScale, got, tc.want)
		}
	}
	cfg.MaxLogitScale = 20
	store := model.NewStore()
	exec := model.MustNewExec(backend, store, func(scope *model.Scope, g *Graph) *Node { return LogitScale(scope, cfg, g) })
	if got := flat(t, exec.MustExec()[0])[0]; math.Abs(float64(got)-1/0.07) > 1e-3 {
		t.Errorf("MaxLogitScale 20 clamps the initial 14.29 to %v", got)
	}
}

func TestConfigErrors(t *testing.T) {
	good := tiny(t, "tiny")
	for name, mutate := range map[string]func(c *Config){
		"head":       func(c *Config) { c.ViT.Classes = 3 },
		"tower":      func(c *Config) { c.Tower = "resnet" },
		"embed_dim":  func(c *Config) { c.EmbedDim = 0 },
		"text pool":  func(c *Config) { c.TextPool = "cls" },
		"text heads": func(c *Config) { c.Text.Heads = 3 },
		"vocab":      func(c *Config) { c.Text.VocabSize = 0 },
		"max scale":  func(c *Config) { c.MaxLogitScale = 0.5 },
		"conv":       func(c *Config) { c.Tower, c.Conv = TowerConv, ConvConfig{} },
		"conv width": func(c *Config) { c.Tower, c.Conv = TowerConv, ConvConfig{Channels: []int{8, -1}} },
	} {
		c := good
		mutate(&c)
		err := c.Validate()
		if err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: Validate() = %v, want a one-line error", name, err)
		}
	}
	if _, err := Preset("huge", 32, 3, 10, 8); err == nil || !strings.Contains(err.Error(), "multimodal_embedding") {
		t.Errorf("unknown preset: %v, want an error listing the presets", err)
	}
	if _, err := Preset("multimodal_embedding", 28, 1, 10, 8); !errors.Is(err, ErrImageSize) {
		t.Errorf("multimodal_embedding on 28x28 images (4 halving stages need a multiple of 16): %v, want ErrImageSize", err)
	}
	if _, err := Preset("small", 30, 3, 10, 8); !errors.Is(err, ErrImageSize) {
		t.Errorf("small on 30x30 images (patch 4): %v, want ErrImageSize", err)
	}
}

// TestTrainingSmoke trains the tiny dual encoders on 8 pairs: within 15 steps the
// contrastive loss falls to at most 0.7 of where it started and below log 8, the loss
// of embeddings that tell nothing apart. (It starts at or above log 8: random
// embeddings of width 16 at scale 1/0.07 spread the logits, which adds about half their
// variance.)
func TestTrainingSmoke(t *testing.T) {
	for _, name := range []string{"tiny", "multimodal_embedding"} {
		cfg := tiny(t, name)
		store := model.NewStore()
		store.SetParam(model.ParamInitialSeed, int64(5))
		trainer := train.NewTrainer(backend, store, func(scope *model.Scope, in []*Node) []*Node {
			return Build(scope, cfg, in[0], in[1], in[2]).Predictions()
		}, LossFn, optimizer.Adam().LearningRate(1e-2).Done(), nil, nil)
		var first, last float64
		for step := range 15 {
			images, ids, mask := pairs(8)
			m, err := trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{images, ids, mask}})
			if err != nil {
				t.Fatal(err)
			}
			l := float64(tensors.ToScalar[float32](m[0]))
			if step == 0 {
				first = l
			}
			last = l
		}
		t.Logf("%s: loss %.3f -> %.3f", name, first, last)
		if first < math.Log(8)-0.1 || last > 0.7*first || last > math.Log(8) {
			t.Errorf("%s: loss %.3f -> %.3f; want at least log 8 = %.3f at the start, then below it and below 0.7 of the start",
				name, first, last, math.Log(8))
		}
	}
}
