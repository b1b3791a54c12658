package experiments

// The embedding family (models/embedding): the chapter's MultimodalEmbedding, mmdna's
// CrossModalEmbedding (per-pair cross-modal attention) and the chapter's own forward
// pass, trained on image-text pairs with the symmetric contrastive loss and scored by
// retrieval both ways. The config is embed_shapes.go.

import (
	"fmt"
	"strconv"
	"strings"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/metric"
	"github.com/mmdna/mmdna/datasets/pairs"
	"github.com/mmdna/mmdna/eval"
	"github.com/mmdna/mmdna/models/clip"
	"github.com/mmdna/mmdna/models/embedding"
	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/weights"
)

// embedFamily: which model, the towers' sizes and the evaluation's.
func embedFamily() Family {
	return Family{Name: "embedding", Params: []Param{
		{"model", string(embedding.KindMultimodal), "multimodal (the chapter's MultimodalEmbedding, a dual encoder), " +
			"crossmodal (per-pair cross-modal attention) or chapter (the chapter's forward: attention across the batch)"},
		{"preset", "small", "text tower and shared-space sizes by clip preset: " + strings.Join(clip.PresetNames(), ", ")},
		{"conv", "32,64,128", "conv image tower: channels per stage, each halving the side (3 stages: a 4x4 map, 16 tokens, at 32x32)"},
		{"heads", 4, "cross-modal attention heads (they divide the shared space)"},
		{"max_logit_scale", clip.DefaultMaxLogitScale, "clamp of the logit scale exp(s), s initialised to log(1/0.07)"},
		{"eval_size", 500, "retrieval during training on the first N validation images and their captions (0: all)"},
		{"test_eval_size", 0, "retrieval at the end on the first N test images and their captions (0: all)"},
	}}
}

