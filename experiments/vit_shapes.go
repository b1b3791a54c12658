package experiments

// vit-shapes: how legible the shapes world is. A small ViT is told only the shape of
// each image's main object (7 classes: circle, square, triangle, star, cross, diamond,
// hexagon) and must tell them apart; captions that name shapes need a world whose
// shapes a model can see. The scenes hold one object (max_objects=1), so the label is
// what the image shows: with two or three objects nothing in an image says which one is
// "main" (see clip-shapes' zero-shot protocol).
//
//	go run ./cmd/train -exp vit-shapes                                   # the world's 32x32 default
//	go run ./cmd/train -exp vit-shapes -set 'image_size=64;patch=8'      # 64x64
//
// Measured (go backend, 2-core machine, quiet), 2000 steps of 128, test split:
//   - 32x32, 64 patches of 4 (2026-12-03): accuracy 0.9800 (top-5 0.9990) in 6m57s; eval
//     accuracy 0.797 / 0.934 / 0.973 / 0.978 at steps 500 / 1000 / 1500 / 2000;
//   - 64x64, 64 patches of 8 (2026-12-02): accuracy 0.9900 (top-5 0.9975) in 7m33s; eval
//     0.829 / 0.964 / 0.991 / 0.991.
//
// So the world is legible at its default (issue 15 asked for 0.97 in under 10 minutes,
// else a larger default): the world stays 32x32, and at 64x64 shapes are learned sooner
// (0.8145 against 0.9565 after 800 steps in a shorter run), which is why caption-shapes,
// which must name every object of a scene, works at 64x64.

import (
	"github.com/mmdna/mmdna/datasets"
	"github.com/mmdna/mmdna/datasets/shapeworld"
	"github.com/mmdna/mmdna/train"
)

func init() {
	Register(&Experiment{
		Name:        "vit-shapes",
		Description: "ViT told the shape of the main object of shapes-world scenes: is the world legible?",
		Wall:        "7 min",
		Families:    []Family{shapesFamily(), vitFamily()},
		Defaults: map[string]any{
			// data: one object per scene (the label is what the image shows), the world's
			// 32x32 in 64 patches of 4 (the vit family's patch).
			"max_objects": 1,
			// model: dim 64, depth 4, heads 4, MLP 128, average pooling.
			"pool": "gap",
			// schedule: AdamW lr 2e-3, warmup 200 + cosine.
			"steps": 2000, "lr": 2e-3, "warmup": 200, "weight_decay": 0.05, "eval_every": 500, "ckpt_every": 500,
		},
		Smoke: map[string]any{"steps": 40, "warmup": 5, "eval_every": 20, "ckpt_every": 20, "log_every": 10,
			"shapes_train": 2048, "shapes_val": 256, "shapes_test": 512},
		BestMetric: "accuracy",
		Build:      buildViTShapes,
	})
}

// buildViTShapes is the ViT classifier on the shapes world, labelled by the main
// object's shape.
func buildViTShapes(env *Env) (*train.Task, error) {
	w, err := generateShapes(env)
	if err != nil {
		return nil, err
	}
	d := shapesData(w)
	relabel := func(s *shapeworld.Split) *datasets.Images {
		if s == nil || s.Images == nil || s.Images.N == 0 {
			return nil
		}
		im := *s.Images
		im.Labels, im.Classes = s.ShapeLabels(), shapeworld.ShapeNames[:]
		return &im
	}
	d.train, d.test = relabel(w.Train), relabel(w.Test)
	if d.val != nil {
		d.val = relabel(w.Val)
	}
	return buildViTClassifier(env, d)
}
