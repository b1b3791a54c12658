package weights

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mmdna/mmdna/imageproc"
)

// weightFiles are the file names the layouts store their weights under, in the order
// they are looked for.
var weightFiles = []string{"model.safetensors", "open_clip_model.safetensors"}

// pickleFiles are PyTorch pickles: the loader names them and says how to convert them,
// since reading a pickle means running arbitrary code.
var pickleFiles = []string{"pytorch_model.bin", "open_clip_pytorch_model.bin", "model.pt", "pytorch_model.pt"}

// Load reads the model in dir, whichever layout it has.
func Load(dir string) (*Model, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("-model %s: %w", dir, unwrapPath(err))
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("-model %s: not a directory (a model directory holds config.json and model.safetensors)", dir)
	}
	if isRunDir(dir) {
		return loadRun(dir)
	}
	file, err := findWeights(dir)
	if err != nil {
		return nil, err
	}
	src, closer, err := openSource(file)
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	layout, err := detect(file, src)
	if err != nil {
		return nil, err
	}
	var m *Model
	switch layout {
	case LayoutHFViT:
		m, err = loadHFViT(dir, file, src)
	case LayoutTimmViT:
		m, err = loadTimmViT(dir, file, src)
	default:
		m, err = loadCLIP(layout, dir, file, src)
	}
	if err != nil {
		return nil, err
	}
	m.Layout, m.Dir = layout, dir
	if m.Preprocess.Source == "" {
		if m.Preprocess, err = preprocessFor(m, dir); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// preprocessFor reads the preprocessing a model directory describes: OpenAI CLIP's
// transform at the model's size, else preprocessor_config.json or timm's
// pretrained_cfg, else the defaults of defaultPreprocess (with a note).
func preprocessFor(m *Model, dir string) (imageproc.Config, error) {
	side, _ := m.ImageShape()
	if m.Layout == LayoutOpenAICLIP {
		return imageproc.CLIPConfig(side), nil
	}
	if fileIn(dir, "preprocessor_config.json") != "" || (m.Layout == LayoutTimmViT && fileIn(dir, "config.json") != "") {
		c, err := imageproc.LoadDir(dir)
		if err != nil {
			return c, err
		}
		return c, c.Validate()
	}
	c := defaultPreprocess(side, m.Layout)
	m.Notes = append(m.Notes, "no preprocessing file: "+c.Source)
	return c, nil
}

// findWeights returns the weights file of dir, or an error that says what is there.
func findWeights(dir string) (string, error) {
	for _, name := range weightFiles {
		if p := fileIn(dir, name); p != "" {
			return p, nil
		}
	}
	for _, name := range pickleFiles {
		if p := fileIn(dir, name); p != "" {
			return "", fmt.Errorf("%s: a PyTorch pickle; mmdna reads safetensors only: convert it with "+
				"safetensors.torch.save_file(torch.load(%q), \"model.safetensors\")", p, name)
		}
	}
	return "", fmt.Errorf("-model %s: no weights: want one of %s (the directory holds %s)", dir,
		strings.Join(weightFiles, ", "), listDir(dir))
}

// listDir names up to eight entries of dir, for errors.
func listDir(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		return "nothing"
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return list(names)
}

// detect tells the layout from the tensor names: each layout has tensors no other has.
func detect(file string, src source) (Layout, error) {
	has := func(name string) bool { _, ok := src.Shape(name); return ok }
	switch {
	// The CLIP layouts are told by their image tower, so that a missing text tower is
	// reported as such by the CLIP loaders.
	case has("visual.conv1.weight") && (has("logit_scale") || has("token_embedding.weight") || has("text.token_embedding.weight")):
		return LayoutOpenAICLIP, nil
	case has("vision_model.embeddings.patch_embedding.weight"):
		return LayoutHFCLIP, nil
	case has("vit.embeddings.patch_embeddings.projection.weight") || has("embeddings.patch_embeddings.projection.weight"):
		return LayoutHFViT, nil
	case has("patch_embed.proj.weight") && has("blocks.0.attn.qkv.weight"):
		return LayoutTimmViT, nil
	}
	names := src.Names()
	sort.Strings(names)
	return "", fmt.Errorf("%s: unknown layout: %d tensors (%s); mmdna reads Hugging Face ViT and CLIP, timm ViT, "+
		"OpenAI CLIP / open_clip and mmdna run directories", file, len(names), list(names))
}

// loadHFViT loads transformers' ViTModel or ViTForImageClassification.
func loadHFViT(dir, file string, src source) (*Model, error) {
	_, head := src.Shape("classifier.weight")
	prefix := ""
	if _, ok := src.Shape("vit.embeddings.cls_token"); ok {
		prefix = "vit."
	}
	cfgPath := fileIn(dir, "config.json")
	if cfgPath == "" {
		return nil, fmt.Errorf("-model %s: a Hugging Face ViT needs its config.json", dir)
	}
	cfg, labels, err := parseHFViT(cfgPath, head)
	if err != nil {
		return nil, err
	}
	_, cfg.Pooler = src.Shape(prefix + "pooler.dense.weight")
	cfg.Pooler = cfg.Pooler && !head // ViTForImageClassification classifies the cls token, not the pooler.
	t := table{maps: vitMaps("", cfg, hfViTNames(cfg, prefix)), ignore: func(n string) bool {
		return n == prefix+"embeddings.mask_token" || (head && strings.HasPrefix(n, prefix+"pooler."))
	}}
	store, ignored, err := t.load(file, src)
	if err != nil {
		return nil, err
	}
	m := &Model{Spec: Spec{Kind: KindViT, ViT: cfg, Labels: labels}, Store: store}
	m.noteIgnored(ignored)
	return m, nil
}

// loadTimmViT loads timm's VisionTransformer.
func loadTimmViT(dir, file string, src source) (*Model, error) {
	cfg, labels, notes, err := parseTimmViT(fileIn(dir, "config.json"), file, src)
	if err != nil {
		return nil, err
	}
	pos, _ := src.Shape("pos_embed")
	t := table{maps: vitMaps("", cfg, timmNames(cfg, pos[1]))}
	store, ignored, err := t.load(file, src)
	if err != nil {
		return nil, err
	}
	m := &Model{Spec: Spec{Kind: KindViT, ViT: cfg, Labels: labels}, Store: store, Notes: notes}
	m.noteIgnored(ignored)
	return m, nil
}

func (m *Model) noteIgnored(names []string) {
	if len(names) > 0 {
		m.Notes = append(m.Notes, "not used by the model: "+list(names))
	}
}

// isRunDir reports whether dir is an mmdna run directory.
func isRunDir(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "checkpoints"))
	return err == nil && fileIn(dir, "config.json") != ""
}
