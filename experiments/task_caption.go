package experiments

// The captioning task of caption-shapes and caption-flickr8k: models/caption (a ViT
// encoder and a transformer decoder with cross-attention to the image tokens) trained
// with teacher forcing on image-caption pairs, evaluated by writing captions (greedy
// at every evaluation, beam search too on the test split) and scoring them with
// BLEU-1..4 and CIDEr-D against every reference caption of the image; on the shapes
// world also by the share of objects the caption names (object_recall), on seen and
// held-out colour-shape pairs.

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/datasets/pairs"
	"github.com/mmdna/mmdna/datasets/shapeworld"
	"github.com/mmdna/mmdna/datasets/text"
	"github.com/mmdna/mmdna/models/caption"
	"github.com/mmdna/mmdna/nn"
	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/weights"
)

// captionFamily: the captioner's size, regularisation and decoding.
func captionFamily() Family {
	return Family{Name: "caption", Params: []Param{
		{"preset", "small", "captioner size (models/caption presets: tiny, small); the encoder's image size follows the data"},
		{"patch", 0, "encoder patch side in pixels (0: the preset's)"},
		{"stem", "", "encoder: convolutional stem stage widths, comma-separated (e.g. 32,64,128: a hybrid ViT, vit.Config.Stem); empty: none"},
		{"dropout", 0.1, "decoder dropout (embedded words, attention outputs, MLP)"},
		{"label_smoothing", 0.0, "label smoothing of the teacher-forcing loss"},
		{"words_loss", 0.0, "weight of the auxiliary bag-of-words loss on the encoder (caption.WordsLoss; 0: off)"},
		{"beam", 3, "beam size of the test split's beam-search captions"},
		{"length_penalty", 0.0, "GNMT length penalty alpha of beam search (0: none)"},
		{"eval_size", 500, "images of the eval split captioned at each evaluation (0: all)"},
		branchesParam,
	}}
}

// captionData is the data of a captioning run: the pairs, the captions the model
// learns (trainSplit, a view of d.Train) and the tokenizer.
type captionData struct {
	d          *pairs.Data
	trainSplit *pairs.Split
}

// buildCaptionShapes is the captioning task on the embedded shapes world.
func buildCaptionShapes(env *Env) (*train.Task, error) {
	if env.P.String("data_dir") != "" {
		return nil, fmt.Errorf("parameter data_dir: caption-shapes runs on the embedded shapes world; use caption-flickr8k for Flickr8k")
	}
	return buildCaption(env)
}

// buildCaptionFlickr8k is the captioning task on Flickr8k (data_dir).
func buildCaptionFlickr8k(env *Env) (*train.Task, error) {
	if env.P.String("data_dir") == "" {
		return nil, fmt.Errorf("parameter data_dir: set it to the Flickr8k directory (captions.txt, Images/); it cannot be downloaded here")
	}
	return buildCaption(env)
}

