package weights

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/mmdna/mmdna/models/clip"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
)

// OpenCLIPConfigFile is the file open_clip stores beside its weights on the Hugging
// Face hub: the model config (heads, activation, pooling) that no tensor shape holds.
const OpenCLIPConfigFile = "open_clip_config.json"

var (
	openAIVisionBlockRE = regexp.MustCompile(`^visual\.transformer\.resblocks\.(\d+)\.attn\.in_proj_weight$`)
	openAITextBlockRE   = regexp.MustCompile(`^(?:text\.)?transformer\.resblocks\.(\d+)\.attn\.in_proj_weight$`)
)

// openAIJITKeys are the integers OpenAI's JIT archives keep in their state dict;
// build_model deletes them and so does the loader (they are not weights).
var openAIJITKeys = []string{"input_resolution", "context_length", "vocab_size"}

// shapeReader reads tensor shapes of a given rank, keeping the first error.
type shapeReader struct {
	file string
	src  source
	err  error
}

// get returns the shape of name, or zeros (and records an error) when the tensor is
// missing or of another rank.
func (r *shapeReader) get(name string, rank int) []int {
	s, ok := r.src.Shape(name)
	switch {
	case r.err != nil:
	case !ok:
		r.err = fmt.Errorf("%s: missing tensor %s", r.file, name)
	case len(s) != rank:
		r.err = fmt.Errorf("%s: tensor %s has shape %v, want %d dimensions", r.file, name, s, rank)
	default:
		return s
	}
	return make([]int, rank)
}

// depth counts the blocks of a tower: one more than the largest index re matches.
func depth(src source, re *regexp.Regexp) int {
	n := 0
	for _, name := range src.Names() {
		if m := re.FindStringSubmatch(name); m != nil {
			i, _ := strconv.Atoi(m[1])
			n = max(n, i+1)
		}
	}
	return n
}

// openAIUnsupported names what the state dict holds that mmdna's CLIP cannot run.
func openAIUnsupported(file string, src source) error {
	has := func(name string) bool { _, ok := src.Shape(name); return ok }
	hasPrefix := func(prefix string) bool {
		return slices.ContainsFunc(src.Names(), func(n string) bool { return strings.HasPrefix(n, prefix) })
	}
	what := ""
	switch {
	case hasPrefix("visual.layer1.") || hasPrefix("visual.attnpool."):
		what = "a ModifiedResNet image tower (visual.layer1..., visual.attnpool); mmdna runs CLIP's ViT towers"
	case hasPrefix("visual.attn_pool."):
		what = "an attentional pooler (visual.attn_pool, CoCa)"
	case has("logit_bias"):
		what = "a logit bias (logit_bias, SigLIP's sigmoid loss)"
	case has("text_projection.weight") || has("text.text_projection.weight"):
		what = "a text projection with bias (open_clip's text_cfg.proj_bias)"
	case !has("token_embedding.weight") && !has("text.token_embedding.weight"):
		what = "no text tower (token_embedding.weight); mmdna loads whole CLIP models"
	case !has("visual.proj"):
		what = "no image projection (visual.proj)"
	default:
		return nil
	}
	return fmt.Errorf("%s: %s", file, what)
}

