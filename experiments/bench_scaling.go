package experiments

// bench-scaling: benchmark only: how a training step grows with the input's length,
// for one Perceiver layer against one self-attention block of the same width
// (task_scaling.go). The Perceiver's cross-attention costs latents x N, so its time
// grows linearly in N; the block's attention costs N x N, so its time grows
// quadratically. cmd/bench -scaling runs it over lengths from 256 to 8192 tokens,
// prints the table with the log-log slopes and draws the plots of docs/images:
//
//	go run ./cmd/bench -scaling -scaling-out docs/images
//
// Wall time: the sweep took 23 s on the 2-core machine; the table and the slopes are in
// docs/results/mae_perceiver.md.

func init() {
	Register(&Experiment{
		Name:        "bench-scaling",
		Description: "benchmark only: one Perceiver layer against one self-attention block on N tokens (cmd/bench -scaling)",
		Wall:        "seconds per point",
		BenchOnly:   true,
		Params: []Param{
			{"model", "perceiver", "perceiver (cross-attention from the latents, then a latent block) or self-attention (one block)"},
			{"tokens", 1024, "input length N"},
			{"dim", 64, "token width of both models (one attention head of this width)"},
			{"latents", 64, "the Perceiver's latent array length"},
		},
		Defaults: benchDefaults(1),
		Smoke:    map[string]any{"tokens": 16, "dim": 8, "latents": 4, "steps": 4},
		Build:    buildScaling,
	})
}
