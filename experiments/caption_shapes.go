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
// Measured: to be filled by the measured run.

func init() {
	Register(&Experiment{
		Name:        "caption-shapes",
		Description: "image captioning on the shapes world: ViT encoder + transformer decoder, BLEU, CIDEr-D, object recall",
		Wall:        "< 30 min",
		Families:    []Family{pairsFamily(), captionFamily()},
		Defaults: map[string]any{
			// data: the shapes world at 64x64 (20000/2000/2000 scenes, up to 3 objects);
			// captions of up to 26 tokens with [BOS] and [EOS] (the longest is 24).
			"image_size": 64, "max_len": 26,
			// model: the small preset (ViT width 64, depth 4 over 8x8 patches; decoder width
			// 128, depth 2), dropout 0.1, and the auxiliary bag-of-words loss on the encoder
			// at weight 0.1 (without it the encoder learned shapes slowly: object recall 0.27
			// after 1500 steps, see the header).
			"words_loss": 0.1,
			// schedule: AdamW lr 1.5e-3, warmup 200 + cosine, weight decay 0.05, batch 64.
			"steps": 3500, "batch_size": 64, "lr": 1.5e-3, "warmup": 200, "weight_decay": 0.05,
			"eval_every": 500, "ckpt_every": 500,
		},
		Smoke: map[string]any{"steps": 60, "warmup": 10, "eval_every": 30, "ckpt_every": 30, "log_every": 10,
			"shapes_train": 1024, "shapes_val": 64, "shapes_test": 64, "eval_size": 64, "batch_size": 32},
		// metrics: bleu_1..4, cider, object_recall, heldout_object_recall, loss; the test
		// split adds beam_* of the same.
		BestMetric: "cider",
		Build:      buildCaption,
	})
}
