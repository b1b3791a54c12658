package experiments

// mlp-spirals: an MLP separating three interleaved 2-D spirals. The smallest real
// experiment: it exercises the whole path (data by step, AdamW + cosine, eval,
// checkpoints, resume, results.json) in seconds and needs no files.
//
//	go run ./cmd/train -exp mlp-spirals
//
// Wall time on the 2-core reference machine: about 2 s for 1500 steps (measured
// 2026-11-28 with the go backend). Result: test accuracy 0.937 (chance 0.33); longer
// or wider runs stay at 0.937-0.938, the noise floor where the arms meet at the centre.

func init() {
	Register(&Experiment{
		Name:        "mlp-spirals",
		Description: "MLP on three 2-D spirals: the smallest end-to-end run, no data files",
		Wall:        "2 s",
		Params: []Param{
			{"hidden", 64, "width of the hidden layers"},
			{"layers", 3, "number of hidden layers"},
			{"noise", 0.05, "Gaussian noise added to the points"},
			{"test_size", 3000, "points in the test and eval sets"},
		},
		Defaults: map[string]any{
			// schedule: 1500 steps of 128 fresh points, AdamW lr 0.01, warmup 50 + cosine,
			// no weight decay.
			"steps": 1500, "lr": 0.01, "warmup": 50, "weight_decay": 0.0, "eval_every": 500, "ckpt_every": 500,
		},
		Smoke:      map[string]any{"steps": 200, "eval_every": 100, "ckpt_every": 100, "log_every": 50, "test_size": 600},
		BestMetric: "accuracy",
		Build:      buildSpirals,
	})
}
