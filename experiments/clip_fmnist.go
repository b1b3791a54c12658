package experiments

// clip-fmnist: CLIP on Fashion-MNIST. Each training image is paired with a caption made
// from its label ("a photo of a sandal.", "a picture of a sandal.", ...: the templates
// of eval.PhotoTemplates), a dual encoder learns from the pairs with the contrastive
// loss, and the test set is classified zero-shot: the image against the prompt
// "a photo of a {class}." of each class, no classifier head. The class names are the
// only text the model ever sees, so this shows CLIP's classification mechanism, not
// transfer to unseen classes (clip-shapes tests that, on held-out colour-shape pairs).
//
//	go run ./cmd/train -exp clip-fmnist
//
// Wall time on the 2-core reference machine (go backend, alone): 2 min 36 s for 1500
// steps, measured 2026-11-28. Result: zero-shot test accuracy 0.870 (top-5 0.997,
// chance 0.1); per class in docs/results/clip.md.

import "github.com/mmdna/mmdna/datasets/fmnist"

func init() {
	Register(&Experiment{
		Name:        "clip-fmnist",
		Description: "CLIP on Fashion-MNIST: captions from labels, zero-shot test accuracy with \"a photo of a {class}\"",
		Wall:        "3 min",
		Families:    []Family{imagesFamily(), clipFamily()},
		Params: []Param{
			{"max_len", 14, "caption length in tokens, with [BOS] and [EOS] (\"a picture of a t-shirt/top.\" takes 12)"},
		},
		Defaults: map[string]any{
			// data: Fashion-MNIST (5000 training images held out), each image captioned
			// from its label with eval.PhotoTemplates.
			"data_dir": fmnist.DefaultDir,
			// model: the small preset; patch 7 gives the ViT 16 tokens of 28x28 images, a
			// quarter of the cost of patch 4; mean-pooled text.
			"patch": 7, "text_pool": "mean",
			// schedule: 1500 steps of 128, AdamW lr 1e-3, warmup 150 + cosine, weight decay
			// 0.05 (none on biases, gains and the logit scale, as open_clip).
			"steps": 1500, "batch_size": 128, "lr": 1e-3, "warmup": 150, "weight_decay": 0.05,
			"eval_every": 500, "ckpt_every": 500, "log_every": 10,
		},
		Smoke: map[string]any{"steps": 60, "warmup": 10, "eval_every": 30, "ckpt_every": 30, "batch_size": 64,
			"train_size": 4096, "val_size": 512, "test_size": 1000, "preset": "tiny"},
		// metrics: zero_shot_accuracy, zero_shot_top5, zero_shot_chance, logit_scale, loss.
		BestMetric:   "zero_shot_accuracy",
		NoDecayRank1: true,
		Build:        buildClipFMNIST,
	})
}
