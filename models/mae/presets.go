package mae

import (
	"fmt"
	"strings"

	"github.com/mmdna/mmdna/models/vit"
)

// decoder holds the decoder sizes of a preset.
type decoder struct{ dim, depth, heads, mlp int }

// paperDecoder is the decoder of every model of the paper (He et al., 2022, section
// 4; models_mae.py: decoder_embed_dim 512, decoder_depth 8, decoder_num_heads 16,
// mlp_ratio 4).
var paperDecoder = decoder{dim: 512, depth: 8, heads: 16, mlp: 2048}

// microDecoder goes with the "mu" encoder, for tests.
var microDecoder = decoder{dim: 16, depth: 1, heads: 2, mlp: 32}

// Preset returns the MAE whose encoder is the ViT preset name ("B/16", "L/16" and
// "H/14" are the paper's; "mu/4" a micro size for tests), for images of the given side
// and channels: the encoder with a cls token as models_mae.py, the paper's decoder
// (the micro one for mu), 75% of the patches removed and normalised pixel targets
// (the paper's best setting).
func Preset(name string, image, channels int) (Config, error) {
	enc, err := vit.Preset(name, image, channels)
	if err != nil {
		return Config{}, fmt.Errorf("mae: %w", err)
	}
	d := paperDecoder
	if strings.HasPrefix(name, "mu") {
		d = microDecoder
	}
	cfg := Config{Encoder: enc, DecoderDim: d.dim, DecoderDepth: d.depth, DecoderHeads: d.heads, DecoderMLPDim: d.mlp,
		MaskRatio: DefaultMaskRatio, NormPixLoss: true}
	return cfg, cfg.Validate()
}