// parseOpenAICLIP infers a CLIP's configuration from an OpenAI / open_clip state dict
// the way clip/model.py's build_model does (sizes from shapes, heads = width/64), with
// open_clip_config.json, when the directory has one, for what shapes cannot tell.
func parseOpenAICLIP(dir, file string, src source) (clipLayout, error) {
	if err := openAIUnsupported(file, src); err != nil {
		return clipLayout{}, err
	}
	var oc *openCLIPModel
	var pre *openCLIPPreprocessCfg
	cfgPath := fileIn(dir, OpenCLIPConfigFile)
	if cfgPath != "" {
		c, p, err := readOpenCLIPConfig(cfgPath)
		if err != nil {
			return clipLayout{}, err
		}
		pre = p
		if what := c.unsupported(); what != "" {
			return clipLayout{}, fmt.Errorf("%s: %s: mmdna's CLIP cannot run it", cfgPath, what)
		}
		oc = &c
	}
	tp := "" // open_clip's CustomTextCLIP keeps the text tower under "text.".
	if _, ok := src.Shape("text.token_embedding.weight"); ok {
		tp = "text."
	}
	r := &shapeReader{file: file, src: src}
	conv := r.get("visual.conv1.weight", 4)         // [width, channels, p, p]
	vpos := r.get("visual.positional_embedding", 2) // [1+grid², width]
	proj := r.get("visual.proj", 2)                 // [width, embed]
	tproj := r.get(tp+"text_projection", 2)         // [text width, embed]
	tpos := r.get(tp+"positional_embedding", 2)     // [context, text width]
	tokens := r.get(tp+"token_embedding.weight", 2) // [vocab, text width]
	vfc := r.get("visual.transformer.resblocks.0.mlp.c_fc.weight", 2)
	tfc := r.get(tp+"transformer.resblocks.0.mlp.c_fc.weight", 2)
	if r.err != nil {
		return clipLayout{}, r.err
	}
	if conv[2] != conv[3] {
		return clipLayout{}, fmt.Errorf("%s: visual.conv1.weight %v: want square patches [width, channels, p, p]", file, conv)
	}
	grid := intSqrt(vpos[0] - 1)
	if grid <= 0 {
		return clipLayout{}, fmt.Errorf("%s: visual.positional_embedding %v: want 1 + a square grid of rows", file, vpos)
	}
	width, twidth := conv[0], tokens[1]
	v := vit.Config{Image: grid * conv[2], Channels: conv[1], Patch: conv[2], Dim: width,
		Depth: depth(src, openAIVisionBlockRE), Heads: width / 64, MLPDim: vfc[0], LayerNormEpsilon: 1e-5,
		Activation: nn.ActQuickGELU}
	t := nn.TextEncoderConfig{VocabSize: tokens[0], MaxLen: tpos[0], Dim: twidth,
		Depth: depth(src, openAITextBlockRE), Heads: twidth / 64, MLPDim: tfc[0], LayerNormEpsilon: 1e-5,
		Activation: nn.ActQuickGELU}
	cfg := clipArch(v, t, tproj[1])
	var notes []string
	if oc == nil {
		notes = append(notes, fmt.Sprintf("no %s: OpenAI's architecture assumed (QuickGELU, heads of 64: %d image, %d text; LayerNorm eps 1e-5)",
			OpenCLIPConfigFile, cfg.ViT.Heads, cfg.Text.Heads))
	} else if err := applyOpenCLIP(cfgPath, *oc, &cfg); err != nil {
		return clipLayout{}, err
	}
	if proj[0] != width || proj[1] != cfg.EmbedDim {
		return clipLayout{}, fmt.Errorf("%s: visual.proj has shape %v, the image width %d and text_projection imply [%d %d]",
			file, proj, width, width, cfg.EmbedDim)
	}
	switch {
	case cfg.ViT.Heads <= 0 || cfg.Text.Heads <= 0:
		return clipLayout{}, fmt.Errorf("%s: widths %d (image) and %d (text) give %d and %d heads of 64 (OpenAI's rule); "+
			"a model this narrow needs its %s (vision_cfg.head_width, text_cfg.heads)", file, width, twidth,
			cfg.ViT.Heads, cfg.Text.Heads, OpenCLIPConfigFile)
	case cfg.ViT.Dim%cfg.ViT.Heads != 0 || cfg.Text.Dim%cfg.Text.Heads != 0:
		return clipLayout{}, fmt.Errorf("%s: image width %d / %d heads, text width %d / %d heads: widths must divide evenly",
			file, width, cfg.ViT.Heads, twidth, cfg.Text.Heads)
	}
	if err := cfg.Validate(); err != nil {
		return clipLayout{}, fmt.Errorf("%s: %w", file, err)
	}
	logitShape, _ := src.Shape("logit_scale")
	if len(logitShape) > 1 || (len(logitShape) == 1 && logitShape[0] != 1) {
		logitShape = []int{} // the table check reports the shape.
	}
	var jit []string
	for _, n := range openAIJITKeys {
		if _, ok := src.Shape(n); ok {
			jit = append(jit, n)
		}
	}
	if len(jit) > 0 {
		notes = append(notes, "ignored "+strings.Join(jit, ", ")+": the integers of OpenAI's JIT archives, "+
			"which build_model deletes too (the sizes come from the shapes)")
	}
	ignore := func(n string) bool { return slices.Contains(openAIJITKeys, n) }
	preprocess, err := openCLIPPreprocess(cfgPath, pre, cfg.ViT.Image)
	if err != nil {
		return clipLayout{}, err
	}
	return clipLayout{cfg: cfg, names: openAINames(cfg, tp, logitShape), ignore: ignore, quiet: openAIJITKeys,
		notes: notes, preprocess: preprocess}, nil
}

