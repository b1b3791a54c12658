package experiments

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/datasets/text"
	"github.com/mmdna/mmdna/models/clip"
	"github.com/mmdna/mmdna/train"
)

// Evaluation batch sizes: inference only, so larger than training batches.
const (
	clipEvalImageBatch = 256
	clipEvalTextBatch  = 512
)

// clipEncoder embeds images and texts with the weights of one evaluation (train.EvalExec:
// a fresh executor per evaluation, see its doc).
type clipEncoder struct {
	img, txt *model.Exec
	tok      *text.Tokenizer
	scale    float64 // the clamped logit scale, read with the first image batch.
}

func newClipEncoder(ev *train.Evaluation, cfg clip.Config, tok *text.Tokenizer) (*clipEncoder, error) {
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

// images embeds the first n images of a split: [n, embed_dim]. The last batch is
// padded to the full batch size so that one compiled graph serves every batch.
func (e *clipEncoder) images(sp *PairSplit, n int) (clip.Matrix, error) {
	var out []float32
	per := sp.H * sp.W * sp.C
	buf := make([]float32, clipEvalImageBatch*per)
	dim := 0
	for start := 0; start < n; start += clipEvalImageBatch {
		k := min(clipEvalImageBatch, n-start)
		clear(buf)
		if err := sp.Fill(seqFrom(start, k), buf[:k*per]); err != nil {
			return clip.Matrix{}, err
		}
		res, err := e.img.Exec(tensors.FromFlatDataAndDimensions(buf, clipEvalImageBatch, sp.H, sp.W, sp.C))
		if err != nil {
			return clip.Matrix{}, err
		}
		emb := tensors.MustCopyFlatData[float32](res[0])
		dim = res[0].Shape().Dim(1)
		e.scale = float64(tensors.MustCopyFlatData[float32](res[1])[0])
		out = append(out, emb[:k*dim]...)
		for _, r := range res {
			_ = r.FinalizeAll()
		}
	}
	return clip.NewMatrix(n, dim, out)
}

// texts embeds captions: [len(texts), embed_dim], padded batches as images.
func (e *clipEncoder) texts(texts []string) (clip.Matrix, error) {
	var out []float32
	L := e.tok.MaxLen()
	dim := 0
	for start := 0; start < len(texts); start += clipEvalTextBatch {
		k := min(clipEvalTextBatch, len(texts)-start)
		batch := make([]string, clipEvalTextBatch)
		copy(batch, texts[start:start+k])
		ids, mask := e.tok.EncodeBatch(batch)
		res, err := e.txt.Exec(tensors.FromFlatDataAndDimensions(ids, clipEvalTextBatch, L),
			tensors.FromFlatDataAndDimensions(mask, clipEvalTextBatch, L))
		if err != nil {
			return clip.Matrix{}, err
		}
		dim = res[0].Shape().Dim(1)
		out = append(out, tensors.MustCopyFlatData[float32](res[0])[:k*dim]...)
		_ = res[0].FinalizeAll()
	}
	return clip.NewMatrix(len(texts), dim, out)
}

func seqFrom(start, n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = start + i
	}
	return idx
}

// clipEvalSet is a split embedded for evaluation: the first N images, all their
// captions, the similarity matrix and the retrieval set.
type clipEvalSet struct {
	Split *PairSplit
	N     int
	Img   clip.Matrix // [N, embed_dim]
	Txt   clip.Matrix // [captions, embed_dim], image by image.
	Sim   clip.Matrix // [N, captions]
	Set   *clip.RetrievalSet
	Scale float64
}

// embedSplit embeds the first n images of sp (all when n <= 0) and their captions.
func embedSplit(enc *clipEncoder, sp *PairSplit, n int) (*clipEvalSet, error) {
	if n <= 0 || n > sp.N {
		n = sp.N
	}
	set, err := clip.NewRetrievalSet(sp.Captions[:n])
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
	sim, err := clip.Similarity(img, txt)
	if err != nil {
		return nil, err
	}
	return &clipEvalSet{Split: sp, N: n, Img: img, Txt: txt, Sim: sim, Set: set, Scale: enc.scale}, nil
}

// retrievalMetrics returns recall@1/5/10 in both directions and the contrastive loss
// ("loss") of the set, the latter over consecutive blocks of batch pairs (image i with
// its caption i mod its number of captions), as the training loss sees batches.
func (s *clipEvalSet) retrievalMetrics(batch int) (train.Metrics, error) {
	r, err := clip.Recall(s.Sim, s.Set, []int{1, 5, 10})
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
	return blockContrastiveLoss(s.Sim, s.N, func(i int) int { return first[i] + i%len(s.Split.Captions[i]) }, s.Scale, batch)
}

// blockContrastiveLoss is the evaluation twin of the training loss: the mean symmetric
// cross-entropy over consecutive blocks of batch images (the last partial block dropped,
// as in training; one block when n < batch), image i paired with caption column col(i)
// of sim [n, captions], logits scale·similarity.
func blockContrastiveLoss(sim clip.Matrix, n int, col func(i int) int, scale float64, batch int) float64 {
	batch = min(batch, n)
	if batch < 1 {
		return math.NaN()
	}
	var total float64
	blocks := n / batch
	logits := make([]float64, batch*batch)
	for b := range blocks {
		for r := range batch {
			i := b*batch + r
			for c := range batch {
				logits[r*batch+c] = scale * float64(sim.Data[i*sim.Cols+col(b*batch+c)])
			}
		}
		total += (diagonalCE(logits, batch, false) + diagonalCE(logits, batch, true)) / 2
	}
	return total / float64(blocks)
}

// diagonalCE is the mean cross-entropy of the rows (or columns) of logits [n, n] with
// the labels on the diagonal.
func diagonalCE(logits []float64, n int, columns bool) float64 {
	at := func(r, c int) float64 {
		if columns {
			return logits[c*n+r]
		}
		return logits[r*n+c]
	}
	var sum float64
	for r := range n {
		mx := math.Inf(-1)
		for c := range n {
			mx = math.Max(mx, at(r, c))
		}
		var z float64
		for c := range n {
			z += math.Exp(at(r, c) - mx)
		}
		sum += math.Log(z) + mx - at(r, r)
	}
	return sum / float64(n)
}
