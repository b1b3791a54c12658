package experiments

import (
	"strings"
	"testing"
)

// TestFusionShapesSmoke trains each strategy a few steps end to end.
func TestFusionShapesSmoke(t *testing.T) {
	for _, kind := range []string{"early", "late", "hybrid"} {
		dir, res := runExp(t, "fusion-shapes", "smoke=true;steps=6;eval_every=3;ckpt_every=3;log_every=2;"+
			"shapes_train=256;shapes_val=32;shapes_test=32;fusion="+kind)
		wantRun(t, dir, res.Metrics, []string{"accuracy", "accuracy_positive", "accuracy_other_caption",
			"accuracy_swapped_word", "loss"}, "examples.png")
		wantLossFalls(t, dir, 1, 0.05)
	}
	if err := prepareErr(t, "fusion-shapes", "smoke=true;shapes_train=64;shapes_val=8;shapes_test=8;fusion=middle"); err == nil ||
		!strings.Contains(err.Error(), "middle") {
		t.Errorf("fusion=middle: %v", err)
	}
}
