package caption

import (
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/mmdna/mmdna/internal/testbackend"
)

// benchBatch and benchVocab are the benchmarks' sizes: 64 images of the "small"
// preset (64x64x3) and a vocabulary the size of the shapes world's (about 60 words).
const benchBatch, benchVocab = 64, 64

// benchCaptions returns benchBatch captions of 12 words (ids 3..62) and [EOS] in
// sequences of MaxLen ids.
func benchCaptions(cfg Config) [][]int32 {
	ids := make([][]int32, benchBatch)
	for i := range ids {
		ids[i] = make([]int32, cfg.MaxLen)
		ids[i][0] = cfg.BOS
		for j := 1; j <= 12; j++ {
			ids[i][j] = int32(3 + (i*7+j*5)%(benchVocab-3))
		}
		ids[i][13] = cfg.EOS
	}
	return ids
}

// BenchmarkDecode times the decoding of 64 images at the "small" preset into
// sequences of MaxLen = 32 tokens: 31 unrolled decoder steps after [BOS], whatever the
// captions' lengths. Reports captions/s.
//
//	go test -run XXX -bench Decode -benchtime 5x ./models/caption
func BenchmarkDecode(b *testing.B) {
	cfg, err := Preset("small", benchVocab)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts Opts
	}{
		{"greedy", Opts{}},
		{"beam4", Opts{Strategy: StrategyBeam, BeamSize: 4, LengthPenalty: 0.6}},
		{"topp", Opts{Strategy: StrategyTopP, TopP: 0.9, Seed: 1}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			store := model.NewStore()
			exec := model.MustNewExec(testbackend.Go(), store, func(scope *model.Scope, images *Node) *Node {
				return Decode(scope, cfg, images, nil, tc.opts).IDs
			})
			defer exec.Finalize()
			images := randomImages(cfg, benchBatch, 1)
			exec.MustExec(images) // compile and initialise
			b.ResetTimer()
			for range b.N {
				exec.MustExec(images)[0].FinalizeAll()
			}
			b.ReportMetric(float64(benchBatch*b.N)/b.Elapsed().Seconds(), "captions/s")
		})
	}
}

// BenchmarkTrainStep times one teacher-forced training step (Adam) of the "small"
// preset on 64 images and captions of 32 tokens. Reports ms/step.
//
//	go test -run XXX -bench TrainStep -benchtime 5x ./models/caption
func BenchmarkTrainStep(b *testing.B) {
	cfg, err := Preset("small", benchVocab)
	if err != nil {
		b.Fatal(err)
	}
	store := model.NewStore()
	trainer := train.NewTrainer(testbackend.Go(), store, ModelFn(cfg), LossFn(cfg), optimizer.Adam().Done(), nil, nil)
	captions := benchCaptions(cfg)
	step := func() {
		batch := train.Batch{
			Inputs: []*tensors.Tensor{randomImages(cfg, benchBatch, 2), tensors.FromValue(captions)},
			Labels: []*tensors.Tensor{tensors.FromValue(captions)},
		}
		if _, err := trainer.TrainStep(batch); err != nil {
			b.Fatal(err)
		}
	}
	step() // compile and initialise
	b.ResetTimer()
	for range b.N {
		step()
	}
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/step")
}
