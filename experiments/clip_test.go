package experiments

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/mmdna/mmdna/rundir"
	"github.com/mmdna/mmdna/weights"
)

// TestClipShapesSmoke runs clip-shapes end to end at a tiny size: results.json holds
// the metrics, the pictures exist, and the chance level is about 1/56.
func TestClipShapesSmoke(t *testing.T) {
	dir, res := runExp(t, "clip-shapes", "smoke=true;steps=16;eval_every=8;ckpt_every=8;log_every=2;batch_size=32;"+
		"shapes_train=512;shapes_val=128;shapes_test=256")
	wantRun(t, dir, res.Metrics, []string{"zero_shot_heldout_accuracy", "zero_shot_chance", "r_at_1_i2t", "r_at_1_t2i",
		"r_at_5_i2t", "r_at_10_t2i", "median_rank_i2t", "zero_shot_heldout_top5", "zero_shot_seen_accuracy", "loss"},
		"loss.png", "examples.png", "zeroshot.png", "tokenizer.json", "model.json")
	wantLossFalls(t, dir, 2, 0.10)
	if c := res.Metrics["zero_shot_chance"]; c < 1.0/56-1e-9 || c > 1.0/54+1e-9 {
		t.Errorf("zero_shot_chance = %v, want between 1/56 and 1/54", c)
	}
	if n := res.Metrics["zero_shot_heldout_n"]; n < 5 {
		t.Errorf("only %v held-out test images in 256", n)
	}
	wantLoadable(t, dir, weights.KindCLIP)
	data, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil || !strings.Contains(string(data), "zero_shot_heldout_per_class") {
		t.Errorf("results.json lacks the per-class details: %v", err)
	}
}

func TestClipShapesBadTemplates(t *testing.T) {
	for sets, want := range map[string]string{
		"templates=a photo":           `has no {class} slot`,
		"templates=|":                 "no prompt templates",
		"tower=resnet":                "tower",
		"preset=huge":                 "unknown preset",
		"data_dir=/tmp":               "clip-flickr8k",
		"templates={class}|the thing": `template 1 "the thing"`,
		"tower=conv;image_size=34":    "not divisible by 4",
		"tower=vit;patch=5":           "not divisible by patch 5",
		"loss=hinge":                  "parameter loss",
		"temperature=0":               "parameter temperature",
		"loss=triplet;margin=-0.1":    "parameter margin",
		"triplet_negatives=all":       "parameter triplet_negatives",
	} {
		err := prepareErr(t, "clip-shapes", "smoke=true;shapes_train=64;shapes_val=32;shapes_test=32;"+sets)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("-set %s: error %v, want one line containing %q", sets, err, want)
		}
	}
}

// TestClipShapesLosses runs clip-shapes briefly with each objective besides the
// default (TestClipShapesSmoke): the metrics keep their names, the loss falls, and
// SigLIP's bias is saved and starts at -10 (with t = 10).
func TestClipShapesLosses(t *testing.T) {
	for _, loss := range []string{"ntxent", "triplet", "siglip"} {
		t.Run(loss, func(t *testing.T) {
			dir, res := runExp(t, "clip-shapes", "smoke=true;steps=12;eval_every=0;ckpt_every=12;log_every=2;"+
				"batch_size=32;shapes_train=512;shapes_val=64;shapes_test=128;loss="+loss)
			wantRun(t, dir, res.Metrics, []string{"zero_shot_heldout_accuracy", "r_at_1_i2t", "r_at_1_t2i", "r_at_5_i2t",
				"loss"}, "loss.png", "model.json")
			wantLossFalls(t, dir, 2, 0.10)
			m := wantLoadable(t, dir, weights.KindCLIP)
			bias := m.Store.GetVariable("/logit_bias/bias")
			if (bias != nil) != (loss == "siglip") {
				t.Fatalf("variable /logit_bias/bias saved: %v", bias != nil)
			}
			if loss != "siglip" {
				return
			}
			value, err := bias.Value()
			if err != nil {
				t.Fatal(err)
			}
			if b := tensors.ToScalar[float32](value); b > -9 || b == -10 {
				t.Errorf("SigLIP bias after 12 steps %v: want near -10 and trained", b)
			}
			if s := res.Metrics["logit_scale"]; math.Abs(s-10) > 1 {
				t.Errorf("SigLIP scale %v after 12 steps, want near its init 10", s)
			}
		})
	}
}