// buildCaption wires the captioning task on the data of the pairs family (the shapes
// world, or Flickr8k with data_dir).
func buildCaption(env *Env) (*train.Task, error) {
	p := env.P
	// Parameters that need no data are read first: a typo must not cost the world's
	// generation or the Flickr8k decode.
	stem, err := intList(p.String("stem"))
	if err != nil {
		return nil, fmt.Errorf("parameter stem: %w", err)
	}
	d, err := loadPairs(env)
	if err != nil {
		return nil, err
	}
	cfg, err := caption.Preset(p.String("preset"), d.Tok.VocabSize())
	if err != nil {
		return nil, fmt.Errorf("parameter preset: %w", err)
	}
	cfg.Encoder.Image, cfg.Encoder.Channels = d.Train.H, d.Train.C
	if patch := p.Int("patch"); patch > 0 {
		cfg.Encoder.Patch = patch
	}
	cfg.Encoder.Stem = stem
	cfg.MaxLen = d.Tok.MaxLen()
	cfg.Dropout, cfg.LabelSmoothing = p.Float("dropout"), p.Float("label_smoothing")
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("parameters image_size/patch/max_len/dropout/label_smoothing: %w", err)
	}
	beam := caption.Opts{Strategy: caption.StrategyBeam, BeamSize: p.Int("beam"), LengthPenalty: p.Float("length_penalty")}
	if err := beam.Validate(cfg); err != nil {
		return nil, fmt.Errorf("parameters beam/length_penalty: %w", err)
	}
	cd := &captionData{d: d, trainSplit: d.Train}
	if d.World != nil {
		cd.trainSplit = fullCaptions(d.Train)
	}
	if cut := longCaptions(cd.trainSplit, d.Tok.MaxLen()); cut > 0 {
		env.Log("warning: %d training captions are longer than max_len=%d tokens and are cut (raise max_len)", cut, d.Tok.MaxLen())
	}
	spec := weights.Spec{Kind: weights.KindCaption, Caption: cfg, Preprocess: runPreprocess(d.Train.H, d.Train.Mean, d.Train.Std)}
	if err := weights.WriteSpec(env.Dir, spec); err != nil {
		return nil, fmt.Errorf("-out %s: %w", env.Dir, err)
	}
	src := pairs.NewSource(cd.trainSplit, d.Tok, p.Int("batch_size"), uint64(p.Int("seed")))
	if src.StepsPerEpoch() < 1 {
		return nil, fmt.Errorf("parameter batch_size=%d: more than the %d training images", src.BatchSize(), d.Train.N)
	}
	env.Log("captioner: ViT %dx%d in %d patches of %d, width %d, depth %d; decoder width %d, depth %d; %d words, captions up to %d tokens",
		cfg.Encoder.Image, cfg.Encoder.Image, (cfg.Encoder.Image/cfg.Encoder.Patch)*(cfg.Encoder.Image/cfg.Encoder.Patch),
		cfg.Encoder.Patch, cfg.Encoder.Dim, cfg.Encoder.Depth, cfg.Dim, cfg.Depth, cfg.Vocab, cfg.MaxLen)
	branches, words := p.Int("branches"), p.Float("words_loss")
	evalSize := p.Int("eval_size")
	return &train.Task{
		// The model's output is the loss itself (pairs.Source yields no labels: the
		// targets are the ids shifted by one).
		Model: func(scope *model.Scope, _ any, in []*Node) []*Node {
			return []*Node{captionLoss(scope, cfg, branches, words, in[0], in[1])}
		},
		Loss: func(_, predictions []*Node) *Node { return predictions[0] },
		Data: src,
		Evaluate: func(ev *train.Evaluation) (train.Metrics, error) {
			n := evalSize
			if ev.Split == "test" {
				n = 0
			}
			r, m, err := captionEval(ev, cfg, cd, beam, n)
			ev.Result = r
			return m, err
		},
		Report: func(ev *train.Evaluation) error {
			r, ok := ev.Result.(*captionResult)
			if !ok || r == nil {
				return fmt.Errorf("caption report: the test evaluation left no captions (%T)", ev.Result)
			}
			return captionReport(ev, cfg, cd, r)
		},
	}, nil
}

// fullCaptions is the train split with only the captions that name every object of
// their scene by colour and shape (shapeworld.FullCaptionSlots): a captioner that learns
// from them describes whole scenes, where the other templates name one or two objects.
func fullCaptions(s *pairs.Split) *pairs.Split {
	out := *s
	out.Captions = make([][]string, len(s.Captions))
	for i, cs := range s.Captions {
		for _, slot := range shapeworld.FullCaptionSlots {
			if slot < len(cs) {
				out.Captions[i] = append(out.Captions[i], cs[slot])
			}
		}
	}
	return &out
}

// intList parses "32,64,128"; "" is nil.
func intList(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("%q: want positive integers separated by commas", s)
		}
		out = append(out, v)
	}
	return out, nil
}

// longCaptions counts the captions of s whose encoding ([BOS], words, [EOS]) is longer
// than maxLen tokens.
func longCaptions(s *pairs.Split, maxLen int) int {
	n := 0
	for _, cs := range s.Captions {
		for _, c := range cs {
			if len(text.Words(c))+2 > maxLen {
				n++
			}
		}
	}
	return n
}

// captionLoss is the teacher-forcing loss of a batch plus words x the auxiliary
// bag-of-words loss (caption.WordsLoss), the batch split into k branches that share the
// weights (nn.BranchesOf; the same function): images [batch, H, W, C], ids
// [batch, len]; returns a scalar.
func captionLoss(scope *model.Scope, cfg caption.Config, k int, words float64, images, ids *Node) *Node {
	out := nn.BranchesOf(scope, k, []*Node{images, ids}, func(scope *model.Scope, in []*Node) []*Node {
		b := caption.Build(scope, cfg, in[0], in[1])
		return []*Node{b.Logits, b.Encoded}
	})
	loss := caption.Loss(cfg, out[0], ids)
	if words > 0 {
		loss = Add(loss, MulScalar(caption.WordsLoss(scope, cfg, out[1], ids), words))
	}
	return loss
}

// captionImagePath is where the report writes test image i as a PNG, for trying
// `infer caption` on images the run has never trained on.
func captionImagePath(dir string, i int) string {
	return filepath.Join(dir, "images", fmt.Sprintf("test_%03d.png", i))
}
