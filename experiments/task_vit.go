package experiments

import (
	"fmt"
	"path/filepath"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/datasets"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/viz"
	"github.com/mmdna/mmdna/weights"
)

// vitFamily: the ViT classifier's parameters (models/vit).
func vitFamily() Family {
	return Family{Name: "vit", Params: []Param{
		{"preset", "", "model size by name (mu/4, Ti/4, S/16, B/16); empty uses dim/depth/heads/mlp_dim/patch"},
		{"patch", 4, "patch side in pixels"},
		{"dim", 64, "token width"},
		{"depth", 4, "transformer blocks"},
		{"heads", 4, "attention heads"},
		{"mlp_dim", 128, "MLP hidden width"},
		{"pool", "gap", "image representation: cls token or gap (mean of patch tokens)"},
		{"dropout", 0.0, "dropout in attention output and MLP"},
		{"drop_path", 0.0, "stochastic depth rate of the last block"},
		{"crop_pad", 0, "random crop after zero padding by this many pixels (0: off)"},
		{"hflip", false, "random horizontal flips"},
		branchesParam,
		initParam,
	}}
}

// buildViTFMNIST is the ViT classifier on Fashion-MNIST.
func buildViTFMNIST(env *Env) (*train.Task, error) {
	d, err := loadFMNIST(env)
	if err != nil {
		return nil, err
	}
	return buildViTClassifier(env, d)
}

// buildViTCIFAR10 is the ViT classifier on CIFAR-10.
func buildViTCIFAR10(env *Env) (*train.Task, error) {
	d, err := loadCIFAR10(env)
	if err != nil {
		return nil, err
	}
	return buildViTClassifier(env, d)
}

// vitPeer is the PyTorch twin (bench/peers/vit_fmnist.py) of a ViT-on-Fashion-MNIST
// configuration, its recipe included; nil for a model or schedule it does not build.
func vitPeer(p *Params) []string {
	if p.String("preset") != "" || p.Int("patch") != 4 {
		return nil // the peer builds the reference widths on 28x28 only.
	}
	schedule := "cosine" // the peer's cosine ends at 0.
	switch lr, minLR := p.Float("lr"), p.Float("min_lr"); {
	case p.Int("warmup") == 0 && minLR == lr:
		schedule = "constant"
	case minLR != 0:
		return nil
	}
	return peerArgs("bench/peers/vit_fmnist.py", "data", p.String("data_dir"), "dim", p.Int("dim"),
		"depth", p.Int("depth"), "heads", p.Int("heads"), "mlp", p.Int("mlp_dim"), "pool", p.String("pool"),
		"batch", p.Int("batch_size"), "lr", p.Float("lr"), "wd", p.Float("weight_decay"), "schedule", schedule,
		"warmup", p.Int("warmup"), "clip", p.Float("clip_norm"), "seed", p.Int("seed"))
}

// vitConfig builds the model configuration from the parameters.
func vitConfig(p *Params, image, channels, classes int) (vit.Config, error) {
	var cfg vit.Config
	if name := p.String("preset"); name != "" {
		var err error
		if cfg, err = vit.Preset(name, image, channels); err != nil {
			return cfg, fmt.Errorf("parameter preset: %w", err)
		}
	} else {
		cfg = vit.Config{Image: image, Channels: channels, Patch: p.Int("patch"), Dim: p.Int("dim"),
			Depth: p.Int("depth"), Heads: p.Int("heads"), MLPDim: p.Int("mlp_dim")}
	}
	cfg.Pool, cfg.Classes = vit.Pooling(p.String("pool")), classes
	cfg.Dropout, cfg.DropPath = p.Float("dropout"), p.Float("drop_path")
	return cfg, cfg.Validate()
}

