package experiments

// The Perceiver family: its parameters, and the classifier of images from their raw
// pixels (perceiver-fmnist) with its cross-attention picture. The VQA task of
// perceiver-shapes is in task_vqa.go.

import (
	"fmt"
	"path/filepath"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/datasets"
	"github.com/mmdna/mmdna/models/perceiver"
	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/viz"
)

// perceiverFamily: the Perceiver's parameters (models/perceiver), at the widths of its
// "small" preset.
func perceiverFamily() Family {
	c, _ := perceiver.Preset("small")
	return Family{Name: "perceiver", Params: []Param{
		{"num_latents", c.NumLatents, "rows of the latent array"},
		{"latent_dim", c.LatentDim, "width of the latents"},
		{"latent_heads", c.LatentHeads, "heads of the latent self-attention"},
		{"cross_heads", c.CrossHeads, "heads of the cross-attention (the paper: 1)"},
		{"cross_dim_head", c.CrossDimHead, "per-head width of the cross-attention"},
		{"mlp_dim", c.MLPDim, "feed-forward width"},
		{"depth", c.Depth, "latent self-attention blocks after each cross-attention"},
		{"repeats", c.Repeats, "cross-attention + latent blocks, repeated"},
		{"share_weights", c.ShareWeights, "repeats after the second reuse its weights"},
		{"head", "avg", "classifier: avg (averaged latents, the Perceiver) or io (one decoder query, Perceiver IO)"},
	}}
}

// pixelsFamily: the Perceiver's pixel inputs, each pixel with features of its position.
func pixelsFamily() Family {
	return Family{Name: "pixels", Params: []Param{
		{"positions", perceiver.PosFourier, "positional features of the pixels: fourier or learned"},
		{"max_freq", 14.0, "Fourier features: highest frequency in cycles per axis (14: Nyquist of 28 pixels)"},
		{"bands", 6, "Fourier features: frequency bands per axis"},
		{"learned_dim", 16, "learned positions: width"},
		branchesParam,
	}}
}

// perceiverConfig builds the Perceiver configuration from the parameters.
func perceiverConfig(p *Params) (perceiver.Config, error) {
	cfg := perceiver.Config{NumLatents: p.Int("num_latents"), LatentDim: p.Int("latent_dim"),
		LatentHeads: p.Int("latent_heads"), CrossHeads: p.Int("cross_heads"), CrossDimHead: p.Int("cross_dim_head"),
		MLPDim: p.Int("mlp_dim"), Depth: p.Int("depth"), Repeats: p.Int("repeats"), ShareWeights: p.Bool("share_weights")}
	if h := p.String("head"); h != "avg" && h != "io" {
		return cfg, fmt.Errorf("parameter head=%s: want avg or io", h)
	}
	return cfg, cfg.Validate()
}

// perceiverHead classifies latents with the head the parameters name.
func perceiverHead(scope *model.Scope, head string, latents *Node, classes int) *Node {
	if head == "io" {
		return perceiver.ClassifyIO(scope.In("io"), latents, classes)
	}
	return perceiver.Classify(scope.In("head"), latents, classes)
}

func buildPerceiverFMNIST(env *Env) (*train.Task, error) {
	p := env.P
	cfg, err := perceiverConfig(p)
	if err != nil {
		return nil, err
	}
	in := perceiver.InputConfig{Positions: p.String("positions"), MaxFreq: p.Float("max_freq"), Bands: p.Int("bands"),
		LearnedDim: p.Int("learned_dim")}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	d, err := loadFMNIST(env)
	if err != nil {
		return nil, err
	}
	batcher := &datasets.ImageBatcher{Set: d.train, BatchSize: p.Int("batch_size"), Seed: uint64(p.Int("seed")),
		Mean: d.mean, Std: d.std}
	if err := batcher.Validate(); err != nil {
		return nil, err
	}
	env.Log("%s: %d train, %d eval, %d test images; Perceiver: %d inputs of %d channels, %d latents of %d, %d repeats of depth %d",
		d.train.Name, d.train.N, d.evalSet("eval").N, d.test.N, d.train.H*d.train.W, d.train.C+in.Channels(2),
		cfg.NumLatents, cfg.LatentDim, cfg.Repeats, cfg.Depth)
	head, classes := p.String("head"), len(d.train.Classes)
	classify := func(scope *model.Scope, x *Node) *Node {
		latents, _ := perceiver.Encode(scope, cfg, perceiver.PixelInputs(scope, in, x), nil)
		return perceiverHead(scope, head, latents, classes)
	}
	return classifierTask(p, d, batcher, classify, func(ev *train.Evaluation) error {
		return perceiverFMNISTReport(ev, cfg, in, d)
	}), nil
}

// perceiverFMNISTReport writes predictions.png and cross_attention.png: for a few
// test images, where some latents look in the first cross-attention (the image
// overlaid with each latent's attention over the 784 pixels).
func perceiverFMNISTReport(ev *train.Evaluation, cfg perceiver.Config, in perceiver.InputConfig, d *imageData) error {
	const n, shown = 6, 7
	sample := d.test.Subset("sample", seq(min(16, d.test.N)))
	if err := predictionReport(ev, d.test, sample.N); err != nil {
		return err
	}
	withAttn := cfg
	withAttn.ReturnAttention = true
	exec, err := train.EvalExec(ev, func(scope *model.Scope, x *Node) *Node {
		_, attn := perceiver.Encode(scope, withAttn, perceiver.PixelInputs(scope, in, x), nil)
		return attn[0] // [batch, heads, latents, pixels]
	})
	if err != nil {
		return err
	}
	m := min(n, sample.N)
	out, err := exec.Exec(datasets.ImagesTensor(sample, seq(m), d.mean, d.std))
	if err != nil {
		return err
	}
	attn := tensors.MustCopyFlatData[float32](out[0])
	pixels, heads := sample.H*sample.W, out[0].Shape().Dim(1)
	latents := min(shown, cfg.NumLatents)
	cells := make([]viz.Cell, 0, m*(latents+1))
	for i := range m {
		img := viz.FromHWC(sample.Image(i), sample.H, sample.W, sample.C)
		cells = append(cells, viz.Cell{Img: img, Caption: sample.Classes[sample.Labels[i]]})
		for l := range latents {
			// Head 0's map of latent l: [pixels].
			off := ((i*heads+0)*cfg.NumLatents + l) * pixels
			cells = append(cells, viz.Cell{Img: viz.Overlay(img, attn[off:off+pixels], sample.H, sample.W, 0.7),
				Caption: fmt.Sprintf("latent %d", l)})
		}
	}
	path := filepath.Join(ev.Dir, "cross_attention.png")
	if err := viz.SavePNG(path, viz.ImageGrid(cells, latents+1, 3)); err != nil {
		return err
	}
	ev.Log("wrote %s", path)
	return nil
}
