package experiments

import (
	"math"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/datasets"
	"github.com/mmdna/mmdna/datasets/cifar10"
	"github.com/mmdna/mmdna/eval"
	"github.com/mmdna/mmdna/internal/testbackend"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/weights"
)

// vitTiny shrinks the ViT experiments to a few seconds: 16 steps of 32 at dim 32, two
// blocks, a loss logged every 2 steps.
const vitTiny = "smoke=true;steps=16;warmup=2;lr=2e-3;eval_every=8;ckpt_every=8;log_every=2;batch_size=32;dim=32;depth=2;" +
	"heads=2;mlp_dim=64;"

// TestViTCIFAR10Synthetic runs vit-cifar10 on a CIFAR-10 directory in the real binary
// format (cifar10.WriteSynthetic): it learns, writes its pictures and model.json, and
// the run loaded back by weights.Load (no experiments code) scores the best
// evaluation's accuracy exactly, on the same validation images.
func TestViTCIFAR10Synthetic(t *testing.T) {
	data := t.TempDir()
	if err := cifar10.WriteSynthetic(data, 240, 3); err != nil {
		t.Fatal(err)
	}
	sets := vitTiny + "train_size=0;val_size=160;test_size=0;data_dir=" + data
	dir, res := runExp(t, "vit-cifar10", sets)
	wantRun(t, dir, res.Metrics, []string{"accuracy", "top5_accuracy", "loss"}, "predictions.png", "attention.png",
		"model.json")
	wantLossFalls(t, dir, 2, 0.03)
	m := wantLoadable(t, dir, weights.KindViT)
	if len(m.Labels) != 10 || m.Labels[0] != "airplane" {
		t.Errorf("model.json labels %v, want CIFAR-10's 10 classes", m.Labels)
	}
	if res.Best == nil {
		t.Fatal("results.json has no best evaluation")
	}
	// The validation split of the run, rebuilt from its parameters.
	e, _ := Get("vit-cifar10")
	p, err := e.Resolve([]string{sets})
	if err != nil {
		t.Fatal(err)
	}
	d, err := loadCIFAR10(&Env{P: p, Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	exec, err := model.NewExec(testbackend.Go(), m.Store, func(scope *model.Scope, x *Node) *Node {
		return vit.Build(scope, m.ViT, x).Logits
	})
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Finalize()
	out, err := eval.Run(exec, d.val.N, 64, func(idx []int) ([]*tensors.Tensor, error) {
		return []*tensors.Tensor{datasets.ImagesTensor(d.val, idx, d.mean, d.std)}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := eval.Classify(out[0], d.val.Labels)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(c.Accuracy-res.Best.Value) > 1e-12 {
		t.Errorf("the loaded run scores %v on the validation split; its best evaluation (step %d) scored %v",
			c.Accuracy, res.Best.Step, res.Best.Value)
	}
	if err := prepareErr(t, "vit-cifar10", "smoke=true"); err == nil || !strings.Contains(err.Error(), "data_dir") {
		t.Errorf("no data_dir: %v, want an error naming data_dir", err)
	}
}

// TestViTFMNISTSmoke runs the Fashion-MNIST ViT experiments on a few thousand images
// (skipped without the Debian package's files, and in -short: they load all of
// Fashion-MNIST).
func TestViTFMNISTSmoke(t *testing.T) {
	needFMNIST(t)
	for _, name := range []string{"vit-fmnist", "vit-fmnist-ref", "vit-fmnist-ref-gap"} {
		dir, res := runExp(t, name, vitTiny+"train_size=2048;test_size=256")
		wantRun(t, dir, res.Metrics, []string{"accuracy", "top5_accuracy", "loss"}, "predictions.png", "attention.png",
			"model.json")
		wantLossFalls(t, dir, 2, 0.03)
		wantLoadable(t, dir, weights.KindViT)
	}
}

// TestViTPeerRecipe: the PyTorch peer's command line carries the recipe: the chapter's
// for vit-fmnist-ref (cls token, batch 32, lr 1e-4 constant, weight decay 0.01, no
// clipping), warmup + cosine and clipping for vit-fmnist-ref-gap; a schedule the peer
// cannot follow (a cosine ending above 0) has no peer.
func TestViTPeerRecipe(t *testing.T) {
	for _, c := range []struct {
		name, sets, want string
	}{
		{"vit-fmnist-ref", "", "--pool cls --batch 32 --lr 0.0001 --wd 0.01 --schedule constant --warmup 0 --clip 0 --seed 1"},
		{"vit-fmnist-ref-gap", "", "--pool gap --batch 128 --lr 0.001 --wd 0.05 --schedule cosine --warmup 100 --clip 1 --seed 1"},
		{"vit-fmnist-ref", "min_lr=1e-5", ""},
	} {
		e, _ := Get(c.name)
		p, err := e.Resolve([]string{c.sets})
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(e.Peer(p), " ")
		if (c.want == "") != (got == "") || !strings.HasSuffix(got, c.want) {
			t.Errorf("%s %s: peer %q, want it to end with %q", c.name, c.sets, got, c.want)
		}
	}
}
