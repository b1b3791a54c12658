package experiments

// clip-flickr8k: CLIP on Flickr8k (section 10.4 of the chapter trains its
// MultimodalEmbedding on it), from scratch, with retrieval on the test split under the
// 5-captions-per-image convention: an image→text hit is any of the image's captions, a
// text→image hit the caption's own image.
//
//	go run ./cmd/train -exp clip-flickr8k -set data_dir=/path/to/flickr8k
//
// The directory holds captions.txt and Images/ (datasets/flickr8k). The chapter works
// at 224x224 with pretrained ResNet18 and BERT; trained from scratch on two cores that
// size is out of reach, so the default is 64x64 images and the "small" dual encoder
// with the choices that won on the shapes world (conv image tower, mean-pooled text);
// -set 'image_size=224;tower=vit;patch=16;preset=base' is the chapter's resolution
// with a ViT, for a machine with an accelerator. Splits: 70% train, 10% val, 20% test of
// the images. No run on the real data is recorded yet (the dataset is not on the
// reference machine); the test suite runs the whole path on a fixture in the real format.

func init() {
	Register(&Experiment{
		Name:        "clip-flickr8k",
		Description: "CLIP on Flickr8k (needs -set data_dir=...): retrieval recall@1/5/10 with 5 captions per image",
		Wall:        "not measured (no Flickr8k here)",
		Families:    []Family{pairsFamily(), clipFamily()},
		Defaults: map[string]any{
			// data: Flickr8k at 64x64 (70/10/20 by image), captions of up to 24 tokens, words
			// seen at least 3 times.
			"image_size": 64, "max_len": 24, "min_freq": 3,
			// model: the small preset with the conv tower and mean pooling.
			"tower": "conv", "text_pool": "mean",
			// schedule: 2000 steps of 64, AdamW lr 5e-4, warmup 200 + cosine, weight decay 0.1
			// (none on biases, gains and the logit scale, as open_clip).
			"steps": 2000, "batch_size": 64, "lr": 5e-4, "warmup": 200, "weight_decay": 0.1,
			"eval_every": 500, "ckpt_every": 500, "log_every": 10,
		},
		Smoke: map[string]any{"image_size": 32, "preset": "tiny", "steps": 40, "warmup": 5, "batch_size": 16,
			"eval_every": 20, "ckpt_every": 20, "eval_size": 256, "min_freq": 1},
		// metrics: r_at_{1,5,10}_{i2t,t2i}, median ranks, logit_scale, loss.
		BestMetric:   "r_at_1_i2t",
		NoDecayRank1: true,
		Build:        buildClipFlickr8k,
	})
}
