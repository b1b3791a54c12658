package vit

import (
	"fmt"
	"strconv"
	"strings"
)

// variant holds the transformer sizes of a named model width.
type variant struct{ dim, depth, heads, mlp int }

// variants are the widths of the ViT paper's Table 1 (Base, Large, Huge), DeiT's Tiny
// and Small (Touvron et al., 2021, Table 1; big_vision's decode_variant), and "mu", a
// micro size for tests.
var variants = map[string]variant{
	"mu": {dim: 16, depth: 2, heads: 2, mlp: 32},
	"Ti": {dim: 192, depth: 12, heads: 3, mlp: 768},
	"S":  {dim: 384, depth: 12, heads: 6, mlp: 1536},
	"B":  {dim: 768, depth: 12, heads: 12, mlp: 3072},
	"L":  {dim: 1024, depth: 24, heads: 16, mlp: 4096},
	"H":  {dim: 1280, depth: 32, heads: 16, mlp: 5120},
}

// Preset returns the configuration named "Width/Patch" ("Ti/4", "S/16", "B/16",
// "mu/4", or "mu" with patch 4) for images of the given size and channels, with cls
// pooling as in the paper. Classes is left at 0: set it for a classifier.
func Preset(name string, image, channels int) (Config, error) {
	width, patchStr, hasPatch := strings.Cut(name, "/")
	v, ok := variants[width]
	if !ok {
		return Config{}, fmt.Errorf("vit: unknown preset %q; widths: mu, Ti, S, B, L, H, as in \"B/16\"", name)
	}
	patch := 4
	if hasPatch {
		p, err := strconv.Atoi(patchStr)
		if err != nil || p <= 0 {
			return Config{}, fmt.Errorf("vit: preset %q: patch %q is not a positive integer", name, patchStr)
		}
		patch = p
	}
	cfg := Config{Image: image, Channels: channels, Patch: patch, Dim: v.dim, Depth: v.depth, Heads: v.heads,
		MLPDim: v.mlp, Pool: PoolCLS}
	return cfg, cfg.Validate()
}
