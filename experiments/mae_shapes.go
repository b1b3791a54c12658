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

import (
	"github.com/mmdna/mmdna/datasets/shapeworld"
	"github.com/mmdna/mmdna/train"
)

func init() {
	Register(&Experiment{
		Name:        "mae-shapes",
		Description: "masked autoencoder on the shapes world; linear probes (class, shape, colour, count) against a random encoder",
		Wall:        "15 min",
		Params:      append(maeParams(), shapesWorldParams()...),
		Defaults: map[string]any{"steps": 2000, "batch_size": 128, "lr": 1.5e-3, "warmup": 200, "weight_decay": 0.05,
			"eval_every": 500, "ckpt_every": 500, "probe_train": 20000},
		Smoke: map[string]any{"steps": 60, "warmup": 10, "eval_every": 30, "ckpt_every": 30, "log_every": 10,
			"shapes_train": 2048, "shapes_val": 256, "shapes_test": 512, "eval_size": 256, "probe_epochs": 10},
		BestMetric: "loss",
		BestLower:  true,
		Build:      buildMAEShapes,
	})
}

// shapesWorldParams are the parameters of a generated shapes world.
func shapesWorldParams() []Param {
	return []Param{
		{"image_size", 32, "image side in pixels (at least 16)"},
		{"shapes_train", 20000, "training images"},
		{"shapes_val", 2000, "validation images"},
		{"shapes_test", 2000, "test images"},
		{"max_objects", 3, "most objects per image (1-3)"},
	}
}

func buildMAEShapes(env *Env) (*train.Task, error) {
	w, err := generateShapes(env)
	if err != nil {
		return nil, err
	}
	d := &imageData{train: w.Train.Images, val: w.Val.Images, test: w.Test.Images, mean: ShapesMean[:], std: ShapesStd[:]}
	if d.val.N == 0 {
		d.val = nil
	}
	counts := func(s *shapeworld.Split) []int32 {
		c := make([]int32, len(s.Scenes))
		for i, sc := range s.Scenes {
			c[i] = int32(len(sc.Objects) - 1)
		}
		return c
	}
	probes := []maeProbeLabels{
		{name: "main object's colour and shape", classes: shapeworld.NumClasses, train: w.Train.Images.Labels, test: w.Test.Images.Labels},
		{key: "shape", name: "main object's shape", classes: shapeworld.NumShapes, train: w.Train.ShapeLabels(), test: w.Test.ShapeLabels()},
		{key: "colour", name: "main object's colour", classes: shapeworld.NumColours, train: w.Train.ColourLabels(), test: w.Test.ColourLabels()},
		{key: "count", name: "number of objects", classes: 3, train: counts(w.Train), test: counts(w.Test)},
	}
	return buildMAE(env, &maeData{imageData: d, probes: probes})
}
