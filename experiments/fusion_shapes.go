package experiments

// fusion-shapes: the fusion baselines of section 10.3 on a task that needs both
// modalities: does this caption describe this image? Half the examples are true
// captions, a quarter captions of other images, a quarter true captions with one colour
// or shape word swapped ("a red circle" -> "a red star" when the scene has no red
// star). The same towers (ViT and text transformer), data, steps, batch and learning
// rate for every strategy; only where and how the modalities meet changes:
//
//	go run ./cmd/train -exp fusion-shapes -set fusion=early -out runs/fusion-early
//	go run ./cmd/train -exp fusion-shapes -set 'fusion=early;hidden=0' -out runs/fusion-early-linear
//	go run ./cmd/train -exp fusion-shapes -set fusion=late -out runs/fusion-late
//	go run ./cmd/train -exp fusion-shapes -set fusion=hybrid -out runs/fusion-hybrid
//	go run ./cmd/train -exp fusion-shapes -set fusion=gated -out runs/fusion-gated
//	go run ./cmd/train -exp fusion-shapes -set fusion=bilinear -out runs/fusion-bilinear
//
// hidden=0 is the chapter's ViT+BERT example as written: concatenation and a linear
// classifier, which can only add an image score and a text score and so cannot tell a
// match from a mismatch. gated (a gated multimodal unit) and bilinear (MLB's low-rank
// bilinear pooling) read the same pooled features as early fusion and combine them by a
// gated sum and by a product; gate_dim = rank = 128 makes their joint vector as wide as
// early fusion's concatenation. Wall time on the 2-core reference machine (go backend,
// alone): 3-4 min per run of 4000 steps, measured 2026-11-28 (gated 4m54s and bilinear
// 3m51s on 2026-12-03, beside another training). Test accuracy (chance 0.5): early
// 0.787, early linear 0.510, late 0.647, hybrid 0.754, gated 0.691, bilinear 0.760; the
// table with accuracy per kind of example is in docs/results/clip.md.

import "github.com/mmdna/mmdna/models/fusion"

func init() {
	Register(&Experiment{
		Name:        "fusion-shapes",
		Description: "early / late / hybrid / gated / bilinear fusion (-set fusion=...) on shapes caption-image matching with hard negatives",
		Wall:        "3-4 min per strategy",
		Families:    []Family{pairsFamily()},
		Params: []Param{
			{"fusion", string(fusion.Hybrid), "where and how the modalities meet: early (concatenation + classifier), " +
				"late (per-modality predictions combined), hybrid (cross-attention, then an MLP), " +
				"gated (gated multimodal unit, then the classifier), bilinear (MLB low-rank bilinear pooling, then the classifier)"},
			{"hidden", 128, "MLP width after the fusion point (early, hybrid, gated, bilinear); 0 is the chapter's linear classifier"},
			{"concepts", 64, "late fusion: concept scores predicted by each tower"},
			{"cross_depth", 1, "hybrid fusion: cross-attention blocks (text queries, image keys and values)"},
			{"cross_heads", 4, "hybrid fusion: cross-attention heads"},
			{"gate_dim", 128, "gated fusion: width of the gated unit (h_v, h_t, gates)"},
			{"rank", 128, "bilinear fusion: rank of the low-rank bilinear pooling (width of tanh(Uv) ⊙ tanh(Vt))"},
			{"patch", 8, "ViT patch side"},
			{"img_dim", 64, "ViT width"},
			{"img_depth", 3, "ViT blocks"},
			{"txt_dim", 64, "text tower width"},
			{"txt_depth", 2, "text tower blocks"},
			branchesParam,
			{"eval_size", 0, "evaluate on the first N images of val and test, 4 examples each (0: all)"},
		},
		Defaults: map[string]any{
			// data: the shapes world's 20000/2000/2000 scenes; matching examples half true,
			// a quarter other captions, a quarter swapped words.
			// model: the towers above (ViT 64 x 3 at patch 8, text 64 x 2) for every strategy.
			// schedule: 4000 steps of 64, AdamW lr 1e-3, warmup 150 + cosine, weight decay 0.05.
			"steps": 4000, "batch_size": 64, "lr": 1e-3, "warmup": 150, "weight_decay": 0.05,
			"eval_every": 1000, "ckpt_every": 1000, "log_every": 20,
			// the training step in four branches of 16 (the same function): 1.2-1.7x
			// faster than two on four of the five strategies (perf-history.md, "Branches").
			"branches": 4,
		},
		Smoke: map[string]any{"steps": 60, "warmup": 10, "eval_every": 30, "ckpt_every": 30, "batch_size": 32,
			"shapes_train": 1024, "shapes_val": 128, "shapes_test": 128, "img_dim": 32, "txt_dim": 32, "img_depth": 1,
			"txt_depth": 1, "hidden": 32, "concepts": 16, "gate_dim": 32, "rank": 32},
		// metrics: accuracy, accuracy_{positive,other_caption,swapped_word}, loss (binary
		// cross-entropy).
		BestMetric: "accuracy",
		Build:      buildFusionShapes,
	})
}