// buildViTClassifier wires a ViT classifier on loaded image data into a task, and
// records the model in the run directory as weights.Spec (model.json), so that
// weights.Load rebuilds it from the run with no experiments code.
func buildViTClassifier(env *Env, d *imageData) (*train.Task, error) {
	p := env.P
	cfg, err := vitConfig(p, d.train.H, d.train.C, len(d.train.Classes))
	if err != nil {
		return nil, err
	}
	_, start, init, err := pretrained(env, weights.KindViT, d.train.H, d.train.C, len(d.train.Classes))
	if err != nil {
		return nil, err
	}
	if start != nil {
		dropout, dropPath := cfg.Dropout, cfg.DropPath
		cfg = start.ViT
		cfg.Dropout, cfg.DropPath = dropout, dropPath
	}
	if d.train.H != d.train.W {
		return nil, fmt.Errorf("vit: images are %dx%d; square images only", d.train.H, d.train.W)
	}
	batcher := &datasets.ImageBatcher{Set: d.train, BatchSize: p.Int("batch_size"), Seed: uint64(p.Int("seed")),
		Mean: d.mean, Std: d.std, Augment: datasets.Augment{CropPad: p.Int("crop_pad"), HFlip: p.Bool("hflip")}}
	if err := batcher.Validate(); err != nil {
		return nil, err
	}
	spec := weights.Spec{Kind: weights.KindViT, ViT: cfg, Labels: d.train.Classes,
		Preprocess: runPreprocess(cfg.Image, d.mean, d.std)}
	if err := weights.WriteSpec(env.Dir, spec); err != nil {
		return nil, fmt.Errorf("-out %s: %w", env.Dir, err)
	}
	env.Log("%s: %d train, %d eval, %d test images; ViT %d tokens, dim %d, depth %d", d.train.Name, d.train.N,
		d.evalSet("eval").N, d.test.N, cfg.Tokens(), cfg.Dim, cfg.Depth)
	classify := func(scope *model.Scope, x *Node) *Node { return vit.Build(scope, cfg, x).Logits }
	task := classifierTask(p, d, batcher, classify, func(ev *train.Evaluation) error { return vitReport(ev, cfg, d) })
	task.Init = init
	return task, nil
}

// vitReport writes predictions.png (test images with predicted and true classes, from
// the test evaluation's logits) and attention.png (attention rollout over the same
// images).
func vitReport(ev *train.Evaluation, cfg vit.Config, d *imageData) error {
	const n = 16
	sample := d.test.Subset("sample", seq(min(n, d.test.N)))
	if err := predictionReport(ev, d.test, n); err != nil {
		return err
	}
	withAttn := cfg
	withAttn.ReturnAttention = true
	exec, err := train.EvalExec(ev, func(scope *model.Scope, x *Node) []*Node {
		return vit.Build(scope, withAttn, x).Attention
	})
	if err != nil {
		return err
	}
	maps, err := exec.Exec(datasets.ImagesTensor(sample, seq(sample.N), d.mean, d.std))
	if err != nil {
		return err
	}
	tokens, grid := cfg.Tokens(), cfg.Image/cfg.Patch
	per := cfg.Heads * tokens * tokens
	cells := make([]viz.Cell, 0, 2*sample.N)
	flat := make([][]float32, len(maps))
	for l, m := range maps {
		flat[l] = tensors.MustCopyFlatData[float32](m)
	}
	for i := range sample.N {
		blocks := make([][]float32, len(flat))
		for l := range flat {
			blocks[l] = flat[l][i*per : (i+1)*per]
		}
		roll, err := vit.Rollout(blocks, cfg.Heads, tokens)
		if err != nil {
			return err
		}
		imp := vit.PatchImportance(roll, tokens, cfg.Pool)
		img := viz.FromHWC(sample.Image(i), sample.H, sample.W, sample.C)
		cells = append(cells, viz.Cell{Img: img, Caption: sample.Classes[sample.Labels[i]]},
			viz.Cell{Img: viz.Overlay(img, imp[len(imp)-grid*grid:], grid, grid, 0.6), Caption: "rollout"})
	}
	path := filepath.Join(ev.Dir, "attention.png")
	if err := viz.SavePNG(path, viz.ImageGrid(cells, 8, 4)); err != nil {
		return err
	}
	ev.Log("wrote %s", path)
	return nil
}
