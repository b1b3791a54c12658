package experiments

// bench-vit, bench-clip, bench-mae, bench-perceiver: benchmark-only experiments that
// train the model families at their published base sizes on synthetic data (random
// images, random token ids) of any size, so cmd/bench can time the training step of
// "ViT-B/16 at 224, batch 128" without a dataset. They learn nothing; their Evaluate
// reports the loss on the fixed batch. Each has a PyTorch peer in bench/peers/ (and a
// JAX twin, *_jax.py) that builds the same architecture.
//
//	go run ./cmd/bench -exp bench-vit -set smoke=true -steps 3     # tiny, on 2 cores
//	bin/bench -exp bench-vit,bench-clip,bench-mae,bench-perceiver -backends xla:cuda   # a GPU (bench/gpu/run.sh)
//
// Wall time: the smoke sizes take seconds; the base sizes are for GPUs. Training
// FLOPs per step as cmd/bench counts them: bench-vit 13.5 TFLOP (35 GFLOP forward per
// image), bench-clip 15.8, bench-mae 7.5, bench-perceiver 4.6 (batch 64): minutes
// per step on 2 cores.

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

// benchDefaults are the common parameters of the benchmark experiments: cmd/bench
// ignores steps and schedules; cmd/train runs a short, checkpoint-free job.
var benchDefaults = map[string]any{"steps": 20, "warmup": 5, "eval_every": 0, "ckpt_every": 0, "log_every": 5}

func init() {
	Register(&Experiment{
		Name:        "bench-vit",
		Description: "benchmark only: ViT classifier (default B/16 at 224x224x3, 1000 classes) on random images",
		Wall:        "GPU",
		BenchOnly:   true,
		Params: []Param{
			{"image_size", 224, "image side in pixels"},
			{"channels", 3, "image channels"},
			{"classes", 1000, "classifier outputs"},
			{"preset", "B/16", "ViT size: Width/Patch (mu/4, Ti/16, S/16, B/16, L/16)"},
			{"pool", "cls", "cls token or gap"},
		},
		Defaults: benchWithBatch(128),
		Smoke:    map[string]any{"image_size": 32, "preset": "mu/4", "classes": 10, "batch_size": 8, "steps": 4},
		Build:    buildBenchViT,
		Peer:     benchViTPeer,
	})
	Register(&Experiment{
		Name:        "bench-clip",
		Description: "benchmark only: CLIP ViT-B/16 (image 224, text 512x12, context 77) on random image-text pairs",
		Wall:        "GPU",
		BenchOnly:   true,
		Params: []Param{
			{"image_size", 224, "image side in pixels"},
			{"channels", 3, "image channels"},
			{"image_preset", "B/16", "image tower ViT size"},
			{"text_dim", 512, "text tower width"},
			{"text_depth", 12, "text tower blocks"},
			{"text_heads", 8, "text tower heads"},
			{"text_len", 77, "tokens per caption"},
			{"vocab", 49408, "vocabulary size"},
			{"embed_dim", 512, "shared embedding width"},
		},
		Defaults: benchWithBatch(128),
		Smoke: map[string]any{"image_size": 32, "image_preset": "mu/4", "text_dim": 16, "text_depth": 1, "text_heads": 2,
			"text_len": 8, "vocab": 100, "embed_dim": 16, "batch_size": 8, "steps": 4},
		Build: buildBenchCLIP,
		Peer:  benchCLIPPeer,
	})
	Register(&Experiment{
		Name:        "bench-mae",
		Description: "benchmark only: MAE base (ViT-B/16 encoder at 224, decoder 512x8, 75% masking) on random images",
		Wall:        "GPU",
		BenchOnly:   true,
		Params: []Param{
			{"image_size", 224, "image side in pixels"},
			{"channels", 3, "image channels"},
			{"preset", "B/16", "encoder ViT size"},
			{"decoder_dim", 512, "decoder width"},
			{"decoder_depth", 8, "decoder blocks"},
			{"decoder_heads", 16, "decoder heads"},
			{"decoder_mlp_dim", 2048, "decoder MLP width"},
			{"mask_ratio", mae.DefaultMaskRatio, "fraction of patches removed"},
			{"norm_pix_loss", true, "per-patch normalised pixel targets"},
		},
		Defaults: benchWithBatch(128),
		Smoke: map[string]any{"image_size": 32, "preset": "mu/4", "decoder_dim": 16, "decoder_depth": 1, "decoder_heads": 2,
			"decoder_mlp_dim": 32, "batch_size": 8, "steps": 4},
		Build: buildBenchMAE,
		Peer:  benchMAEPeer,
	})
	Register(&Experiment{
		Name: "bench-perceiver",
		Description: "benchmark only: Perceiver classifier (256 latents x 512, 2 repeats of 6 blocks) on random " +
			"64x64x3 images with Fourier features",
		Wall:      "GPU",
		BenchOnly: true,
		Params:    benchPerceiverParams(),
		Defaults:  benchWithBatch(64),
		Smoke: map[string]any{"image_size": 16, "num_latents": 8, "latent_dim": 16, "latent_heads": 2, "mlp_dim": 32,
			"depth": 1, "bands": 4, "max_freq": 8.0, "classes": 10, "batch_size": 8, "steps": 4},
		Build: buildBenchPerceiver,
		Peer:  benchPerceiverPeer,
	})
}

