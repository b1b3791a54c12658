package experiments

// fusion-shapes: the fusion baselines of section 10.3 on a task that needs both
// modalities: does this caption describe this image? Half the examples are true
// captions, a quarter captions of other images, a quarter true captions with one colour
// or shape word swapped ("a red circle" -> "a red star" when the scene has no red
// star). The same towers (ViT and text transformer), data, steps, batch and learning
// rate for every strategy; only where the modalities meet changes:
//
//	go run ./cmd/train -exp fusion-shapes -set fusion=early -out runs/fusion-early
//	go run ./cmd/train -exp fusion-shapes -set 'fusion=early;hidden=0' -out runs/fusion-early-linear
//	go run ./cmd/train -exp fusion-shapes -set fusion=late -out runs/fusion-late
//	go run ./cmd/train -exp fusion-shapes -set fusion=hybrid -out runs/fusion-hybrid
//
// hidden=0 is the chapter's ViT+BERT example as written: concatenation and a linear
// classifier, which can only add an image score and a text score and so cannot tell a
// match from a mismatch. Wall time on the 2-core reference machine (go backend, alone):
// 3-4 min per run of 4000 steps, measured 2026-11-28. Test accuracy (chance 0.5): early
// 0.787, early linear 0.510, late 0.647, hybrid 0.754; the table with accuracy per kind
// of example is in docs/results/clip.md.

import (
	"fmt"
	"math"
	"path/filepath"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/metric"
	"github.com/mmdna/mmdna/datasets/text"
	"github.com/mmdna/mmdna/eval"
	"github.com/mmdna/mmdna/models/fusion"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/viz"
)

func init() {
	Register(&Experiment{
		Name:        "fusion-shapes",
		Description: "early / late / hybrid fusion (-set fusion=...) on shapes caption-image matching with hard negatives",
		Wall:        "3-4 min per strategy",
		Params: append(PairParams(),
			Param{"fusion", string(fusion.Hybrid), "where the modalities meet: early (concatenation + classifier), " +
				"late (per-modality predictions combined), hybrid (cross-attention, then an MLP)"},
			Param{"hidden", 128, "MLP width after the fusion point (early, hybrid); early with 0 is the chapter's linear classifier"},
			Param{"concepts", 64, "late fusion: concept scores predicted by each tower"},
			Param{"cross_depth", 1, "hybrid fusion: cross-attention blocks (text queries, image keys and values)"},
			Param{"cross_heads", 4, "hybrid fusion: cross-attention heads"},
			Param{"patch", 8, "ViT patch side"},
			Param{"img_dim", 64, "ViT width"},
			Param{"img_depth", 3, "ViT blocks"},
			Param{"txt_dim", 64, "text tower width"},
			Param{"txt_depth", 2, "text tower blocks"},
			Param{"eval_size", 0, "evaluate on the first N images of val and test, 4 examples each (0: all)"},
		),
		Defaults: map[string]any{"steps": 4000, "batch_size": 64, "lr": 1e-3, "warmup": 150, "weight_decay": 0.05,
			"eval_every": 1000, "ckpt_every": 1000, "log_every": 20},
		Smoke: map[string]any{"steps": 60, "warmup": 10, "eval_every": 30, "ckpt_every": 30, "batch_size": 32,
			"shapes_train": 1024, "shapes_val": 128, "shapes_test": 128, "img_dim": 32, "txt_dim": 32, "img_depth": 1,
			"txt_depth": 1, "hidden": 32, "concepts": 16},
		BestMetric: "accuracy",
		Build:      buildFusionShapes,
	})
}

