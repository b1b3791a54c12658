package nb

import (
	"math"
	"strings"
	"testing"

	"github.com/mmdna/mmdna/internal/testbackend"
	"github.com/mmdna/mmdna/weights"
)

// TestPretrainedHelpers: the stand-in models load as the layouts they claim, the CLIP
// zero-shot and ViT probabilities are distributions, and the ranking is by probability.
func TestPretrainedHelpers(t *testing.T) {
	b := testbackend.Go()
	images := DemoImages()
	if len(images) != len(DemoLabels) || images[0].Bounds().Dx() != 96 {
		t.Fatalf("%d demo images", len(images))
	}
	clipDir, vitDir := t.TempDir(), t.TempDir()
	if err := TinyCLIP(clipDir, b); err != nil {
		t.Fatal(err)
	}
	if err := TinyViT(vitDir, b); err != nil {
		t.Fatal(err)
	}
	c, err := weights.Load(clipDir)
	if err != nil {
		t.Fatal(err)
	}
	v, err := weights.Load(vitDir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Layout != weights.LayoutHFCLIP || v.Layout != weights.LayoutHFViT {
		t.Fatalf("layouts %s and %s", c.Layout, v.Layout)
	}
	zs, err := ZeroShot(c.NewRunner(b, 4), images, DemoLabels, "a photo of a {}.")
	if err != nil {
		t.Fatal(err)
	}
	cls, err := Classify(v.NewRunner(b, 4), images)
	if err != nil {
		t.Fatal(err)
	}
	for _, probs := range append(zs, cls...) {
		var sum float64
		for _, p := range probs {
			sum += p
		}
		if len(probs) != len(DemoLabels) || math.Abs(sum-1) > 1e-9 {
			t.Fatalf("probabilities %v", probs)
		}
	}
	if got := Ranked([]float64{0.1, 0.7, 0.2}, []string{"a", "b", "c"}, 2); strings.Join(got, "|") != "b 0.70|c 0.20" {
		t.Errorf("Ranked = %v", got)
	}
	if png, err := PredictionGrid(images, cls, DemoLabels, 2); err != nil || len(png) < 100 {
		t.Errorf("PredictionGrid: %d bytes, %v", len(png), err)
	}
}
