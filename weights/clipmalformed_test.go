package weights

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mmdna/mmdna/models/clip"
)

// tinyCLIPDir writes a valid CLIP directory with random weights in a layout: "openai"
// (model.safetensors alone, widths 64), "openclip" (widths 32 with
// open_clip_config.json) or "hf" (config.json). edit changes the tensors (name ->
// shape) before they are written, config the config file's fields.
func tinyCLIPDir(t testing.TB, layout string, edit func(tensors map[string][]int), config func(c map[string]any)) string {
	t.Helper()
	return tinyCLIPDirVocab(t, layout, 10, edit, config)
}

// tinyCLIPDirVocab is tinyCLIPDir with a vocabulary of vocab ids.
func tinyCLIPDirVocab(t testing.TB, layout string, vocab int, edit func(tensors map[string][]int), config func(c map[string]any)) string {
	t.Helper()
	cfg := tinyCLIPConfig(layout == "openclip")
	cfg.Text.VocabSize = vocab
	names := openAINames(cfg, "", []int{})
	if layout == "hf" {
		names = hfCLIPNames(cfg)
	}
	shapes := map[string][]int{}
	for _, m := range clipMaps(cfg, names) {
		for i, n := range m.theirs {
			shapes[n] = m.theirShapes[i]
		}
	}
	if edit != nil {
		edit(shapes)
	}
	dir := randomSafetensors(t, shapes, 3)
	var c map[string]any
	file := ""
	switch layout {
	case "openclip":
		file, c = OpenCLIPConfigFile, openCLIPConfigFor(cfg)
	case "hf":
		file, c = "config.json", hfCLIPConfigFor(cfg)
	}
	if config != nil {
		config(c)
	}
	if file != "" {
		data, _ := json.Marshal(c)
		if err := os.WriteFile(filepath.Join(dir, file), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// openCLIPConfigFor is the open_clip_config.json model_cfg of cfg, as maps the cases
// edit; text_cfg and vision_cfg are map[string]any.
func openCLIPConfigFor(cfg clip.Config) map[string]any {
	v, t := cfg.ViT, cfg.Text
	return map[string]any{"model_cfg": map[string]any{"embed_dim": cfg.EmbedDim, "quick_gelu": true,
		"vision_cfg": map[string]any{"image_size": v.Image, "layers": v.Depth, "width": v.Dim,
			"head_width": v.Dim / v.Heads, "patch_size": v.Patch, "mlp_ratio": float64(v.MLPDim) / float64(v.Dim)},
		"text_cfg": map[string]any{"context_length": t.MaxLen, "vocab_size": t.VocabSize, "width": t.Dim,
			"heads": t.Heads, "layers": t.Depth, "mlp_ratio": float64(t.MLPDim) / float64(t.Dim)}}}
}

// hfCLIPConfigFor is the config.json of cfg as transformers' CLIPModel writes it.
func hfCLIPConfigFor(cfg clip.Config) map[string]any {
	v, t := cfg.ViT, cfg.Text
	return map[string]any{"model_type": "clip", "architectures": []string{"CLIPModel"}, "projection_dim": cfg.EmbedDim,
		"text_config": map[string]any{"vocab_size": t.VocabSize, "hidden_size": t.Dim, "intermediate_size": t.MLPDim,
			"num_hidden_layers": t.Depth, "num_attention_heads": t.Heads, "max_position_embeddings": t.MaxLen,
			"eos_token_id": t.VocabSize - 1},
		"vision_config": map[string]any{"hidden_size": v.Dim, "intermediate_size": v.MLPDim,
			"num_hidden_layers": v.Depth, "num_attention_heads": v.Heads, "image_size": v.Image, "patch_size": v.Patch}}
}

// sub returns the object c[key] of a config map (model_cfg, text_cfg, ...).
func sub(c map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		c = c[k].(map[string]any)
	}
	return c
}

func deletePrefix(s map[string][]int, keep func(name string) bool) {
	for n := range s {
		if !keep(n) {
			delete(s, n)
		}
	}
}

func TestLoadGoodTinyCLIP(t *testing.T) {
	for _, layout := range []string{"openai", "openclip", "hf"} {
		m, err := Load(tinyCLIPDir(t, layout, nil, nil))
		if err != nil {
			t.Fatalf("%s: %v", layout, err)
		}
		want := tinyCLIPConfig(layout == "openclip")
		if m.Kind != KindCLIP || !reflect.DeepEqual(m.CLIP.ViT, want.ViT) || m.CLIP.Text != want.Text || m.CLIP.EmbedDim != want.EmbedDim {
			t.Errorf("%s: config %+v, want %+v", layout, m.CLIP, want)
		}
	}
}

// TestHFCLIPPooling: CLIP's end-of-text token is the largest id, so both of
// transformers' poolings (argmax for eos_token_id 2, the first eos otherwise) are the
// argmax; an eos below the largest id pools by the mask, with a note.
func TestHFCLIPPooling(t *testing.T) {
	for _, c := range []struct {
		eos  int
		want clip.TextPool
	}{{2, clip.PoolArgmax}, {9, clip.PoolArgmax}, {7, clip.PoolEOS}} {
		m, err := Load(tinyCLIPDir(t, "hf", nil, func(cf map[string]any) { sub(cf, "text_config")["eos_token_id"] = c.eos }))
		if err != nil {
			t.Fatal(err)
		}
		noted := strings.Contains(strings.Join(m.Notes, ";"), "eos_token_id")
		if m.CLIP.TextPool != c.want || noted != (c.want == clip.PoolEOS) {
			t.Errorf("eos_token_id %d of vocab 10: pool %s (noted %v), want %s", c.eos, m.CLIP.TextPool, noted, c.want)
		}
	}
}

// TestLoadMalformedCLIP: every damaged CLIP directory is a one-line error naming the
// file and what is wrong.
func TestLoadMalformedCLIP(t *testing.T) {
	st, oc, hf := "model.safetensors", OpenCLIPConfigFile, "config.json"
	cases := []struct {
		name       string
		dir        func(t *testing.T) string
		file, want string
	}{
		{"openai resnet", func(t *testing.T) string {
			return tinyCLIPDir(t, "openai", func(s map[string][]int) { s["visual.layer1.0.conv1.weight"] = []int{4, 4, 1, 1} }, nil)
		}, st, "a ModifiedResNet image tower"},
		{"openai attentional pooler", func(t *testing.T) string {
			return tinyCLIPDir(t, "openai", func(s map[string][]int) { s["visual.attn_pool.query"] = []int{4, 8} }, nil)
		}, st, "an attentional pooler"},
		{"openai logit bias", func(t *testing.T) string {
			return tinyCLIPDir(t, "openai", func(s map[string][]int) { s["logit_bias"] = []int{} }, nil)
		}, st, "a logit bias (logit_bias"},
		{"openai no text tower", func(t *testing.T) string {
			return tinyCLIPDir(t, "openai", func(s map[string][]int) {
				deletePrefix(s, func(n string) bool { return strings.HasPrefix(n, "visual.") || n == "logit_scale" })
			}, nil)
		}, st, "no text tower"},
		{"openai shape", func(t *testing.T) string {
			return tinyCLIPDir(t, "openai", func(s map[string][]int) {
				s["transformer.resblocks.0.mlp.c_proj.weight"] = []int{64, 100}
			}, nil)
		}, st, "transformer.resblocks.0.mlp.c_proj.weight has shape [64 100], the configuration implies [64 128]"},
		{"openai missing block tensor", func(t *testing.T) string {
			return tinyCLIPDir(t, "openai", func(s map[string][]int) { delete(s, "visual.transformer.resblocks.0.ln_2.bias") }, nil)
		}, st, "missing tensors visual.transformer.resblocks.0.ln_2.bias"},
		{"openai unexpected", func(t *testing.T) string {
			return tinyCLIPDir(t, "openai", func(s map[string][]int) { s["visual.extra"] = []int{2} }, nil)
		}, st, "unexpected tensors visual.extra"},
		{"openai grid", func(t *testing.T) string {
			return tinyCLIPDir(t, "openai", func(s map[string][]int) { s["visual.positional_embedding"] = []int{6, 64} }, nil)
		}, st, "want 1 + a square grid"},
		{"openai rank", func(t *testing.T) string {
			return tinyCLIPDir(t, "openai", func(s map[string][]int) { s["text_projection"] = []int{64} }, nil)
		}, st, "tensor text_projection has shape [64], want 2 dimensions"},
		{"narrow without open_clip_config", func(t *testing.T) string {
			dir := tinyCLIPDir(t, "openclip", nil, nil)
			os.Remove(filepath.Join(dir, OpenCLIPConfigFile))
			return dir
		}, st, "give 0 and 0 heads of 64"},
		{"open_clip config type", func(t *testing.T) string {
			return tinyCLIPDir(t, "openclip", nil, func(c map[string]any) { sub(c, "model_cfg", "text_cfg")["heads"] = "four" })
		}, oc, "not valid JSON for this model"},
		{"open_clip config not JSON", func(t *testing.T) string {
			dir := tinyCLIPDir(t, "openclip", nil, nil)
			os.WriteFile(filepath.Join(dir, OpenCLIPConfigFile), []byte(`{"model_cfg": `), 0o644)
			return dir
		}, oc, "not valid JSON"},
		{"open_clip config disagrees", func(t *testing.T) string {
			return tinyCLIPDir(t, "openclip", nil, func(c map[string]any) { sub(c, "model_cfg", "vision_cfg")["width"] = 768 })
		}, oc, "vision_cfg.width is 768, the weights have 32"},
		{"open_clip mlp ratio", func(t *testing.T) string {
			return tinyCLIPDir(t, "openclip", nil, func(c map[string]any) { sub(c, "model_cfg", "text_cfg")["mlp_ratio"] = 4 })
		}, oc, "text_cfg.mlp_ratio 4 gives an MLP of 128, the weights have 64"},
		{"open_clip head width", func(t *testing.T) string {
			return tinyCLIPDir(t, "openclip", nil, func(c map[string]any) { sub(c, "model_cfg", "vision_cfg")["head_width"] = 5 })
		}, oc, "head_width 5 does not divide the image width 32"},
		{"open_clip layer scale", func(t *testing.T) string {
			return tinyCLIPDir(t, "openclip", nil, func(c map[string]any) { sub(c, "model_cfg", "vision_cfg")["ls_init_value"] = 1e-5 })
		}, oc, "vision_cfg.ls_init_value (layer scale): mmdna's CLIP cannot run it"},
		{"open_clip bidirectional text", func(t *testing.T) string {
			return tinyCLIPDir(t, "openclip", nil, func(c map[string]any) { sub(c, "model_cfg", "text_cfg")["no_causal_mask"] = true })
		}, oc, "text_cfg.no_causal_mask"},
		{"open_clip timm tower", func(t *testing.T) string {
			return tinyCLIPDir(t, "openclip", nil, func(c map[string]any) {
				sub(c, "model_cfg", "vision_cfg")["timm_model_name"] = "vit_base_patch16_siglip_224"
			})
		}, oc, "a timm image tower"},
		{"open_clip eps type", func(t *testing.T) string {
			return tinyCLIPDir(t, "openclip", nil, func(c map[string]any) {
				sub(c, "model_cfg", "text_cfg")["norm_kwargs"] = map[string]any{"eps": "small"}
			})
		}, oc, "text_cfg.norm_kwargs.eps small"},
		{"hf field type", func(t *testing.T) string {
			return tinyCLIPDir(t, "hf", nil, func(c map[string]any) { sub(c, "text_config")["hidden_size"] = "big" })
		}, hf, "not valid JSON for this model"},
		{"hf text_config null", func(t *testing.T) string {
			return tinyCLIPDir(t, "hf", nil, func(c map[string]any) { c["text_config"] = nil })
		}, hf, "text_config and vision_config must be objects"},
		{"hf model type", func(t *testing.T) string {
			return tinyCLIPDir(t, "hf", nil, func(c map[string]any) { c["model_type"] = "siglip" })
		}, hf, `model_type "siglip"`},
		{"hf activation", func(t *testing.T) string {
			return tinyCLIPDir(t, "hf", nil, func(c map[string]any) { sub(c, "vision_config")["hidden_act"] = "swish" })
		}, hf, `vision_config.hidden_act: activation "swish"`},
		{"hf shapes against config", func(t *testing.T) string {
			return tinyCLIPDir(t, "hf", nil, func(c map[string]any) { sub(c, "vision_config")["intermediate_size"] = 100 })
		}, st, "the configuration implies [100 64]"},
		{"hf projection_dim", func(t *testing.T) string {
			return tinyCLIPDir(t, "hf", nil, func(c map[string]any) { c["projection_dim"] = 16 })
		}, st, "visual_projection.weight has shape [8 64], the configuration implies [16 64]"},
		{"hf layers", func(t *testing.T) string {
			return tinyCLIPDir(t, "hf", nil, func(c map[string]any) { sub(c, "text_config")["num_hidden_layers"] = 1000000 })
		}, hf, "text_config.num_hidden_layers is 1000000, the weights have 1 layers"},
		{"hf heads", func(t *testing.T) string {
			return tinyCLIPDir(t, "hf", nil, func(c map[string]any) { sub(c, "text_config")["num_attention_heads"] = 3 })
		}, hf, "not divisible by heads 3"},
		{"hf no text tower", func(t *testing.T) string {
			return tinyCLIPDir(t, "hf", func(s map[string][]int) {
				deletePrefix(s, func(n string) bool { return !strings.HasPrefix(n, "text_") })
			}, nil)
		}, st, "no text tower (text_model.*)"},
		{"hf no config", func(t *testing.T) string {
			dir := tinyCLIPDir(t, "hf", nil, nil)
			os.Remove(filepath.Join(dir, "config.json"))
			return dir
		}, "-model", "a Hugging Face CLIP needs its config.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(c.dir(t))
			if err == nil {
				t.Fatalf("loaded; want an error containing %q", c.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.want) || !strings.Contains(msg, c.file) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line naming %s and containing %q", msg, c.file, c.want)
			}
		})
	}
}
