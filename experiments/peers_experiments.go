package experiments

// The PyTorch peers of the real experiments at their own size and recipe
// (bench/peers/<experiment>.py): the command line of each from the resolved
// parameters, and the suite `cmd/bench -exp all` runs. The experiments' own files do
// not name these peers (their Peer is nil); PeerOf finds them here.

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/mmdna/mmdna/models/clip"
	"github.com/mmdna/mmdna/models/crossattn"
	"github.com/mmdna/mmdna/models/fusion"
	"github.com/mmdna/mmdna/models/vit"
)

// experimentPeers are the peers of experiments whose Peer is nil, by experiment name.
var experimentPeers = map[string]func(p *Params) []string{
	"clip-shapes":      clipShapesPeer,
	"mae-fmnist":       maeFMNISTPeer,
	"perceiver-fmnist": perceiverFMNISTPeer,
	"fusion-shapes":    fusionShapesPeer,
	"crossattn-match":  crossAttnMatchPeer,
	"vilt-shapes":      viltShapesPeer,
	"caption-shapes":   captionShapesPeer,
}

// PeerOf returns the function giving e's PyTorch peer command for resolved
// parameters (nil for parameters the peer does not build): e.Peer when the
// experiment names one, else the peer registered here for its name, else nil.
func PeerOf(e *Experiment) func(p *Params) []string {
	if e.Peer != nil {
		return e.Peer
	}
	return experimentPeers[e.Name]
}

// SuiteEntry is one experiment of the benchmark suite at its own size, with the
// parameters that pick a variant.
type SuiteEntry struct {
	Family     string // the model family: vit, clip, mae, perceiver, fusion, crossattn, vilt, caption.
	Experiment string
	Sets       string // -set syntax ("fusion=late"); empty for the experiment's defaults.
}

// Label names the entry's rows: the experiment, and its sets in brackets.
func (s SuiteEntry) Label() string {
	if s.Sets == "" {
		return s.Experiment
	}
	return s.Experiment + " [" + s.Sets + "]"
}

// BenchSuite lists what `cmd/bench -exp all` runs: one experiment per model family
// at its own size and recipe, each with a PyTorch peer, and every fusion strategy of
// models/fusion (a strategy fusion_shapes.py lacks runs without its peer).
func BenchSuite() []SuiteEntry {
	s := []SuiteEntry{{"vit", "vit-fmnist-ref", ""}, {"clip", "clip-shapes", ""}, {"mae", "mae-fmnist", ""},
		{"perceiver", "perceiver-fmnist", ""}}
	for _, k := range fusion.Kinds {
		s = append(s, SuiteEntry{"fusion", "fusion-shapes", "fusion=" + string(k)})
	}
	return append(s, SuiteEntry{"crossattn", "crossattn-match", ""}, SuiteEntry{"vilt", "vilt-shapes", ""},
		SuiteEntry{"caption", "caption-shapes", ""})
}

// recipeArgs are the peers' optimizer and schedule arguments (peerlib.recipe_args):
// AdamW's lr and weight decay, clipping, train.Schedule's warmup and cosine to min_lr
// at the experiment's steps, and with noDecay open_clip's groups.
func recipeArgs(p *Params, noDecay bool) []any {
	groups := "none"
	if noDecay {
		groups = "1d"
	}
	return append(optimizerArgs(p), "schedule", "cosine", "warmup", p.Int("warmup"), "total_steps", p.Int("steps"),
		"min_lr", p.Float("min_lr"), "no_decay", groups)
}

// pairsShape is what a peer of an image-text experiment needs from its data: the
// images' side and channels, the tokenizer's vocabulary and sequence length.
type pairsShape struct{ side, channels, vocab, maxLen int }

var (
	pairsShapesMu sync.Mutex
	pairsShapes   = map[string]pairsShape{}
)

