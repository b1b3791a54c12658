package weights

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
)

// timmConfig is the part of a timm hub config.json the loader reads. Sizes come from
// the tensor shapes; the file gives what shapes cannot (heads, pooling, labels).
type timmConfig struct {
	Architecture  string         `json:"architecture"`
	NumClasses    *int           `json:"num_classes"`
	GlobalPool    string         `json:"global_pool"`
	LabelNames    []string       `json:"label_names"`
	ModelArgs     map[string]any `json:"model_args"`
	PretrainedCfg map[string]any `json:"pretrained_cfg"`
}

// timmHeads are the head counts of timm's ViT widths by architecture name prefix
// (vision_transformer.py's model definitions); every one has heads of 64 but huge (80).
var timmHeads = map[string]int{"vit_tiny": 3, "vit_small": 6, "vit_base": 12, "vit_large": 16, "vit_huge": 16,
	"vit_giant": 16, "deit_tiny": 3, "deit_small": 6, "deit_base": 12}

var timmBlockRE = regexp.MustCompile(`^blocks\.(\d+)\.norm1\.weight$`)

// parseTimmViT infers a vit.Config from a timm state dict's shapes and the optional
// config.json (path "" when the directory has none).
func parseTimmViT(path, file string, src source) (vit.Config, []string, []string, error) {
	var c timmConfig
	var notes []string
	if path != "" {
		if err := readJSON(path, &c); err != nil {
			return vit.Config{}, nil, nil, err
		}
	}
	shape := func(name string) []int { s, _ := src.Shape(name); return s }
	pw := shape("patch_embed.proj.weight")
	pos := shape("pos_embed")
	if len(pw) != 4 || pw[2] != pw[3] || len(pos) != 3 {
		return vit.Config{}, nil, nil, fmt.Errorf("%s: patch_embed.proj.weight %v and pos_embed %v: want [D, C, p, p] and [1, tokens, D]", file, pw, pos)
	}
	cfg := vit.Config{Dim: pw[0], Channels: pw[1], Patch: pw[2], LayerNormEpsilon: 1e-6,
		Activation: nn.ActGELU, PosInterpolation: nn.InterpBicubicAA}
	_, cfg.ClassToken = src.Shape("cls_token")
	prefix := 0
	if cfg.ClassToken {
		prefix = 1
	}
	grid := intSqrt(pos[1] - prefix)
	if grid < 0 {
		if grid = intSqrt(pos[1]); grid < 0 { // no_embed_class: the table has no cls row.
			return vit.Config{}, nil, nil, fmt.Errorf("%s: pos_embed %v is not a square grid of patches", file, pos)
		}
	}
	cfg.Image = grid * cfg.Patch
	for _, n := range src.Names() {
		if m := timmBlockRE.FindStringSubmatch(n); m != nil {
			i, _ := strconv.Atoi(m[1])
			cfg.Depth = max(cfg.Depth, i+1)
		}
	}
	if fc1 := shape("blocks.0.mlp.fc1.weight"); len(fc1) == 2 {
		cfg.MLPDim = fc1[0]
	}
	_, hasQKVBias := src.Shape("blocks.0.attn.qkv.bias")
	cfg.NoQKVBias = !hasQKVBias
	_, cfg.PreNorm = src.Shape("norm_pre.weight")
	_, cfg.NormPooled = src.Shape("fc_norm.weight")
	pool := c.GlobalPool
	if pool == "" {
		pool = "token"
		if !cfg.ClassToken {
			pool = "avg"
		}
	}
	switch pool {
	case "token":
		cfg.Pool, cfg.ClassToken = vit.PoolCLS, false
	case "avg":
		cfg.Pool = vit.PoolGAP
	default:
		return vit.Config{}, nil, nil, fmt.Errorf("%s: global_pool %q: mmdna loads \"token\" and \"avg\"", path, pool)
	}
	if head := shape("head.weight"); len(head) == 2 {
		cfg.Classes = head[0]
	}
	cfg.Heads, notes = timmHeadCount(c, cfg.Dim)
	labels := c.LabelNames
	if labels != nil && len(labels) != cfg.Classes {
		return vit.Config{}, nil, nil, fmt.Errorf("%s: label_names has %d names, the head has %d classes", path, len(labels), cfg.Classes)
	}
	if labels == nil && cfg.Classes > 0 {
		for i := range cfg.Classes {
			labels = append(labels, strconv.Itoa(i))
		}
		notes = append(notes, "no label_names in config.json: classes are named by their index")
	}
	if err := cfg.Validate(); err != nil {
		return vit.Config{}, nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	return cfg, labels, notes, nil
}

// timmHeadCount reads the number of heads, which no tensor shape holds: model_args,
// else the architecture name, else timm's usual 64-wide heads.
func timmHeadCount(c timmConfig, dim int) (int, []string) {
	if h, ok := c.ModelArgs["num_heads"].(float64); ok && h > 0 {
		return int(h), nil
	}
	for prefix, h := range timmHeads {
		if strings.HasPrefix(c.Architecture, prefix+"_") {
			return h, nil
		}
	}
	h := max(dim/64, 1)
	return h, []string{fmt.Sprintf("heads not given (no model_args.num_heads, architecture %q): assuming 64-wide heads, %d", c.Architecture, h)}
}

// intSqrt returns the integer square root of n, or -1 when n is not a square.
func intSqrt(n int) int {
	for r := 0; r*r <= n; r++ {
		if r*r == n {
			return r
		}
	}
	return -1
}

// timmNames are the tensor names of timm's VisionTransformer.
func timmNames(cfg vit.Config, posRowsN int) vitNames {
	final := norm{"norm.weight", "norm.bias"}
	if cfg.NormPooled {
		final = norm{"fc_norm.weight", "fc_norm.bias"}
	}
	qkvBias := func(i int) string {
		if cfg.NoQKVBias {
			return ""
		}
		return fmt.Sprintf("blocks.%d.attn.qkv.bias", i)
	}
	return vitNames{
		cls: "cls_token", clsShape: []int{1, 1, cfg.Dim},
		pos: "pos_embed", posShape: []int{1, posRowsN, cfg.Dim},
		patch:   linear{"patch_embed.proj.weight", "patch_embed.proj.bias"},
		preNorm: norm{"norm_pre.weight", "norm_pre.bias"},
		block: func(i int) blockNames {
			b := fmt.Sprintf("blocks.%d.", i)
			return blockNames{
				ln1: norm{b + "norm1.weight", b + "norm1.bias"},
				ln2: norm{b + "norm2.weight", b + "norm2.bias"},
				qkv: []linear{{b + "attn.qkv.weight", qkvBias(i)}},
				out: linear{b + "attn.proj.weight", b + "attn.proj.bias"},
				fc1: linear{b + "mlp.fc1.weight", b + "mlp.fc1.bias"},
				fc2: linear{b + "mlp.fc2.weight", b + "mlp.fc2.bias"},
			}
		},
		final: final,
		head:  linear{"head.weight", "head.bias"},
	}
}

// fileIn returns dir/name when it exists, else "".
func fileIn(dir, name string) string {
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return ""
}
