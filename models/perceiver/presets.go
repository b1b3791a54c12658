package perceiver

import (
	"fmt"
	"slices"
	"strings"
)

// presets are the named sizes; Preset returns copies.
var presets = map[string]Config{
	// base: the chapter's Perceiver (section 10.4: 256 latents of 512, 8 heads, 6
	// latent self-attention layers) with perceiver-pytorch's cross-attention (one head
	// of 64) and MLP 4x, reading its input twice with shared weights: the size
	// bench-perceiver times against bench/peers/perceiver.py.
	"base": {NumLatents: 256, LatentDim: 512, LatentHeads: 8, CrossHeads: 1, CrossDimHead: 64, MLPDim: 2048,
		Depth: 6, Repeats: 2, ShareWeights: true},
	// small: 32 latents of 64, the width of perceiver-fmnist and perceiver-shapes (which
	// choose their own depth and repeats).
	"small": {NumLatents: 32, LatentDim: 64, LatentHeads: 4, CrossHeads: 1, CrossDimHead: 64, MLPDim: 128,
		Depth: 2, Repeats: 2, ShareWeights: true},
	// mu: a micro size for tests and smoke runs.
	"mu": {NumLatents: 8, LatentDim: 16, LatentHeads: 2, CrossHeads: 1, CrossDimHead: 16, MLPDim: 32,
		Depth: 1, Repeats: 1},
}

// PresetNames returns the preset names, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Preset returns the named size (see PresetNames) with no classifier head: set
// Classes for one.
func Preset(name string) (Config, error) {
	cfg, ok := presets[name]
	if !ok {
		return Config{}, fmt.Errorf("perceiver: unknown preset %q; known: %s", name, strings.Join(PresetNames(), ", "))
	}
	return cfg, cfg.Validate()
}
