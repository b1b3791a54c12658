package weights

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/imageproc"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
	"github.com/mmdna/mmdna/weights/safetensors"
)

// Export writes m into dir in the layout PyTorch users read for its kind: a cls-pooled
// ViT as Hugging Face's ViTForImageClassification (config.json,
// preprocessor_config.json, model.safetensors), an average-pooled ViT in timm's layout
// (config.json with model_args, model.safetensors). dir must not hold a model already.
func Export(m *Model, dir string) (Layout, error) {
	if m.Kind == KindCaption || m.Kind == KindViLT {
		return "", fmt.Errorf("-model %s: a %s model: export writes ViTs and CLIPs (PyTorch has no layout of mmdna's %s)", m.Dir, m.Kind, m.Kind)
	}
	if fileIn(dir, "model.safetensors") != "" || fileIn(dir, "config.json") != "" {
		return "", fmt.Errorf("-out %s: already holds a model (config.json or model.safetensors); choose an empty directory", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("-out %s: %w", dir, unwrapPath(err))
	}
	switch m.Kind {
	case KindViT:
		return exportViT(m, dir)
	case KindCLIP:
		return exportCLIP(m, dir)
	}
	return "", fmt.Errorf("export: model kind %q", m.Kind)
}

// exportViT writes a ViT as HF ViTForImageClassification (cls pooling) or timm (gap).
func exportViT(m *Model, dir string) (Layout, error) {
	cfg := m.ViT
	if err := exportableViT(cfg); err != nil {
		return "", err
	}
	var (
		names  vitNames
		layout Layout
		config any
	)
	if cfg.Pool == vit.PoolCLS {
		layout, names, config = LayoutHFViT, hfViTNames(cfg, "vit."), hfViTConfigFor(cfg, m.Labels)
	} else {
		rows := posRows(cfg, 0)
		if cfg.ClassToken {
			rows++
		}
		layout, names, config = LayoutTimmViT, timmNames(cfg, rows), timmConfigFor(cfg, m.Labels, m.Preprocess)
	}
	if err := writeTable(filepath.Join(dir, "model.safetensors"), table{maps: vitMaps("", cfg, names)}, m.Store); err != nil {
		return "", err
	}
	files := map[string]any{"config.json": config}
	if p := m.Preprocess; p.Source != "" && layout == LayoutHFViT {
		files["preprocessor_config.json"] = hfPreprocessorFor(p, "ViTImageProcessor")
	}
	for name, v := range files {
		data, err := marshalIndent(v)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return "", fmt.Errorf("-out %s: %w", dir, unwrapPath(err))
		}
	}
	return layout, nil
}

// exportableViT reports what of cfg neither layout can express.
func exportableViT(cfg vit.Config) error {
	switch {
	case cfg.Classes == 0:
		return errors.New("export: the ViT has no classification head; both layouts write classifiers")
	case cfg.Pooler:
		return errors.New("export: a ViT with Hugging Face's pooler is a ViTModel; export writes classifiers")
	case cfg.Pool == vit.PoolCLS && (cfg.PreNorm || cfg.NoPatchBias || cfg.NormPooled):
		return errors.New("export: ViTForImageClassification has no pre-norm, always a patch bias and a final norm on every token")
	case cfg.Activation != "" && cfg.Activation != nn.ActGELU && cfg.Pool != vit.PoolCLS:
		return fmt.Errorf("export: timm's ViT uses GELU, the model %s", cfg.Activation)
	case cfg.NoPatchBias:
		return errors.New("export: timm's patch embedding has a bias")
	case len(cfg.Stem) > 0:
		return errors.New("export: a ViT with a convolutional stem has no Hugging Face or timm ViT layout")
	}
	return nil
}

// writeTable writes the layout's tensors, made from the store's variables through the
// table's inverse conversions, into a safetensors file (F32).
func writeTable(path string, t table, store *model.Store) error {
	var entries []safetensors.Entry
	for _, mp := range t.maps {
		v := store.GetVariable(mp.ours)
		if v == nil {
			return fmt.Errorf("export: the model has no variable %s", mp.ours)
		}
		value, err := v.Value()
		if err != nil {
			return fmt.Errorf("export: %s: %w", mp.ours, err)
		}
		flat, err := float32s(value)
		if err != nil {
			return fmt.Errorf("export: %s: %w", mp.ours, err)
		}
		for i, data := range mp.toTheirs(flat) {
			if mp.conv == convClsPos && i > 0 {
				continue // the position table is written by its own mapping.
			}
			entries = append(entries, safetensors.FloatEntry(mp.theirs[i], safetensors.F32, mp.theirShapes[i], data))
		}
	}
	return safetensors.Write(path, entries, map[string]string{"format": "pt", "producer": "mmdna"})
}

