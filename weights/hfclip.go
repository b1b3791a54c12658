package weights

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/mmdna/mmdna/models/clip"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
)

// hfCLIPConfig is the part of a Hugging Face CLIPConfig (config.json) the model needs.
type hfCLIPConfig struct {
	ModelType     string       `json:"model_type"`
	Architectures []string     `json:"architectures"`
	ProjectionDim int          `json:"projection_dim"`
	TextConfig    *hfCLIPTower `json:"text_config"`
	VisionConfig  *hfCLIPTower `json:"vision_config"`
}

// hfCLIPTower is CLIPTextConfig or CLIPVisionConfig: the fields they share and those
// of each.
type hfCLIPTower struct {
	HiddenSize        int      `json:"hidden_size"`
	IntermediateSize  int      `json:"intermediate_size"`
	NumHiddenLayers   int      `json:"num_hidden_layers"`
	NumAttentionHeads int      `json:"num_attention_heads"`
	HiddenAct         string   `json:"hidden_act"`
	LayerNormEps      *float64 `json:"layer_norm_eps"`
	// Text.
	VocabSize             int `json:"vocab_size"`
	MaxPositionEmbeddings int `json:"max_position_embeddings"`
	EOSTokenID            int `json:"eos_token_id"`
	// Vision.
	ImageSize   int `json:"image_size"`
	PatchSize   int `json:"patch_size"`
	NumChannels int `json:"num_channels"`
}

// The defaults of transformers' configuration_clip.py for the fields a config.json
// may leave out (openai/clip-vit-base-patch32's sizes).
var (
	hfCLIPTextDefaults = hfCLIPTower{HiddenSize: 512, IntermediateSize: 2048, NumHiddenLayers: 12,
		NumAttentionHeads: 8, HiddenAct: "quick_gelu", VocabSize: 49408, MaxPositionEmbeddings: 77, EOSTokenID: 49407}
	hfCLIPVisionDefaults = hfCLIPTower{HiddenSize: 768, IntermediateSize: 3072, NumHiddenLayers: 12,
		NumAttentionHeads: 12, HiddenAct: "quick_gelu", ImageSize: 224, PatchSize: 32, NumChannels: 3}
)

var (
	hfCLIPVisionLayerRE = regexp.MustCompile(`^vision_model\.encoder\.layers\.(\d+)\.layer_norm1\.weight$`)
	hfCLIPTextLayerRE   = regexp.MustCompile(`^text_model\.encoder\.layers\.(\d+)\.layer_norm1\.weight$`)
)

