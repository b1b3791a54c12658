package caption

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/mmdna/mmdna/nn"
)

// Strategy names how Decode chooses each token.
type Strategy string

// The decoding strategies.
const (
	// StrategyGreedy takes the most likely token at every step.
	StrategyGreedy Strategy = "greedy"
	// StrategyBeam keeps the Opts.BeamSize best captions so far by length-penalised
	// log probability (Score) and returns the best.
	StrategyBeam Strategy = "beam"
	// StrategyTopK samples from the Opts.TopK most likely tokens (0: all) at
	// Opts.Temperature.
	StrategyTopK Strategy = "topk"
	// StrategyTopP samples from the nucleus: the fewest most likely tokens whose
	// probability (at Opts.Temperature) reaches Opts.TopP.
	StrategyTopP Strategy = "topp"
)

// Opts configures Decode. The zero value is greedy decoding up to Config.MaxLen.
type Opts struct {
	// Strategy is how tokens are chosen; "" means StrategyGreedy.
	Strategy Strategy
	// MaxLen is the length of the decoded sequences, prompt included: a caption that
	// has not produced [EOS] by position MaxLen-1 is cut there. 0 means
	// Config.MaxLen, the most the positions allow.
	MaxLen int
	// BeamSize is the number of beams of StrategyBeam; 0 means 4.
	BeamSize int
	// LengthPenalty is α of GNMT's length penalty lp(n) = ((5+n)/6)^α (Wu et al.,
	// 2016), n the number of generated tokens ([EOS] included, the prompt not): a
	// caption's Score is its log probability / lp(n). StrategyBeam ranks its
	// candidates by Score; for the other strategies it only sets Score. 0 means no penalty (Score =
	// LogProb); larger α favours longer captions; GNMT used 0.6 to 0.7.
	LengthPenalty float64
	// TopK is k of StrategyTopK; 0 samples from the whole vocabulary.
	TopK int
	// TopP is p of StrategyTopP, in (0, 1].
	TopP float64
	// Temperature divides the logits of StrategyTopK and StrategyTopP before the
	// top-k or nucleus cut (Hugging Face's order); 0 means 1. Greedy and beam search
	// ignore it.
	Temperature float64
	// Seed makes sampling a function of (images, prompt, Seed): the same Seed gives the
	// same captions. 0 draws a seed when the graph is built: every graph built samples
	// anew, and one compiled graph repeats its samples call after call (vary Seed to
	// sample anew; each Seed builds its own graph).
	Seed int64
}

// resolved returns o with the defaults filled in for cfg.
func (o Opts) resolved(cfg Config) Opts {
	if o.Strategy == "" {
		o.Strategy = StrategyGreedy
	}
	if o.MaxLen == 0 {
		o.MaxLen = cfg.MaxLen
	}
	if o.BeamSize == 0 {
		o.BeamSize = 4
	}
	if o.Temperature == 0 {
		o.Temperature = 1
	}
	return o
}

// Len is the length of the sequences Decode writes with these options for cfg: MaxLen,
// or cfg.MaxLen when it is 0.
func (o Opts) Len(cfg Config) int { return o.resolved(cfg).MaxLen }

// Trim cuts a row of Decoded.IDs ([MaxLen] ids) after its first [EOS], dropping the
// padding; a caption cut at the length limit has no [EOS] and is kept whole. Returns a
// copy.
func Trim(cfg Config, row []int32) []int32 {
	end := len(row)
	if i := slices.Index(row, cfg.EOS); i >= 0 {
		end = i + 1
	}
	return slices.Clone(row[:end])
}

