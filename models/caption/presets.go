package caption

import (
	"fmt"
	"slices"

	"github.com/mmdna/mmdna/models/vit"
)

// preset is a named size of the captioner.
type preset struct {
	image, channels, patch             int // encoder input
	encDim, encDepth, encHeads, encMLP int // ViT
	dim, depth, heads, mlp, maxLen     int // decoder
}

// presets are the sizes by name: "tiny" for tests (8x8 images, two blocks of width 16)
// and "small" for the shapes world at 64x64 (a ViT of width 64 and depth 4 over 8x8
// patches, 64 image tokens, and a decoder of 2 blocks of width 128 over captions of up
// to 32 tokens, the longest shapes caption with room to spare).
var presets = map[string]preset{
	"tiny": {image: 8, channels: 3, patch: 4, encDim: 16, encDepth: 1, encHeads: 2, encMLP: 32,
		dim: 16, depth: 2, heads: 2, mlp: 32, maxLen: 8},
	"small": {image: 64, channels: 3, patch: 8, encDim: 64, encDepth: 4, encHeads: 4, encMLP: 256,
		dim: 128, depth: 2, heads: 4, mlp: 512, maxLen: 32},
}

// PresetNames lists the preset names, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Preset returns the named configuration for a vocabulary of vocab ids with the
// special ids of datasets/text ([PAD]=0, [BOS]=1, [EOS]=2). The encoder pools by
// average and has no cls token, so the image tokens are the patches in raster order.
// Change Image/Channels of the encoder for other inputs, MaxLen for longer captions.
func Preset(name string, vocab int) (Config, error) {
	p, ok := presets[name]
	if !ok {
		return Config{}, fmt.Errorf("caption: unknown preset %q; presets: %v", name, PresetNames())
	}
	cfg := Config{
		Encoder: vit.Config{Image: p.image, Channels: p.channels, Patch: p.patch, Dim: p.encDim, Depth: p.encDepth,
			Heads: p.encHeads, MLPDim: p.encMLP, Pool: vit.PoolGAP},
		Vocab: vocab, MaxLen: p.maxLen, Dim: p.dim, Depth: p.depth, Heads: p.heads, MLPDim: p.mlp,
		BOS: 1, EOS: 2, PAD: 0,
	}
	return cfg, cfg.Validate()
}
