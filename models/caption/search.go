package caption

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/zoo/transformer/generate/sample"
	"github.com/mmdna/mmdna/nn"
)

// The token choices of one decoding step. Greedy choice and sampling are GoMLX's
// sample.Greedy and sample.Temperature (Gumbel-max), the latter over logits cut here to
// the top-k or the nucleus. The cuts and the beams' top candidates avoid Sort and TopK:
// the go backend sorts by calling a comparator closure per comparison, and with them
// decoding 64 captions at the small preset took 2.1 s (top-p, Sort) and 11.8 s (beam 4,
// TopK) against 0.15 s for greedy. Thresholds come from a bisection instead, and the
// beams from repeated ArgMax. GoMLX's other pieces do not fit: sample.TopP rounds the
// nucleus up to a power-of-two number of tokens, sample.BeamSearchConfig.Step keeps
// extending beams after [EOS] and never applies its length penalty, and
// generate.Generator drives its steps from Go, one graph execution per token, with a
// model function that has no image input.

// sampleStep picks the next token of every row (greedy, top-k or top-p) and updates
// the row's log probability, length and finished flag; finished rows get [PAD] and keep
// their state. Returns the state and the tokens [rows] int32.
func sampleStep(cfg Config, opts Opts, s searchState) (searchState, *Node) {
	var tok *Node
	if opts.Strategy == StrategyGreedy {
		tok = sample.Greedy(s.logits)
	} else {
		rng := &rngState{state: s.rng}
		tok = sample.Temperature(rng, cutLogits(cfg, opts, s.logits), 1)
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

// cutLogits divides the logits by the temperature and sets to -inf those outside the
// top-k (StrategyTopK) or the nucleus (StrategyTopP): the fewest most likely tokens
// whose probability, after the temperature (Hugging Face's order), reaches p. Tokens
// tied with the last one kept are kept too. logits: [rows, vocab]; returns the same
// shape.
func cutLogits(cfg Config, opts Opts, logits *Node) *Node {
	scaled := logits
	if opts.Temperature != 1 {
		scaled = DivScalar(logits, opts.Temperature)
	}
	probs := nn.SoftmaxLastAxis(nil, scaled)
	rows := probs.Shape().Dim(0)
	var tau *Node
	switch {
	case opts.Strategy == StrategyTopK && opts.TopK > 0 && opts.TopK < cfg.Vocab:
		// The k-th largest probability: the largest τ with at least k tokens >= τ.
		tau = threshold(probs, nil, fill(probs.Graph(), float32(opts.TopK), rows))
	case opts.Strategy == StrategyTopP && opts.TopP < 1:
		// The nucleus: the largest τ whose tokens >= τ hold at least p of the mass.
		tau = threshold(probs, probs, MulScalar(ReduceSum(probs, -1), opts.TopP))
	default:
		return scaled
	}
	negInf := BroadcastToDims(Infinity(probs.Graph(), scaled.DType(), -1), scaled.Shape().Dimensions...)
	return Where(GreaterOrEqual(probs, tau), scaled, negInf)
}

// threshold returns per row the largest τ with Σ_j w_j·[p_j >= τ] >= target (w nil:
// counts). It bisects over the bit patterns of float32, whose order is the order of
// the values for non-negative floats: [0, bits(max p)+1) holds fewer than 2^30
// patterns, so 31 halvings end on the exact τ, one of the p_j.
// p: [rows, n] >= 0; w: [rows, n] >= 0 or nil; target: [rows] in (0, Σ_j w_j].
// Returns τ: [rows, 1].
func threshold(p, w, target *Node) *Node {
	g := p.Graph()
	rows := p.Shape().Dim(0)
	if w == nil {
		w = OnesLike(p)
	}
	lo := Zeros(g, shapes.Make(dtypes.Int32, rows))             // f(lo) >= target: every p_j >= 0.
	hi := AddScalar(Bitcast(ReduceMax(p, -1), dtypes.Int32), 1) // f(hi) = 0 < target.
	two := Scalar(g, dtypes.Int32, 2)
	for range 31 {
		mid := Add(lo, Div(Sub(hi, lo), two))
		tau := ExpandAxes(Bitcast(mid, dtypes.Float32), -1)
		mass := ReduceSum(Where(GreaterOrEqual(p, tau), w, ZerosLike(w)), -1)
		ok := GreaterOrEqual(mass, target)
		lo, hi = Where(ok, mid, lo), Where(ok, hi, mid)
	}
	return ExpandAxes(Bitcast(lo, dtypes.Float32), -1)
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

	best := topIndices(Reshape(rank, batch, beams*vocab), beams) // [batch, beams] into beams*vocab, best first
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

// topIndices returns the indices of the k largest values of every row, largest first
// (ties: the lower index first), by k rounds of ArgMax.
// x: [rows, n]; returns [rows, k] int32.
func topIndices(x *Node, k int) *Node {
	g := x.Graph()
	n := x.Shape().Dim(1)
	iota := Iota(g, shapes.Make(dtypes.Int32, 1, n), 1)
	negInf := BroadcastToDims(Infinity(g, x.DType(), -1), x.Shape().Dimensions...)
	picks := make([]*Node, k)
	for i := range k {
		picks[i] = ArgMax(x, -1, dtypes.Int32) // [rows]
		if i < k-1 {
			x = Where(Equal(iota, ExpandAxes(picks[i], -1)), negInf, x)
		}
	}
	return Stack(picks, 1)
}