// Validate reports the first option that does not fit cfg.
func (o Opts) Validate(cfg Config) error {
	r := o.resolved(cfg)
	switch {
	case r.Strategy != StrategyGreedy && r.Strategy != StrategyBeam && r.Strategy != StrategyTopK && r.Strategy != StrategyTopP:
		return fmt.Errorf("caption: decoding strategy %q: want %q, %q, %q or %q", o.Strategy, StrategyGreedy, StrategyBeam, StrategyTopK, StrategyTopP)
	case r.MaxLen < 2 || r.MaxLen > cfg.MaxLen:
		return fmt.Errorf("caption: decoding max_len %d must be in [2, %d] (the model's max_len)", o.MaxLen, cfg.MaxLen)
	case r.Strategy == StrategyBeam && r.BeamSize < 1:
		return fmt.Errorf("caption: beam size %d must be positive", o.BeamSize)
	case math.IsNaN(o.LengthPenalty) || math.IsInf(o.LengthPenalty, 0):
		return fmt.Errorf("caption: length penalty %g must be finite", o.LengthPenalty)
	case r.Strategy == StrategyTopK && (o.TopK < 0 || o.TopK > cfg.Vocab):
		return fmt.Errorf("caption: top-k %d must be in [0, %d] (0: the whole vocabulary)", o.TopK, cfg.Vocab)
	case r.Strategy == StrategyTopP && !(o.TopP > 0 && o.TopP <= 1):
		return fmt.Errorf("caption: top-p %g must be in (0, 1]", o.TopP)
	case !(r.Temperature > 0) || math.IsInf(r.Temperature, 0):
		return fmt.Errorf("caption: temperature %g must be positive and finite", o.Temperature)
	}
	return nil
}

// Decoded holds what Decode returns.
type Decoded struct {
	// IDs are the captions: [batch, MaxLen] int32, the prompt, the generated tokens,
	// [EOS] (unless the caption reached MaxLen first) and [PAD] after it.
	IDs *Node
	// LogProb is the log probability of the generated tokens ([EOS] included) under
	// the model at temperature 1, without top-k/top-p cuts, and with [BOS] and [PAD]
	// excluded (Decode never emits them; the others renormalised): [batch] float32.
	LogProb *Node
	// Length is the number of generated tokens, [EOS] included: [batch] int32.
	Length *Node
	// Score is LogProb / lp(Length) with Opts.LengthPenalty (see Opts): [batch].
	Score *Node
	// Beams are all final beams of StrategyBeam, best first: [batch, beam, MaxLen]
	// int32, their scores in BeamScores [batch, beam]; nil for the other strategies.
	// Where BeamSize exceeds the number of possible captions, the surplus beams are
	// impossible ones scored about -1e9.
	Beams, BeamScores *Node
}