func buildFusionShapes(env *Env) (*train.Task, error) {
	p := env.P
	if p.String("data_dir") != "" {
		return nil, fmt.Errorf("parameter data_dir: fusion-shapes needs the shapes world's scenes; leave data_dir empty")
	}
	d, err := LoadPairs(env)
	if err != nil {
		return nil, err
	}
	heads := func(dim int) int { return max(1, dim/16) }
	cfg := fusion.Config{Kind: fusion.Kind(p.String("fusion")),
		Image: vit.Config{Image: d.Train.H, Channels: d.Train.C, Patch: p.Int("patch"), Dim: p.Int("img_dim"),
			Depth: p.Int("img_depth"), Heads: heads(p.Int("img_dim")), MLPDim: 2 * p.Int("img_dim"), Pool: vit.PoolGAP},
		Text: nn.TextEncoderConfig{VocabSize: d.Tok.VocabSize(), MaxLen: d.Tok.MaxLen(), Dim: p.Int("txt_dim"),
			Depth: p.Int("txt_depth"), Heads: heads(p.Int("txt_dim")), MLPDim: 2 * p.Int("txt_dim")},
		Hidden: p.Int("hidden"), Concepts: p.Int("concepts"), CrossDepth: p.Int("cross_depth"),
		CrossHeads: p.Int("cross_heads"), Outputs: 1}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("fusion parameters: %w", err)
	}
	if cfg.Image.Dim != cfg.Text.Dim && cfg.Kind == fusion.Hybrid {
		return nil, fmt.Errorf("parameters img_dim=%d, txt_dim=%d: hybrid fusion needs them equal", cfg.Image.Dim, cfg.Text.Dim)
	}
	env.Log("fusion %s: ViT dim %d depth %d patch %d, text dim %d depth %d, hidden %d", cfg.Kind, cfg.Image.Dim,
		cfg.Image.Depth, cfg.Image.Patch, cfg.Text.Dim, cfg.Text.Depth, cfg.Hidden)
	evalSets := map[string][]matchExample{}
	for _, name := range []string{"eval", "test"} {
		sp := d.Split(name)
		n := sp.N
		if e := p.Int("eval_size"); e > 0 {
			n = min(n, e)
		}
		if evalSets[name], err = matchEvalSet(sp, n, uint64(p.Int("seed"))); err != nil {
			return nil, err
		}
	}
	src := &matchSource{split: d.Train, tok: d.Tok, batch: p.Int("batch_size"), seed: uint64(p.Int("seed")),
		forbidden: d.World.IsHeldOut}
	logits := func(scope *model.Scope, images, ids, mask *Node) *Node {
		return fusion.Build(scope, cfg, images, ids, mask).Logits
	}
	return &train.Task{
		Model: func(scope *model.Scope, _ any, in []*Node) []*Node {
			return []*Node{logits(scope, in[0], in[1], in[2])}
		},
		Loss: loss.BinaryCrossentropyLogits,
		Data: src,
		TrainMetrics: []metric.Interface{
			metric.NewMovingAverageBinaryLogitsAccuracy("Moving Average Accuracy", "accuracy", 0.05)},
		Evaluate: func(ev *train.Evaluation) (train.Metrics, error) {
			probs, m, err := fusionEval(ev, logits, d.Split(ev.Split), d.Tok, evalSets[ev.Split])
			ev.Result = probs
			return m, err
		},
		Report: func(ev *train.Evaluation) error {
			probs, ok := ev.Result.([]float64)
			if !ok {
				return fmt.Errorf("examples.png: the test evaluation left no probabilities (%T)", ev.Result)
			}
			return fusionReport(ev, d.Test, evalSets["test"], probs)
		},
	}, nil
}

// fusionEval runs the model over the examples and returns the match probabilities and
// the metrics: accuracy overall and per kind of example, and the binary cross-entropy
// ("loss").
func fusionEval(ev *train.Evaluation, fn func(*model.Scope, *Node, *Node, *Node) *Node, sp *PairSplit,
	tok *text.Tokenizer, ex []matchExample) ([]float64, train.Metrics, error) {
	exec, err := train.EvalExec(ev, fn)
	if err != nil {
		return nil, nil, err
	}
	out, err := eval.Run(exec, len(ex), evalChunk, func(idx []int) ([]*tensors.Tensor, error) {
		return matchTensors(sp, tok, eval.Pick(ex, idx))
	})
	if err != nil {
		return nil, nil, err
	}
	probs := make([]float64, len(ex))
	for k, v := range out[0].Data {
		probs[k] = 1 / (1 + math.Exp(-float64(v)))
	}
	var right, total [numMatchKinds]float64
	var bce float64
	for k, e := range ex {
		y, p := float64(e.Label()), min(max(probs[k], 1e-7), 1-1e-7)
		bce -= y*math.Log(p) + (1-y)*math.Log(1-p)
		total[e.Kind]++
		if (p > 0.5) == (y == 1) {
			right[e.Kind]++
		}
	}
	m := train.Metrics{"loss": bce / float64(len(ex))}
	var allRight, all float64
	for k := range numMatchKinds {
		allRight, all = allRight+right[k], all+total[k]
		if total[k] > 0 {
			m["accuracy_"+matchKindNames[k]] = right[k] / total[k]
		}
	}
	m["accuracy"] = allRight / all
	return probs, m, nil
}

// fusionReport writes examples.png: test examples with the caption, the predicted
// match probability and the truth (green when the decision is right).
func fusionReport(ev *train.Evaluation, sp *PairSplit, ex []matchExample, probs []float64) error {
	var cells []viz.Cell
	for k := range min(16, len(ex)) {
		e := ex[k]
		pix, err := sp.Pixels(e.Image)
		if err != nil {
			return err
		}
		truth := "match"
		if e.Kind != matchPositive {
			truth = "no: " + matchKindNames[e.Kind]
		}
		cells = append(cells, viz.Cell{Img: viz.FromHWC(pix, sp.H, sp.W, sp.C),
			Caption:      fmt.Sprintf("%q p(match)=%.2f (%s)", e.Caption, probs[k], truth),
			CaptionColor: pick((probs[k] > 0.5) == (e.Kind == matchPositive))})
	}
	path := filepath.Join(ev.Dir, "examples.png")
	if err := viz.SavePNG(path, viz.ImageGrid(cells, 4, 4)); err != nil {
		return err
	}
	ev.Log("wrote %s", path)
	return nil
}
