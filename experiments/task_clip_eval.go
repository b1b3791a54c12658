package experiments

import (
	"fmt"
	"github.com/mmdna/mmdna/datasets/pairs"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/datasets/text"
	"github.com/mmdna/mmdna/eval"
	"github.com/mmdna/mmdna/models/clip"
	"github.com/mmdna/mmdna/train"
)

// clipEncoder embeds images and texts with the weights of one evaluation (train.EvalExec:
// a fresh executor per evaluation, see its doc).
type clipEncoder struct {
	img, txt *model.Exec
	tok      text.Encoder
	scale    float64 // the clamped logit scale, read with the images.
}

func newClipEncoder(ev *train.Evaluation, cfg clip.Config, tok text.Encoder) (*clipEncoder, error) {
	img, err := train.EvalExec(ev, func(scope *model.Scope, x *Node) (*Node, *Node) {
		_, emb := clip.EncodeImage(scope, cfg, x)
		return emb, clip.LogitScale(scope, cfg, x.Graph())
	})
	if err != nil {
		return nil, err
	}
	txt, err := train.EvalExec(ev, func(scope *model.Scope, ids, mask *Node) *Node {
		_, emb := clip.EncodeText(scope, cfg, ids, mask)
		return emb
	})
	if err != nil {
		return nil, err
	}
	return &clipEncoder{img: img, txt: txt, tok: tok}, nil
}

// images embeds the first n images of a split: [n, embed_dim].
func (e *clipEncoder) images(sp *pairs.Split, n int) (eval.Matrix, error) {
	out, err := eval.Run(e.img, n, evalChunk, func(idx []int) ([]*tensors.Tensor, error) {
		t, err := sp.ImagesTensor(idx)
		return []*tensors.Tensor{t}, err
	})
	if err != nil {
		return eval.Matrix{}, err
	}
	e.scale = float64(out[1].Data[0])
	return out[0], nil
}

// texts embeds captions: [len(texts), embed_dim].
func (e *clipEncoder) texts(texts []string) (eval.Matrix, error) {
	out, err := eval.Run(e.txt, len(texts), evalChunk, func(idx []int) ([]*tensors.Tensor, error) {
		return pairs.TokenTensors(e.tok, eval.Pick(texts, idx)), nil
	})
	if err != nil {
		return eval.Matrix{}, err
	}
	return out[0], nil
}

// clipEvalSet is a split embedded for evaluation: the first N images, all their
// captions, the similarity matrix and the retrieval set.
type clipEvalSet struct {
	Split *pairs.Split
	N     int
	Img   eval.Matrix // [N, embed_dim]
	Txt   eval.Matrix // [captions, embed_dim], image by image.
	Sim   eval.Matrix // [N, captions]
	Set   *eval.RetrievalSet
	Scale float64
}

// embedSplit embeds the first n images of sp (all when n <= 0) and their captions.
func embedSplit(enc *clipEncoder, sp *pairs.Split, n int) (*clipEvalSet, error) {
	if n <= 0 || n > sp.N {
		n = sp.N
	}
	set, err := eval.NewRetrievalSet(sp.Captions[:n])
	if err != nil {
		return nil, fmt.Errorf("%s split: %w", sp.Name, err)
	}
	img, err := enc.images(sp, n)
	if err != nil {
		return nil, err
	}
	txt, err := enc.texts(set.Texts)
	if err != nil {
		return nil, err
	}
	sim, err := eval.Similarity(img, txt)
	if err != nil {
		return nil, err
	}
	return &clipEvalSet{Split: sp, N: n, Img: img, Txt: txt, Sim: sim, Set: set, Scale: enc.scale}, nil
}

// retrievalMetrics returns recall@1/5/10 in both directions and the contrastive loss
// ("loss") of the set, the latter over consecutive blocks of batch pairs (image i with
// its caption i mod its number of captions), as the training loss sees batches. The
// loss is CLIP's InfoNCE at the learned scale whichever objective trained the model
// (-set loss=...), so that the metric keeps one meaning across runs.
func (s *clipEvalSet) retrievalMetrics(batch int) (train.Metrics, error) {
	r, err := eval.Recall(s.Sim, s.Set, []int{1, 5, 10})
	if err != nil {
		return nil, err
	}
	m := train.Metrics(r.Metrics())
	m["logit_scale"] = s.Scale
	m["loss"] = s.contrastiveLoss(batch)
	return m, nil
}

// contrastiveLoss is the mean symmetric cross-entropy over blocks of batch pairs, image
// i with its caption i mod its number of captions.
func (s *clipEvalSet) contrastiveLoss(batch int) float64 {
	first := make([]int, s.N) // column of each image's first caption.
	for j := len(s.Set.Owner) - 1; j >= 0; j-- {
		first[s.Set.Owner[j]] = j
	}
	return eval.BlockContrastiveLoss(s.Sim, s.N, func(i int) int { return first[i] + i%len(s.Split.Captions[i]) }, s.Scale, batch)
}

// buildClipFlickr8k trains CLIP on Flickr8k and evaluates retrieval under the
// 5-captions-per-image convention.
func buildClipFlickr8k(env *Env) (*train.Task, error) {
	p := env.P
	if p.String("data_dir") == "" {
		return nil, fmt.Errorf("parameter data_dir: clip-flickr8k needs the Flickr8k directory (captions.txt, Images/)")
	}
	d, cfg, init, err := loadClipPairs(env)
	if err != nil {
		return nil, err
	}
	batch := p.Int("batch_size")
	if d.Train.N < batch {
		return nil, fmt.Errorf("parameter batch_size=%d: the training split has only %d images", batch, d.Train.N)
	}
	task, err := clipTask(env, cfg, d.Train, pairs.NewSource(d.Train, d.Tok, batch, uint64(p.Int("seed"))))
	if err != nil {
		return nil, err
	}
	task.Init = init
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
		return clipLossReport(ev, p, batch, "clip-flickr8k")
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
