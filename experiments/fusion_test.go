package experiments

import (
	"strings"
	"testing"
)

// TestFusionShapesSmoke trains each strategy a few steps end to end.
func TestFusionShapesSmoke(t *testing.T) {
	for _, kind := range []string{"early", "late", "hybrid"} {
		dir, res := clipRun(t, "fusion-shapes", "smoke=true;steps=6;eval_every=3;ckpt_every=3;log_every=2;"+
			"shapes_train=256;shapes_val=32;shapes_test=32;fusion="+kind)
		wantMetrics(t, res.Metrics, "accuracy", "accuracy_positive", "accuracy_other_caption", "accuracy_swapped_word", "loss")
		wantFiles(t, dir, "examples.png")
	}
	if err := clipPrepareErr(t, "fusion-shapes", "smoke=true;shapes_train=64;shapes_val=8;shapes_test=8;fusion=middle"); err == nil ||
		!strings.Contains(err.Error(), "middle") {
		t.Errorf("fusion=middle: %v", err)
	}
}
