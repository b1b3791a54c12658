package caption

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/zoo/transformer/generate/sample"
	"github.com/mmdna/mmdna/nn"
)

// The token choices of one decoding step. Greedy and top-k sampling are GoMLX's
// sample.Greedy and sample.TopKWithTemperature (Gumbel-max over the k best logits);
// temperature sampling over a nucleus uses sample.Temperature on logits cut here, since
// sample.TopP rounds the nucleus up to the next power-of-two number of tokens. Beam
// search is ours: sample.BeamSearchConfig.Step keeps extending beams after [EOS] and
// never applies its length penalty, and generate.Generator drives its steps from Go,
// one graph execution per token, with a model function that has no image input.

// sampleStep picks the next token of every row (greedy, top-k or top-p) and updates
// the row's log probability, length and finished flag; finished rows get [PAD] and keep
// their state. Returns the state and the tokens [rows] int32.
func sampleStep(cfg Config, opts Opts, s searchState) (searchState, *Node) {
	var tok *Node
	switch {
	case opts.Strategy == StrategyGreedy:
		tok = sample.Greedy(s.logits)
	case opts.Strategy == StrategyTopK && opts.TopK > 0:
		rng := &rngState{state: s.rng}
		tok = sample.TopKWithTemperature(rng, s.logits, opts.TopK, opts.Temperature)
		s.rng = rng.state
	default: // nucleus, or top-k over the whole vocabulary
		rng := &rngState{state: s.rng}
		tok = sample.Temperature(rng, nucleusLogits(opts, s.logits), 1)
		s.rng = rng.state
	}
	g := tok.Graph()
	tok = Where(s.finished, BroadcastToDims(Scalar(g, dtypes.Int32, cfg.PAD), tok.Shape().Dimensions...), tok)
	logp := LogSoftmax(s.logits, -1)
	picked := ReduceSum(Mul(OneHot(tok, cfg.Vocab, logp.DType()), logp), -1) // [rows]
	live := LogicalNot(s.finished)
	s.logProb = Add(s.logProb, Where(live, picked, ZerosLike(picked)))
	s.length = Add(s.length, ConvertDType(live, dtypes.Int32))
	s.finished = LogicalOr(s.finished, Equal(tok, Scalar(g, dtypes.Int32, cfg.EOS)))
	return s, tok
}

// nucleusLogits divides the logits by the temperature and, for top-p, sets those
// outside the nucleus to -inf: the nucleus is the fewest most likely tokens whose
// probability (after the temperature, as Hugging Face orders it) reaches p, and tokens
// tied with its least likely one are kept too. logits: [rows, vocab]; returns the same
// shape.
func nucleusLogits(opts Opts, logits *Node) *Node {
	scaled := logits
	if opts.Temperature != 1 {
		scaled = DivScalar(logits, opts.Temperature)
	}
	if opts.Strategy != StrategyTopP || opts.TopP >= 1 {
		return scaled
	}
	probs := nn.SoftmaxLastAxis(nil, scaled)
	sorted := Sort(probs, -1, false)                                     // [rows, vocab], descending
	before := CumSum(sorted, -1, &CumSumOptions{Exclusive: true})        // mass of the more likely tokens
	target := ExpandAxes(MulScalar(ReduceSum(probs, -1), opts.TopP), -1) // p of the (float) total
	// A token is needed while the more likely ones hold less than p; tau is the
	// probability of the last one needed.
	inf := BroadcastToDims(Infinity(probs.Graph(), probs.DType(), 1), sorted.Shape().Dimensions...)
	tau := ReduceAndKeep(Where(LessThan(before, target), sorted, inf), ReduceMin, -1) // [rows, 1]
	negInf := BroadcastToDims(Infinity(probs.Graph(), scaled.DType(), -1), scaled.Shape().Dimensions...)
	return Where(GreaterOrEqual(probs, tau), scaled, negInf)
}

// rngState lets GoMLX's sample functions draw from a random state carried from step
// to step (sample.RNG): from Opts.Seed, or split once from the store's state.
type rngState struct{ state *Node }

// RandomUniform draws uniform values in [0, 1) and advances the state.
func (r *rngState) RandomUniform(_ *Graph, shape shapes.Shape) *Node {
	var v *Node
	r.state, v = RandomUniform(r.state, shape)
	return v
}

// beamStep extends every beam by one token and keeps the BeamSize best candidates of
// each image, ranked by Score = log probability / lp(length). A finished beam's only
// continuation is [PAD] at no cost, so finished captions compete with running ones
// at their final score. The kept beams come out sorted best first; the ids, lengths,
// flags and self-attention caches follow their parent beams.
// s: rows = batch*beams. Returns the state and the tokens [rows] int32.
func beamStep(cfg Config, opts Opts, s searchState, batch int) (searchState, *Node) {
	g := s.logits.Graph()
	beams, vocab := opts.BeamSize, cfg.Vocab
	rows := batch * beams
	logp := LogSoftmax(s.logits, -1) // [rows, vocab]
	isPad := Equal(Iota(g, shapes.Make(dtypes.Int32, 1, vocab), 1), Scalar(g, dtypes.Int32, cfg.PAD))
	padOnly := Where(isPad, Zeros(g, shapes.Make(dtypes.Float32, 1, vocab)), fill(g, float32(deadScore), 1, vocab))
	logp = Where(BroadcastToDims(ExpandAxes(s.finished, -1), rows, vocab), BroadcastToDims(padOnly, rows, vocab), logp)
	cand := Add(ExpandAxes(s.logProb, -1), logp)                                 // [rows, vocab]
	candLen := Add(s.length, ConvertDType(LogicalNot(s.finished), dtypes.Int32)) // [rows]
	rank := Div(cand, ExpandAxes(lengthPenalty(candLen, opts.LengthPenalty), -1))

	_, best := TopK(Reshape(rank, batch, beams*vocab), beams, -1) // [batch, beams] into beams*vocab, best first
	v := Scalar(g, dtypes.Int32, vocab)
	parent := Add(Div(best, v), MulScalar(Iota(g, shapes.Make(dtypes.Int32, batch, beams), 0), float64(beams)))
	parent = Reshape(parent, rows) // global row of each kept candidate's parent beam
	tok := Reshape(Rem(best, v), rows)
	flatIdx := Add(MulScalar(parent, float64(vocab)), tok) // index into cand [rows*vocab]
	rowIdx := ExpandAxes(parent, -1)

	s.logProb = Gather(Reshape(cand, rows*vocab), ExpandAxes(flatIdx, -1))
	s.length = Gather(candLen, rowIdx)
	s.finished = LogicalOr(Gather(s.finished, rowIdx), Equal(tok, Scalar(g, dtypes.Int32, cfg.EOS)))
	s.ids = Gather(s.ids, rowIdx)
	self := make([]nn.KVCache, len(s.cache.self))
	for i, c := range s.cache.self {
		self[i] = c.Gather(parent)
	}
	s.cache = decoderCache{self: self, cross: s.cache.cross}
	return s, tok
}
