package clip

import (
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// BenchmarkTrainStep times one training step at the clip-shapes input size (batch 128 of
// 32x32x3 images, captions of 16 tokens, vocabulary 60): "small" is the ViT preset,
// "small-conv-mean" the clip-shapes default (tower=conv, text_pool=mean).
//
//	go test -run XXX -bench TrainStep ./models/clip
func BenchmarkTrainStep(b *testing.B) {
	const batch, size, seqLen, vocab = 128, 32, 16, 60
	for _, name := range []string{"small", "small-conv-mean", "multimodal_embedding"} {
		b.Run(name, func(b *testing.B) {
			cfg, err := Preset(strings.TrimSuffix(name, "-conv-mean"), size, 3, vocab, seqLen)
			if err != nil {
				b.Fatal(err)
			}
			if strings.HasSuffix(name, "-conv-mean") {
				cfg.Tower, cfg.TextPool = TowerConv, PoolMean
			}
			store := model.NewStore()
			trainer := train.NewTrainer(backend, store, func(scope *model.Scope, in []*Node) []*Node {
				return Build(scope, cfg, in[0], in[1], in[2]).Predictions()
			}, LossFn, optimizer.Adam().Done(), nil, nil)
			x := make([]float32, batch*size*size*3)
			for i := range x {
				x[i] = float32(i%17) / 17
			}
			ids := make([]int32, batch*seqLen)
			mask := make([]int32, batch*seqLen)
			for i := range batch {
				for j := range 10 {
					ids[i*seqLen+j], mask[i*seqLen+j] = int32(5+(i+j)%50), 1
				}
			}
			step := func() {
				in := []*tensors.Tensor{tensors.FromFlatDataAndDimensions(x, batch, size, size, 3),
					tensors.FromFlatDataAndDimensions(ids, batch, seqLen), tensors.FromFlatDataAndDimensions(mask, batch, seqLen)}
				if _, err := trainer.TrainStep(train.Batch{Inputs: in}); err != nil {
					b.Fatal(err)
				}
			}
			step() // compile.
			b.ResetTimer()
			for range b.N {
				step()
			}
			b.ReportMetric(float64(batch)*float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
		})
	}
}