func benchWithBatch(b int) map[string]any {
	m := map[string]any{"batch_size": b}
	for k, v := range benchDefaults {
		m[k] = v
	}
	return m
}

func benchPerceiverParams() []Param {
	return []Param{
		{"image_size", 64, "image side in pixels"},
		{"channels", 3, "image channels"},
		{"classes", 1000, "classifier outputs"},
		{"num_latents", 256, "latent array length"},
		{"latent_dim", 512, "latent width"},
		{"latent_heads", 8, "latent self-attention heads"},
		{"cross_heads", 1, "cross-attention heads"},
		{"cross_dim_head", 64, "cross-attention head width"},
		{"mlp_dim", 2048, "feed-forward width"},
		{"depth", 6, "latent blocks per repeat"},
		{"repeats", 2, "cross-attention + latent blocks, repeated"},
		{"share_weights", true, "repeats after the second reuse its weights"},
		{"bands", 16, "Fourier bands per axis"},
		{"max_freq", 32.0, "highest Fourier frequency (cycles over the axis)"},
	}
}

// benchSource yields the same random batch at every step: inputs and labels
// drawn once from the seed. Batch copies them into fresh tensors (TrainStep owns
// what it is given).
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
	env.Log("synthetic data: batch %d, inputs %v", src.batch, benchShapes(src))
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

func benchShapes(src *benchSource) []string {
	var out []string
	for _, in := range src.inputs {
		out = append(out, in.shape.String())
	}
	return out
}

// benchViTConfig is the ViT of bench-vit and the image tower of bench-clip/bench-mae.
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

func buildBenchCLIP(env *Env) (*train.Task, error) {
	p := env.P
	img, err := benchViTConfig(p, "image_preset")
	if err != nil {
		return nil, err
	}
	cfg := clip.Config{Tower: clip.TowerViT, ViT: img, EmbedDim: p.Int("embed_dim"), TextPool: clip.PoolEOS,
		Text: nn.TextEncoderConfig{VocabSize: p.Int("vocab"), MaxLen: p.Int("text_len"), Dim: p.Int("text_dim"),
			Depth: p.Int("text_depth"), Heads: p.Int("text_heads")}}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b, s, l, rng := p.Int("batch_size"), p.Int("image_size"), p.Int("text_len"), benchRNG(p)
	src := &benchSource{batch: b, inputs: []benchArray{benchUniform(rng, b, s, s, img.Channels),
		benchInts(rng, cfg.Text.VocabSize, b, l), benchOnes(b, l)}}
	fn := func(scope *model.Scope, _ any, in []*Node) []*Node {
		return clip.Build(scope, cfg, in[0], in[1], in[2]).Predictions()
	}
	return benchTask(env, src, fn, clip.LossFn), nil
}

func buildBenchMAE(env *Env) (*train.Task, error) {
	p := env.P
	enc, err := benchViTConfig(p, "preset")
	if err != nil {
		return nil, err
	}
	cfg := mae.Config{Encoder: enc, DecoderDim: p.Int("decoder_dim"), DecoderDepth: p.Int("decoder_depth"),
		DecoderHeads: p.Int("decoder_heads"), DecoderMLPDim: p.Int("decoder_mlp_dim"), MaskRatio: p.Float("mask_ratio"),
		NormPixLoss: p.Bool("norm_pix_loss")}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b, s, rng := p.Int("batch_size"), p.Int("image_size"), benchRNG(p)
	src := &benchSource{batch: b, inputs: []benchArray{benchUniform(rng, b, s, s, enc.Channels)}}
	fn := func(scope *model.Scope, _ any, in []*Node) []*Node {
		return []*Node{mae.Forward(scope, cfg, in[0], nil).Loss}
	}
	return benchTask(env, src, fn, func(_, pred []*Node) *Node { return pred[0] }), nil
}

