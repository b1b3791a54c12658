package experiments

// embed-shapes: the chapter's MultimodalEmbedding and its CrossModalEmbedding
// (EnhancedMultimodalEmbedding, cross-modal attention inside the embedding) on the
// embedded shapes world, with the same towers, data and schedule, scored by retrieval
// both ways on the test split. -set model= picks the model:
//
//	go run ./cmd/train -exp embed-shapes -set model=multimodal -out runs/embed-multimodal
//	go run ./cmd/train -exp embed-shapes -set model=crossmodal -out runs/embed-crossmodal
//	go run ./cmd/train -exp embed-shapes -set model=chapter    -out runs/embed-chapter
//
// multimodal is the dual encoder: a conv image tower (3 stages, 32-64-128) mean-pooled,
// a text transformer 64x2 read at its first token (BERT's [CLS]), Linear + LayerNorm into
// 64 dimensions, cosine times a learned scale. crossmodal is the same plus per-pair
// cross-modal attention: a caption's [CLS] embedding queries the 16 feature-map tokens
// of one image (4 heads), the result refines that image's embedding, and the pair's
// score is its cosine with the caption; training scores all 128x128 pairs of a batch.
// chapter is the chapter's forward pass as written (attention across the batch,
// logits of the combined vectors against each other); its retrieval uses its towers'
// embeddings, the only image-against-caption comparison it has. Details and what the
// chapter's code does with 2-D inputs: docs/results/embedding.md.
//
// Schedule: 1500 steps of 128 pairs, AdamW lr 1e-3, warmup 150 + cosine, weight decay
// 0.05 (none on biases, gains and the scale). Metrics: r_at_{1,5,10}_{i2t,t2i} and the
// median ranks on the test split (all 2000 images, 12000 captions), on the first 500
// validation images during training; the contrastive loss of the scores; logit_scale.
//
// Wall time on the 2-core reference machine (go backend, one run at a time),
// measured 2026-12-03: multimodal 2 min 07 s, crossmodal 4 min 09 s to 4 min 16 s,
// chapter 2 min 03 s. Result (test, R@1 image→text / text→image, seeds 1 and 2):
// multimodal 0.111 / 0.049 and 0.109 / 0.051; crossmodal 0.105 / 0.050 and
// 0.135 / 0.060; chapter 0.002 / 0.000 (chance) while its own training loss falls to
// 0.016. At steps=3000 (warmup=300): multimodal 0.203 / 0.079 in 3 min 51 s,
// crossmodal 0.300 / 0.125 in 8 min 24 s. Table and reading: docs/results/embedding.md.

import (
	"fmt"
	"math"

	"github.com/mmdna/mmdna/datasets/pairs"
	"github.com/mmdna/mmdna/train"
)

func init() {
	Register(&Experiment{
		Name:        "embed-shapes",
		Description: "the chapter's MultimodalEmbedding vs CrossModalEmbedding (per-pair cross-modal attention): retrieval on the shapes world",
		Wall:        "4 min",
		Families:    []Family{pairsFamily(), embedFamily()},
		Defaults: map[string]any{
			"steps": 1500, "batch_size": 128, "lr": 1e-3, "warmup": 150, "weight_decay": 0.05,
			"eval_every": 500, "ckpt_every": 500, "log_every": 10,
		},
		Smoke: map[string]any{"steps": 40, "warmup": 5, "eval_every": 20, "ckpt_every": 20, "log_every": 5,
			"batch_size": 32, "shapes_train": 1024, "shapes_val": 128, "shapes_test": 128, "preset": "tiny",
			"conv": "16,16,16", "eval_size": 0},
		BestMetric:   "r_at_1_i2t",
		NoDecayRank1: true,
		Build:        buildEmbedShapes,
	})
}

// buildEmbedShapes trains the chosen model on the shapes world's captions and scores
// retrieval on val (during training) and test.
func buildEmbedShapes(env *Env) (*train.Task, error) {
	p := env.P
	if p.String("data_dir") != "" {
		return nil, fmt.Errorf("parameter data_dir: embed-shapes runs on the embedded shapes world")
	}
	if _, err := embedConfig(p, p.Int("image_size"), 3, 8, 8); err != nil {
		return nil, err // a bad -set fails before the world is generated.
	}
	d, err := loadPairs(env)
	if err != nil {
		return nil, err
	}
	cfg, err := embedConfig(p, d.Train.H, d.Train.C, d.Tok.VocabSize(), d.Tok.MaxLen())
	if err != nil {
		return nil, err
	}
	env.Log("embedding: model %s; %s; %d heads", cfg.Kind, describeClip(cfg.Towers), cfg.Heads)
	batch := p.Int("batch_size")
	task, err := embedTask(env, cfg, d.Train, pairs.NewSource(d.Train, d.Tok, batch, uint64(p.Int("seed"))))
	if err != nil {
		return nil, err
	}
	task.Evaluate = func(ev *train.Evaluation) (train.Metrics, error) {
		n := p.Int("eval_size")
		if ev.Split == "test" {
			n = p.Int("test_eval_size")
		}
		s, err := embedEval(ev, cfg, d, d.Split(ev.Split), n)
		if err != nil {
			return nil, err
		}
		ev.Result = s
		return s.retrievalMetrics(batch)
	}
	task.Report = func(ev *train.Evaluation) error {
		s, ok := ev.Result.(*clipEvalSet)
		if !ok || s == nil {
			return fmt.Errorf("embed-shapes report: the test evaluation left no scores (%T)", ev.Result)
		}
		path, err := clipExamples(ev, s, dedupe([]int{0, min(1, s.N-1)}), []int{lastCaption(s, min(2, s.N-1))}, "examples.png")
		if err != nil {
			return err
		}
		ev.Log("wrote %s", path)
		// Every embed-shapes model trains with the chapter's symmetric InfoNCE, the loss
		// its evaluations report too.
		ref := lossRef{fmt.Sprintf("log(batch %d)", batch), math.Log(float64(batch))}
		path, err = lossCurve(ev, ref, true, "embed-shapes "+string(cfg.Kind)+": symmetric InfoNCE loss")
		if err != nil {
			return err
		}
		ev.Log("wrote %s (first logged train loss %.3f; %s = %.3f)", path, firstLoss(ev.Dir), ref.Name, ref.Value)
		return nil
	}
	return task, nil
}
