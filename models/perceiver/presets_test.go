package perceiver

import (
	"strings"
	"testing"
)

// TestPresets: every preset validates; base is the chapter's size (256 x 512, 8 heads,
// 6 latent blocks) read twice; an unknown name is a one-line error naming the known.
func TestPresets(t *testing.T) {
	for _, name := range PresetNames() {
		if _, err := Preset(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	b, _ := Preset("base")
	if b.NumLatents != 256 || b.LatentDim != 512 || b.LatentHeads != 8 || b.Depth != 6 || b.Repeats != 2 ||
		b.CrossHeads != 1 || b.CrossDimHead != 64 || b.MLPDim != 2048 || !b.ShareWeights || b.Classes != 0 {
		t.Errorf("base = %+v", b)
	}
	if _, err := Preset("huge"); err == nil || !strings.Contains(err.Error(), "base, mu, small") {
		t.Errorf("unknown preset: %v", err)
	}
}
