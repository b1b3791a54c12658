package experiments

import (
	"strings"
	"testing"
)

// TestFusionShapesSmoke trains each strategy a few steps end to end. At this size every
// strategy stays near chance (loss ln 2 = 0.693; at full size they leave it after hundreds
// of steps or more), so the loss checked to fall is the first steps' calibration from the
// random start: proof that the optimiser updates the model, not that it learns the task
// (models/fusion's TestTrainingXOR is that). 24 steps, 3 logged losses against 3: the
// gated and bilinear models start within 8% of ln 2, too close for 6 steps of noise.
func TestFusionShapesSmoke(t *testing.T) {
	for _, kind := range []string{"early", "late", "hybrid", "gated", "bilinear"} {
		dir, res := runExp(t, "fusion-shapes", "smoke=true;steps=24;eval_every=12;ckpt_every=12;log_every=2;"+
			"shapes_train=256;shapes_val=32;shapes_test=32;fusion="+kind)
		wantRun(t, dir, res.Metrics, []string{"accuracy", "accuracy_positive", "accuracy_other_caption",
			"accuracy_swapped_word", "loss"}, "examples.png")
		wantLossFalls(t, dir, 3, 0.03)
	}
	if err := prepareErr(t, "fusion-shapes", "smoke=true;shapes_train=64;shapes_val=8;shapes_test=8;fusion=middle"); err == nil ||
		!strings.Contains(err.Error(), "middle") {
		t.Errorf("fusion=middle: %v", err)
	}
	for _, bad := range []struct{ set, param string }{{"fusion=gated;gate_dim=0", "gate_dim"},
		{"fusion=bilinear;rank=0", "rank"}} {
		err := prepareErr(t, "fusion-shapes", "smoke=true;shapes_train=64;shapes_val=8;shapes_test=8;"+bad.set)
		if err == nil || !strings.Contains(err.Error(), bad.param) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want a one-line error naming %s", bad.set, err, bad.param)
		}
	}
}
