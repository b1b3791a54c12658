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
)

// vitParams are the parameters shared by the ViT classification experiments.
func vitParams(dataDir string) []Param {
	return []Param{
		{"data_dir", dataDir, "dataset directory"},
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
		{"branches", 2, "training step: the batch split into this many independent branches of one graph (the go backend runs them in parallel; same function)"},
		{"hflip", false, "random horizontal flips"},
		{"train_size", 0, "use only the first N training images (0: all)"},
		{"val_size", 5000, "training images held out for evaluation during training (0: evaluate on test)"},
		{"test_size", 0, "use only the first N test images (0: all)"},
	}
}

// imageData is a classification dataset with its normalisation.
type imageData struct {
	train, val, test *datasets.Images
	mean, std        []float32
}

func (d *imageData) evalSet(split string) *datasets.Images {
	if split == "eval" && d.val != nil {
		return d.val
	}
	return d.test
}

// splitImageData applies train_size, val_size and test_size to loaded data.
func splitImageData(p *Params, trainSet, test *datasets.Images, mean, std []float32) (*imageData, error) {
	d := &imageData{train: trainSet, test: test, mean: mean, std: std}
	if n := p.Int("train_size"); n > 0 && n < d.train.N {
		d.train = d.train.Subset(d.train.Name, seq(n))
	}
	if n := p.Int("test_size"); n > 0 && n < d.test.N {
		d.test = d.test.Subset(d.test.Name, seq(n))
	}
	if n := p.Int("val_size"); n > 0 {
		var err error
		if d.train, d.val, err = d.train.SplitValidation(n, uint64(p.Int("seed"))); err != nil {
			return nil, fmt.Errorf("parameter val_size=%d: %w", n, err)
		}
	}
	return d, nil
}

func seq(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
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

// buildViTClassifier wires a ViT classifier on loaded image data into a task.
func buildViTClassifier(env *Env, d *imageData) (*train.Task, error) {
	p := env.P
	cfg, err := vitConfig(p, d.train.H, d.train.C, len(d.train.Classes))
	if err != nil {
		return nil, err
	}
	if d.train.H != d.train.W {
		return nil, fmt.Errorf("vit: images are %dx%d; square images only", d.train.H, d.train.W)
	}
	batcher := &datasets.ImageBatcher{Set: d.train, BatchSize: p.Int("batch_size"), Seed: uint64(p.Int("seed")),
		Mean: d.mean, Std: d.std, Augment: datasets.Augment{CropPad: p.Int("crop_pad"), HFlip: p.Bool("hflip")}}
	if err := batcher.Validate(); err != nil {
		return nil, err
	}
	env.Log("%s: %d train, %d eval, %d test images; ViT %d tokens, dim %d, depth %d", d.train.Name, d.train.N,
		d.evalSet("eval").N, d.test.N, cfg.Tokens(), cfg.Dim, cfg.Depth)
	classify := func(scope *model.Scope, x *Node) *Node { return vit.Build(scope, cfg, x).Logits }
	return classifierTask(p, d, batcher, classify, func(ev *train.Evaluation) error { return vitReport(ev, cfg, d) }), nil
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
	maps, err := exec.Exec(imagesTensor(sample, seq(sample.N), d.mean, d.std))
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
