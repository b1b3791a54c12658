package experiments

import (
	"math"
	"testing"

	"github.com/mmdna/mmdna/datasets"
	"github.com/mmdna/mmdna/rundir"
)

// maeTiny shrinks the MAE experiments to a few seconds: 24 steps, a loss logged every 4.
const maeTiny = "smoke=true;steps=24;warmup=4;eval_every=12;ckpt_every=12;log_every=4;batch_size=32;dim=16;depth=1;heads=2;" +
	"mlp_dim=32;decoder_dim=8;decoder_heads=2;decoder_depth=1;decoder_mlp_dim=16;eval_size=64;probe_train=256;" +
	"probe_test=128;probe_epochs=2;"

// TestMAEShapesSmoke runs mae-shapes end to end at a tiny size: the reconstruction
// loss, both probes, one picture per evaluation and the probe details.
func TestMAEShapesSmoke(t *testing.T) {
	dir, res := runExp(t, "mae-shapes", maeTiny+"shapes_train=256;shapes_val=64;shapes_test=128")
	wantRun(t, dir, res.Metrics, []string{"loss", "probe_accuracy", "probe_random_accuracy", "probe_gain",
		"probe_shape_accuracy", "probe_shape_random_accuracy", "probe_colour_accuracy", "probe_count_random_accuracy"},
		"reconstruction.png", "reconstructions/eval_step_000012.png", "reconstructions/eval_step_000024.png",
		"reconstructions/test_step_000024.png")
	wantLossFalls(t, dir, 2, 0.10)
	if g := res.Metrics["probe_gain"]; math.Abs(g-(res.Metrics["probe_accuracy"]-res.Metrics["probe_random_accuracy"])) > 1e-12 {
		t.Errorf("probe_gain %v is not the difference of the accuracies", g)
	}
	saved, err := rundir.ReadResults(dir)
	if err != nil {
		t.Fatal(err)
	}
	var probe map[string]any
	if ok, err := saved.Detail("linear_probe", &probe); !ok || err != nil {
		t.Fatalf("results.json linear_probe: present %v, %v", ok, err)
	}
	if n, _ := probe["test_images"].(float64); n != 128 {
		t.Errorf("results.json linear_probe test_images = %v, want 128", probe["test_images"])
	}
	shape, _ := probe["main object's shape"].(map[string]any)
	if c, _ := shape["classes"].(float64); c != 7 {
		t.Errorf("results.json shape probe %v, want 7 classes", shape)
	}
}

// TestMAEFMNISTSmoke runs mae-fmnist on a few hundred images (skipped without the
// Debian package's files, and in -short: it loads all of Fashion-MNIST).
func TestMAEFMNISTSmoke(t *testing.T) {
	needFMNIST(t)
	dir, res := runExp(t, "mae-fmnist", maeTiny+"train_size=512;val_size=128;test_size=128;norm_pix_loss=true;pool=cls")
	wantRun(t, dir, res.Metrics, []string{"loss", "probe_accuracy", "probe_random_accuracy"}, "reconstruction.png")
	wantLossFalls(t, dir, 2, 0.10)
}

// TestMaskPixels: removed patches (mask 1) turn grey, visible ones keep their pixels.
func TestMaskPixels(t *testing.T) {
	set := &datasets.Images{H: 4, W: 4, C: 1}
	pix := make([]uint8, 16)
	for i := range pix {
		pix[i] = uint8(i)
	}
	got := maskPixels(pix, []float32{0, 1, 1, 0}, set, 2) // patches: top-left, top-right, bottom-left, bottom-right.
	want := []uint8{0, 1, maeMaskedGrey, maeMaskedGrey, 4, 5, maeMaskedGrey, maeMaskedGrey,
		maeMaskedGrey, maeMaskedGrey, 10, 11, maeMaskedGrey, maeMaskedGrey, 14, 15}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("masked pixels %v, want %v", got, want)
		}
	}
	if pix[2] != 2 {
		t.Error("maskPixels changed its input")
	}
}

// TestMAENoise: the evaluation mask of an image depends only on (seed, image index).
func TestMAENoise(t *testing.T) {
	a, b, c := make([]float32, 2*5), make([]float32, 5), make([]float32, 5)
	maeNoise(7, []int{3, 9}, 5, a)
	maeNoise(7, []int{9}, 5, b)
	maeNoise(8, []int{9}, 5, c)
	same, other := true, true
	for k := range 5 {
		same = same && a[5+k] == b[k]
		other = other && b[k] == c[k]
	}
	if !same || other {
		t.Errorf("noise of image 9: %v in a batch, %v alone, %v with another seed", a[5:], b, c)
	}
}
