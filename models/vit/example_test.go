package vit_test

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/models/vit"
)

// Using models/vit from your own Go code: a preset sized for 28x28 grey images, built
// inside a GoMLX executor on the pure-Go backend. The named intermediates come out
// beside the logits: 49 patch tokens plus the cls token.
func Example() {
	backend, err := gobackend.New("")
	if err != nil {
		panic(err)
	}
	cfg, err := vit.Preset("Ti/4", 28, 1)
	if err != nil {
		panic(err)
	}
	cfg.Classes = 10
	store := model.NewStore() // holds the variables: initialised on first use, saved by checkpoints.
	exec := model.MustNewExec(backend, store, func(scope *model.Scope, images *Node) []*Node {
		out := vit.Build(scope, cfg, images)
		return []*Node{out.Logits, out.Encoded}
	})
	images := tensors.FromShape(shapes.Make(dtypes.Float32, 2, 28, 28, 1)) // [batch, H, W, C], zeros
	outs := exec.MustExec(images)
	fmt.Println("logits", outs[0].Shape().Dimensions, "encoded", outs[1].Shape().Dimensions)
	// Output: logits [2 10] encoded [2 50 192]
}
