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

import (
	"fmt"

	"github.com/mmdna/mmdna/train"
)

func init() {
	Register(&Experiment{
		Name:        "clip-flickr8k",
		Description: "CLIP on Flickr8k (needs -set data_dir=...): retrieval recall@1/5/10 with 5 captions per image",
		Wall:        "not measured (no Flickr8k here)",
		Params:      append(PairParams(), clipParams("small", "a photo of a {class}.")...),
		Defaults: map[string]any{"image_size": 64, "max_len": 24, "min_freq": 3, "steps": 2000, "batch_size": 64,
			"lr": 5e-4, "warmup": 200, "weight_decay": 0.1, "eval_every": 500, "ckpt_every": 500, "log_every": 10,
			"tower": "conv", "text_pool": "mean"},
		Smoke: map[string]any{"image_size": 32, "preset": "tiny", "steps": 40, "warmup": 5, "batch_size": 16,
			"eval_every": 20, "ckpt_every": 20, "eval_size": 256, "min_freq": 1},
		BestMetric:   "r_at_1_i2t",
		NoDecayRank1: true, // as open_clip: no decay on biases, gains and the logit scale.
		Build:        buildClipFlickr8k,
	})
}

func buildClipFlickr8k(env *Env) (*train.Task, error) {
	p := env.P
	if p.String("data_dir") == "" {
		return nil, fmt.Errorf("parameter data_dir: clip-flickr8k needs the Flickr8k directory (captions.txt, Images/)")
	}
	d, err := LoadPairs(env)
	if err != nil {
		return nil, err
	}
	cfg, err := clipConfig(p, d.Train.H, d.Train.C, d.Tok.VocabSize(), d.Tok.MaxLen())
	if err != nil {
		return nil, err
	}
	batch := p.Int("batch_size")
	if d.Train.N < batch {
		return nil, fmt.Errorf("parameter batch_size=%d: the training split has only %d images", batch, d.Train.N)
	}
	env.Log("clip: %s", describeClip(cfg))
	task := clipTask(cfg, &PairSource{Split: d.Train, Tok: d.Tok, BatchN: batch, Seed: uint64(p.Int("seed"))})
	evaluate := func(ev *train.Evaluation) (*clipEvalSet, train.Metrics, error) {
		enc, err := newClipEncoder(ev, cfg, d.Tok)
		if err != nil {
			return nil, nil, err
		}
		s, err := embedSplit(enc, d.Split(ev.Split), p.Int("eval_size"))
		if err != nil {
			return nil, nil, err
		}
		m, err := s.retrievalMetrics(batch)
		return s, m, err
	}
	task.Evaluate = func(ev *train.Evaluation) (train.Metrics, error) {
		s, m, err := evaluate(ev)
		ev.Result = s
		return m, err
	}
	task.Report = func(ev *train.Evaluation) error {
		s, ok := ev.Result.(*clipEvalSet)
		if !ok || s == nil {
			return fmt.Errorf("clip-flickr8k report: the test evaluation left no embeddings (%T)", ev.Result)
		}
		// The chapter's generate_example: image 0 and its first caption, plus two more.
		images := []int{0, min(1, s.N-1), min(2, s.N-1)}
		captions := []int{0, min(5, len(s.Set.Owner)-1)}
		path, err := clipExamples(ev, s, dedupe(images), dedupe(captions), "examples.png")
		if err != nil {
			return err
		}
		ev.Log("wrote %s", path)
		return clipLossReport(ev, batch, "clip-flickr8k")
	}
	return task, nil
}

// dedupe drops repeated values, keeping the first of each.
func dedupe(v []int) []int {
	var out []int
	seen := map[int]bool{}
	for _, x := range v {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
