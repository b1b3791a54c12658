package experiments

// The cross-attention family (crossattn-match, crossattn-ablation): the chapter's
// image-text matching model of section 10.4, its training task and its evaluation
// (the chapter's probe in task_crossattn_probe.go; the ablation study in
// task_crossattn_study.go).

import (
	"github.com/mmdna/mmdna/datasets/pairs"
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/eval"
	"github.com/mmdna/mmdna/models/crossattn"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
	"github.com/mmdna/mmdna/rundir"
	"github.com/mmdna/mmdna/train"
)

// crossattnFamily: the matching model's parameters (models/crossattn) and its
// evaluation's; the data is pairsFamily's.
func crossattnFamily() Family {
	return Family{Name: "crossattn", Params: []Param{
		{"tokens", crossattn.TokensPooled, "what the cross-attention sees: pooled (one token per modality, the chapter) or tokens (patches and words)"},
		{"proj_dim", 256, "width of the projections and of the cross-attention (the chapter's 256)"},
		{"attn_heads", 8, "heads of the multi-head versions (the chapter's 8)"},
		{"attn_dropout", 0.1, "dropout of v9 and later versions (the chapter's 0.1)"},
		{"patch", 8, "image encoder: patch side in pixels"},
		{"img_dim", 64, "image encoder (ViT): token width"},
		{"img_depth", 2, "image encoder: transformer blocks"},
		{"img_heads", 4, "image encoder: attention heads"},
		{"txt_dim", 64, "text encoder: token width"},
		{"txt_depth", 2, "text encoder: transformer blocks"},
		{"txt_heads", 4, "text encoder: attention heads"},
		{"eval_batches", 8, "batches of batch_size pairs for the eval/test loss and in-batch accuracy"},
		{"eval_images", 300, "test images given the chapter's five-caption verdict"},
	}}
}

// buildCrossAttnMatch trains the version the parameters name.
func buildCrossAttnMatch(env *Env) (*train.Task, error) {
	d, err := loadPairs(env)
	if err != nil {
		return nil, err
	}
	return crossAttnTask(env.P, d, env.P.String("version"))
}

// crossAttnMatchConfig builds the matching model of a version from the parameters.
func crossAttnMatchConfig(p *Params, d *pairs.Data, version string) (crossattn.MatchConfig, error) {
	img := vit.Config{Image: d.Train.H, Channels: d.Train.C, Patch: p.Int("patch"), Dim: p.Int("img_dim"),
		Depth: p.Int("img_depth"), Heads: p.Int("img_heads"), MLPDim: 2 * p.Int("img_dim"), Pool: vit.PoolGAP}
	cfg := crossattn.MatchConfig{
		Version: version,
		Attn:    crossattn.Config{Dim: p.Int("proj_dim"), Heads: p.Int("attn_heads"), Dropout: p.Float("attn_dropout")},
		Image:   img,
		Text: nn.TextEncoderConfig{VocabSize: d.Tok.VocabSize(), MaxLen: d.Tok.MaxLen(), Dim: p.Int("txt_dim"),
			Depth: p.Int("txt_depth"), Heads: p.Int("txt_heads")},
		Tokens: p.String("tokens"),
	}
	return cfg, cfg.Validate()
}

// crossAttnTask is the training task of one version: the matching model on
// pairs.Source batches, evaluated by crossAttnEvaluate.
func crossAttnTask(p *Params, d *pairs.Data, version string) (*train.Task, error) {
	cfg, err := crossAttnMatchConfig(p, d, version)
	if err != nil {
		return nil, err
	}
	src := pairs.NewSource(d.Train, d.Tok, p.Int("batch_size"), uint64(p.Int("seed")))
	return &train.Task{
		Model: func(scope *model.Scope, _ any, in []*Node) []*Node {
			return []*Node{crossattn.Match(scope, cfg, in[0], in[1], in[2]).Loss()}
		},
		Loss:        func(_, pred []*Node) *Node { return pred[0] },
		Data:        src,
		Evaluate:    func(ev *train.Evaluation) (train.Metrics, error) { return crossAttnEvaluate(ev, p, d, cfg) },
		ExampleUnit: "pair",
	}, nil
}