// pairsShapeOf loads the parameters' image-text data (a second time: cmd/bench builds
// the task apart) to read its vocabulary; a second call with the same data
// parameters is answered from memory.
func pairsShapeOf(p *Params) (pairsShape, error) {
	key := fmt.Sprintf("%+v|%d|%d|%q", worldConfig(p), p.Int("max_len"), p.Int("min_freq"), p.String("data_dir"))
	pairsShapesMu.Lock()
	defer pairsShapesMu.Unlock()
	if s, ok := pairsShapes[key]; ok {
		return s, nil
	}
	dir, err := os.MkdirTemp("", "mmdna-peer-")
	if err != nil {
		return pairsShape{}, err
	}
	defer os.RemoveAll(dir)
	d, err := loadPairs(&Env{P: p, Dir: dir, Log: func(string, ...any) {}})
	if err != nil {
		return pairsShape{}, err
	}
	s := pairsShape{side: d.Train.H, channels: d.Train.C, vocab: d.Tok.VocabSize(), maxLen: d.Tok.MaxLen()}
	pairsShapes[key] = s
	return s, nil
}

// shapesPairs is pairsShapeOf for the experiments of the embedded shapes world; ok
// is false with data_dir or init set, or data that does not load.
func shapesPairs(p *Params) (pairsShape, bool) {
	if p.String("data_dir") != "" || (p.IsSet("init") && p.String("init") != "") {
		return pairsShape{}, false
	}
	s, err := pairsShapeOf(p)
	return s, err == nil
}

func clipShapesPeer(p *Params) []string {
	d, ok := shapesPairs(p)
	if !ok {
		return nil
	}
	cfg, err := clipConfig(p, d.side, d.channels, d.vocab, d.maxLen)
	pools := []clip.TextPool{"", clip.PoolMean, clip.PoolEOS, clip.PoolFirst}
	if err != nil || cfg.NoLogitScaleClamp || !slices.Contains(pools, cfg.TextPool) ||
		(cfg.Tower == clip.TowerViT && cfg.ViT.Pool != vit.PoolGAP) {
		return nil // the peer's text poolings, clamped scale and average-pooled ViT.
	}
	pool, tower, maxScale := string(cfg.TextPool), string(cfg.Tower), cfg.MaxLogitScale
	if pool == "" {
		pool = string(clip.PoolEOS)
	}
	if tower == "" {
		tower = string(clip.TowerViT)
	}
	if maxScale == 0 {
		maxScale = clip.DefaultMaxLogitScale
	}
	conv := make([]string, len(cfg.Conv.Channels))
	for i, c := range cfg.Conv.Channels {
		conv[i] = strconv.Itoa(c)
	}
	v, t := cfg.ViT, cfg.Text
	return appendArgs(peerArgs("bench/peers/clip_shapes.py", "image_size", d.side, "channels", d.channels, "tower", tower,
		"conv", strings.Join(conv, ","), "patch", v.Patch, "image_dim", v.Dim, "image_depth", v.Depth,
		"image_heads", v.Heads, "image_mlp", v.MLPDim, "text_dim", t.Dim, "text_depth", t.Depth, "text_heads", t.Heads,
		"text_mlp", t.MLPDim, "text_len", t.MaxLen, "vocab", t.VocabSize, "embed_dim", cfg.EmbedDim, "pool", pool,
		"proj_bias", cfg.ProjectionBias, "proj_ln", cfg.ProjectionLayerNorm, "max_logit_scale", maxScale,
		"seed", p.Int("seed")), recipeArgs(p, registry["clip-shapes"].NoDecayRank1)...)
}

// fmnistSide and fmnistChannels are Fashion-MNIST's image shape.
const fmnistSide, fmnistChannels = 28, 1

func maeFMNISTPeer(p *Params) []string {
	cfg, err := maeConfig(p, fmnistSide, fmnistChannels)
	if err != nil {
		return nil
	}
	e := cfg.Encoder
	return appendArgs(peerArgs("bench/peers/mae_fmnist.py", "image_size", e.Image, "channels", e.Channels,
		"patch", e.Patch, "dim", e.Dim, "depth", e.Depth, "heads", e.Heads, "mlp", e.MLPDim, "pool", string(e.Pool),
		"decoder_dim", cfg.DecoderDim, "decoder_depth", cfg.DecoderDepth, "decoder_heads", cfg.DecoderHeads,
		"decoder_mlp_dim", cfg.DecoderMLPDim, "mask_ratio", cfg.MaskRatio, "norm_pix_loss", cfg.NormPixLoss,
		"seed", p.Int("seed")), recipeArgs(p, registry["mae-fmnist"].NoDecayRank1)...)
}

