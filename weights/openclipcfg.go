package weights

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// openCLIPFile is open_clip_config.json as open_clip's push_to_hf_hub writes it,
// {"model_cfg": {...}, "preprocess_cfg": {...}}; open_clip also reads a bare model
// config (factory.py: config.get("model_cfg", config)), which lands in the embedded
// fields.
type openCLIPFile struct {
	ModelCfg      *openCLIPModel         `json:"model_cfg"`
	PreprocessCfg *openCLIPPreprocessCfg `json:"preprocess_cfg"`
	openCLIPModel
}

// openCLIPPreprocessCfg is the part of open_clip's PreprocessCfg mmdna reads; the
// image size is the model's.
type openCLIPPreprocessCfg struct {
	Mean          []float64 `json:"mean"`
	Std           []float64 `json:"std"`
	Interpolation string    `json:"interpolation"`
	ResizeMode    string    `json:"resize_mode"`
}

// openCLIPModel is open_clip's model config (model.py's CLIP arguments and
// model_configs/*.json). Sizes are read from the tensor shapes and checked against it;
// the fields the shapes cannot tell come from here.
type openCLIPModel struct {
	EmbedDim      *int            `json:"embed_dim"`
	QuickGELU     bool            `json:"quick_gelu"`
	CustomText    bool            `json:"custom_text"`
	InitLogitBias *float64        `json:"init_logit_bias"`
	MultimodalCfg json.RawMessage `json:"multimodal_cfg"`
	VisionCfg     openCLIPVision  `json:"vision_cfg"`
	TextCfg       openCLIPText    `json:"text_cfg"`
}

// openCLIPBlock holds the switches of open_clip's custom attention block, which
// mmdna's nn.Block does not have.
type openCLIPBlock struct {
	BlockType        string         `json:"block_type"`
	QKNorm           bool           `json:"qk_norm"`
	ScaledCosineAttn bool           `json:"scaled_cosine_attn"`
	ScaleHeads       bool           `json:"scale_heads"`
	ScaleAttnInner   bool           `json:"scale_attn_inner"`
	ScaleAttn        bool           `json:"scale_attn"`
	ScaleFC          bool           `json:"scale_fc"`
	LSInitValue      *float64       `json:"ls_init_value"`
	ActKwargs        map[string]any `json:"act_kwargs"`
	NormKwargs       map[string]any `json:"norm_kwargs"`
}

// openCLIPVision is CLIPVisionCfg.
type openCLIPVision struct {
	Layers          json.RawMessage `json:"layers"` // an int, or four ints for a ModifiedResNet.
	Width           *int            `json:"width"`
	HeadWidth       *int            `json:"head_width"`
	MLPRatio        *float64        `json:"mlp_ratio"`
	PatchSize       *int            `json:"patch_size"`
	ImageSize       json.RawMessage `json:"image_size"` // an int or [h, w].
	AttentionalPool any             `json:"attentional_pool"`
	NoLNPre         bool            `json:"no_ln_pre"`
	PosEmbedType    string          `json:"pos_embed_type"`
	FinalLNAfter    bool            `json:"final_ln_after_pool"`
	PoolType        string          `json:"pool_type"`
	TimmModelName   string          `json:"timm_model_name"`
	openCLIPBlock
}

// openCLIPText is CLIPTextCfg.
type openCLIPText struct {
	TextArch      string   `json:"text_arch"`
	ContextLength *int     `json:"context_length"`
	VocabSize     *int     `json:"vocab_size"`
	Width         *int     `json:"width"`
	Heads         *int     `json:"heads"`
	Layers        *int     `json:"layers"`
	MLPRatio      *float64 `json:"mlp_ratio"`
	EmbedCls      bool     `json:"embed_cls"`
	NoCausalMask  bool     `json:"no_causal_mask"`
	PoolType      string   `json:"pool_type"`
	ProjBias      bool     `json:"proj_bias"`
	ProjType      string   `json:"proj_type"`
	HFModelName   string   `json:"hf_model_name"`
	openCLIPBlock
}

// readOpenCLIPConfig reads open_clip_config.json (either form): the model config and
// the preprocessing (nil when the file has none).
func readOpenCLIPConfig(path string) (openCLIPModel, *openCLIPPreprocessCfg, error) {
	var f openCLIPFile
	if err := readJSON(path, &f); err != nil {
		return openCLIPModel{}, nil, err
	}
	if f.ModelCfg != nil {
		return *f.ModelCfg, f.PreprocessCfg, nil
	}
	return f.openCLIPModel, f.PreprocessCfg, nil
}

