package weights

import (
	"fmt"
	"slices"

	"github.com/mmdna/mmdna/imageproc"
	"github.com/mmdna/mmdna/models/clip"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
)

// clipNames are a CLIP layout's tensor names: the image tower as a ViT, the text
// tower, the two projections and the logit scale.
type clipNames struct {
	vision vitNames
	tokens string // token embedding [vocab, D].
	pos    string // text position table [context, D].
	block  func(i int) blockNames
	final  norm // the text tower's final LayerNorm, on every token.
	// imageProj and textProj are matrices [width, embed] applied as x @ proj (OpenAI's
	// parameters), or Linear weights [embed, width] when projLinear (Hugging Face).
	imageProj, textProj string
	projLinear          bool
	logitScale          string
	logitShape          []int // [] (OpenAI, Hugging Face) or [1] (open_clip's nonscalar_logit_scale).
}

// clipLayout is what a CLIP layout's parser finds: the model, its names, the tensors
// the model does not use and what it inferred.
type clipLayout struct {
	cfg    clip.Config
	names  clipNames
	ignore func(name string) bool
	quiet  []string // ignored names a note already explains.
	notes  []string
	// preprocess is the image preprocessing the layout's files describe.
	preprocess *imageproc.Config
}

// loadCLIP loads the CLIP layouts.
func loadCLIP(layout Layout, dir, file string, src source) (*Model, error) {
	var l clipLayout
	var err error
	switch layout {
	case LayoutOpenAICLIP:
		l, err = parseOpenAICLIP(dir, file, src)
	case LayoutHFCLIP:
		l, err = parseHFCLIP(dir, file, src)
	default:
		return nil, fmt.Errorf("%s: layout %s is not a CLIP layout", file, layout)
	}
	if err != nil {
		return nil, err
	}
	// The tokenizer before the weights: its files are small, the weights not.
	tok, notes, err := clipTokenizer(dir, l.cfg, layout)
	if err != nil {
		return nil, err
	}
	t := table{maps: clipMaps(l.cfg, l.names), ignore: l.ignore}
	store, ignored, err := t.load(file, src)
	if err != nil {
		return nil, err
	}
	m := &Model{Spec: Spec{Kind: KindCLIP, CLIP: l.cfg}, Store: store, Notes: append(l.notes, notes...)}
	if l.preprocess != nil {
		m.Preprocess = *l.preprocess
	}
	if tok != nil { // a nil *text.BPE in the interface would not be a nil Tokenizer.
		m.Tokenizer = tok
	}
	m.noteIgnored(slices.DeleteFunc(ignored, func(n string) bool { return slices.Contains(l.quiet, n) }))
	return m, nil
}

// clipArch is the clip.Config of the CLIP architecture (Radford et al., 2021, and
// clip/model.py) with the sizes filled in by a layout: a pre-LN ViT with ln_pre, a
// bias-free patch convolution and the cls token's output as features; a text
// transformer with the causal mask, read at the end-of-text token (argmax of the ids);
// bias-free projections; the logit scale as stored, unclamped (the clamp at 100 is a
// training rule). Positions resize with bicubic interpolation, as open_clip's
// resize_pos_embed and Hugging Face's interpolate_pos_encoding do.
func clipArch(v vit.Config, t nn.TextEncoderConfig, embed int) clip.Config {
	v.Pool, v.PreNorm, v.NoPatchBias, v.PosInterpolation = vit.PoolCLS, true, true, nn.InterpBicubic
	t.Causal = true
	return clip.Config{Tower: clip.TowerViT, ViT: v, Text: t, TextPool: clip.PoolArgmax, EmbedDim: embed,
		NoLogitScaleClamp: true}
}

// clipMaps maps clip.Build's variables onto a layout's names.
func clipMaps(cfg clip.Config, n clipNames) []mapping {
	ms := vitMaps("/image", cfg.ViT, n.vision)
	t := cfg.Text
	ms = append(ms,
		mapping{ours: "/text/token_embed/embeddings", oursShape: []int{t.VocabSize, t.Dim}, theirs: []string{n.tokens},
			theirShapes: [][]int{{t.VocabSize, t.Dim}}},
		mapping{ours: "/text/pos_embed/embeddings", oursShape: []int{t.MaxLen, t.Dim}, theirs: []string{n.pos},
			theirShapes: [][]int{{t.MaxLen, t.Dim}}})
	for i := range t.Depth {
		ms = append(ms, blockMaps(fmt.Sprintf("/text/encoder/block_%02d", i), n.block(i), t.Dim, t.MLPDim)...)
	}
	ms = append(ms, lnMaps("/text/encoder/ln_final", n.final, t.Dim)...)
	ms = append(ms, projectionMap("/image_projection", n.imageProj, n.projLinear, cfg.ImageWidth(), cfg.EmbedDim),
		projectionMap("/text_projection", n.textProj, n.projLinear, t.Dim, cfg.EmbedDim),
		mapping{ours: "/logit_scale/log_scale", oursShape: []int{}, theirs: []string{n.logitScale},
			theirShapes: [][]int{n.logitShape}})
	return ms
}

// projectionMap maps a bias-free projection onto nn.Dense's "dense/weights"
// [width, embed]: a Linear weight [embed, width] is transposed, a matrix used as
// x @ proj is already in our layout.
func projectionMap(ours, theirs string, isLinear bool, width, embed int) mapping {
	if isLinear {
		return denseMaps(ours, linear{w: theirs}, width, embed)[0]
	}
	return mapping{ours: ours + "/dense/weights", oursShape: []int{width, embed}, theirs: []string{theirs},
		theirShapes: [][]int{{width, embed}}}
}
