package caption

import (
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/mmdna/mmdna/internal/testbackend"
)

// TestTrainingMemorises: the tiny captioner, trained with GoMLX's trainer (dropout and
// label smoothing on), memorises four (random image, caption) pairs, whose captions
// share words and differ in length, and greedy decoding writes them back exactly.
func TestTrainingMemorises(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.Dropout, cfg.LabelSmoothing = 0.1, 0.1
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(5))
	captions := [][]int32{
		{1, 3, 4, 5, 2, 0, 0, 0},
		{1, 3, 7, 2, 0, 0, 0, 0},
		{1, 8, 9, 10, 11, 4, 2, 0},
		{1, 6, 7, 11, 2, 0, 0, 0},
	}
	images := randomImages(cfg, len(captions), 77)
	trainer := train.NewTrainer(testbackend.Go(), store, ModelFn(cfg), LossFn(cfg),
		optimizer.Adam().LearningRate(1e-2).Done(), nil, nil)
	const steps = 100
	var first, last float32
	for step := range steps {
		m, err := trainer.TrainStep(train.Batch{
			Inputs: []*tensors.Tensor{randomImages(cfg, len(captions), 77), tensors.FromValue(captions)},
			Labels: []*tensors.Tensor{tensors.FromValue(captions)},
		})
		if err != nil {
			t.Fatal(err)
		}
		if l := tensors.ToScalar[float32](m[0]); step == 0 {
			first = l
		} else {
			last = l
		}
	}
	got := runDecode(t, store, cfg, images, nil, Opts{})
	for b, want := range captions {
		if !slices.Equal(got.ids[b], want) {
			t.Errorf("image %d: decoded %v, trained on %v (loss %.3f -> %.3f in %d steps)", b, got.ids[b], want, first,
				last, steps)
		}
	}
	t.Logf("loss %.3f -> %.3f in %d steps", first, last, steps)
}
