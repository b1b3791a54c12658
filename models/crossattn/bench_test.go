package crossattn

import (
	"fmt"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
)

// BenchmarkMatchTrainStep times one training step of the matching model at the
// ablation's default size (32x32 images, ViT and text encoder of width 64 and depth
// 2, projection 256, batch 64) for a light, a middle and the heaviest version, in both
// token modes:
//
//	go test -run XXX -bench MatchTrainStep ./models/crossattn/
func BenchmarkMatchTrainStep(b *testing.B) {
	const batch, size, length, vocab = 64, 32, 16, 64
	img, err := vit.Preset("mu/4", size, 3)
	if err != nil {
		b.Fatal(err)
	}
	img.Dim, img.Depth, img.Heads, img.MLPDim, img.Pool = 64, 2, 4, 128, vit.PoolGAP
	images := make([]float32, batch*size*size*3)
	ids, mask := make([]int32, batch*length), make([]int32, batch*length)
	for i := range images {
		images[i] = float32(i%7) / 7
	}
	for i := range ids {
		ids[i], mask[i] = int32(i%vocab), 1
	}
	for _, tokens := range []string{TokensPooled, TokensAll} {
		for _, version := range []string{"v0", "v9", "v11"} {
			cfg := MatchConfig{Version: version, Attn: DefaultConfig(), Image: img, Tokens: tokens,
				Text: nn.TextEncoderConfig{VocabSize: vocab, MaxLen: length, Dim: 64, Depth: 2, Heads: 4}}
			b.Run(fmt.Sprintf("%s/%s", tokens, version), func(b *testing.B) {
				store := model.NewStore()
				trainer := train.NewTrainer(testBackend(), store, func(scope *model.Scope, in []*Node) []*Node {
					return []*Node{Match(scope, cfg, in[0], in[1], in[2]).Loss()}
				}, func(_, pred []*Node) *Node { return pred[0] }, optimizer.Adam().Done(), nil, nil)
				step := func() {
					in := []*tensors.Tensor{tensors.FromFlatDataAndDimensions(images, batch, size, size, 3),
						tensors.FromFlatDataAndDimensions(ids, batch, length), tensors.FromFlatDataAndDimensions(mask, batch, length)}
					if _, err := trainer.TrainStep(train.Batch{Inputs: in}); err != nil {
						b.Fatal(err)
					}
				}
				step() // compile.
				b.ResetTimer()
				for b.Loop() {
					step()
				}
			})
		}
	}
}