// Decode writes a caption for every image inside the graph. The encoder runs once, and
// so do the key/value projections of the image tokens for every cross-attention; the
// prompt ([BOS] first, e.g. the ids of "[BOS] a photo of") is read in one decoder pass
// that fills the self-attention key/value cache; then every later position gets one
// token (Opts.Strategy), fed back through the cached decoder. [BOS] and [PAD] are
// never chosen; a caption that has produced [EOS] gets [PAD] after it. The prompt is
// kept at the start of IDs and the tokens after it continue it.
//
// The steps are unrolled: the graph holds MaxLen-P copies of the one-token decoder,
// and always runs them all. A graph.While loop could stop when every caption has ended,
// but GoMLX v0.28.16 (compute v0.1.14) cannot run one here: on the go backend a loop
// body whose matrix products fan out over the worker pool deadlocks on 2 cores (the
// idle executors of the outer graph and of the body hold every worker slot the
// product waits for), and ops that build a closure of their own (Sort, TopK) cannot be
// used inside a loop body at all, since every closure is built on the main function.
//
// images: [batch, Image, Image, Channels]; prompt: [batch, P] int ids with 1 <= P <
// MaxLen, the same length for all images and without [EOS] or [PAD], or nil for
// [BOS] alone. Bad options panic (a graph-building error); check them first with
// Opts.Validate.
func Decode(scope *model.Scope, cfg Config, images, prompt *Node, opts Opts) *Decoded {
	if err := cfg.Validate(); err != nil {
		exceptions.Panicf("%v", err)
	}
	if err := opts.Validate(cfg); err != nil {
		exceptions.Panicf("%v", err)
	}
	opts = opts.resolved(cfg)
	g := images.Graph()
	batch := images.Shape().Dim(0)
	if prompt == nil {
		prompt = BroadcastToDims(Scalar(g, dtypes.Int32, cfg.BOS), batch, 1)
	}
	checkIDs("Decode", cfg, prompt)
	promptLen := prompt.Shape().Dim(1)
	if prompt.Shape().Dim(0) != batch || promptLen < 1 || promptLen >= opts.MaxLen {
		exceptions.Panicf("caption.Decode: prompt %s: want [batch=%d, P] with 1 <= P < max_len %d",
			prompt.Shape(), batch, opts.MaxLen)
	}
	prompt = ConvertDType(prompt, dtypes.Int32)

	cache := newDecoderCache(scope, cfg, Encode(scope, cfg, images), opts.MaxLen)
	logits, cache := decodeStep(scope, cfg, cache, prompt, ScalarZero(g, dtypes.Int32))
	s := searchState{
		ids:      Concatenate([]*Node{prompt, fill(g, cfg.PAD, batch, opts.MaxLen-promptLen)}, 1),
		finished: Zeros(g, shapes.Make(dtypes.Bool, batch)),
		logProb:  Zeros(g, shapes.Make(dtypes.Float32, batch)),
		length:   Zeros(g, shapes.Make(dtypes.Int32, batch)),
		logits:   wordLogits(cfg, Squeeze(Slice(logits, AxisRange(), AxisElem(promptLen-1)), 1)), // [batch, vocab]
		cache:    cache,
	}
	beams := 1
	if opts.Strategy == StrategyBeam {
		beams = opts.BeamSize
		s = s.repeat(beams)
		// Only the first beam of each image is live at the start, so the first step
		// expands it into BeamSize different tokens rather than copies.
		first := Equal(Iota(g, shapes.Make(dtypes.Int32, batch, beams), 1), ScalarZero(g, dtypes.Int32))
		s.logProb = Reshape(Where(first, Zeros(g, shapes.Make(dtypes.Float32, batch, beams)),
			fill(g, float32(deadScore), batch, beams)), batch*beams)
	}
	if opts.Strategy == StrategyTopK || opts.Strategy == StrategyTopP {
		s.rng = initialRNG(g, opts.Seed)
	}

	for pos := promptLen; pos < opts.MaxLen; pos++ {
		var tok *Node
		if opts.Strategy == StrategyBeam {
			s, tok = beamStep(cfg, opts, s, batch)
		} else {
			s, tok = sampleStep(cfg, opts, s)
		}
		tok = ExpandAxes(tok, -1) // [rows, 1]
		s.ids = DynamicUpdateSlice(s.ids, tok, []*Node{ScalarZero(g, dtypes.Int32), Scalar(g, dtypes.Int32, pos)})
		if pos < opts.MaxLen-1 {
			logits, s.cache = decodeStep(scope, cfg, s.cache, tok, Scalar(g, dtypes.Int32, pos))
			s.logits = wordLogits(cfg, Squeeze(logits, 1))
		}
	}

	score := Div(s.logProb, lengthPenalty(s.length, opts.LengthPenalty))
	out := &Decoded{IDs: s.ids, LogProb: s.logProb, Length: s.length, Score: score}
	if opts.Strategy == StrategyBeam {
		// Every beam step leaves the beams sorted best first by Score (beamStep), so
		// the first beam of each image is its best caption.
		out.Beams = Reshape(s.ids, batch, beams, opts.MaxLen)
		out.BeamScores = Reshape(score, batch, beams)
		first := func(x *Node) *Node {
			x = Reshape(x, append([]int{batch, beams}, x.Shape().Dimensions[1:]...)...)
			return Squeeze(Slice(x, AxisRange(), AxisElem(0)), 1)
		}
		out.IDs, out.LogProb, out.Length, out.Score = first(s.ids), first(s.logProb), first(s.length), first(score)
	}
	return out
}