// applyOpenCLIP sets what open_clip_config.json says onto cfg (sizes inferred from
// the shapes) and checks the sizes it gives against the shapes.
func applyOpenCLIP(path string, oc openCLIPModel, cfg *clip.Config) error {
	v, t := &cfg.ViT, &cfg.Text
	vc, tc := oc.VisionCfg, oc.TextCfg
	var a agreement
	a.int("embed_dim", oc.EmbedDim, cfg.EmbedDim)
	a.int("vision_cfg.width", vc.Width, v.Dim)
	a.int("vision_cfg.patch_size", vc.PatchSize, v.Patch)
	a.ratio("vision_cfg.mlp_ratio", vc.MLPRatio, v.Dim, v.MLPDim)
	var layers *int
	if len(vc.Layers) > 0 {
		var n int
		if err := jsonInt(vc.Layers, &n); err != nil {
			return fmt.Errorf("%s: vision_cfg.layers: %w", path, err)
		}
		layers = &n
	}
	a.int("vision_cfg.layers", layers, v.Depth)
	side, err := vc.imageSize()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if side > 0 {
		a.int("vision_cfg.image_size", &side, v.Image)
	}
	a.int("text_cfg.width", tc.Width, t.Dim)
	a.int("text_cfg.layers", tc.Layers, t.Depth)
	a.int("text_cfg.context_length", tc.ContextLength, t.MaxLen)
	a.int("text_cfg.vocab_size", tc.VocabSize, t.VocabSize)
	a.ratio("text_cfg.mlp_ratio", tc.MLPRatio, t.Dim, t.MLPDim)
	if err := a.err(path); err != nil {
		return err
	}
	if vc.HeadWidth != nil {
		if *vc.HeadWidth <= 0 || v.Dim%*vc.HeadWidth != 0 {
			return fmt.Errorf("%s: vision_cfg.head_width %d does not divide the image width %d", path, *vc.HeadWidth, v.Dim)
		}
		v.Heads = v.Dim / *vc.HeadWidth
	}
	if tc.Heads != nil {
		t.Heads = *tc.Heads
	}
	// open_clip's default is nn.GELU; OpenAI's own weights need quick_gelu (its
	// "-quickgelu" model names).
	v.Activation, t.Activation = nn.ActGELU, nn.ActGELU
	if oc.QuickGELU {
		v.Activation, t.Activation = nn.ActQuickGELU, nn.ActQuickGELU
	}
	if v.LayerNormEpsilon, err = vc.eps(); err != nil {
		return fmt.Errorf("%s: vision_cfg.%w", path, err)
	}
	if t.LayerNormEpsilon, err = tc.eps(); err != nil {
		return fmt.Errorf("%s: text_cfg.%w", path, err)
	}
	v.PreNorm = !vc.NoLNPre
	if vc.PoolType == "avg" {
		// ln_post then the mean of the patch tokens, or (final_ln_after_pool) the mean
		// then ln_post: vit's fc_norm.
		v.Pool, v.ClassToken, v.NormPooled = vit.PoolGAP, true, vc.FinalLNAfter
	}
	// With token pooling, final_ln_after_pool changes nothing: a LayerNorm acts on
	// each token alone.
	if tc.PoolType == "first" {
		cfg.TextPool = clip.PoolFirst
	}
	return nil
}

// openAINames are the tensor names of OpenAI CLIP's state dict (clip/model.py) as
// open_clip also writes them; tp is "text." for open_clip's CustomTextCLIP.
func openAINames(cfg clip.Config, tp string, logitShape []int) clipNames {
	v := cfg.ViT
	block := func(prefix string) func(i int) blockNames {
		return func(i int) blockNames {
			b := fmt.Sprintf("%stransformer.resblocks.%d.", prefix, i)
			return blockNames{
				ln1: norm{b + "ln_1.weight", b + "ln_1.bias"},
				ln2: norm{b + "ln_2.weight", b + "ln_2.bias"},
				qkv: []linear{{b + "attn.in_proj_weight", b + "attn.in_proj_bias"}},
				out: linear{b + "attn.out_proj.weight", b + "attn.out_proj.bias"},
				fc1: linear{b + "mlp.c_fc.weight", b + "mlp.c_fc.bias"},
				fc2: linear{b + "mlp.c_proj.weight", b + "mlp.c_proj.bias"},
			}
		}
	}
	return clipNames{
		vision: vitNames{
			cls: "visual.class_embedding", clsShape: []int{v.Dim},
			pos: "visual.positional_embedding", posShape: []int{posRows(v, 1), v.Dim},
			patch:   linear{w: "visual.conv1.weight"},
			preNorm: norm{"visual.ln_pre.weight", "visual.ln_pre.bias"},
			block:   block("visual."),
			final:   norm{"visual.ln_post.weight", "visual.ln_post.bias"},
		},
		tokens: tp + "token_embedding.weight", pos: tp + "positional_embedding", block: block(tp),
		final:     norm{tp + "ln_final.weight", tp + "ln_final.bias"},
		imageProj: "visual.proj", textProj: tp + "text_projection",
		logitScale: "logit_scale", logitShape: logitShape,
	}
}
