package experiments

// caption-shapes: image captioning on the shapes world, the chapter's encoder-decoder
// fusion (section 10.3; BLIP's image-grounded decoder). A ViT encodes the 64x64 scene
// into 64 patch tokens; a transformer decoder writes the caption word by word, each
// block attending causally to the words so far and across to the image tokens, with
// tied input and output embeddings. Training is teacher forcing on the world's
// captions that name every object (shapeworld.FullCaptionSlots: "three shapes: a red
// circle, a blue star and a white cross", every object with its place); evaluation
// decodes greedily (and by beam search on the test split) and scores against all six
// reference captions of each image: BLEU-1..4 and CIDEr-D as pycocoevalcap computes
// them, object_recall (the share of objects whose colour and shape the caption names)
// and heldout_object_recall (the same for the five colour-shape pairs no training
// image or caption contains).
//
//	go run ./cmd/train -exp caption-shapes
//	go run ./cmd/infer caption -model runs/caption-shapes runs/caption-shapes/images/test_000.png
//
// Measured (2026-12-03, go backend, 2-core machine, alone): 25m03s for 5500 steps of 64
// (239 images/s). Test split, greedy captions: BLEU-4 0.814, CIDEr-D 2.89, object recall
// 0.885, held-out object recall 0.269; beam search (3): BLEU-4 0.812, CIDEr-D 2.74, object
// recall 0.886, held-out 0.266. The goals of issue 15 (BLEU-4 >= 0.40, CIDEr >= 1.0, object
// recall >= 0.85, under 30 minutes) are met. Every encoder variant tried sat for 1000 steps
// at object recall ~0.2 (the decoder's language model has the templates and the colours
// before the encoder sees shapes); the hybrid encoder left that plateau between steps 1000
// and 1500. Details and pictures: docs/results/caption.md.

func init() {
	Register(&Experiment{
		Name:        "caption-shapes",
		Description: "image captioning on the shapes world: ViT encoder + transformer decoder, BLEU, CIDEr-D, object recall",
		Wall:        "25 min",
		Families:    []Family{pairsFamily(), captionFamily()},
		Defaults: map[string]any{
			// data: the shapes world at 64x64 (20000/2000/2000 scenes, up to 3 objects);
			// captions of up to 26 tokens with [BOS] and [EOS] (the longest is 24).
			"image_size": 64, "max_len": 26,
			// model: the small preset's sizes (encoder width 64, depth 4, 64 tokens; decoder
			// width 128, depth 2) with a hybrid encoder: a convolutional stem 32-64-128 down
			// to the 8x8 grid before the ViT blocks; dropout 0.1; the auxiliary bag-of-words
			// loss on the encoder at weight 0.1.
			"stem": "32,64,128", "words_loss": 0.1,
			// schedule: 5500 steps of 64, AdamW lr 1.5e-3, warmup 200 + cosine, weight decay 0.05.
			"steps": 5500, "batch_size": 64, "lr": 1.5e-3, "warmup": 200, "weight_decay": 0.05,
			"eval_every": 1000, "ckpt_every": 1000,
		},
		Smoke: map[string]any{"steps": 60, "warmup": 10, "eval_every": 30, "ckpt_every": 30, "log_every": 10,
			"shapes_train": 1024, "shapes_val": 64, "shapes_test": 64, "eval_size": 64, "batch_size": 32},
		// metrics: bleu_1..4, cider, object_recall, heldout_object_recall, loss; the test
		// split adds beam_* of the same.
		BestMetric: "cider",
		Build:      buildCaptionShapes,
	})
}
