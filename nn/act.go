package nn

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Activation names the non-linearity of a transformer MLP. The names are those of
// Hugging Face's config.json "hidden_act", so a pretrained model's files say which one.
type Activation string

// The activations pretrained vision and language transformers use.
const (
	// ActGELU is the exact GELU, x·Φ(x) with the erf (ViT, timm, HF "gelu"). The zero
	// value of Activation means it too.
	ActGELU Activation = "gelu"
	// ActQuickGELU is OpenAI CLIP's x·sigmoid(1.702·x) (HF "quick_gelu").
	ActQuickGELU Activation = "quick_gelu"
	// ActGELUTanh is the tanh approximation of GELU (HF "gelu_new", "gelu_pytorch_tanh").
	ActGELUTanh Activation = "gelu_tanh"
)

// ParseActivation maps a Hugging Face "hidden_act" name to an Activation.
func ParseActivation(name string) (Activation, error) {
	switch name {
	case "", "gelu":
		return ActGELU, nil
	case "quick_gelu":
		return ActQuickGELU, nil
	case "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu_tanh":
		return ActGELUTanh, nil
	}
	return "", fmt.Errorf("activation %q: want gelu, quick_gelu, gelu_new or gelu_pytorch_tanh", name)
}

// Activate applies act to x ("" is ActGELU).
// x: any shape; returns the same shape.
func Activate(x *Node, act Activation) *Node {
	switch act {
	case "", ActGELU:
		return activation.Gelu(x)
	case ActQuickGELU:
		return Mul(x, Sigmoid(MulScalar(x, 1.702)))
	case ActGELUTanh:
		return activation.GeluApproximate(x)
	}
	exceptions.Panicf("nn: unknown activation %q", act)
	return nil
}