func buildBenchPerceiver(env *Env) (*train.Task, error) {
	p := env.P
	cfg := perceiver.Config{NumLatents: p.Int("num_latents"), LatentDim: p.Int("latent_dim"),
		LatentHeads: p.Int("latent_heads"), CrossHeads: p.Int("cross_heads"), CrossDimHead: p.Int("cross_dim_head"),
		MLPDim: p.Int("mlp_dim"), Depth: p.Int("depth"), Repeats: p.Int("repeats"), ShareWeights: p.Bool("share_weights"),
		Classes: p.Int("classes")}
	in := perceiver.InputConfig{Positions: perceiver.PosFourier, MaxFreq: p.Float("max_freq"), Bands: p.Int("bands")}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if cfg.Classes < 1 {
		return nil, fmt.Errorf("parameter classes=%d: want at least 1", cfg.Classes)
	}
	b, s, rng := p.Int("batch_size"), p.Int("image_size"), benchRNG(p)
	src := &benchSource{batch: b, inputs: []benchArray{benchUniform(rng, b, s, s, p.Int("channels"))},
		labels: []benchArray{benchInts(rng, cfg.Classes, b, 1)}}
	fn := func(scope *model.Scope, _ any, x []*Node) []*Node {
		return []*Node{perceiver.Build(scope, cfg, perceiver.PixelInputs(scope, in, x[0]), nil).Logits}
	}
	return benchTask(env, src, fn, loss.SparseCategoricalCrossEntropyLogits), nil
}

// benchPeerArgs renders "--key value" pairs of the peer command lines.
func benchPeerArgs(script string, p *Params, keys ...string) []string {
	args := []string{script}
	for _, k := range keys {
		decl, _ := p.Decl(k)
		var v string
		switch decl.Default.(type) {
		case int:
			v = Format(p.Int(k))
		case float64:
			v = Format(p.Float(k))
		case bool:
			v = Format(p.Bool(k))
		default:
			v = p.String(k)
		}
		args = append(args, "--"+k, v)
	}
	return args
}

func benchViTPeer(p *Params) []string {
	cfg, err := benchViTConfig(p, "preset")
	if err != nil {
		return nil
	}
	return []string{"bench/peers/vit_fmnist.py", "--image", Format(cfg.Image), "--channels", Format(cfg.Channels),
		"--patch", Format(cfg.Patch), "--dim", Format(cfg.Dim), "--depth", Format(cfg.Depth), "--heads", Format(cfg.Heads),
		"--mlp", Format(cfg.MLPDim), "--classes", Format(p.Int("classes")), "--pool", p.String("pool"),
		"--seed", Format(p.Int("seed"))}
}

func benchCLIPPeer(p *Params) []string {
	cfg, err := benchViTConfig(p, "image_preset")
	if err != nil {
		return nil
	}
	return append(benchPeerArgs("bench/peers/clip.py", p, "image_size", "channels", "text_dim", "text_depth", "text_heads",
		"text_len", "vocab", "embed_dim"), "--patch", Format(cfg.Patch), "--image_dim", Format(cfg.Dim),
		"--image_depth", Format(cfg.Depth), "--image_heads", Format(cfg.Heads), "--image_mlp", Format(cfg.MLPDim))
}

func benchMAEPeer(p *Params) []string {
	cfg, err := benchViTConfig(p, "preset")
	if err != nil {
		return nil
	}
	return append(benchPeerArgs("bench/peers/mae.py", p, "image_size", "channels", "decoder_dim", "decoder_depth",
		"decoder_heads", "decoder_mlp_dim", "mask_ratio", "norm_pix_loss"), "--patch", Format(cfg.Patch),
		"--dim", Format(cfg.Dim), "--depth", Format(cfg.Depth), "--heads", Format(cfg.Heads), "--mlp", Format(cfg.MLPDim))
}

func benchPerceiverPeer(p *Params) []string {
	return benchPeerArgs("bench/peers/perceiver.py", p, "image_size", "channels", "classes", "num_latents", "latent_dim",
		"latent_heads", "cross_heads", "cross_dim_head", "mlp_dim", "depth", "repeats", "share_weights", "bands",
		"max_freq")
}