// unsupported names the first feature of the config that mmdna's CLIP cannot run, or
// returns "".
func (c openCLIPModel) unsupported() string {
	v, t := c.VisionCfg, c.TextCfg
	var layers []int
	pool, _ := v.AttentionalPool.(string)
	switch {
	case c.InitLogitBias != nil:
		return "init_logit_bias (a SigLIP-style logit bias)"
	case len(c.MultimodalCfg) > 0 && string(c.MultimodalCfg) != "null":
		return "multimodal_cfg (CoCa's text decoder)"
	case v.TimmModelName != "":
		return fmt.Sprintf("vision_cfg.timm_model_name %q (a timm image tower)", v.TimmModelName)
	case json.Unmarshal(v.Layers, &layers) == nil:
		return "vision_cfg.layers as a list (a ModifiedResNet image tower)"
	case v.AttentionalPool == true || pool != "":
		return "vision_cfg.attentional_pool (CoCa's attentional pooler)"
	case v.PoolType != "" && v.PoolType != "tok" && v.PoolType != "avg":
		return fmt.Sprintf("vision_cfg.pool_type %q (mmdna pools \"tok\" or \"avg\")", v.PoolType)
	case v.PosEmbedType != "" && v.PosEmbedType != "learnable" && v.PosEmbedType != "sin_cos_2d":
		return fmt.Sprintf("vision_cfg.pos_embed_type %q", v.PosEmbedType)
	case t.HFModelName != "":
		return fmt.Sprintf("text_cfg.hf_model_name %q (a Hugging Face text tower)", t.HFModelName)
	case t.TextArch != "" && t.TextArch != "clip":
		return fmt.Sprintf("text_cfg.text_arch %q", t.TextArch)
	case t.NoCausalMask:
		return "text_cfg.no_causal_mask (a bidirectional text tower, which open_clip runs without a padding mask)"
	case t.EmbedCls:
		return "text_cfg.embed_cls (a learned cls token on the text)"
	case t.ProjBias:
		return "text_cfg.proj_bias (a text projection with bias; the image projection has none)"
	case t.ProjType != "" && t.ProjType != "linear":
		return fmt.Sprintf("text_cfg.proj_type %q", t.ProjType)
	case t.PoolType != "" && t.PoolType != "argmax" && t.PoolType != "first":
		return fmt.Sprintf("text_cfg.pool_type %q (mmdna pools \"argmax\" or \"first\")", t.PoolType)
	}
	if s := v.openCLIPBlock.unsupported(); s != "" {
		return "vision_cfg." + s
	}
	if s := t.openCLIPBlock.unsupported(); s != "" {
		return "text_cfg." + s
	}
	return ""
}

func (b openCLIPBlock) unsupported() string {
	switch {
	case b.BlockType != "" && b.BlockType != "default":
		return fmt.Sprintf("block_type %q", b.BlockType)
	case b.QKNorm, b.ScaledCosineAttn, b.ScaleHeads, b.ScaleAttnInner, b.ScaleAttn, b.ScaleFC:
		return "a custom attention block (qk_norm, scaled_cosine_attn, scale_heads, scale_attn_inner, scale_attn or scale_fc)"
	case b.LSInitValue != nil:
		return "ls_init_value (layer scale)"
	case len(b.ActKwargs) > 0:
		return "act_kwargs"
	}
	for k := range b.NormKwargs {
		if k != "eps" {
			return fmt.Sprintf("norm_kwargs.%s", k)
		}
	}
	return ""
}

// eps returns norm_kwargs.eps, else LayerNorm's default 1e-5.
func (b openCLIPBlock) eps() (float64, error) {
	e, ok := b.NormKwargs["eps"]
	if !ok {
		return 1e-5, nil
	}
	f, ok := e.(float64)
	if !ok || f < 0 {
		return 0, fmt.Errorf("norm_kwargs.eps %v: want a non-negative number", e)
	}
	return f, nil
}

// imageSize reads vision_cfg.image_size, an int or a square [h, w]; 0 when absent.
func (v openCLIPVision) imageSize() (int, error) {
	if len(v.ImageSize) == 0 || string(v.ImageSize) == "null" {
		return 0, nil
	}
	var n int
	if json.Unmarshal(v.ImageSize, &n) == nil {
		return n, nil
	}
	var hw []int
	if json.Unmarshal(v.ImageSize, &hw) == nil && len(hw) == 2 && hw[0] == hw[1] {
		return hw[0], nil
	}
	return 0, fmt.Errorf("vision_cfg.image_size %s: want a number or a square [h, w]", v.ImageSize)
}

// agreement compares the sizes a config gives with those the shapes imply.
type agreement struct{ diffs []string }

func (a *agreement) int(field string, given *int, have int) {
	if given != nil && *given != have {
		a.diffs = append(a.diffs, fmt.Sprintf("%s is %d, the weights have %d", field, *given, have))
	}
}

// ratio checks an mlp_ratio: open_clip's MLP width is int(width * mlp_ratio).
func (a *agreement) ratio(field string, given *float64, width, mlp int) {
	if given != nil && int(float64(width)**given) != mlp {
		a.diffs = append(a.diffs, fmt.Sprintf("%s %g gives an MLP of %d, the weights have %d", field, *given,
			int(float64(width)**given), mlp))
	}
}

func (a *agreement) err(path string) error {
	if len(a.diffs) == 0 {
		return nil
	}
	slices.Sort(a.diffs)
	return fmt.Errorf("%s: does not match the weights: %s", path, strings.Join(a.diffs, "; "))
}

// jsonInt decodes a JSON number that must be an integer.
func jsonInt(raw json.RawMessage, n *int) error {
	if err := json.Unmarshal(raw, n); err != nil {
		return fmt.Errorf("%s: want an integer", raw)
	}
	return nil
}
