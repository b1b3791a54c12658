package experiments

// mae-shapes: a masked autoencoder pretrained on the embedded shapes world (32x32 RGB
// scenes of one to three coloured shapes, 64 patches of 4x4), then linear probes on
// its frozen, average-pooled encoder features, each beside the same probe on a
// randomly initialised encoder: the main object's colour-shape class (56 classes,
// the world's labels; probe_accuracy), its shape (7), its colour (8) and the number
// of objects (3).
//
//	go run ./cmd/train -exp mae-shapes
//	go run ./cmd/train -exp mae-shapes -set smoke=true -out /tmp/mae-shapes-smoke
//
// Measured (2026-11-28, go backend, 2-core machine, default parameters): 15m25s for
// 2000 steps of 128 and the probes (20000 training images each). Test probe accuracy,
// pretrained against random encoder: colour-shape class 0.117 / 0.062, shape 0.185 /
// 0.146, colour 0.571 / 0.370, number of objects 0.768 / 0.537. Pixel reconstruction
// teaches colour and layout, little shape. Details: docs/results/mae_perceiver.md.

func init() {
	Register(&Experiment{
		Name:        "mae-shapes",
		Description: "masked autoencoder on the shapes world; linear probes (class, shape, colour, count) against a random encoder",
		Wall:        "15 min",
		Families:    []Family{shapesFamily(), maeFamily()},
		Defaults: map[string]any{
			// data: the shapes world's 20000/2000/2000 scenes of 32x32 (64 patches of 4x4).
			// model: the mae family's; the probes train on 20000 images.
			"probe_train": 20000,
			// schedule: 2000 steps of 128, AdamW lr 1.5e-3, warmup 200 + cosine, weight decay 0.05.
			"steps": 2000, "batch_size": 128, "lr": 1.5e-3, "warmup": 200, "weight_decay": 0.05,
			"eval_every": 500, "ckpt_every": 500,
		},
		Smoke: map[string]any{"steps": 60, "warmup": 10, "eval_every": 30, "ckpt_every": 30, "log_every": 10,
			"shapes_train": 2048, "shapes_val": 256, "shapes_test": 512, "eval_size": 256, "probe_epochs": 10},
		// metrics: masked-patch loss; probe_{,shape_,colour_,count_}accuracy against random.
		BestMetric: "loss",
		BestLower:  true,
		Build:      buildMAEShapes,
	})
}
