package experiments

// vit-cifar10: a small ViT on CIFAR-10 (32x32x3, patch 4: 64 tokens), with crop and
// flip augmentation. CIFAR-10 cannot be downloaded on the reference machine: give
// the directory of the binary version (cifar-10-batches-bin) with -set data_dir=...
//
//	go run ./cmd/train -exp vit-cifar10 -set data_dir=/data/cifar-10-batches-bin
//
// Wall time and accuracy: not measured on the reference machine (no CIFAR-10 there).
// The code path is tested end to end on files in the real format written by
// cifar10.WriteSynthetic (TestViTCIFAR10Synthetic); `cmd/bench -exp vit-cifar10 -set
// data_dir=DIR` times its training step on any such directory. Expect
// roughly 20k steps' worth of epochs to be needed for ~80% (small ViTs trained from
// scratch on CIFAR-10 without heavy augmentation stay below ResNets).

func init() {
	Register(&Experiment{
		Name:        "vit-cifar10",
		Description: "Vision Transformer on CIFAR-10 (needs -set data_dir=DIR, the binary version)",
		Wall:        "not measured (no CIFAR-10 here)",
		Families:    []Family{imagesFamily(), vitFamily()},
		Defaults: map[string]any{
			// data: 32x32x3 in 64 patches of 4; random crops after 4-pixel padding, flips.
			"crop_pad": 4, "hflip": true,
			// model: dim 128, depth 6, heads 4, MLP 256, average pooling, stochastic depth 0.1.
			"dim": 128, "depth": 6, "heads": 4, "mlp_dim": 256, "drop_path": 0.1,
			// schedule: 15000 steps of 128, AdamW lr 1e-3, warmup 1000 + cosine, weight decay 0.05.
			"steps": 15000, "lr": 1e-3, "warmup": 1000, "weight_decay": 0.05, "eval_every": 1000, "ckpt_every": 1000,
		},
		Smoke: map[string]any{"steps": 30, "warmup": 5, "eval_every": 15, "ckpt_every": 15, "log_every": 10,
			"dim": 64, "depth": 2, "mlp_dim": 128, "train_size": 2048, "val_size": 256, "test_size": 512},
		BestMetric: "accuracy",
		Build:      buildViTCIFAR10,
	})
}
