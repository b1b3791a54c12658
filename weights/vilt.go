package weights

import (
	"fmt"
	"image"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/datasets/text"
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
	words, err := m.wordIDs(tok, question)
	if err != nil {
		return nil, nil, err
	}
	if len(words) == 0 {
		return nil, nil, fmt.Errorf("the question has no words")
	}
	if len(words)+2 > tok.MaxLen() {
		return nil, nil, fmt.Errorf("%d words: the model reads at most %d", len(words), tok.MaxLen()-2)
	}
	ids, mask = tok.Encode(question)
	return ids, mask, nil
}

// AnswerProbs asks the question ids, mask (EncodeQuestion) about n images, which
// load(i) provides, Batch at a time (ForImages), and emits each image's probabilities
// over the answers (Labels), in order.
func (r *Runner) AnswerProbs(n int, load func(i int) (image.Image, error), ids, mask []int32,
	emit func(i int, probs []float32) error) error {
	m := r.M
	if m.Kind != KindViLT {
		return fmt.Errorf("%s: not a VQA model (%s)", m.Dir, m.describe())
	}
	if len(ids) != len(mask) || len(ids) > m.ViLT.MaxLen {
		return fmt.Errorf("vqa: %d ids and %d mask values: want equal lengths of at most %d", len(ids), len(mask), m.ViLT.MaxLen)
	}
	cfg, answers := m.ViLT, len(m.Labels)
	return r.ForImages(n, load, func(scope *model.Scope, images *Node) *Node {
		b, g := images.Shape().Dim(0), images.Graph()
		q := BroadcastToDims(Const(g, [][]int32{ids}), b, len(ids)) // the same question for every image: [batch, L]
		qm := BroadcastToDims(Const(g, [][]int32{mask}), b, len(mask))
		return Softmax(vilt.VQALogits(scope, cfg, vilt.Encode(scope, cfg, images, q, qm).Pooled, answers)) // [batch, answers]
	}, emit)
}
