package experiments

// perceiver-fmnist: a Perceiver classifying Fashion-MNIST from its raw pixels: the
// 784 pixels, each with the Fourier features of its position, are the input array
// that a small latent array cross-attends to; no patches, no convolution.
//
//	go run ./cmd/train -exp perceiver-fmnist
//	go run ./cmd/train -exp perceiver-fmnist -set smoke=true -out /tmp/perceiver-smoke
//
// Target: at least 85% test accuracy. Measured (2026-11-28, go backend, 2-core
// machine, default parameters): test accuracy 0.870 (top-5 0.998; Shirt the weakest
// class at 0.62), 15m23s of wall time for 2500 steps of 128 (5.8 epochs, 357 images/s)
// including 5 evaluations, measured with one branch; the default branches=2 computes
// the same function with a 1.41x faster step (374 -> 264 ms in one cmd/bench run).
// Pictures and notes: docs/results/mae_perceiver.md.

import "github.com/mmdna/mmdna/datasets/fmnist"

func init() {
	Register(&Experiment{
		Name:        "perceiver-fmnist",
		Description: "Perceiver on Fashion-MNIST's 784 raw pixels with Fourier position features",
		Wall:        "15 min",
		Families:    []Family{imagesFamily(), perceiverFamily(), pixelsFamily()},
		Defaults: map[string]any{
			// data: Fashion-MNIST (5000 training images held out), each pixel with 6
			// Fourier bands per axis up to 14 cycles.
			"data_dir": fmnist.DefaultDir,
			// model: the small preset's width (32 latents of 64); one cross-attention (no
			// repeat) of one 32-wide head, then 3 latent blocks: the 784-long input array
			// makes every cross-attention the bulk of a step.
			"repeats": 1, "depth": 3, "cross_dim_head": 32,
			// schedule: 2500 steps of 128, AdamW lr 1e-3, warmup 200 + cosine, weight decay 0.05.
			"steps": 2500, "batch_size": 128, "lr": 1e-3, "warmup": 200, "weight_decay": 0.05,
			"eval_every": 500, "ckpt_every": 500,
		},
		Smoke: map[string]any{"steps": 60, "warmup": 10, "eval_every": 30, "ckpt_every": 30, "log_every": 10,
			"train_size": 4096, "val_size": 512, "test_size": 1000},
		// metrics: accuracy, top-5, loss; per-class accuracy and confusion in results.json.
		BestMetric: "accuracy",
		Build:      buildPerceiverFMNIST,
	})
}
