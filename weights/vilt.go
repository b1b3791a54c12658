package weights

import (
	"fmt"
	"image"
	"math"
	"sort"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/datasets/text"
	"github.com/mmdna/mmdna/eval"
	"github.com/mmdna/mmdna/models/vilt"
)

// viltTokenizer reads a ViLT run's word-level tokenizer and checks it against the model.
func viltTokenizer(dir string, cfg vilt.Config) (*text.Tokenizer, error) {
	path := fileIn(dir, "tokenizer.json")
	if path == "" {
		return nil, fmt.Errorf("-model %s: a ViLT run without tokenizer.json (the vocabulary of its questions)", dir)
	}
	tok, err := text.Load(path)
	if err != nil {
		return nil, err
	}
	if tok.VocabSize() != cfg.VocabSize || tok.MaxLen() > cfg.MaxLen {
		return nil, fmt.Errorf("%s: %d tokens of up to %d ids, the ViLT has %d words and %d positions: not the run's tokenizer",
			path, tok.VocabSize(), tok.MaxLen(), cfg.VocabSize, cfg.MaxLen)
	}
	return tok, nil
}

// Answer is a VQA model's answer to one question about one image: the answers ranked
// by probability, best first (at most Runner.Answers' k).
type Answer struct {
	Answers []string
	Probs   []float64
}

// EncodeQuestion encodes a question for a ViLT: its ids and mask, MaxLen long. Words
// outside the model's vocabulary are an error naming them (the model would read them
// as [UNK]), as is a question longer than the model reads.
func (m *Model) EncodeQuestion(question string) (ids, mask []int32, err error) {
	if m.Kind != KindViLT {
		return nil, nil, fmt.Errorf("%s: not a VQA model (%s)", m.Dir, m.describe())
	}
	tok, ok := m.Tokenizer.(*text.Tokenizer)
	if !ok {
		return nil, nil, fmt.Errorf("%s: a ViLT without its word-level tokenizer (%T)", m.Dir, m.Tokenizer)
	}
	words := text.Words(question)
	if len(words) == 0 {
		return nil, nil, fmt.Errorf("the question has no words")
	}
	for _, w := range words {
		if tok.ID(w) == text.UNKID {
			return nil, nil, fmt.Errorf("%q is not in the model's vocabulary (%d words; infer tokenize -model %s shows the ids of a text)",
				w, tok.VocabSize()-len(text.Specials), m.Dir)
		}
	}
	if len(words)+2 > tok.MaxLen() {
		return nil, nil, fmt.Errorf("%d words: the model reads at most %d", len(words), tok.MaxLen()-2)
	}
	ids, mask = tok.Encode(question)
	return ids, mask, nil
}

// Answers asks the question ids, mask (EncodeQuestion) about n images, which load(i)
// provides, Batch at a time, and emits each image's top k answers in order.
func (r *Runner) Answers(n int, load func(i int) (image.Image, error), ids, mask []int32, k int,
	emit func(i int, a Answer) error) error {
	m := r.M
	if m.Kind != KindViLT {
		return fmt.Errorf("%s: not a VQA model (%s)", m.Dir, m.describe())
	}
	if len(ids) != len(mask) || len(ids) > m.ViLT.MaxLen {
		return fmt.Errorf("vqa: %d ids and %d mask values: want equal lengths of at most %d", len(ids), len(mask), m.ViLT.MaxLen)
	}
	cfg, answers := m.ViLT, len(m.Labels)
	exec, err := model.NewExec(r.Backend, m.Store, func(scope *model.Scope, images *Node) *Node {
		b, g := images.Shape().Dim(0), images.Graph()
		q := BroadcastToDims(Const(g, [][]int32{ids}), b, len(ids)) // the same question for every image: [batch, L]
		qm := BroadcastToDims(Const(g, [][]int32{mask}), b, len(mask))
		return Softmax(vilt.VQALogits(scope, cfg, vilt.Encode(scope, cfg, images, q, qm).Pooled, answers))
	})
	if err != nil {
		return err
	}
	defer exec.Finalize()
	k = min(max(k, 1), answers)
	return eval.Stream(exec, n, r.Batch, r.imageBatches(load), func(start, count int, outs []*tensors.Tensor) error {
		probs, err := tensors.CopyFlatData[float32](outs[0]) // [batch, answers]
		if err != nil {
			return err
		}
		for i := range count {
			row := probs[i*answers : (i+1)*answers]
			order := make([]int, answers)
			for j := range order {
				order[j] = j
			}
			sort.SliceStable(order, func(a, b int) bool { return row[order[a]] > row[order[b]] })
			var a Answer
			for _, j := range order[:k] {
				if math.IsNaN(float64(row[j])) {
					return fmt.Errorf("%s: the model answered NaN", m.Dir)
				}
				a.Answers, a.Probs = append(a.Answers, m.Labels[j]), append(a.Probs, float64(row[j]))
			}
			if err := emit(start+i, a); err != nil {
				return err
			}
		}
		if r.Progress != nil {
			r.Progress(start+count, n)
		}
		return nil
	})
}
