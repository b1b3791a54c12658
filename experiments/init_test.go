package experiments

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/mmdna/mmdna/datasets/cifar10"
	"github.com/mmdna/mmdna/datasets/text"
	"github.com/mmdna/mmdna/internal/testbackend"
	"github.com/mmdna/mmdna/models/clip"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
	"github.com/mmdna/mmdna/weights"
)

// exportRandom writes a random model of spec in its Hugging Face layout and loads it
// back, as a user's downloaded directory would be.
func exportRandom(t *testing.T, spec weights.Spec) (string, *weights.Model) {
	t.Helper()
	m, err := weights.Random(testbackend.Go(), spec, nil, 3)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := weights.Export(m, dir); err != nil {
		t.Fatal(err)
	}
	back, err := weights.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, back
}

// TestInitViT: vit-cifar10 (32 px, 10 classes) started from a 16-px, 5-class Hugging
// Face ViT keeps the model's architecture (model.json), gets a new head, and, with a
// learning rate of 1e-12, ends with the pretrained weights (positions too: the stored
// grid is resized in the graph).
func TestInitViT(t *testing.T) {
	labels := []string{"a", "b", "c", "d", "e"}
	dir, pre := exportRandom(t, weights.Spec{Kind: weights.KindViT, Labels: labels, ViT: vit.Config{Image: 16,
		Channels: 3, Patch: 4, Dim: 24, Depth: 1, Heads: 2, MLPDim: 48, Pool: vit.PoolCLS, Classes: 5}})
	data := t.TempDir()
	if err := cifar10.WriteSynthetic(data, 96, 1); err != nil {
		t.Fatal(err)
	}
	run, _ := runExp(t, "vit-cifar10", "smoke=true;steps=2;warmup=0;lr=1e-12;min_lr=1e-12;log_every=1;ckpt_every=2;eval_every=0;"+
		"batch_size=16;val_size=0;branches=1;data_dir="+data+";init="+dir)
	got := wantLoadable(t, run, weights.KindViT)
	if c := got.ViT; c.Dim != 24 || c.Depth != 1 || c.Patch != 4 || c.Image != 32 || c.Classes != 10 || c.Pool != vit.PoolCLS {
		t.Errorf("model.json: %+v, want the pretrained architecture at 32 px with 10 classes", c)
	}
	for v := range pre.Store.IterVariables() {
		if strings.HasPrefix(v.Path(), "/head/") {
			continue
		}
		mine := got.Store.GetVariable(v.Path())
		if mine == nil {
			t.Errorf("the run has no %s", v.Path())
			continue
		}
		a, _ := v.Value()
		b, _ := mine.Value()
		if diff := maxDiff(tensors.MustCopyFlatData[float32](a), tensors.MustCopyFlatData[float32](b)); diff > 1e-6 {
			t.Errorf("%s moved by %g at a learning rate of 1e-12: not started from the pretrained weights", v.Path(), diff)
		}
	}
}

// TestInitCLIP: clip-shapes started from a CLIP in Hugging Face's layout trains with the
// model's architecture and tokenizer (its files replace the word-level tokenizer's in
// the run, which loads back with CLIP's BPE).
func TestInitCLIP(t *testing.T) {
	cfg := clip.Config{Tower: clip.TowerViT,
		ViT: vit.Config{Image: 16, Channels: 3, Patch: 4, Dim: 32, Depth: 1, Heads: 2, MLPDim: 64, Pool: vit.PoolCLS,
			PreNorm: true, NoPatchBias: true, LayerNormEpsilon: 1e-5, Activation: nn.ActQuickGELU},
		Text: nn.TextEncoderConfig{VocabSize: 49408, MaxLen: 77, Dim: 32, Depth: 1, Heads: 2, MLPDim: 64,
			LayerNormEpsilon: 1e-5, Activation: nn.ActQuickGELU, Causal: true},
		TextPool: clip.PoolArgmax, EmbedDim: 16, NoLogitScaleClamp: true}
	dir, _ := exportRandom(t, weights.Spec{Kind: weights.KindCLIP, CLIP: cfg})
	run, res := runExp(t, "clip-shapes", "smoke=true;steps=4;eval_every=0;ckpt_every=4;log_every=2;batch_size=16;"+
		"shapes_train=128;shapes_val=32;shapes_test=64;init="+dir)
	if math.IsNaN(res.Metrics["loss"]) {
		t.Errorf("test loss %v", res.Metrics["loss"])
	}
	got := wantLoadable(t, run, weights.KindCLIP)
	if _, ok := got.Tokenizer.(*text.BPE); !ok {
		t.Errorf("the run's tokenizer is %T, want CLIP's BPE", got.Tokenizer)
	}
	if c := got.CLIP; c.ViT.Image != 32 || c.ViT.Dim != 32 || !c.Text.Causal || c.Text.VocabSize != 49408 {
		t.Errorf("model.json: %+v, want the pretrained CLIP at 32 px", c)
	}
}

func maxDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var m float64
	for i := range a {
		m = math.Max(m, math.Abs(float64(a[i]-b[i])))
	}
	return m
}
