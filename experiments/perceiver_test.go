package experiments

import (
	"github.com/mmdna/mmdna/internal/testbackend"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmdna/mmdna/datasets/fmnist"
)

// perceiverTiny shrinks the Perceiver experiments to a few seconds; two repeats
// with shared weights and the IO head take the less common code paths.
const perceiverTiny = "smoke=true;steps=18;warmup=3;eval_every=9;ckpt_every=9;log_every=3;batch_size=32;num_latents=4;" +
	"latent_dim=16;latent_heads=2;cross_dim_head=16;mlp_dim=32;depth=1;repeats=3;share_weights=true;"

// TestPerceiverShapesSmoke runs perceiver-shapes end to end at a tiny size.
func TestPerceiverShapesSmoke(t *testing.T) {
	dir, res := runExp(t, "perceiver-shapes", perceiverTiny+"head=io;input_dim=16;shapes_train=128;shapes_val=32;shapes_test=32;eval_size=16")
	wantRun(t, dir, res.Metrics, []string{"loss", "accuracy", "blind_accuracy", "accuracy_count", "accuracy_colour", "accuracy_position", "blind_accuracy_shape"},
		"vqa.png", "tokenizer.json")
	wantLossFalls(t, dir, 2, 0.03)
}

// TestPerceiverFMNISTSmoke runs perceiver-fmnist on a few hundred images (skipped
// without the Debian package's files, and in -short).
func TestPerceiverFMNISTSmoke(t *testing.T) {
	needFMNIST(t)
	dir, res := runExp(t, "perceiver-fmnist", perceiverTiny+"positions=learned;train_size=256;val_size=64;test_size=64")
	wantRun(t, dir, res.Metrics, []string{"loss", "accuracy"}, "predictions.png", "cross_attention.png")
	wantLossFalls(t, dir, 2, 0.10)
}

// TestPerceiverBadParams: bad values are refused with the parameter's name.
func TestPerceiverBadParams(t *testing.T) {
	for sets, want := range map[string]string{
		"head=max":                      "head",
		"positions=sine":                "positions",
		"latent_heads=3":                "latent_dim",
		"input_dim=6":                   "input_dim",
		"patch=5":                       "patch",
		"shapes_train=16;batch_size=32": "batch_size",
	} {
		name := "perceiver-shapes"
		if strings.HasPrefix(sets, "positions") {
			name = "perceiver-fmnist"
			if _, err := os.Stat(filepath.Join(fmnist.DefaultDir, fmnist.TrainImages+".gz")); err != nil {
				continue
			}
		}
		_, err := Prepare(Request{Name: name, Sets: []string{"smoke=true;" + sets}, Out: filepath.Join(t.TempDir(), "run"), Backend: testbackend.Go()})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s %s: error %v, want one naming %q", name, sets, err, want)
		}
	}
}