// parseHFCLIP reads a CLIPModel's config.json.
func parseHFCLIP(dir, file string, src source) (clipLayout, error) {
	if _, ok := src.Shape("text_model.embeddings.token_embedding.weight"); !ok {
		return clipLayout{}, fmt.Errorf("%s: no text tower (text_model.*): a CLIPVisionModel? mmdna loads whole CLIPModels", file)
	}
	path := fileIn(dir, "config.json")
	if path == "" {
		return clipLayout{}, fmt.Errorf("-model %s: a Hugging Face CLIP needs its config.json", dir)
	}
	text, vision := hfCLIPTextDefaults, hfCLIPVisionDefaults
	c := hfCLIPConfig{ProjectionDim: 512, TextConfig: &text, VisionConfig: &vision}
	if err := readJSON(path, &c); err != nil {
		return clipLayout{}, err
	}
	if c.ModelType != "" && c.ModelType != "clip" {
		return clipLayout{}, fmt.Errorf("%s: model_type %q: want \"clip\"", path, c.ModelType)
	}
	if c.TextConfig == nil || c.VisionConfig == nil {
		return clipLayout{}, fmt.Errorf("%s: text_config and vision_config must be objects", path)
	}
	tAct, err := nn.ParseActivation(text.HiddenAct)
	if err != nil {
		return clipLayout{}, fmt.Errorf("%s: text_config.hidden_act: %w", path, err)
	}
	vAct, err := nn.ParseActivation(vision.HiddenAct)
	if err != nil {
		return clipLayout{}, fmt.Errorf("%s: vision_config.hidden_act: %w", path, err)
	}
	eps := func(e *float64) float64 {
		if e == nil {
			return 1e-5 // CLIPTextConfig's and CLIPVisionConfig's default.
		}
		return *e
	}
	v := vit.Config{Image: vision.ImageSize, Channels: vision.NumChannels, Patch: vision.PatchSize,
		Dim: vision.HiddenSize, Depth: vision.NumHiddenLayers, Heads: vision.NumAttentionHeads,
		MLPDim: vision.IntermediateSize, LayerNormEpsilon: eps(vision.LayerNormEps), Activation: vAct}
	t := nn.TextEncoderConfig{VocabSize: text.VocabSize, MaxLen: text.MaxPositionEmbeddings, Dim: text.HiddenSize,
		Depth: text.NumHiddenLayers, Heads: text.NumAttentionHeads, MLPDim: text.IntermediateSize,
		LayerNormEpsilon: eps(text.LayerNormEps), Activation: tAct}
	// The layer counts first: the table has a mapping per layer, and a config.json
	// that says a million layers should fail here, not after building a million.
	for _, tower := range []struct {
		field string
		n     int
		re    *regexp.Regexp
	}{{"vision_config", v.Depth, hfCLIPVisionLayerRE}, {"text_config", t.Depth, hfCLIPTextLayerRE}} {
		if have := depth(src, tower.re); have != tower.n {
			return clipLayout{}, fmt.Errorf("%s: %s.num_hidden_layers is %d, the weights have %d layers", path, tower.field, tower.n, have)
		}
	}
	cfg := clipArch(v, t, c.ProjectionDim)
	var notes []string
	// CLIPTextTransformer pools at the argmax of the ids for configs from before
	// transformers PR #24773 (eos_token_id 2; today's code tests whether the largest
	// id of every sequence is 49407) and at the first eos_token_id otherwise. With
	// CLIP's tokenizer both are the end-of-text token, the largest id of the
	// vocabulary, so PoolArgmax is HF's pooling (TestCLIPLayoutsMatchTorch runs both
	// rules); an eos id below the largest (tokens added after it) pools at the last
	// real token of the mask instead, the end-of-text of a tokenized sequence.
	if text.EOSTokenID != 2 && text.EOSTokenID != text.VocabSize-1 {
		cfg.TextPool = clip.PoolEOS
		notes = append(notes, fmt.Sprintf("text_config.eos_token_id %d is not the largest id %d: the text is pooled "+
			"at the last token the mask keeps (the end-of-text token of a tokenized sequence)", text.EOSTokenID, text.VocabSize-1))
	}
	if err := cfg.Validate(); err != nil {
		return clipLayout{}, fmt.Errorf("%s: %w", path, err)
	}
	preprocess, more, err := hfCLIPPreprocess(dir, cfg)
	if err != nil {
		return clipLayout{}, err
	}
	ignore := func(n string) bool { return strings.HasSuffix(n, "embeddings.position_ids") }
	return clipLayout{cfg: cfg, names: hfCLIPNames(cfg), ignore: ignore, notes: append(notes, more...),
		preprocess: preprocess}, nil
}

// hfCLIPNames are the tensor names of transformers' CLIPModel.
func hfCLIPNames(cfg clip.Config) clipNames {
	v := cfg.ViT
	block := func(prefix string) func(i int) blockNames {
		return func(i int) blockNames {
			l := fmt.Sprintf("%s.encoder.layers.%d.", prefix, i)
			a := l + "self_attn."
			var qkv []linear
			for _, n := range []string{"q_proj", "k_proj", "v_proj"} {
				qkv = append(qkv, linear{a + n + ".weight", a + n + ".bias"})
			}
			return blockNames{
				ln1: norm{l + "layer_norm1.weight", l + "layer_norm1.bias"},
				ln2: norm{l + "layer_norm2.weight", l + "layer_norm2.bias"},
				qkv: qkv,
				out: linear{a + "out_proj.weight", a + "out_proj.bias"},
				fc1: linear{l + "mlp.fc1.weight", l + "mlp.fc1.bias"},
				fc2: linear{l + "mlp.fc2.weight", l + "mlp.fc2.bias"},
			}
		}
	}
	e := "vision_model.embeddings."
	return clipNames{
		vision: vitNames{
			cls: e + "class_embedding", clsShape: []int{v.Dim},
			pos: e + "position_embedding.weight", posShape: []int{posRows(v, 1), v.Dim},
			patch:   linear{w: e + "patch_embedding.weight"},
			preNorm: norm{"vision_model.pre_layrnorm.weight", "vision_model.pre_layrnorm.bias"}, // sic: HF's name.
			block:   block("vision_model"),
			// HF applies post_layernorm to the pooled cls token alone; mmdna's final
			// norm acts on every token and the cls token is read after it, the same
			// features (vit.Output.Encoded is normalised where HF's last_hidden_state
			// is not).
			final: norm{"vision_model.post_layernorm.weight", "vision_model.post_layernorm.bias"},
		},
		tokens:    "text_model.embeddings.token_embedding.weight",
		pos:       "text_model.embeddings.position_embedding.weight",
		block:     block("text_model"),
		final:     norm{"text_model.final_layer_norm.weight", "text_model.final_layer_norm.bias"},
		imageProj: "visual_projection.weight", textProj: "text_projection.weight", projLinear: true,
		logitScale: "logit_scale", logitShape: []int{},
	}
}
