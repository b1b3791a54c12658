package experiments

// The fusion task (fusion-shapes): the fusion baselines of models/fusion on
// caption-image matching (datasets/pairs' matching examples), accuracy by kind of
// example.

import (
	"fmt"
	"math"
	"path/filepath"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/metric"
	"github.com/mmdna/mmdna/datasets/pairs"
	"github.com/mmdna/mmdna/datasets/text"
	"github.com/mmdna/mmdna/eval"
	"github.com/mmdna/mmdna/models/fusion"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/viz"
)

// buildFusionShapes wires one fusion strategy (-set fusion=...) on shapes-world
// caption-image matching, with a fixed evaluation set of four examples per image.
func buildFusionShapes(env *Env) (*train.Task, error) {
	p := env.P
	if p.String("data_dir") != "" {
		return nil, fmt.Errorf("parameter data_dir: fusion-shapes needs the shapes world's scenes; leave data_dir empty")
	}
	d, err := loadPairs(env)
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
		CrossHeads: p.Int("cross_heads"), GateDim: p.Int("gate_dim"), Rank: p.Int("rank"), Outputs: 1}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("fusion parameters: %w", err)
	}
	if cfg.Image.Dim != cfg.Text.Dim && cfg.Kind == fusion.Hybrid {
		return nil, fmt.Errorf("parameters img_dim=%d, txt_dim=%d: hybrid fusion needs them equal", cfg.Image.Dim, cfg.Text.Dim)
	}
	env.Log("fusion %s: ViT dim %d depth %d patch %d, text dim %d depth %d, hidden %d (gated: gate_dim %d; bilinear: rank %d)",
		cfg.Kind, cfg.Image.Dim, cfg.Image.Depth, cfg.Image.Patch, cfg.Text.Dim, cfg.Text.Depth, cfg.Hidden, cfg.GateDim, cfg.Rank)
	evalSets := map[string][]pairs.MatchExample{}
	for _, name := range []string{"eval", "test"} {
		sp := d.Split(name)
		n := sp.N
		if e := p.Int("eval_size"); e > 0 {
			n = min(n, e)
		}
		if evalSets[name], err = pairs.MatchEvalSet(sp, n, uint64(p.Int("seed"))); err != nil {
			return nil, err
		}
	}
	src := pairs.NewMatchSource(d.Train, d.Tok, p.Int("batch_size"), uint64(p.Int("seed")), d.World.IsHeldOut)
	logits := func(scope *model.Scope, images, ids, mask *Node) *Node {
		return fusion.Build(scope, cfg, images, ids, mask).Logits
	}
	return &train.Task{
		Model: pairModel(logits, p.Int("branches")),
		Loss:  loss.BinaryCrossentropyLogits,
		Data:  src,
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
func fusionEval(ev *train.Evaluation, fn func(*model.Scope, *Node, *Node, *Node) *Node, sp *pairs.Split,
	tok text.Encoder, ex []pairs.MatchExample) ([]float64, train.Metrics, error) {
	exec, err := train.EvalExec(ev, fn)
	if err != nil {
		return nil, nil, err
	}
	out, err := eval.Run(exec, len(ex), evalChunk, func(idx []int) ([]*tensors.Tensor, error) {
		return pairs.MatchTensors(sp, tok, eval.Pick(ex, idx))
	})
	if err != nil {
		return nil, nil, err
	}
	probs := make([]float64, len(ex))
	for k, v := range out[0].Data {
		probs[k] = 1 / (1 + math.Exp(-float64(v)))
	}
	var right, total [pairs.NumMatchKinds]float64
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
	for k := range pairs.NumMatchKinds {
		allRight, all = allRight+right[k], all+total[k]
		if total[k] > 0 {
			m["accuracy_"+pairs.MatchKindNames[k]] = right[k] / total[k]
		}
	}
	m["accuracy"] = allRight / all
	return probs, m, nil
}

// fusionReport writes examples.png: test examples with the caption, the predicted
// match probability and the truth (green when the decision is right).
func fusionReport(ev *train.Evaluation, sp *pairs.Split, ex []pairs.MatchExample, probs []float64) error {
	var cells []viz.Cell
	for k := range min(16, len(ex)) {
		e := ex[k]
		pix, err := sp.Pixels(e.Image)
		if err != nil {
			return err
		}
		truth := "match"
		if e.Kind != pairs.MatchPositive {
			truth = "no: " + pairs.MatchKindNames[e.Kind]
		}
		cells = append(cells, viz.Cell{Img: viz.FromHWC(pix, sp.H, sp.W, sp.C),
			Caption:      fmt.Sprintf("%q p(match)=%.2f (%s)", e.Caption, probs[k], truth),
			CaptionColor: pick((probs[k] > 0.5) == (e.Kind == pairs.MatchPositive))})
	}
	path := filepath.Join(ev.Dir, "examples.png")
	if err := viz.SavePNG(path, viz.ImageGrid(cells, 4, 4)); err != nil {
		return err
	}
	ev.Log("wrote %s", path)
	return nil
}
