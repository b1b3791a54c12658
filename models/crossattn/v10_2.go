package crossattn

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
)

// v10_2 is our reading (the run list names it; the conclusions count it among the
// versions whose extra complexity made training unstable; the second results table
// lists a "gated attention mechanism that controls the flow of information between
// modalities", a failure): v9 with a learned gate per modality that mixes the attended
// features with the modality's own normalised input before the FFN,
//
//	g = σ(gate([a; x̂]))   a' = g⊙a + (1-g)⊙x̂
//
// gate is image_gate or text_gate, a linear map from 2·dim to dim.
func v10_2(scope *model.Scope, cfg Config, img, txt, txtMask *Node) (*Node, *Node) {
	return v9Block(scope, cfg, img, txt, txtMask, v9Parts{mix: gatedMix})
}

// gatedMix is the gate of v10_2. attended, own: [batch, n, dim].
func gatedMix(scope *model.Scope, cfg Config, attended, own *Node, isImage bool) *Node {
	name := "text_gate"
	if isImage {
		name = "image_gate"
	}
	g := Sigmoid(linear(scope.At("%s", name), Concatenate([]*Node{attended, own}, -1), cfg.Dim))
	return Add(Mul(g, attended), Mul(OneMinus(g), own))
}