// writeClipFlickrFixture writes a Flickr8k directory in the real format: captions.txt
// ("image,caption" header, 5 captions per image, one quoted with a comma) and n JPEGs
// in Images/, image k a solid colour named in its captions.
func writeClipFlickrFixture(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "Images"), 0o755); err != nil {
		t.Fatal(err)
	}
	colours := []struct {
		name string
		c    color.RGBA
	}{{"red", color.RGBA{200, 30, 30, 255}}, {"green", color.RGBA{30, 180, 40, 255}},
		{"blue", color.RGBA{30, 50, 210, 255}}, {"yellow", color.RGBA{220, 210, 40, 255}}}
	var b strings.Builder
	b.WriteString("image,caption\n")
	for k := range n {
		name := fmt.Sprintf("%d_%04x.jpg", 1000268201+k, k*97)
		col := colours[k%len(colours)]
		img := image.NewRGBA(image.Rect(0, 0, 40, 36))
		for y := range 36 {
			for x := range 40 {
				c := col.c
				c.R += uint8((x * k) % 20)
				img.SetRGBA(x, y, c)
			}
		}
		f, err := os.Create(filepath.Join(dir, "Images", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		f.Close()
		fmt.Fprintf(&b, "%s,A %s picture number %d .\n", name, col.name, k)
		fmt.Fprintf(&b, "%s,\"A %s square, seen from afar .\"\n", name, col.name)
		fmt.Fprintf(&b, "%s,Something %s .\n", name, col.name)
		fmt.Fprintf(&b, "%s,The colour is %s .\n", name, col.name)
		fmt.Fprintf(&b, "%s,%s everywhere\n", name, col.name)
	}
	if err := os.WriteFile(filepath.Join(dir, "captions.txt"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestClipFlickr8kFixture runs clip-flickr8k on a fixture in the real format: the
// retrieval metrics follow the 5-captions convention and the pictures are written.
func TestClipFlickr8kFixture(t *testing.T) {
	data := writeClipFlickrFixture(t, 40)
	dir, res := runExp(t, "clip-flickr8k", "smoke=true;steps=8;eval_every=4;ckpt_every=4;log_every=2;batch_size=8;"+
		"data_dir="+data)
	wantRun(t, dir, res.Metrics, []string{"r_at_1_i2t", "r_at_5_i2t", "r_at_10_i2t", "r_at_1_t2i", "r_at_5_t2i",
		"r_at_10_t2i", "median_rank_i2t", "median_rank_t2i", "loss"}, "loss.png", "examples.png", "model.json")
	wantLossFalls(t, dir, 1, 0.10)
	// Recall grows with K; the test split is 20% of the 40 images.
	m := res.Metrics
	if !(m["r_at_1_i2t"] <= m["r_at_5_i2t"] && m["r_at_5_i2t"] <= m["r_at_10_i2t"] && m["r_at_1_t2i"] <= m["r_at_5_t2i"]) {
		t.Errorf("recall does not grow with K: %v", m)
	}
	// The default model (conv tower at 64x64, min_freq 3) on the same data, a few steps.
	dir, res = runExp(t, "clip-flickr8k", "steps=3;eval_every=0;ckpt_every=0;log_every=1;batch_size=8;data_dir="+data)
	wantRun(t, dir, res.Metrics, []string{"r_at_1_i2t", "r_at_1_t2i", "loss"})
	if err := prepareErr(t, "clip-flickr8k", "smoke=true"); err == nil || !strings.Contains(err.Error(), "data_dir") {
		t.Errorf("no data_dir: %v, want an error naming data_dir", err)
	}
	if err := prepareErr(t, "clip-flickr8k", "smoke=true;data_dir="+t.TempDir()); err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("empty data_dir: %v, want a one-line error", err)
	}
}

// TestClipFMNISTSmoke runs clip-fmnist on a few hundred images (skipped without the
// Debian package's files).
func TestClipFMNISTSmoke(t *testing.T) {
	needFMNIST(t)
	dir, res := runExp(t, "clip-fmnist", "smoke=true;steps=8;eval_every=4;ckpt_every=4;log_every=2;"+
		"train_size=512;val_size=128;test_size=256")
	wantRun(t, dir, res.Metrics, []string{"zero_shot_accuracy", "zero_shot_top5", "loss"}, "loss.png", "predictions.png",
		"model.json")
	wantLossFalls(t, dir, 1, 0.10)
	if c := res.Metrics["zero_shot_chance"]; math.Abs(c-0.1) > 1e-9 {
		t.Errorf("chance %v, want 0.1", c)
	}
	wantLoadable(t, dir, weights.KindCLIP)
}

// TestReadLossCurve reads a metrics.jsonl with train, eval and test lines, a null
// (a NaN point, which the chart leaves out) and a torn last line.
func TestReadLossCurve(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, rundir.MetricsFile)
	lines := []map[string]any{{"step": 10, "split": "train", "loss": 4.8}, {"step": 20, "split": "train", "loss": 4.1},
		{"step": 20, "split": "eval", "loss": 4.3}, {"step": 20, "split": "test", "loss": 4.2},
		{"step": 30, "split": "train", "loss": nil}}
	var b strings.Builder
	for _, l := range lines {
		data, _ := json.Marshal(l)
		b.Write(append(data, '\n'))
	}
	b.WriteString(`{"step":40,"spl`)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	tr, ev, err := readLossCurve(dir)
	if err != nil || len(tr.X) != 3 || tr.Y[1] != 4.1 || !math.IsNaN(tr.Y[2]) || len(ev.X) != 1 || ev.Y[0] != 4.3 {
		t.Errorf("train %+v eval %+v (%v)", tr, ev, err)
	}
}
