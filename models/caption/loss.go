package caption

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Loss is the teacher-forcing loss: the cross-entropy of Logits[:, :-1] against the
// next tokens ids[:, 1:], averaged over the targets that are not [PAD] ([EOS] is a
// target, so the model learns to stop). With cfg.LabelSmoothing ε each target's loss
// is (1-ε)·(-log p_target) + ε·mean_v(-log p_v), PyTorch's
// CrossEntropyLoss(label_smoothing=ε, ignore_index=PAD).
//
// logits: [batch, len, vocab] from Build; ids: [batch, len] the same ids.
// Returns a scalar.
func Loss(cfg Config, logits, ids *Node) *Node {
	checkIDs("Loss", cfg, ids)
	if logits.Rank() != 3 || logits.Shape().Dim(0) != ids.Shape().Dim(0) || logits.Shape().Dim(1) != ids.Shape().Dim(1) ||
		logits.Shape().Dim(2) != cfg.Vocab {
		exceptions.Panicf("caption.Loss: logits %s do not match ids %s and vocab %d", logits.Shape(), ids.Shape(), cfg.Vocab)
	}
	perToken, keep := tokenLosses(cfg, logits, ids, cfg.LabelSmoothing)
	count := Max(ReduceAllSum(keep), OnesLike(ReduceAllSum(keep)))
	return Div(ReduceAllSum(Mul(perToken, keep)), count)
}

// TokenLosses are the plain cross-entropies (no label smoothing) of the next tokens
// ids[:, 1:] under Logits[:, :-1], and keep, 1 where the target is not [PAD]: both
// [batch, len-1]. Loss is the mean of the kept ones (with cfg's label smoothing);
// an evaluation that sums per example uses these.
// logits: [batch, len, vocab] from Build; ids: [batch, len] the same ids.
func TokenLosses(cfg Config, logits, ids *Node) (perToken, keep *Node) {
	checkIDs("TokenLosses", cfg, ids)
	return tokenLosses(cfg, logits, ids, 0)
}

// tokenLosses is TokenLosses with label smoothing eps.
func tokenLosses(cfg Config, logits, ids *Node, eps float64) (perToken, keep *Node) {
	seqLen := ids.Shape().Dim(1)
	if seqLen < 2 {
		exceptions.Panicf("caption.Loss: ids of length %d have no next token to predict", seqLen)
	}
	logits = Slice(logits, AxisRange(), AxisRange(0, seqLen-1))                  // [batch, len-1, vocab]
	targets := Slice(ConvertDType(ids, dtypes.Int32), AxisRange(), AxisRange(1)) // [batch, len-1]
	logp := LogSoftmax(logits, -1)
	oneHot := OneHot(targets, cfg.Vocab, logp.DType())
	perToken = Neg(ReduceSum(Mul(oneHot, logp), -1)) // [batch, len-1]
	if eps > 0 {
		uniform := Neg(ReduceMean(logp, -1))
		perToken = Add(MulScalar(perToken, 1-eps), MulScalar(uniform, eps))
	}
	keep = ConvertDType(NotEqual(targets, Scalar(ids.Graph(), dtypes.Int32, cfg.PAD)), logp.DType())
	return perToken, keep
}

// LossFn adapts Loss to GoMLX's trainer (train.NewTrainer): labels[0] are the ids
// [batch, len] and predictions[0] the logits of Build.
func LossFn(cfg Config) train.LossFn {
	return func(labels, predictions []*Node) *Node {
		if len(labels) < 1 || len(predictions) < 1 {
			exceptions.Panicf("caption.LossFn: want the ids as labels[0] and the logits as predictions[0], got %d and %d",
				len(labels), len(predictions))
		}
		return Loss(cfg, predictions[0], labels[0])
	}
}

// ModelFn is Build's logits as a model function for GoMLX's trainer: with batches of
// Inputs [images, ids] and Labels [ids], train.NewTrainer(backend, store,
// caption.ModelFn(cfg), caption.LossFn(cfg), ...) trains with teacher forcing.
func ModelFn(cfg Config) func(scope *model.Scope, images, ids *Node) *Node {
	return func(scope *model.Scope, images, ids *Node) *Node {
		return Build(scope, cfg, images, ids).Logits
	}
}
