package nn

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// ConvStages is a small convolutional pyramid: len(channels) stages, each a 2x2
// convolution with stride 2 (PatchEmbed: Patchify + Dense, the same arithmetic and on
// the go backend many times faster) followed by GELU and LayerNorm over the channels.
// It is the image tower of mmdna's CLIP (clip.ConvEncoder pools it) and the convolutional
// stem of a hybrid ViT (vit.Config.Stem). Stages are under "stage_NN" of scope, with
// the initializer scope has.
//
// images: [batch, H, W, C] with H and W divisible by 2^stages. Returns
// [batch, H/2^stages, W/2^stages, channels[last]].
func ConvStages(scope *model.Scope, channels []int, images *Node) *Node {
	if len(channels) == 0 {
		exceptions.Panicf("nn.ConvStages: no stages")
	}
	x := images
	for i, ch := range channels {
		h, w := x.Shape().Dim(1), x.Shape().Dim(2)
		if h%2 != 0 || w%2 != 0 || ch <= 0 {
			exceptions.Panicf("%v", fmt.Errorf("nn.ConvStages: stage %d: input %dx%d (the side must be divisible by %d), %d channels",
				i, h, w, 1<<len(channels), ch))
		}
		st := scope.In("stage_%02d", i)
		y := PatchEmbed(st, x, 2, ch) // [batch, (h/2)*(w/2), ch]
		y = LayerNorm(st.In("ln"), activation.Gelu(y), 0)
		x = Reshape(y, x.Shape().Dim(0), h/2, w/2, ch)
	}
	return x
}