func perceiverFMNISTPeer(p *Params) []string {
	cfg, err := perceiverConfig(p)
	if err != nil || p.String("head") != "avg" || p.String("positions") != "fourier" ||
		slices.Contains([]int{cfg.CrossHeads, cfg.CrossDimHead, cfg.MLPDim, cfg.Repeats}, 0) {
		return nil // the peer builds the averaged-latents head on Fourier features, every size explicit.
	}
	return appendArgs(peerArgs("bench/peers/perceiver_fmnist.py", "image_size", fmnistSide, "channels", fmnistChannels,
		"classes", 10, "num_latents", cfg.NumLatents, "latent_dim", cfg.LatentDim, "latent_heads", cfg.LatentHeads,
		"cross_heads", cfg.CrossHeads, "cross_dim_head", cfg.CrossDimHead, "mlp_dim", cfg.MLPDim, "depth", cfg.Depth,
		"repeats", cfg.Repeats, "share_weights", cfg.ShareWeights, "bands", p.Int("bands"), "max_freq", p.Float("max_freq"),
		"seed", p.Int("seed")), recipeArgs(p, registry["perceiver-fmnist"].NoDecayRank1)...)
}

// fusionPeerKinds are the strategies fusion_shapes.py builds (its STRATEGIES); a
// strategy of models/fusion added there is added here too.
var fusionPeerKinds = []fusion.Kind{fusion.Early, fusion.Late, fusion.Hybrid, fusion.Gated, fusion.Bilinear}

func fusionShapesPeer(p *Params) []string {
	kind := fusion.Kind(p.String("fusion"))
	if !slices.Contains(fusionPeerKinds, kind) {
		return nil
	}
	d, ok := shapesPairs(p)
	if !ok {
		return nil
	}
	return appendArgs(peerArgs("bench/peers/fusion_shapes.py", "fusion", string(kind), "image_size", d.side,
		"channels", d.channels, "patch", p.Int("patch"), "img_dim", p.Int("img_dim"), "img_depth", p.Int("img_depth"),
		"txt_dim", p.Int("txt_dim"), "txt_depth", p.Int("txt_depth"), "text_len", d.maxLen, "vocab", d.vocab,
		"hidden", p.Int("hidden"), "concepts", p.Int("concepts"), "cross_depth", p.Int("cross_depth"),
		"cross_heads", p.Int("cross_heads"), "gate_dim", p.Int("gate_dim"), "rank", p.Int("rank"), "seed", p.Int("seed")), recipeArgs(p, registry["fusion-shapes"].NoDecayRank1)...)
}

// crossAttnPeerVersion is the cross-attention version crossattn_match.py builds.
const crossAttnPeerVersion = "v9"

func crossAttnMatchPeer(p *Params) []string {
	if p.String("version") != crossAttnPeerVersion {
		return nil
	}
	if tokens := p.String("tokens"); tokens != crossattn.TokensPooled && tokens != crossattn.TokensAll {
		return nil
	}
	d, ok := shapesPairs(p)
	if !ok {
		return nil
	}
	return appendArgs(peerArgs("bench/peers/crossattn_match.py", "image_size", d.side, "channels", d.channels,
		"patch", p.Int("patch"), "img_dim", p.Int("img_dim"), "img_depth", p.Int("img_depth"), "img_heads", p.Int("img_heads"),
		"txt_dim", p.Int("txt_dim"), "txt_depth", p.Int("txt_depth"), "txt_heads", p.Int("txt_heads"), "text_len", d.maxLen,
		"vocab", d.vocab, "proj_dim", p.Int("proj_dim"), "attn_heads", p.Int("attn_heads"),
		"attn_dropout", p.Float("attn_dropout"), "tokens", p.String("tokens"), "seed", p.Int("seed")),
		recipeArgs(p, registry["crossattn-match"].NoDecayRank1)...)
}
