package mae

import (
	"testing"

	"github.com/mmdna/mmdna/models/vit"
)

// TestPresets: "B/16" at 224 is the paper's MAE base (ViT-B/16 encoder with a cls
// token, decoder 512 x 8 of 16 heads, 75% masked, normalised pixels); "mu/4" has the
// micro decoder; a bad name or size is an error.
func TestPresets(t *testing.T) {
	b, err := Preset("B/16", 224, 3)
	if err != nil {
		t.Fatal(err)
	}
	e := b.Encoder
	if e.Dim != 768 || e.Depth != 12 || e.Heads != 12 || e.MLPDim != 3072 || e.Patch != 16 || e.Pool != vit.PoolCLS ||
		b.DecoderDim != 512 || b.DecoderDepth != 8 || b.DecoderHeads != 16 || b.DecoderMLPDim != 2048 ||
		b.MaskRatio != 0.75 || !b.NormPixLoss || b.NumPatches() != 196 {
		t.Errorf("B/16 = %+v", b)
	}
	mu, err := Preset("mu/4", 32, 3)
	if err != nil || mu.DecoderDim != 16 || mu.DecoderDepth != 1 || mu.Encoder.Dim != 16 {
		t.Errorf("mu/4 = %+v (%v)", mu, err)
	}
	for _, bad := range []struct {
		name  string
		image int
	}{{"X/16", 224}, {"B/16", 100}} {
		if _, err := Preset(bad.name, bad.image, 3); err == nil {
			t.Errorf("Preset(%q, %d): no error", bad.name, bad.image)
		}
	}
}