// wordLogits gives [BOS] and [PAD] the logit deadScore: neither may follow a token of
// a caption, so decoding never emits them and its log probabilities are those of the
// model's distribution over the other tokens, renormalised.
// logits: [rows, vocab]; returns the same shape.
func wordLogits(cfg Config, logits *Node) *Node {
	g := logits.Graph()
	tok := Iota(g, shapes.Make(dtypes.Int32, 1, cfg.Vocab), 1)
	banned := LogicalOr(Equal(tok, Scalar(g, dtypes.Int32, cfg.BOS)), Equal(tok, Scalar(g, dtypes.Int32, cfg.PAD)))
	return Where(BroadcastToDims(banned, logits.Shape().Dimensions...), BroadcastToDims(Scalar(g, logits.DType(), deadScore),
		logits.Shape().Dimensions...), logits)
}

// deadScore is the log probability given to impossible continuations (beams that
// are not yet live, tokens after [EOS]): finite, so that sums and length penalties
// stay free of NaN, and far below any real caption's log probability.
const deadScore = -1e9

// fill returns a [dims...] tensor of value (its Go type sets the dtype).
func fill[T float32 | int32](g *Graph, value T, dims ...int) *Node {
	return BroadcastToDims(Const(g, value), dims...)
}

// lengthPenalty is GNMT's ((5+n)/6)^alpha for lengths n: [rows] int -> [rows] float32.
func lengthPenalty(n *Node, alpha float64) *Node {
	if alpha == 0 {
		return OnesLike(ConvertDType(n, dtypes.Float32))
	}
	base := DivScalar(AddScalar(ConvertDType(n, dtypes.Float32), 5), 6)
	return Pow(base, ConstAs(base, alpha))
}

// LengthPenalty is GNMT's length penalty ((5+n)/6)^alpha, the divisor of a caption's
// log probability in Decoded.Score, for n generated tokens.
func LengthPenalty(n int, alpha float64) float64 {
	return math.Pow((5+float64(n))/6, alpha)
}

// initialRNG is the sampler's random state: from seed, or (seed 0) from a seed drawn
// when the graph is built. Not from the store's random state: outside training the go
// backend compiles a variable that has a value into the graph as a constant (gomlx
// v0.28.16 ml/model/variable.go, paramNode), so whether the store's state advanced from
// one call to the next depended on how the graph was built, and one compiled graph
// sometimes sampled the same captions on every call.
func initialRNG(g *Graph, seed int64) *Node {
	if seed == 0 {
		seed = int64(rand.Uint64() >> 1)
	}
	return RNGStateFromSeedForGraph(g, seed)
}

// searchState is the state of decoding between steps; rows are images (or images x
// beams).
type searchState struct {
	ids      *Node        // [rows, MaxLen] int32: the sequences so far, [PAD] beyond.
	finished *Node        // [rows] bool: the row has produced [EOS].
	logProb  *Node        // [rows] float32: log probability of the generated tokens.
	length   *Node        // [rows] int32: generated tokens, [EOS] included.
	logits   *Node        // [rows, vocab]: the model's logits for the next position.
	rng      *Node        // sampling's random state, or nil.
	cache    decoderCache // the decoder's key/value caches, [rows, ...].
}

// repeat repeats every row n times (the beams of one image).
func (s searchState) repeat(n int) searchState {
	rep := func(x *Node) *Node {
		dims := x.Shape().Dimensions
		x = BroadcastToDims(ExpandAxes(x, 1), append([]int{dims[0], n}, dims[1:]...)...)
		return Reshape(x, append([]int{dims[0] * n}, dims[1:]...)...)
	}
	r := s
	r.ids, r.finished, r.logProb, r.length, r.logits = rep(s.ids), rep(s.finished), rep(s.logProb), rep(s.length), rep(s.logits)
	r.cache = decoderCache{self: make([]nn.KVCache, len(s.cache.self)), cross: make([]nn.KVCache, len(s.cache.cross))}
	for i := range s.cache.self {
		r.cache.self[i] = s.cache.self[i].Repeat(n)
		r.cache.cross[i] = s.cache.cross[i].Repeat(n)
	}
	return r
}
