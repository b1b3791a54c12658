package caption

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/pyref"
	"github.com/mmdna/mmdna/internal/testbackend"
)

func TestPresets(t *testing.T) {
	for _, name := range PresetNames() {
		cfg, err := Preset(name, 60)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if cfg.Encoder.Tokens() != (cfg.Encoder.Image/cfg.Encoder.Patch)*(cfg.Encoder.Image/cfg.Encoder.Patch) {
			t.Errorf("%s: encoder has %d tokens, want the patches only", name, cfg.Encoder.Tokens())
		}
	}
	if cfg, _ := Preset("small", 60); cfg.Encoder.Image != 64 || cfg.Encoder.Tokens() != 64 || cfg.Depth != 2 || cfg.Dim != 128 {
		t.Errorf("small preset: %+v", cfg)
	}
	if _, err := Preset("huge", 60); err == nil || !strings.Contains(err.Error(), "small") {
		t.Errorf("unknown preset: error %v, want one that lists the presets", err)
	}
	if _, err := Preset("tiny", 2); err == nil {
		t.Error("a vocabulary of 2 cannot hold [PAD], [BOS] and [EOS]")
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"encoder", func(c *Config) { c.Encoder.Patch = 3 }, "encoder"},
		{"vocab", func(c *Config) { c.Vocab = 0 }, "vocab"},
		{"max_len", func(c *Config) { c.MaxLen = 1 }, "max_len"},
		{"heads", func(c *Config) { c.Heads = 3 }, "divisible"},
		{"depth", func(c *Config) { c.Depth = 0 }, "depth"},
		{"dropout", func(c *Config) { c.Dropout = 1 }, "dropout"},
		{"smoothing", func(c *Config) { c.LabelSmoothing = -0.1 }, "label_smoothing"},
		{"eos range", func(c *Config) { c.EOS = 12 }, "eos id 12"},
		{"same ids", func(c *Config) { c.PAD = c.EOS }, "different"},
	} {
		cfg := tinyConfig(t)
		tc.change(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}

// TestShapes: the tiny preset's intermediates, and cross-attention rows summing to 1.
func TestShapes(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.ReturnAttention = true
	ids := [][]int32{{1, 4, 5, 2, 0, 0}, {1, 6, 2, 0, 0, 0}}
	var named []string
	out := testbackend.Run(t, nil, func(scope *model.Scope, images, ids *Node) []*Node {
		o := Build(scope, cfg, images, ids)
		for name := range o.Named() {
			named = append(named, name)
		}
		return []*Node{o.Encoded, o.Logits, o.CrossAttention}
	}, randomImages(cfg, 2, 1), ids)
	if slices.Sort(named); !slices.Equal(named, []string{"cross_attn", "encoded", "logits"}) {
		t.Errorf("Named() holds %v", named)
	}
	for i, want := range [][]int{{2, 4, 16}, {2, 6, tinyVocab}, {2, cfg.Depth, 6, cfg.Heads, 4}} {
		if got := out[i].Shape().Dimensions; !slices.Equal(got, want) {
			t.Errorf("output %d: shape %v, want %v", i, got, want)
		}
	}
	attn := tensors.MustCopyFlatData[float32](out[2])
	for r := 0; r < len(attn); r += 4 {
		if s := attn[r] + attn[r+1] + attn[r+2] + attn[r+3]; math.Abs(float64(s)-1) > 1e-5 {
			t.Fatalf("cross-attention row %d sums to %g", r/4, s)
		}
	}
}

// TestCrossAttentionOfDecoded: the maps of a decoded caption, from the teacher-forced
// re-run, are those the cached decoding steps compute (one token at a time), one
// distribution over the image tokens per position, block and head.
func TestCrossAttentionOfDecoded(t *testing.T) {
	cfg := tinyConfig(t)
	store := randomModel(t, cfg, 2, 0.5, 2.5)
	images := randomImages(cfg, 2, 9)
	out := testbackend.Run(t, store, func(scope *model.Scope, images *Node) []*Node {
		g := images.Graph()
		ids := Decode(scope, cfg, images, nil, Opts{}).IDs
		cache := newDecoderCache(scope, cfg, Encode(scope, cfg, images), cfg.MaxLen)
		var steps []*Node // per position [batch, depth, 1, heads, tokens]
		for pos := range cfg.MaxLen {
			var attn []*Node
			_, cache, attn = decodeStepAttn(scope, cfg, cache, Slice(ids, AxisRange(), AxisElem(pos)),
				Scalar(g, dtypes.Int32, pos), true)
			for i, a := range attn {
				attn[i] = ExpandAxes(TransposeAllAxes(a, 0, 2, 1, 3), 1)
			}
			steps = append(steps, Concatenate(attn, 1))
		}
		return []*Node{CrossAttention(scope, cfg, images, ids), Concatenate(steps, 2)}
	}, images)
	if got, want := out[0].Shape().Dimensions, []int{2, cfg.Depth, cfg.MaxLen, cfg.Heads, 4}; !slices.Equal(got, want) {
		t.Fatalf("maps %v, want %v", got, want)
	}
	maps, stepped := tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
	for r := 0; r < len(maps); r += 4 {
		if s := maps[r] + maps[r+1] + maps[r+2] + maps[r+3]; math.Abs(float64(s)-1) > 1e-5 {
			t.Fatalf("row %d sums to %g", r/4, s)
		}
	}
	spread := 0.0
	for i := range maps {
		if d := math.Abs(float64(maps[i] - stepped[i])); d > 1e-5 {
			t.Fatalf("map value %d: teacher-forced %g, decoding step %g", i, maps[i], stepped[i])
		}
		spread = max(spread, math.Abs(float64(maps[i]-0.25)))
	}
	if spread < 0.05 {
		t.Fatalf("maps stay within %g of uniform: the case tests nothing", spread)
	}
}

// TestCausal (7): changing the tokens from position 3 on changes no logits before
// position 3, and does change those from 3 on.
func TestCausal(t *testing.T) {
	cfg := tinyConfig(t)
	store := randomModel(t, cfg, 1, 0.5, 0)
	images := randomImages(cfg, 1, 2)
	a := teacherLogits(t, store, cfg, images, [][]int32{{1, 4, 5, 6, 7, 8, 2, 0}})[0]
	b := teacherLogits(t, store, cfg, images, [][]int32{{1, 4, 5, 9, 10, 3, 11, 2}})[0]
	for pos := range a {
		diff := 0.0
		for v := range a[pos] {
			diff = max(diff, math.Abs(float64(a[pos][v]-b[pos][v])))
		}
		if pos < 3 && diff != 0 {
			t.Errorf("position %d: logits changed by %g when only later tokens changed", pos, diff)
		}
		if pos >= 3 && diff < 1e-3 {
			t.Errorf("position %d: logits changed by only %g when its own token changed", pos, diff)
		}
	}
}

// lossCase: logits for one caption of 4 ids over a vocabulary of 4, with [PAD] = 0.
var (
	lossLogits = [][][]float32{{{0.5, -1, 2, 0.3}, {1.5, 0.2, -0.7, 0}, {0, 0, 0, 3}, {9, 9, 9, 9}}}
	lossIDs    = [][]int32{{1, 2, 3, 0}}
)

// handLoss computes the label-smoothed loss of lossLogits and lossIDs in float64: the
// targets are 2 and 3 (the [PAD] target is skipped).
func handLoss(eps float64) float64 {
	total := 0.0
	for pos, target := range []int{2, 3} {
		lp := logSoftmax(lossLogits[0][pos])
		mean := 0.0
		for _, v := range lp {
			mean -= v / 4
		}
		total += (1-eps)*(-lp[target]) + eps*mean
	}
	return total / 2
}

// TestLossLabelSmoothing (6): Loss against a hand computation, with and without
// smoothing, and [PAD] targets ignored.
func TestLossLabelSmoothing(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.Vocab = 4
	for _, eps := range []float64{0, 0.1, 0.3} {
		cfg.LabelSmoothing = eps
		out := testbackend.Run(t, nil, func(_ *model.Scope, logits, ids *Node) *Node {
			return LossFn(cfg)([]*Node{ids}, []*Node{logits})
		}, lossLogits, lossIDs)
		got := float64(out[0].Value().(float32))
		if want := handLoss(eps); !closeTo(got, want, 1e-6) {
			t.Errorf("eps %g: loss %g, hand computation %g", eps, got, want)
		}
	}
	if handLoss(0.1) == handLoss(0) {
		t.Fatal("the hand computation does not depend on the smoothing")
	}
}

// TestLossMatchesPyTorch (6): Loss equals torch.nn.functional.cross_entropy with
// ignore_index=[PAD] and label_smoothing.
func TestLossMatchesPyTorch(t *testing.T) {
	pyref.Require(t, "torch")
	cfg := tinyConfig(t)
	cfg.Vocab, cfg.LabelSmoothing = 4, 0.2
	out := testbackend.Run(t, nil, func(_ *model.Scope, logits, ids *Node) *Node { return Loss(cfg, logits, ids) },
		lossLogits, lossIDs)
	var want float64
	pyref.Run(t, `
import json, sys, torch
a = json.load(sys.stdin)
logits = torch.tensor(a["logits"], dtype=torch.float64)[:, :-1]
targets = torch.tensor(a["ids"])[:, 1:]
loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
    ignore_index=0, label_smoothing=0.2)
print(json.dumps(loss.item()))
`, map[string]any{"logits": lossLogits, "ids": lossIDs}, &want)
	if got := float64(out[0].Value().(float32)); !closeTo(got, want, 1e-6) {
		t.Errorf("loss %g, PyTorch %g", got, want)
	}
}

// TestPromptContinuation (5): a prompt stays at the start of every strategy's output,
// and greedy continues it as the slow reference does.
func TestPromptContinuation(t *testing.T) {
	cfg := tinyConfig(t)
	store := randomModel(t, cfg, 2, 0.5, 2.5)
	images := randomImages(cfg, 3, 9)
	prompt := [][]int32{{1, 7, 9}, {1, 7, 9}, {1, 7, 9}}
	want, _, _ := slowGreedy(t, store, cfg, images, prompt, cfg.MaxLen)
	for _, opts := range []Opts{{}, {Strategy: StrategyBeam, BeamSize: 3}, {Strategy: StrategyTopK, TopK: 4, Seed: 1},
		{Strategy: StrategyTopP, TopP: 0.8, Seed: 2}} {
		got := runDecode(t, store, cfg, images, prompt, opts)
		for b := range got.ids {
			if !slices.Equal(got.ids[b][:3], prompt[b]) {
				t.Errorf("%s: image %d: %v does not start with the prompt %v", opts.Strategy, b, got.ids[b], prompt[b])
			}
			if int(got.length[b]) > cfg.MaxLen-3 {
				t.Errorf("%s: image %d: %d generated tokens after a prompt of 3", opts.Strategy, b, got.length[b])
			}
			if opts.Strategy == "" && !slices.Equal(got.ids[b], want[b]) {
				t.Errorf("greedy: image %d: %v, slow reference %v", b, got.ids[b], want[b])
			}
		}
	}
}

// TestDecodeErrors: bad options and prompts are reported, by Opts.Validate and as
// graph-building errors of Decode.
func TestDecodeErrors(t *testing.T) {
	cfg := tinyConfig(t)
	for _, tc := range []struct {
		opts Opts
		want string
	}{
		{Opts{Strategy: "nucleus"}, "strategy"},
		{Opts{MaxLen: 9}, "max_len"},
		{Opts{MaxLen: 1}, "max_len"},
		{Opts{Strategy: StrategyBeam, BeamSize: -1}, "beam size"},
		{Opts{LengthPenalty: math.NaN()}, "length penalty"},
		{Opts{Strategy: StrategyTopK, TopK: 13}, "top-k"},
		{Opts{Strategy: StrategyTopP}, "top-p"},
		{Opts{Strategy: StrategyTopP, TopP: 1.5}, "top-p"},
		{Opts{Strategy: StrategyTopK, Temperature: -1}, "temperature"},
	} {
		if err := tc.opts.Validate(cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: Validate gave %v, want an error mentioning %q", tc.opts, err, tc.want)
		}
	}
	for _, tc := range []struct {
		prompt [][]int32
		opts   Opts
	}{
		{[][]int32{{1, 2, 3, 4, 5, 6, 7, 8}}, Opts{}},
		{[][]int32{{1, 2, 3}}, Opts{MaxLen: 3}},
		{[][]int32{{1}, {1}}, Opts{}},
	} {
		exec := model.MustNewExec(testbackend.Go(), model.NewStore(), func(scope *model.Scope, images, prompt *Node) *Node {
			return Decode(scope, cfg, images, prompt, tc.opts).IDs
		})
		_, err := exec.Exec(randomImages(cfg, 1, 1), tc.prompt)
		if err == nil || !strings.Contains(err.Error(), "caption.Decode") {
			t.Errorf("prompt %v with %+v: error %v, want one naming caption.Decode", tc.prompt, tc.opts, err)
		}
	}
	exec := model.MustNewExec(testbackend.Go(), model.NewStore(), func(scope *model.Scope, images *Node) *Node {
		return Decode(scope, cfg, images, nil, Opts{Strategy: StrategyTopP, TopP: 2}).IDs
	})
	if _, err := exec.Exec(randomImages(cfg, 1, 1)); err == nil || !strings.Contains(err.Error(), "top-p") {
		t.Errorf("Decode with top-p 2: error %v, want one about top-p", err)
	}
}
