package main

import (
	"context"
	"encoding/json"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/mmdna/mmdna/datasets/fmnist"
	"github.com/mmdna/mmdna/experiments"
	"github.com/mmdna/mmdna/internal/pyref"
	"github.com/mmdna/mmdna/internal/testbackend"
)

// TestExportFMNISTRunReadByPyTorch is the export check: a cls-pooled
// vit-fmnist-ref run (a few steps on part of Fashion-MNIST) exported with `infer export`
// is read by a PyTorch-only reader (weights/testdata/pt_readers.py: a plain PyTorch ViT
// built from config.json, images preprocessed with PIL as the exported
// preprocessor_config.json says) and gives the logits `infer classify` gives on the run
// itself, on grey and colour PNGs of several sizes.
func TestExportFMNISTRunReadByPyTorch(t *testing.T) {
	pyref.Require(t, "torch", "PIL", "numpy")
	if _, err := os.Stat(filepath.Join(fmnist.DefaultDir, fmnist.TrainImages+".gz")); err != nil {
		t.Skipf("Fashion-MNIST not installed in %s (make data)", fmnist.DefaultDir)
	}
	run := filepath.Join(t.TempDir(), "run")
	job, err := experiments.Prepare(experiments.Request{Name: "vit-fmnist-ref", Out: run, Backend: testbackend.Go(),
		Sets: []string{"steps=6;log_every=3;ckpt_every=6;eval_every=0;batch_size=32;dim=32;depth=2;heads=2;mlp_dim=64;" +
			"train_size=512;test_size=64;val_size=0"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := job.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "hf")
	if code, _, stderr := runInfer("export", "-model", run, "-out", out); code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(3, 3))
	var pngs []string
	for i, side := range []int{28, 28, 40, 19} {
		img := image.NewGray(image.Rect(0, 0, side, side))
		for j := range img.Pix {
			img.Pix[j] = uint8(r.IntN(256))
		}
		var m image.Image = img
		if i == 1 { // a colour image: converted to grey as PIL's convert("L") does.
			rgb := image.NewNRGBA(img.Rect)
			for j := range rgb.Pix {
				rgb.Pix[j] = uint8(r.IntN(256))
			}
			m = rgb
		}
		pngs = append(pngs, writePNG(t, filepath.Join(dir, filepath.Base(t.Name())+string(rune('a'+i))+".png"), m))
	}
	code, stdout, stderr := runInfer(append([]string{"classify", "-model", run, "-json"}, pngs...)...)
	if code != 0 {
		t.Fatalf("classify: exit %d: %s", code, stderr)
	}
	var ref struct {
		Logits []float64 `json:"logits"`
		Layout string    `json:"layout"`
	}
	pyref.Run(t, "import runpy, sys; sys.argv = ['"+weightsTestdata("pt_readers.py")+"']; runpy.run_path(sys.argv[0], run_name='__main__')",
		map[string]any{"dir": out, "pngs": pngs}, &ref)
	if ref.Layout != "hf-vit" {
		t.Errorf("exported as %s, want hf-vit (a cls-pooled ViT)", ref.Layout)
	}
	lines := jsonLines(t, stdout)
	classes := len(ref.Logits) / len(pngs)
	for i, line := range lines {
		var res classifyResult
		if err := json.Unmarshal([]byte(line), &res); err != nil {
			t.Fatal(err)
		}
		var scale, worst float64
		want := ref.Logits[i*classes : (i+1)*classes]
		for _, w := range want {
			scale = math.Max(scale, math.Abs(w))
		}
		for j, w := range want {
			worst = math.Max(worst, math.Abs(float64(res.Logits[j])-w)/scale)
		}
		if worst > 1e-4 {
			t.Errorf("%s: PyTorch reader's logits differ from infer classify's on the run: max relative error %.2g",
				filepath.Base(res.Image), worst)
		}
		t.Logf("%s: max relative error %.2g", filepath.Base(res.Image), worst)
	}
}
