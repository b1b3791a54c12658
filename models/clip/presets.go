package clip

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
)

// preset holds the sizes of a named configuration. Every preset has sizes for both
// image towers; tower says which one it uses (the parameter "tower" of the experiments
// switches).
type preset struct {
	tower            Tower
	imgDim, imgDepth int   // ViT width and depth.
	imgHeads         int   // ViT heads.
	conv             []int // conv tower stages.
	txtDim, txtDepth int   // text width and depth.
	txtHeads         int   // text heads.
	embed            int   // shared space.
	pool             TextPool
	projLN, projBias bool
	description      string
}

// presets are the named sizes. "small" is the clip-shapes default; "multimodal_embedding"
// is the chapter's model. MLPs are twice the width (half of ViT's 4x: at these widths
// the attention, not the MLP, limits the model, and the step is cheaper).
var presets = map[string]preset{
	"tiny": {tower: TowerViT, imgDim: 16, imgDepth: 1, imgHeads: 2, conv: []int{16, 16}, txtDim: 16, txtDepth: 1,
		txtHeads: 2, embed: 16, description: "for tests: one block per tower, width 16"},
	"small": {tower: TowerViT, imgDim: 64, imgDepth: 4, imgHeads: 4, conv: []int{32, 64, 128, 128}, txtDim: 64,
		txtDepth: 2, txtHeads: 4, embed: 64, description: "ViT 64x4 (or conv 32-64-128-128) + text 64x2, shared space 64"},
	"base": {tower: TowerViT, imgDim: 128, imgDepth: 4, imgHeads: 4, conv: []int{64, 128, 256, 256}, txtDim: 128,
		txtDepth: 3, txtHeads: 4, embed: 128, description: "ViT 128x4 (or conv 64-128-256-256) + text 128x3, shared space 128"},
	"multimodal_embedding": {tower: TowerConv, imgDim: 64, imgDepth: 4, imgHeads: 4, conv: []int{32, 64, 128, 128},
		txtDim: 128, txtDepth: 2, txtHeads: 4, embed: 128, pool: PoolFirst, projLN: true, projBias: true,
		description: "the chapter's MultimodalEmbedding: CNN image encoder, text transformer read at [BOS] " +
			"(BERT's [CLS]), Linear+LayerNorm projections, logit scale log(1/0.07)"},
}

// PresetNames lists the presets, sorted.
func PresetNames() []string {
	var names []string
	for n := range presets {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// PresetDescription returns a preset's one-line description ("" for an unknown name).
func PresetDescription(name string) string { return presets[name].description }

// DefaultPatch is the ViT patch a preset uses for an image side: 4 up to 32 pixels
// (64 tokens at 32x32, 49 at 28x28), else side/8 (64 tokens), the largest grid the go
// backend trains in reasonable time.
func DefaultPatch(image int) int {
	if image <= 32 || image%8 != 0 {
		return 4
	}
	return image / 8
}

// Preset returns the named configuration for images of image×image×channels and a
// vocabulary of vocab ids in sequences of up to maxLen tokens. Both image towers are
// filled in; Tower is the preset's, and CheckImage tells whether it takes the size.
func Preset(name string, image, channels, vocab, maxLen int) (Config, error) {
	p, ok := presets[name]
	if !ok {
		return Config{}, fmt.Errorf("clip: unknown preset %q; known: %s", name, strings.Join(PresetNames(), ", "))
	}
	cfg := Config{
		Tower: p.tower,
		ViT: vit.Config{Image: image, Channels: channels, Patch: DefaultPatch(image), Dim: p.imgDim,
			Depth: p.imgDepth, Heads: p.imgHeads, MLPDim: 2 * p.imgDim, Pool: vit.PoolGAP},
		Conv: ConvConfig{Channels: slices.Clone(p.conv)},
		Text: nn.TextEncoderConfig{VocabSize: vocab, MaxLen: maxLen, Dim: p.txtDim, Depth: p.txtDepth,
			Heads: p.txtHeads, MLPDim: 2 * p.txtDim},
		TextPool: p.pool, EmbedDim: p.embed, ProjectionLayerNorm: p.projLN, ProjectionBias: p.projBias,
	}
	// The image size first: a caller switching towers can then skip that error alone.
	if err := cfg.CheckImage(image, image); err != nil {
		return cfg, fmt.Errorf("clip: preset %s: %w", name, err)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("clip: preset %s: %w", name, err)
	}
	return cfg, nil
}

// ErrImageSize is wrapped by the errors of CheckImage (and of Preset when its tower
// does not take the image size), so callers that switch towers can tell them apart.
var ErrImageSize = errors.New("image size")

// CheckImage reports whether the image tower takes images of h×w pixels: the ViT's
// configured square size, or sides divisible by 2 per conv stage.
func (c Config) CheckImage(h, w int) error {
	if c.tower() == TowerConv {
		if side := 1 << len(c.Conv.Channels); h%side != 0 || w%side != 0 {
			return fmt.Errorf("%w: conv tower: image %dx%d is not divisible by %d (%d stages halving it)",
				ErrImageSize, h, w, side, len(c.Conv.Channels))
		}
		return nil
	}
	switch {
	case h != c.ViT.Image || w != c.ViT.Image:
		return fmt.Errorf("%w: vit tower: image %dx%d, configured for %dx%d", ErrImageSize, h, w, c.ViT.Image, c.ViT.Image)
	case c.ViT.Patch <= 0 || h%c.ViT.Patch != 0:
		return fmt.Errorf("%w: vit tower: image side %d is not divisible by patch %d", ErrImageSize, h, c.ViT.Patch)
	}
	return nil
}