// crossAttnEvaluate computes, on eval_batches batches of the split (images in order,
// first caption each): the contrastive loss and the in-batch retrieval accuracy (image
// to caption, the chapter's "accuracy", chance 1/batch_size). On the test split it adds
// the chapter's probe (metrics probe_*, detail "probe") and the same verdict on
// eval_images test images (test_*, novel_*; detail "test_probes").
func crossAttnEvaluate(ev *train.Evaluation, p *Params, d *pairs.Data, cfg crossattn.MatchConfig) (train.Metrics, error) {
	sp := d.Split(ev.Split)
	b := p.Int("batch_size")
	exec, err := train.EvalExec(ev, func(scope *model.Scope, in []*Node) []*Node {
		o := crossattn.Match(scope, cfg, in[0], in[1], in[2])
		return []*Node{o.Loss(), o.Logits()}
	})
	if err != nil {
		return nil, err
	}
	batches := min(p.Int("eval_batches"), sp.N/b)
	if batches < 1 {
		return nil, errSmallSplit(sp, b)
	}
	var lossSum, correct float64
	for k := range batches {
		idx := seq(b)
		texts := make([]string, b)
		for i := range idx {
			idx[i] += k * b
			texts[i] = sp.Captions[idx[i]][0]
		}
		in, err := sp.Tensors(d.Tok, idx, texts)
		if err != nil {
			return nil, err
		}
		out, err := exec.Exec(in[0], in[1], in[2])
		if err != nil {
			return nil, err
		}
		lossSum += float64(tensors.ToScalar[float32](out[0]))
		logits, err := tensors.CopyFlatData[float32](out[1])
		if err != nil {
			return nil, err
		}
		for i := range b {
			if eval.Argmax(logits[i*b:(i+1)*b]) == i {
				correct++
			}
		}
	}
	m := train.Metrics{rundir.Loss: lossSum / float64(batches), rundir.Accuracy: correct / float64(batches*b)}
	if ev.Split == "test" {
		if err := crossAttnProbes(ev, p, d, cfg, m); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// crossAttnProbes adds the chapter's single probe and the test-set verdict to m.
func crossAttnProbes(ev *train.Evaluation, p *Params, d *pairs.Data, cfg crossattn.MatchConfig, m train.Metrics) error {
	exec, err := train.EvalExec(ev, func(scope *model.Scope, in []*Node) []*Node {
		return []*Node{crossattn.Match(scope, cfg, in[0], in[1], in[2]).PairScores()}
	})
	if err != nil {
		return err
	}
	scorer := &pairScorer{exec: exec, split: d.Test, data: d, chunk: 5 * p.Int("batch_size")}
	single, err := chapterProbe(d.Test)
	if err != nil {
		return err
	}
	probes, err := testProbes(d.Test, p.Int("eval_images"), uint64(p.Int("seed")))
	if err != nil {
		return err
	}
	scores, err := scorer.score(append([]captionProbe{single}, probes...))
	if err != nil {
		return err
	}
	one := judgeProbe(scores[0], single.Correct)
	verdicts := make([]probeVerdict, len(probes))
	for i, pr := range probes {
		verdicts[i] = judgeProbe(scores[i+1], pr.Correct)
	}
	sum := summarizeProbes(d.Test, probes, verdicts)
	m["probe_trained_well"], m["probe_ratio"], m["probe_gap"] = boolMetric(one.TrainedWell), float64(one.Ratio), float64(one.Gap)
	m["test_trained_well"], m["test_ratio_median"], m["test_gap_mean"] = float64(sum.TrainedWell), float64(sum.RatioMedian), float64(sum.GapMean)
	if sum.NovelN > 0 {
		m["novel_trained_well"] = float64(sum.NovelTrainedWell)
	}
	ev.Detail("probe", map[string]any{"probe": single, "verdict": one})
	ev.Detail("test_probes", sum)
	ev.Log("probe: %q wins (%s) ratio %.3f gap %.3f; %d test images: right caption wins %.1f%%",
		single.Captions[one.Best], map[bool]string{true: "trained well", false: "not trained well"}[one.TrainedWell],
		one.Ratio, one.Gap, sum.N, 100*sum.TrainedWell)
	return nil
}

func boolMetric(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// chanceLoss is the contrastive loss of uniform logits over a batch of b pairs.
func chanceLoss(b int) float64 { return math.Log(float64(b)) }
