package experiments

// caption-flickr8k: the captioner of caption-shapes on Flickr8k (8091 photographs with
// five captions each, the chapter's captioning data), from scratch. The directory
// holds captions.txt and Images/ (datasets/flickr8k), split 70/10/20 by image; test
// captions are scored with BLEU-1..4 and CIDEr-D against the image's five references.
//
//	go run ./cmd/train -exp caption-flickr8k -set data_dir=/path/to/flickr8k
//
// The default is 128x128 images in 64 patches of 16, words seen at least 5 times, and
// captions of up to 24 tokens: a size two cores can train. No run on the real data is
// recorded (the dataset is not on the reference machine); the test suite runs the whole
// path on a fixture in the real format.

func init() {
	Register(&Experiment{
		Name:        "caption-flickr8k",
		Description: "image captioning on Flickr8k (needs -set data_dir=...): BLEU-1..4 and CIDEr-D on 5 references",
		Wall:        "not measured (no Flickr8k here)",
		Families:    []Family{pairsFamily(), captionFamily()},
		Defaults: map[string]any{
			// data: Flickr8k at 128x128, captions of up to 24 tokens, words seen 5 times.
			"image_size": 128, "max_len": 24, "min_freq": 5,
			// model: the small preset over 16x16 patches (64 image tokens).
			"patch": 16,
			// schedule: 6000 steps of 64, AdamW lr 5e-4, warmup 300 + cosine, weight decay 0.05.
			"steps": 6000, "batch_size": 64, "lr": 5e-4, "warmup": 300, "weight_decay": 0.05,
			"eval_every": 1000, "ckpt_every": 1000,
		},
		Smoke: map[string]any{"image_size": 32, "patch": 8, "preset": "tiny", "steps": 40, "warmup": 5, "batch_size": 8, "lr": 3e-3,
			"eval_every": 20, "ckpt_every": 20, "eval_size": 16, "min_freq": 1},
		// metrics: bleu_1..4, cider, loss; the test split adds beam_* of the same.
		BestMetric: "cider",
		Build:      buildCaptionFlickr8k,
	})
}
