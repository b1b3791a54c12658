package weights

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
)

// hfViTConfig is the part of a Hugging Face ViTConfig (config.json) the model needs.
type hfViTConfig struct {
	ModelType         string            `json:"model_type"`
	Architectures     []string          `json:"architectures"`
	HiddenSize        int               `json:"hidden_size"`
	NumHiddenLayers   int               `json:"num_hidden_layers"`
	NumAttentionHeads int               `json:"num_attention_heads"`
	IntermediateSize  int               `json:"intermediate_size"`
	HiddenAct         string            `json:"hidden_act"`
	LayerNormEps      *float64          `json:"layer_norm_eps"`
	ImageSize         int               `json:"image_size"`
	PatchSize         int               `json:"patch_size"`
	NumChannels       int               `json:"num_channels"`
	QKVBias           *bool             `json:"qkv_bias"`
	ID2Label          map[string]string `json:"id2label"`
}

// hfViTDefaults are ViTConfig's defaults (transformers' configuration_vit.py) for the
// fields a config.json may leave out.
var hfViTDefaults = hfViTConfig{HiddenSize: 768, NumHiddenLayers: 12, NumAttentionHeads: 12,
	IntermediateSize: 3072, HiddenAct: "gelu", ImageSize: 224, PatchSize: 16, NumChannels: 3}

// readJSON decodes a JSON file into v with a one-line error naming the file.
func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, unwrapPath(err))
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: not valid JSON for this model: %v", path, err)
	}
	return nil
}

// parseHFViT reads config.json into a vit.Config and the class names. head says
// whether the weights hold a classifier (ViTForImageClassification).
func parseHFViT(path string, head bool) (vit.Config, []string, error) {
	c := hfViTDefaults
	if err := readJSON(path, &c); err != nil {
		return vit.Config{}, nil, err
	}
	act, err := nn.ParseActivation(c.HiddenAct)
	if err != nil {
		return vit.Config{}, nil, fmt.Errorf("%s: hidden_act: %w", path, err)
	}
	eps := 1e-12 // ViTConfig's default.
	if c.LayerNormEps != nil {
		eps = *c.LayerNormEps
	}
	cfg := vit.Config{Image: c.ImageSize, Channels: c.NumChannels, Patch: c.PatchSize, Dim: c.HiddenSize,
		Depth: c.NumHiddenLayers, Heads: c.NumAttentionHeads, MLPDim: c.IntermediateSize, Pool: vit.PoolCLS,
		LayerNormEpsilon: eps, Activation: act, NoQKVBias: c.QKVBias != nil && !*c.QKVBias,
		PosInterpolation: nn.InterpBicubic}
	var labels []string
	if head {
		if labels, err = idLabels(c.ID2Label); err != nil {
			return vit.Config{}, nil, fmt.Errorf("%s: id2label: %w", path, err)
		}
		cfg.Classes = len(labels)
	}
	if err := cfg.Validate(); err != nil {
		return vit.Config{}, nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, labels, nil
}

// idLabels turns {"0": "cat", "1": "dog"} into ["cat", "dog"]; ids must be 0..n-1.
func idLabels(m map[string]string) ([]string, error) {
	if len(m) == 0 {
		return nil, fmt.Errorf("missing: a classifier needs its class names")
	}
	labels := make([]string, len(m))
	seen := make([]bool, len(m))
	for k, v := range m {
		id, err := strconv.Atoi(k)
		if err != nil || id < 0 || id >= len(m) {
			return nil, fmt.Errorf("id %q: want 0..%d", k, len(m)-1)
		}
		if seen[id] {
			return nil, fmt.Errorf("id %d given twice", id)
		}
		seen[id], labels[id] = true, v
	}
	return labels, nil
}

// hfViTNames are the tensor names of transformers' ViTModel (prefix "") and
// ViTForImageClassification (prefix "vit.", head "classifier").
func hfViTNames(cfg vit.Config, prefix string) vitNames {
	e := prefix + "embeddings."
	return vitNames{
		cls: e + "cls_token", clsShape: []int{1, 1, cfg.Dim},
		pos: e + "position_embeddings", posShape: []int{1, posRows(cfg, 1), cfg.Dim},
		patch: linear{e + "patch_embeddings.projection.weight", e + "patch_embeddings.projection.bias"},
		block: func(i int) blockNames {
			l := fmt.Sprintf("%sencoder.layer.%d.", prefix, i)
			a := l + "attention.attention."
			var qkv []linear
			for _, n := range []string{"query", "key", "value"} {
				b := a + n + ".bias"
				if cfg.NoQKVBias {
					b = ""
				}
				qkv = append(qkv, linear{a + n + ".weight", b})
			}
			return blockNames{
				ln1: norm{l + "layernorm_before.weight", l + "layernorm_before.bias"},
				ln2: norm{l + "layernorm_after.weight", l + "layernorm_after.bias"},
				qkv: qkv,
				out: linear{l + "attention.output.dense.weight", l + "attention.output.dense.bias"},
				fc1: linear{l + "intermediate.dense.weight", l + "intermediate.dense.bias"},
				fc2: linear{l + "output.dense.weight", l + "output.dense.bias"},
			}
		},
		final:  norm{prefix + "layernorm.weight", prefix + "layernorm.bias"},
		pooler: linear{prefix + "pooler.dense.weight", prefix + "pooler.dense.bias"},
		head:   linear{"classifier.weight", "classifier.bias"},
	}
}
