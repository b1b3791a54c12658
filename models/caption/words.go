package caption

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/nn"
)

// WordsLoss is an auxiliary loss on the image encoder: a linear head ("words/...") on
// the mean of the image tokens predicts, for every word of the vocabulary, whether the
// caption uses it, with a sigmoid cross-entropy summed over the words and averaged over
// the batch. It is the word detector of Fang et al. (2015, "From captions to visual
// concepts and back"), trained here beside the decoder: every caption word of an image
// becomes a direct target of the encoder, where teacher forcing reaches the encoder only
// through the cross-attention of the words that depend on the image. Its targets come
// from the caption itself, so it needs no other labels. [PAD], [BOS] and [EOS] are not
// targets (their logits get no loss).
//
// encoded: [batch, image_tokens, enc_dim] (Output.Encoded); ids: [batch, len], the
// caption. Returns a scalar. Decode does not use the head.
func WordsLoss(scope *model.Scope, cfg Config, encoded, ids *Node) *Node {
	checkIDs("WordsLoss", cfg, ids)
	pooled := ReduceMean(encoded, 1) // [batch, enc_dim]
	logits := nn.Dense(scope.In("words"), pooled, true, cfg.Vocab)
	target := WordTargets(cfg, ids) // [batch, vocab]
	keep := wordsMask(cfg, logits.Graph())
	bce := nn.SigmoidCrossEntropy(logits, target)
	return ReduceAllMean(ReduceSum(Mul(bce, keep), -1))
}

// WordTargets is the multi-hot bag of words of captions: [batch, len] ids ->
// [batch, vocab] float32, 1 where the caption holds the word (special tokens included;
// WordsLoss masks them).
func WordTargets(cfg Config, ids *Node) *Node {
	hot := OneHot(ConvertDType(ids, dtypes.Int32), cfg.Vocab, dtypes.Float32) // [batch, len, vocab]
	return ReduceMax(hot, 1)
}

// wordsMask is 1 for the words WordsLoss scores and 0 for [PAD], [BOS] and [EOS]:
// [1, vocab] float32.
func wordsMask(cfg Config, g *Graph) *Node {
	tok := Iota(g, shapes.Make(dtypes.Int32, 1, cfg.Vocab), 1)
	special := LogicalOr(LogicalOr(Equal(tok, Scalar(g, dtypes.Int32, cfg.PAD)), Equal(tok, Scalar(g, dtypes.Int32, cfg.BOS))),
		Equal(tok, Scalar(g, dtypes.Int32, cfg.EOS)))
	return ConvertDType(LogicalNot(special), dtypes.Float32)
}