func float32s(t *tensors.Tensor) (flat []float32, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return tensors.MustCopyFlatData[float32](t), nil
}

// hfViTConfigFor is the config.json of a ViTForImageClassification.
func hfViTConfigFor(cfg vit.Config, labels []string) map[string]any {
	eps := cfg.LayerNormEpsilon
	if eps == 0 {
		eps = nn.DefaultLayerNormEpsilon
	}
	act := string(cfg.Activation)
	if act == "" || act == string(nn.ActGELU) {
		act = "gelu"
	} else if cfg.Activation == nn.ActGELUTanh {
		act = "gelu_pytorch_tanh"
	}
	id2label, label2id := map[string]string{}, map[string]int{}
	for i, l := range labels {
		id2label[strconv.Itoa(i)] = l
		label2id[l] = i
	}
	return map[string]any{
		"model_type": "vit", "architectures": []string{"ViTForImageClassification"},
		"hidden_size": cfg.Dim, "num_hidden_layers": cfg.Depth, "num_attention_heads": cfg.Heads,
		"intermediate_size": cfg.MLPDim, "hidden_act": act, "layer_norm_eps": eps,
		"image_size": cfg.Image, "patch_size": cfg.Patch, "num_channels": cfg.Channels, "qkv_bias": !cfg.NoQKVBias,
		"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0, "initializer_range": 0.02,
		"id2label": id2label, "label2id": label2id,
	}
}

// timmConfigFor is a timm hub config.json whose model_args rebuild the architecture:
// timm.create_model("vit_base_patch16_224", pretrained=False, **model_args).
func timmConfigFor(cfg vit.Config, labels []string, p imageproc.Config) map[string]any {
	pretrained := map[string]any{"input_size": []int{cfg.Channels, cfg.Image, cfg.Image}, "crop_pct": 1.0,
		"interpolation": "bilinear", "num_classes": cfg.Classes}
	if p.Mean != nil {
		pretrained["mean"], pretrained["std"] = p.Mean, p.Std
	}
	return map[string]any{
		"architecture": fmt.Sprintf("vit_mmdna_patch%d_%d", cfg.Patch, cfg.Image),
		"num_classes":  cfg.Classes, "global_pool": "avg", "label_names": labels,
		"model_args": map[string]any{
			"img_size": cfg.Image, "patch_size": cfg.Patch, "in_chans": cfg.Channels, "embed_dim": cfg.Dim,
			"depth": cfg.Depth, "num_heads": cfg.Heads, "mlp_ratio": float64(cfg.MLPDim) / float64(cfg.Dim),
			"qkv_bias": !cfg.NoQKVBias, "class_token": cfg.ClassToken, "global_pool": "avg",
			"fc_norm": cfg.NormPooled, "pre_norm": cfg.PreNorm, "num_classes": cfg.Classes,
		},
		"pretrained_cfg": pretrained,
	}
}

// hfPreprocessorFor is the preprocessor_config.json that describes p for Hugging
// Face's image processors (imageproc.ParseHFConfig reads it back the same).
func hfPreprocessorFor(p imageproc.Config, processor string) map[string]any {
	out := map[string]any{"image_processor_type": processor, "do_resize": p.Resize != imageproc.NoResize,
		"resample": int(p.Filter), "do_center_crop": p.CenterCrop, "do_rescale": p.Rescale != 0,
		"rescale_factor": p.Rescale, "do_normalize": p.Mean != nil, "do_convert_rgb": true}
	switch p.Resize {
	case imageproc.ShortestEdge:
		out["size"] = map[string]int{"shortest_edge": p.Size}
	case imageproc.Exact, imageproc.KeepRatio:
		out["size"] = map[string]int{"height": p.Height, "width": p.Width}
	}
	if p.CenterCrop {
		out["crop_size"] = map[string]int{"height": p.CropHeight, "width": p.CropWidth}
	}
	if p.Mean != nil {
		out["image_mean"], out["image_std"] = p.Mean, p.Std
	}
	return out
}
