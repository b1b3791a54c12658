package experiments

import "testing"

// TestSpiralsSmoke runs mlp-spirals at its smoke size: it learns and reports the
// classification metrics.
func TestSpiralsSmoke(t *testing.T) {
	dir, res := runExp(t, "mlp-spirals", "smoke=true;log_every=25")
	wantRun(t, dir, res.Metrics, []string{"accuracy", "loss"})
	wantLossFalls(t, dir, 2, 0.30)
}

// TestBenchExperimentsLearn runs every benchmark-only experiment at its smoke size for
// a few steps: each memorises its one synthetic batch, so the loss must fall.
func TestBenchExperimentsLearn(t *testing.T) {
	for _, e := range All() {
		if !e.BenchOnly {
			continue
		}
		t.Run(e.Name, func(t *testing.T) {
			dir, res := runExp(t, e.Name, "smoke=true;steps=12;warmup=1;lr=3e-3;log_every=3")
			wantRun(t, dir, res.Metrics, []string{"loss"})
			wantLossFalls(t, dir, 1, 0.03)
		})
	}
}
