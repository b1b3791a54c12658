package train

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// hugeSource is xorSource with the inputs of step `at` multiplied by 1e25: the loss
// grows like |x| and stays finite, the squared gradient norm grows like x² and
// overflows float32 (as does Adam's second moment, g²).
type hugeSource struct {
	xorSource
	at int
}

func (s hugeSource) Batch(step int) ([]*tensors.Tensor, []*tensors.Tensor, error) {
	in, lab, err := s.xorSource.Batch(step)
	if step == s.at {
		x := tensors.MustCopyFlatData[float32](in[0])
		for i := range x {
			x[i] *= 1e25
		}
		in[0] = tensors.FromFlatDataAndDimensions(x, s.batch, 2)
	}
	return in, lab, err
}

// nonFiniteVariable returns the first float variable of the checkpoint at path that
// holds a NaN or an infinity ("" if none).
func nonFiniteVariable(t *testing.T, path string) string {
	t.Helper()
	s := model.NewStore()
	if _, err := LoadCheckpoint(path, s); err != nil {
		t.Fatal(err)
	}
	for v := range s.IterVariables() {
		value := v.MustValue()
		if dtype, ok := safetensorsDType[value.DType()]; ok {
			bad := -1
			if err := value.ConstBytes(func(b []byte) { bad = firstNonFinite(dtype, b) }); err != nil {
				t.Fatal(err)
			}
			if bad >= 0 {
				return v.Path()
			}
		}
	}
	return ""
}

// A step with a finite loss but an infinite gradient norm stops the run at that step:
// with clipping the step would silently do nothing (every gradient scaled by 0), without
// it Adam's second moments would become Inf and freeze the weights for good; in either
// case the checkpoint of that step would have been saved as good.
func TestNaNGuardChecksGradientNorm(t *testing.T) {
	for _, clip := range []float64{1, 0} {
		t.Run(fmt.Sprintf("clip_norm=%g", clip), func(t *testing.T) {
			dir := t.TempDir()
			cfg := testConfig()
			cfg.ClipNorm, cfg.CkptEvery, cfg.Keep = clip, 5, 0
			_, err := Run(context.Background(), xorTask(hugeSource{xorSource{batch: 32, nanAt: -1}, 9}), cfg,
				Options{Experiment: "xor", Dir: dir, Backend: testBackend})
			if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "gradient norm is +Inf at step 10") ||
				!strings.Contains(err.Error(), "step-00000005") {
				t.Fatalf("error = %v, want the gradient norm +Inf at step 10, naming the last good checkpoint step-00000005", err)
			}
			latest, _ := LatestCheckpoint(filepath.Join(dir, "checkpoints"))
			if filepath.Base(latest) != "step-00000005" {
				t.Fatalf("newest checkpoint %s, want step-00000005", latest)
			}
			if bad := nonFiniteVariable(t, latest); bad != "" {
				t.Errorf("%s: variable %s is not finite", latest, bad)
			}
		})
	}
}

// An update that overflows the weights with a finite loss and gradient (a learning
// rate of 1e39, +Inf in float32) stops the run at that step, before any checkpoint.
func TestNaNGuardChecksUpdatedWeights(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig()
	cfg.LR, cfg.Warmup, cfg.CkptEvery = 1e39, 0, 1
	_, err := run(t, context.Background(), dir, false, cfg, xorSource{batch: 32, nanAt: -1})
	if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "updated weights are NaN or infinite at step 1") {
		t.Fatalf("error = %v, want the updated weights not finite at step 1", err)
	}
	if latest, _ := LatestCheckpoint(filepath.Join(dir, "checkpoints")); latest != "" {
		t.Errorf("checkpoint %s saved from non-finite weights", latest)
	}
}
