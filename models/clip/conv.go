package clip

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/mmdna/mmdna/nn"
)

// ConvConfig describes ConvEncoder: a stack of stages, each halving the resolution.
type ConvConfig struct {
	// Channels are the widths of the stages; there are len(Channels) stages and the
	// image side must be divisible by 2^len(Channels).
	Channels []int
}

// Validate reports a bad configuration.
func (c ConvConfig) Validate() error {
	if len(c.Channels) == 0 {
		return fmt.Errorf("clip: conv tower: no stages (Channels is empty)")
	}
	for i, ch := range c.Channels {
		if ch <= 0 {
			return fmt.Errorf("clip: conv tower: stage %d has %d channels, want a positive number", i, ch)
		}
	}
	return nil
}

// Width is the width of the encoder's output: the channels of its last stage.
func (c ConvConfig) Width() int { return c.Channels[len(c.Channels)-1] }

// ConvEncoder is the chapter's CNN image encoder (ResNet18 in MultimodalEmbedding) at a
// size that trains on a CPU: nn.ConvStages (len(Channels) stages, each a 2x2
// convolution with stride 2 followed by GELU and LayerNorm over the channels, under
// "stage_NN"), then global average pooling.
//
// images: [batch, H, W, C] with H and W divisible by 2^stages. Returns
// [batch, Channels[last]].
func ConvEncoder(scope *model.Scope, cfg ConvConfig, images *Node) *Node {
	if err := cfg.Validate(); err != nil {
		exceptions.Panicf("%v", err)
	}
	if h, w := images.Shape().Dim(1), images.Shape().Dim(2); h%(1<<len(cfg.Channels)) != 0 || w%(1<<len(cfg.Channels)) != 0 {
		exceptions.Panicf("clip: conv tower: image %dx%d; the image side must be divisible by %d", h, w, 1<<len(cfg.Channels))
	}
	x := nn.ConvStages(scope.WithInitializer(nn.XavierUniformInit(scope)), cfg.Channels, images)
	return ReduceMean(x, 1, 2) // [batch, ch]
}
