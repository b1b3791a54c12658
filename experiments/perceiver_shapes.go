package experiments

// perceiver-shapes: visual question answering on the shapes world with one
// Perceiver over both modalities. The image's 4x4 patches and the question's tokens
// become one input array (each element with its position and a learned modality
// embedding, perceiver.Multimodal); the latents cross-attend to it, and the answer is
// a class of the closed answer set shapeworld.Answers.
//
// VQA rather than image-caption matching: the question can only be answered by
// relating words to image regions inside one input array, which is what the
// Perceiver's modality-agnostic input is for, and its accuracy per question type
// (count, colour, shape, position, relation, ...) against a blind baseline shows what
// the latents read from each modality. Matching would test a pair score, better
// served by the dual encoders of CLIP.
//
//	go run ./cmd/train -exp perceiver-shapes
//	go run ./cmd/train -exp perceiver-shapes -set smoke=true -out /tmp/perceiver-shapes-smoke
//
// Measured (2026-11-28, go backend, 2-core machine, default parameters): 24m39s for
// 3000 steps of 128 (about 300 images/s). Test accuracy 0.601 over 18259 questions
// against 0.369 for the blind (question-only) baseline; per type: count 0.835, size
// 0.750, colour 0.677, presence 0.646, position 0.621, count-of 0.540, relation 0.502,
// shape 0.195 (of 7 shapes): the latents read colour and layout, barely shape. Details:
// docs/results/mae_perceiver.md.

func init() {
	Register(&Experiment{
		Name:        "perceiver-shapes",
		Description: "Perceiver VQA on the shapes world: image patches and question tokens in one input array",
		Wall:        "25 min",
		Families:    []Family{shapesFamily(), perceiverFamily()},
		Params: []Param{
			{"patch", 4, "image patch side in pixels"},
			{"input_dim", 64, "width of the joint input array (divisible by 4)"},
			{"max_len", 16, "question length in tokens, with [BOS] and [EOS]"},
			{"eval_size", 1000, "images of the eval split whose questions are scored during training (0: all)"},
		},
		Defaults: map[string]any{
			// data: the shapes world's 20000/2000/2000 scenes and their questions.
			// model: the small preset's width reading the input array three times with two
			// sets of weights (repeats 2 and 3 share), decoded by one Perceiver IO query.
			"head": "io", "repeats": 3,
			// schedule: 3000 steps of 128, AdamW lr 1e-3, warmup 200 + cosine, weight decay 0.05.
			"steps": 3000, "batch_size": 128, "lr": 1e-3, "warmup": 200, "weight_decay": 0.05,
			"eval_every": 500, "ckpt_every": 500,
		},
		Smoke: map[string]any{"steps": 60, "warmup": 10, "eval_every": 30, "ckpt_every": 30, "log_every": 10,
			"shapes_train": 2048, "shapes_val": 256, "shapes_test": 256, "eval_size": 256},
		// metrics: accuracy, accuracy_<question type>, accuracy_held_out,
		// blind_accuracy(_<question type>), loss.
		BestMetric: "accuracy",
		Build:      buildPerceiverShapes,
	})
}
