package experiments

// The benchmark-only experiments' task (bench-vit, bench-clip, bench-mae,
// bench-perceiver): a model at a published size trained on one fixed synthetic batch
// (random images, random token ids) of any size, so cmd/bench can time the training
// step of "ViT-B/16 at 224, batch 128" without a dataset. They learn nothing; their
// Evaluate reports the loss on the batch. Each has a PyTorch peer in bench/peers/ (and
// a JAX twin, *_jax.py) that builds the same architecture from the same arguments.

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/mmdna/mmdna/models/clip"
	"github.com/mmdna/mmdna/models/mae"
	"github.com/mmdna/mmdna/models/perceiver"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
	"github.com/mmdna/mmdna/train"
)

// benchFamily: the synthetic images of the benchmark experiments.
func benchFamily() Family {
	return Family{Name: "bench", Params: []Param{
		{"image_size", 224, "image side in pixels"},
		{"channels", 3, "image channels"},
	}}
}

// benchDefaults are the Defaults of a benchmark experiment at batch b, with more
// key, value pairs: cmd/bench ignores steps and schedules; cmd/train runs a short,
// checkpoint-free job.
func benchDefaults(b int, more ...any) map[string]any {
	m := map[string]any{"batch_size": b, "steps": 20, "warmup": 5, "eval_every": 0, "ckpt_every": 0, "log_every": 5}
	for i := 0; i+1 < len(more); i += 2 {
		m[more[i].(string)] = more[i+1]
	}
	return m
}

// benchSource yields the same random batch at every step: inputs and labels drawn
// once from the seed. Batch copies them into fresh tensors (TrainStep owns what it is
// given).
type benchSource struct {
	batch          int
	inputs, labels []benchArray
}

// benchArray is one input or label array: its shape (batch first) and values.
type benchArray struct {
	shape shapes.Shape
	f32   []float32
	i32   []int32
}

// benchUniform draws shape's values uniformly in [-1, 1).
func benchUniform(rng *rand.Rand, dims ...int) benchArray {
	s := benchArray{shape: shapes.Make(dtypes.Float32, dims...)}
	s.f32 = make([]float32, s.shape.Size())
	for i := range s.f32 {
		s.f32[i] = 2*rng.Float32() - 1
	}
	return s
}

// benchInts draws shape's values uniformly in [0, n).
func benchInts(rng *rand.Rand, n int, dims ...int) benchArray {
	s := benchArray{shape: shapes.Make(dtypes.Int32, dims...)}
	s.i32 = make([]int32, s.shape.Size())
	for i := range s.i32 {
		s.i32[i] = int32(rng.IntN(n))
	}
	return s
}

// benchOnes is an int32 array of ones (a full attention mask).
func benchOnes(dims ...int) benchArray {
	s := benchArray{shape: shapes.Make(dtypes.Int32, dims...)}
	s.i32 = make([]int32, s.shape.Size())
	for i := range s.i32 {
		s.i32[i] = 1
	}
	return s
}

func (s benchArray) tensor() *tensors.Tensor {
	t := tensors.FromShape(s.shape)
	t.MustMutableFlatData(func(flat any) {
		if s.f32 != nil {
			copy(flat.([]float32), s.f32)
		} else {
			copy(flat.([]int32), s.i32)
		}
	})
	return t
}

// Batch implements train.Source.
func (s *benchSource) Batch(int) (inputs, labels []*tensors.Tensor, err error) {
	for _, in := range s.inputs {
		inputs = append(inputs, in.tensor())
	}
	for _, l := range s.labels {
		labels = append(labels, l.tensor())
	}
	return inputs, labels, nil
}

// StepsPerEpoch implements train.Source: the one batch is the epoch.
func (s *benchSource) StepsPerEpoch() int { return 1 }

// BatchSize implements train.Source.
func (s *benchSource) BatchSize() int { return s.batch }

func benchRNG(p *Params) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(p.Int("seed")), 0xbe9c4))
}

// benchTask wraps a model function and loss over a synthetic source; Evaluate
// reports the loss on the batch.
func benchTask(env *Env, src *benchSource, fn func(*model.Scope, any, []*Node) []*Node, lossFn loss.LossFn) *train.Task {
	var shown []string
	for _, in := range src.inputs {
		shown = append(shown, in.shape.String())
	}
	env.Log("synthetic data: batch %d, inputs %v", src.batch, shown)
	return &train.Task{
		Model: fn,
		Loss:  lossFn,
		Data:  src,
		Evaluate: func(ev *train.Evaluation) (train.Metrics, error) {
			exec, err := train.EvalExec(ev, func(scope *model.Scope, in []*Node) *Node {
				n := len(src.inputs)
				return lossFn(in[n:], fn(scope, nil, in[:n]))
			})
			if err != nil {
				return nil, err
			}
			in, labels, _ := src.Batch(0)
			args := make([]any, 0, len(in)+len(labels))
			for _, t := range append(in, labels...) {
				args = append(args, t)
			}
			out, err := exec.Exec(args...)
			if err != nil {
				return nil, err
			}
			defer out[0].FinalizeAll()
			return train.Metrics{"loss": float64(tensors.ToScalar[float32](out[0]))}, nil
		},
	}
}

// benchViTConfig is the ViT preset named by the parameter presetKey at the images'
// size (bench-vit's model, bench-clip's image tower).
func benchViTConfig(p *Params, presetKey string) (vit.Config, error) {
	cfg, err := vit.Preset(p.String(presetKey), p.Int("image_size"), p.Int("channels"))
	if err != nil {
		return cfg, fmt.Errorf("parameter %s: %w", presetKey, err)
	}
	return cfg, nil
}