// embedConfig builds the model's configuration from the parameters.
func embedConfig(p *Params, image, channels, vocab, maxLen int) (embedding.Config, error) {
	kind := embedding.Kind(p.String("model"))
	cfg, err := embedding.Preset(kind, p.String("preset"), image, channels, vocab, maxLen)
	if err != nil && cfg.Towers.EmbedDim == 0 {
		return cfg, fmt.Errorf("parameter preset: %w", err)
	}
	var conv []int
	for _, f := range strings.Split(p.String("conv"), ",") {
		c, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || c <= 0 {
			return cfg, fmt.Errorf("parameter conv=%q: want positive channel counts separated by commas", p.String("conv"))
		}
		conv = append(conv, c)
	}
	cfg.Kind, cfg.Heads = kind, p.Int("heads")
	cfg.Towers.Conv.Channels = conv
	cfg.Towers.MaxLogitScale = p.Float("max_logit_scale")
	if err := cfg.Towers.CheckImage(image, image); err != nil {
		return cfg, fmt.Errorf("parameter conv: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("parameters model/heads: %w", err)
	}
	return cfg, nil
}

// embedTask is the training side: pairs from src, embedding.Loss on the model's
// [batch, batch] logits, the logit scale as a training metric. A multimodal run
// records itself as a CLIP model (model.json), which it is, for weights.Load and
// cmd/infer.
func embedTask(env *Env, cfg embedding.Config, trainSplit *pairs.Split, src train.Source) (*train.Task, error) {
	if cfg.Kind == embedding.KindMultimodal {
		spec := weights.Spec{Kind: weights.KindCLIP, CLIP: cfg.Towers, Preprocess: runPreprocess(trainSplit.H, trainSplit.Mean, trainSplit.Std)}
		if err := weights.WriteSpec(env.Dir, spec); err != nil {
			return nil, fmt.Errorf("-out %s: %w", env.Dir, err)
		}
	}
	scaleMetric := metric.NewBaseMetric("Logit scale", "logit_scale", "scale",
		func(_ *model.Scope, _, predictions []*Node) *Node { return predictions[1] }, nil)
	return &train.Task{
		Model: func(scope *model.Scope, _ any, in []*Node) []*Node {
			return embedding.Build(scope, cfg, in[0], in[1], in[2]).Predictions()
		},
		Loss:         embedding.LossFn,
		Data:         src,
		TrainMetrics: []metric.Interface{scaleMetric},
		ExampleUnit:  "pair",
	}, nil
}

// embedEval scores the first n images of sp against all their captions: the dual
// encoder's cosine for multimodal and chapter (the chapter's forward has no score of
// one image against one caption; its towers' embeddings are what it leaves to compare),
// the pair score for crossmodal.
func embedEval(ev *train.Evaluation, cfg embedding.Config, d *pairs.Data, sp *pairs.Split, n int) (*clipEvalSet, error) {
	if cfg.Kind != embedding.KindCrossModal {
		enc, err := newClipEncoder(ev, cfg.Towers, d.Tok)
		if err != nil {
			return nil, err
		}
		return embedSplit(enc, sp, n)
	}
	if n <= 0 || n > sp.N {
		n = sp.N
	}
	set, err := eval.NewRetrievalSet(sp.Captions[:n])
	if err != nil {
		return nil, fmt.Errorf("%s split: %w", sp.Name, err)
	}
	imgExec, err := train.EvalExec(ev, func(scope *model.Scope, x *Node) (*Node, *Node, *Node) {
		img := embedding.EncodeImage(scope, cfg, x)
		return img.Tokens, img.Embed, clip.LogitScale(scope, cfg.Towers, x.Graph())
	})
	if err != nil {
		return nil, err
	}
	img, err := eval.Run(imgExec, n, evalChunk, func(idx []int) ([]*tensors.Tensor, error) {
		t, err := sp.ImagesTensor(idx)
		return []*tensors.Tensor{t}, err
	})
	if err != nil {
		return nil, err
	}
	txtExec, err := train.EvalExec(ev, func(scope *model.Scope, ids, mask *Node) (*Node, *Node) {
		t := embedding.EncodeText(scope, cfg, ids, mask)
		return t.Features, t.Embed
	})
	if err != nil {
		return nil, err
	}
	txt, err := eval.Run(txtExec, len(set.Texts), evalChunk, func(idx []int) ([]*tensors.Tensor, error) {
		return pairs.TokenTensors(d.Tok, eval.Pick(set.Texts, idx)), nil
	})
	if err != nil {
		return nil, err
	}
	sim, err := pairGrid(ev, cfg, img[0], img[1], txt[0], txt[1], pairChunkImages, pairChunkTexts)
	if err != nil {
		return nil, err
	}
	return &clipEvalSet{Split: sp, N: n, Img: img[1], Txt: txt[1], Sim: sim, Set: set, Scale: float64(img[2].Data[0])}, nil
}

// Chunks of the pair grid: pairChunkImages images against pairChunkTexts captions per
// call, about 10^5 pairs, whose largest intermediates ([heads, images, texts, tokens]
// and [images, texts, dim]) stay near 25 MB at 16 tokens and width 64.
const pairChunkImages, pairChunkTexts = 64, 1536

// pairGrid is embedding.PairScores over every image (tokens [n_img, tokens·dim], embed
// [n_img, dim]) and every caption (features and embed [n_txt, dim]), in fixed-size
// chunks (the last ones padded by repeating their last row) so one compiled graph
// serves the whole grid; chunkImg x chunkTxt pairs per call. Returns [n_img, n_txt].
func pairGrid(ev *train.Evaluation, cfg embedding.Config, tokens, imgEmbed, feats, txtEmbed eval.Matrix,
	chunkImg, chunkTxt int) (eval.Matrix, error) {
	d := cfg.Towers.EmbedDim
	nImg, nTxt, nTok := tokens.Rows, feats.Rows, tokens.Cols/d
	ci, ct := min(chunkImg, nImg), min(chunkTxt, nTxt)
	exec, err := train.EvalExec(ev, func(scope *model.Scope, tk, e, f, te *Node) *Node {
		return embedding.PairScores(scope, cfg, embedding.Image{Tokens: tk, Embed: e}, embedding.Text{Features: f, Embed: te})
	})
	if err != nil {
		return eval.Matrix{}, err
	}
	// rows returns rows start.. of m as a tensor of chunk rows, repeating the last.
	rows := func(m eval.Matrix, start, chunk int, dims ...int) *tensors.Tensor {
		out := make([]float32, 0, chunk*m.Cols)
		for k := range chunk {
			out = append(out, m.Row(min(start+k, m.Rows-1))...)
		}
		return tensors.FromFlatDataAndDimensions(out, append([]int{chunk}, dims...)...)
	}
	sim := eval.Matrix{Rows: nImg, Cols: nTxt, Data: make([]float32, nImg*nTxt)}
	for i0 := 0; i0 < nImg; i0 += ci {
		tk, e := rows(tokens, i0, ci, nTok, d), rows(imgEmbed, i0, ci, d)
		for j0 := 0; j0 < nTxt; j0 += ct {
			out, err := exec.Exec(tk, e, rows(feats, j0, ct, d), rows(txtEmbed, j0, ct, d))
			if err != nil {
				return eval.Matrix{}, err
			}
			v, err := tensors.CopyFlatData[float32](out[0]) // [ci, ct]
			if err2 := out[0].FinalizeAll(); err == nil {
				err = err2
			}
			if err != nil {
				return eval.Matrix{}, err
			}
			for i := i0; i < min(i0+ci, nImg); i++ {
				copy(sim.Data[i*nTxt+j0:i*nTxt+min(j0+ct, nTxt)], v[(i-i0)*ct:(i-i0)*ct+min(ct, nTxt-j0)])
			}
		}
	}
	return sim, nil
}
