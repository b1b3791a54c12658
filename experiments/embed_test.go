package experiments

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/eval"
	"github.com/mmdna/mmdna/internal/testbackend"
	"github.com/mmdna/mmdna/models/embedding"
	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/weights"
)

// TestEmbedShapesSmoke runs embed-shapes end to end for each model at the smoke size:
// the retrieval metrics both ways, the pictures, a falling training loss, and for
// multimodal a run that loads as a CLIP model.
func TestEmbedShapesSmoke(t *testing.T) {
	for _, kind := range embedding.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			dir, res := runExp(t, "embed-shapes", "smoke=true;model="+string(kind))
			wantRun(t, dir, res.Metrics, []string{"r_at_1_i2t", "r_at_5_i2t", "r_at_10_i2t", "r_at_1_t2i", "r_at_5_t2i",
				"r_at_10_t2i", "median_rank_i2t", "median_rank_t2i", "loss", "logit_scale"}, "loss.png", "examples.png", "tokenizer.json")
			wantLossFalls(t, dir, 2, 0.10)
			if kind == embedding.KindMultimodal {
				wantLoadable(t, dir, weights.KindCLIP)
			}
		})
	}
}

func TestEmbedShapesBadParams(t *testing.T) {
	for sets, want := range map[string]string{
		"model=fusion":     "kind",
		"heads=3":          "divide",
		"conv=16,x":        "parameter conv",
		"conv=8,8,8,8,8,8": "not divisible",
		"preset=huge":      "unknown preset",
		"data_dir=/tmp":    "shapes world",
	} {
		err := prepareErr(t, "embed-shapes", "smoke=true;shapes_train=64;shapes_val=32;shapes_test=32;"+sets)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("-set %s: error %v, want one line containing %q", sets, err, want)
		}
	}
}

// TestPairGridChunks scores 7 images against 11 captions in chunks of 3 x 4 (neither
// divides, so the last chunks are padded) and in one chunk: the same matrix.
func TestPairGridChunks(t *testing.T) {
	cfg, err := embedding.Preset(embedding.KindCrossModal, "tiny", 16, 3, 12, 5)
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Towers.EmbedDim
	rng := rand.New(rand.NewPCG(3, 4))
	random := func(rows, cols int) eval.Matrix {
		m := eval.Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
		for i := range m.Data {
			m.Data[i] = float32(rng.NormFloat64())
		}
		return m
	}
	tokens, imgEmbed, feats, txtEmbed := random(7, 5*d), random(7, d), random(11, d), random(11, d)
	ev := &train.Evaluation{Backend: testbackend.Go(), Store: model.NewStore()}
	whole, err := pairGrid(ev, cfg, tokens, imgEmbed, feats, txtEmbed, 7, 11)
	if err != nil {
		t.Fatal(err)
	}
	chunked, err := pairGrid(ev, cfg, tokens, imgEmbed, feats, txtEmbed, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	if whole.Rows != 7 || whole.Cols != 11 || chunked.Rows != 7 || chunked.Cols != 11 {
		t.Fatalf("grids %dx%d and %dx%d, want 7x11", whole.Rows, whole.Cols, chunked.Rows, chunked.Cols)
	}
	for k := range whole.Data {
		if math.Abs(float64(whole.Data[k]-chunked.Data[k])) > 1e-5 || whole.Data[k] == 0 {
			t.Fatalf("pair %d: chunked %v, whole %v", k, chunked.Data[k], whole.Data[k])
		}
	}
}