func buildBenchViT(env *Env) (*train.Task, error) {
	p := env.P
	cfg, err := benchViTConfig(p, "preset")
	if err != nil {
		return nil, err
	}
	cfg.Pool, cfg.Classes = vit.Pooling(p.String("pool")), p.Int("classes")
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b, s, rng := p.Int("batch_size"), p.Int("image_size"), benchRNG(p)
	src := &benchSource{batch: b, inputs: []benchArray{benchUniform(rng, b, s, s, cfg.Channels)},
		labels: []benchArray{benchInts(rng, cfg.Classes, b, 1)}}
	fn := func(scope *model.Scope, _ any, in []*Node) []*Node {
		return []*Node{vit.Build(scope, cfg, in[0]).Logits}
	}
	return benchTask(env, src, fn, loss.SparseCategoricalCrossEntropyLogits), nil
}

// benchCLIPConfig is bench-clip's dual encoder: a ViT preset image tower and the text
// tower of the parameters.
func benchCLIPConfig(p *Params) (clip.Config, error) {
	img, err := benchViTConfig(p, "image_preset")
	if err != nil {
		return clip.Config{}, err
	}
	cfg := clip.Config{Tower: clip.TowerViT, ViT: img, EmbedDim: p.Int("embed_dim"), TextPool: clip.PoolEOS,
		Text: nn.TextEncoderConfig{VocabSize: p.Int("vocab"), MaxLen: p.Int("text_len"), Dim: p.Int("text_dim"),
			Depth: p.Int("text_depth"), Heads: p.Int("text_heads")}}
	return cfg, cfg.Validate()
}

func buildBenchCLIP(env *Env) (*train.Task, error) {
	p := env.P
	cfg, err := benchCLIPConfig(p)
	if err != nil {
		return nil, err
	}
	b, s, l, rng := p.Int("batch_size"), p.Int("image_size"), p.Int("text_len"), benchRNG(p)
	src := &benchSource{batch: b, inputs: []benchArray{benchUniform(rng, b, s, s, cfg.ViT.Channels),
		benchInts(rng, cfg.Text.VocabSize, b, l), benchOnes(b, l)}}
	fn := func(scope *model.Scope, _ any, in []*Node) []*Node {
		return clip.Build(scope, cfg, in[0], in[1], in[2]).Predictions()
	}
	return benchTask(env, src, fn, clip.LossFn), nil
}

// benchMAEConfig is bench-mae's MAE: the preset, with the parameters' masking.
func benchMAEConfig(p *Params) (mae.Config, error) {
	cfg, err := mae.Preset(p.String("preset"), p.Int("image_size"), p.Int("channels"))
	if err != nil {
		return cfg, fmt.Errorf("parameter preset: %w", err)
	}
	cfg.MaskRatio, cfg.NormPixLoss = p.Float("mask_ratio"), p.Bool("norm_pix_loss")
	return cfg, cfg.Validate()
}

func buildBenchMAE(env *Env) (*train.Task, error) {
	p := env.P
	cfg, err := benchMAEConfig(p)
	if err != nil {
		return nil, err
	}
	b, s, rng := p.Int("batch_size"), p.Int("image_size"), benchRNG(p)
	src := &benchSource{batch: b, inputs: []benchArray{benchUniform(rng, b, s, s, cfg.Encoder.Channels)}}
	fn := func(scope *model.Scope, _ any, in []*Node) []*Node {
		return []*Node{mae.Forward(scope, cfg, in[0], nil).Loss}
	}
	return benchTask(env, src, fn, func(_, pred []*Node) *Node { return pred[0] }), nil
}

// benchPerceiverConfig is bench-perceiver's classifier: the preset with a head of
// classes outputs, and its Fourier pixel features.
func benchPerceiverConfig(p *Params) (perceiver.Config, perceiver.InputConfig, error) {
	cfg, err := perceiver.Preset(p.String("preset"))
	if err != nil {
		return cfg, perceiver.InputConfig{}, fmt.Errorf("parameter preset: %w", err)
	}
	cfg.Classes = p.Int("classes")
	in := perceiver.InputConfig{Positions: perceiver.PosFourier, MaxFreq: p.Float("max_freq"), Bands: p.Int("bands")}
	if cfg.Classes < 1 {
		return cfg, in, fmt.Errorf("parameter classes=%d: want at least 1", cfg.Classes)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, in, err
	}
	return cfg, in, in.Validate()
}

func buildBenchPerceiver(env *Env) (*train.Task, error) {
	p := env.P
	cfg, in, err := benchPerceiverConfig(p)
	if err != nil {
		return nil, err
	}
	b, s, rng := p.Int("batch_size"), p.Int("image_size"), benchRNG(p)
	src := &benchSource{batch: b, inputs: []benchArray{benchUniform(rng, b, s, s, p.Int("channels"))},
		labels: []benchArray{benchInts(rng, cfg.Classes, b, 1)}}
	fn := func(scope *model.Scope, _ any, x []*Node) []*Node {
		return []*Node{perceiver.Build(scope, cfg, perceiver.PixelInputs(scope, in, x[0]), nil).Logits}
	}
	return benchTask(env, src, fn, loss.SparseCategoricalCrossEntropyLogits), nil
}
