package weights

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mmdna/mmdna/datasets/text"
	"github.com/mmdna/mmdna/models/clip"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
)

// clipMisfits lists what of cfg Hugging Face's CLIPModel cannot express, "" when it
// fits: CLIPModel is OpenAI's architecture (clipArch) with sizes.
func clipMisfits(cfg clip.Config, tok text.Encoder) []string {
	var out []string
	v, t := cfg.ViT, cfg.Text
	if cfg.Tower == clip.TowerConv {
		out = append(out, "a convolutional image tower (CLIPModel's is a ViT)")
	} else {
		if v.Pool != vit.PoolCLS || v.ClassToken {
			out = append(out, "an image tower pooled by average (CLIPModel reads the class token)")
		}
		if !v.PreNorm {
			out = append(out, "no pre-norm in the image tower (CLIPModel has pre_layrnorm)")
		}
		if !v.NoPatchBias {
			out = append(out, "a patch embedding bias (CLIPModel's has none)")
		}
		if v.NormPooled || v.Pooler || v.NoQKVBias {
			out = append(out, "an image tower with fc_norm, a pooler or bias-free q/k/v")
		}
	}
	if !t.Causal {
		out = append(out, "a text tower without the causal mask")
	}
	if t.SinusoidalPositions {
		out = append(out, "fixed sine-cosine text positions")
	}
	if cfg.TextPool != clip.PoolArgmax && cfg.TextPool != clip.PoolEOS {
		out = append(out, fmt.Sprintf("text pooled by %q (CLIPModel reads the end-of-text token)", cfg.TextPool))
	}
	if cfg.ProjectionBias || cfg.ProjectionLayerNorm {
		out = append(out, "projections with a bias or a LayerNorm (CLIPModel's are bias-free matrices)")
	}
	if _, ok := tok.(*text.BPE); !ok {
		out = append(out, fmt.Sprintf("a %T tokenizer (CLIPModel reads CLIP's byte-level BPE ids)", tok))
	}
	return out
}

// exportCLIP writes a CLIP whose towers fit as Hugging Face's CLIPModel:
// model.safetensors, config.json, preprocessor_config.json and the tokenizer files of
// the model's directory (or OpenAI's vocabulary file).
func exportCLIP(m *Model, dir string) (Layout, error) {
	if misfits := clipMisfits(m.CLIP, m.Tokenizer); len(misfits) > 0 {
		return "", fmt.Errorf("export: this CLIP does not fit Hugging Face's CLIPModel: %s", strings.Join(misfits, "; "))
	}
	cfg := m.CLIP
	if err := writeTable(filepath.Join(dir, "model.safetensors"), table{maps: clipMaps(cfg, hfCLIPNames(cfg))}, m.Store); err != nil {
		return "", err
	}
	files := map[string]any{"config.json": hfCLIPConfigJSON(cfg, m.Tokenizer.(*text.BPE))}
	if p := m.Preprocess; p.Source != "" {
		files["preprocessor_config.json"] = hfPreprocessorFor(p, "CLIPImageProcessor")
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
	return LayoutHFCLIP, CopyTokenizer(m.Dir, dir)
}

// CopyTokenizer copies the tokenizer files of the model directory from into to, else
// writes OpenAI's vocabulary file, which mmdna (and OpenAI's clip package) read.
func CopyTokenizer(from, to string) error {
	copied := false
	for _, name := range clipTokenizerFiles {
		src := fileIn(from, name)
		if src == "" {
			continue
		}
		if err := copyFile(src, filepath.Join(to, name)); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		copied = true
	}
	if copied {
		return nil
	}
	return os.WriteFile(filepath.Join(to, "bpe_simple_vocab_16e6.txt.gz"), text.OpenAICLIPVocabFile(), 0o644)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// hfCLIPConfigJSON is a CLIPModel's config.json.
func hfCLIPConfigJSON(cfg clip.Config, tok *text.BPE) map[string]any {
	eps := func(e float64) float64 {
		if e == 0 {
			return nn.DefaultLayerNormEpsilon
		}
		return e
	}
	act := func(a nn.Activation) string {
		switch a {
		case nn.ActQuickGELU:
			return "quick_gelu"
		case nn.ActGELUTanh:
			return "gelu_pytorch_tanh"
		}
		return "gelu"
	}
	v, t := cfg.ViT, cfg.Text
	return map[string]any{
		"model_type": "clip", "architectures": []string{"CLIPModel"}, "projection_dim": cfg.EmbedDim,
		"logit_scale_init_value": clip.DefaultInitLogitScale,
		"text_config": map[string]any{"model_type": "clip_text_model", "hidden_size": t.Dim, "intermediate_size": t.MLPDim,
			"num_hidden_layers": t.Depth, "num_attention_heads": t.Heads, "hidden_act": act(t.Activation),
			"layer_norm_eps": eps(t.LayerNormEpsilon), "vocab_size": t.VocabSize, "max_position_embeddings": t.MaxLen,
			"bos_token_id": tok.SOT(), "eos_token_id": tok.EOT(), "pad_token_id": 1, "projection_dim": cfg.EmbedDim},
		"vision_config": map[string]any{"model_type": "clip_vision_model", "hidden_size": v.Dim, "intermediate_size": v.MLPDim,
			"num_hidden_layers": v.Depth, "num_attention_heads": v.Heads, "hidden_act": act(v.Activation),
			"layer_norm_eps": eps(v.LayerNormEpsilon), "image_size": v.Image, "patch_size": v.Patch,
			"num_channels": v.Channels, "projection_dim": cfg.EmbedDim},
	}
}
