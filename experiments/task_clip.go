package experiments

// The CLIP family: its parameters, the dual encoder's configuration from them and the
// training task every CLIP experiment shares; evaluation in task_clip_eval.go, pictures
// in task_clip_report.go, each dataset's evaluation in task_clip_<data>.go.

import (
	"errors"
	"fmt"
	"github.com/mmdna/mmdna/datasets/pairs"
	"github.com/mmdna/mmdna/datasets/text"
	"os"
	"path/filepath"
	"strings"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/metric"
	"github.com/mmdna/mmdna/eval"
	"github.com/mmdna/mmdna/models/clip"
	"github.com/mmdna/mmdna/nn"
	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/weights"
)

// clipFamily: the dual encoder's parameters (models/clip) and its evaluation's; zero
// values keep the preset's choice.
func clipFamily() Family {
	return Family{Name: "clip", Params: []Param{
		{"preset", "small", "model size by name: " + strings.Join(clip.PresetNames(), ", ") +
			" (multimodal_embedding is the chapter's model)"},
		{"tower", "", "image tower: vit or conv (empty: the preset's)"},
		{"patch", 0, "ViT patch side (0: 4 up to 32-pixel images, else side/8)"},
		{"img_dim", 0, "image tower width (ViT dim, or the conv tower's last stages; 0: the preset's)"},
		{"img_depth", 0, "ViT blocks (0: the preset's)"},
		{"txt_dim", 0, "text tower width (0: the preset's)"},
		{"txt_depth", 0, "text tower blocks (0: the preset's)"},
		{"embed_dim", 0, "width of the shared embedding space (0: the preset's)"},
		{"text_pool", "", "text pooling: eos (CLIP), mean, first (BERT's [CLS]); empty: the preset's"},
		{"max_logit_scale", clip.DefaultMaxLogitScale, "clamp of the logit scale exp(s), s initialised to log(1/0.07)"},
		{"loss", string(clip.LossInfoNCE), "training objective: infonce (CLIP), ntxent (SimCLR over the 2B embeddings), " +
			"triplet (hinge on cosine distance), siglip (pairwise sigmoid); docs/results/contrastive.md"},
		{"temperature", clip.DefaultNTXentTemperature, "loss=ntxent: the fixed temperature τ"},
		{"margin", clip.DefaultTripletMargin, "loss=triplet: the margin on cosine distance"},
		{"triplet_negatives", string(nn.TripletHardest), "loss=triplet: hardest (VSE++; collapses on clip-shapes from scratch) or mean over the in-batch negatives"},
		{"templates", "a photo of a {class}.", "zero-shot prompt templates separated by |, each with a {class} slot"},
		{"eval_size", 0, "evaluate on the first N images of val and test (0: all)"},
		initParam,
	}}
}

// clipConfig builds the dual encoder's configuration from the parameters.
func clipConfig(p *Params, image, channels, vocab, maxLen int) (clip.Config, error) {
	cfg, err := clip.Preset(p.String("preset"), image, channels, vocab, maxLen)
	if t := p.String("tower"); t != "" {
		cfg.Tower = clip.Tower(t)
		if errors.Is(err, clip.ErrImageSize) {
			err = nil // the preset's own tower rejected the size; the requested one is checked below.
		}
	}
	if err != nil {
		return cfg, fmt.Errorf("parameter preset: %w", err)
	}
	if v := p.Int("patch"); v > 0 {
		cfg.ViT.Patch = v
	}
	if v := p.Int("img_dim"); v > 0 {
		cfg.ViT.Dim, cfg.ViT.Heads, cfg.ViT.MLPDim = v, max(1, v/16), 2*v
		if n := len(cfg.Conv.Channels); n > 0 {
			for i := range cfg.Conv.Channels {
				cfg.Conv.Channels[i] = max(1, v>>max(0, n-2-i)) // ..., v/4, v/2, v, v
			}
		}
	}
	if v := p.Int("img_depth"); v > 0 {
		cfg.ViT.Depth = v
	}
	if v := p.Int("txt_dim"); v > 0 {
		cfg.Text.Dim, cfg.Text.Heads, cfg.Text.MLPDim = v, max(1, v/16), 2*v
	}
	if v := p.Int("txt_depth"); v > 0 {
		cfg.Text.Depth = v
	}
	if v := p.Int("embed_dim"); v > 0 {
		cfg.EmbedDim = v
	}
	if v := p.String("text_pool"); v != "" {
		cfg.TextPool = clip.TextPool(v)
	}
	cfg.MaxLogitScale = p.Float("max_logit_scale")
	lc, err := clipLoss(p)
	if err != nil {
		return cfg, err
	}
	lc.Apply(&cfg)
	if err := cfg.CheckImage(image, image); err != nil {
		return cfg, fmt.Errorf("parameters tower/patch: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("clip model parameters: %w", err)
	}
	return cfg, nil
}

// clipLoss reads the objective's parameters (loss, temperature, margin,
// triplet_negatives) and checks them.
func clipLoss(p *Params) (clip.LossConfig, error) {
	lc := clip.LossConfig{Kind: clip.LossKind(p.String("loss")), Temperature: p.Float("temperature"),
		Margin: p.Float("margin"), Negatives: nn.TripletNegatives(p.String("triplet_negatives"))}
	return lc, lc.Validate()
}

// clipTemplates splits the templates parameter and checks it.
func clipTemplates(p *Params) ([]string, error) {
	var out []string
	for _, t := range strings.Split(p.String("templates"), "|") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	if _, err := eval.Prompts([]string{"x"}, out); err != nil {
		return nil, fmt.Errorf("parameter templates: %w", err)
	}
	return out, nil
}

// describeClip is a one-line summary of a configuration for the build log.
func describeClip(cfg clip.Config) string {
	img := fmt.Sprintf("conv %v", cfg.Conv.Channels)
	if cfg.Tower != clip.TowerConv {
		img = fmt.Sprintf("ViT dim %d depth %d patch %d (%d tokens)", cfg.ViT.Dim, cfg.ViT.Depth, cfg.ViT.Patch, cfg.ViT.Tokens())
	}
	pool := cfg.TextPool
	if pool == "" {
		pool = clip.PoolEOS
	}
	return fmt.Sprintf("image %s; text dim %d depth %d pool %s; shared space %d", img, cfg.Text.Dim, cfg.Text.Depth,
		pool, cfg.EmbedDim)
}

// clipTask is the training side of every CLIP experiment: pairs from src, the
// objective of the loss parameter (CLIP's symmetric contrastive loss by default), the
// logit scale as a training metric. It records the
// model in the run directory as weights.Spec (model.json), for weights.Load.
// trainSplit gives the recorded preprocessing (image size and normalisation).
func clipTask(env *Env, cfg clip.Config, trainSplit *pairs.Split, src train.Source) (*train.Task, error) {
	spec := weights.Spec{Kind: weights.KindCLIP, CLIP: cfg, Preprocess: runPreprocess(trainSplit.H, trainSplit.Mean, trainSplit.Std)}
	if err := weights.WriteSpec(env.Dir, spec); err != nil {
		return nil, fmt.Errorf("-out %s: %w", env.Dir, err)
	}
	lc, err := clipLoss(env.P)
	if err != nil {
		return nil, err
	}
	scaleMetric := metric.NewBaseMetric("Logit scale", "logit_scale", "scale",
		func(_ *model.Scope, _, predictions []*Node) *Node { return predictions[2] }, nil)
	return &train.Task{
		Model: func(scope *model.Scope, _ any, in []*Node) []*Node {
			return lc.Predictions(scope, clip.Build(scope, cfg, in[0], in[1], in[2]))
		},
		Loss:         lc.Fn(),
		Data:         src,
		TrainMetrics: []metric.Interface{scaleMetric},
		ExampleUnit:  "pair",
	}, nil
}

// loadClipPairs loads the image-text data of a CLIP experiment and configures the
// dual encoder for its images and vocabulary; with -set init=DIR, the model's
// architecture and tokenizer replace the preset's and the word-level tokenizer (whose
// file in the run directory gives way to the model's tokenizer files), and init sets
// the model's weights.
func loadClipPairs(env *Env) (*pairs.Data, clip.Config, func(*model.Store) error, error) {
	d, err := loadPairs(env)
	if err != nil {
		return nil, clip.Config{}, nil, err
	}
	cfg, err := clipConfig(env.P, d.Train.H, d.Train.C, d.Tok.VocabSize(), d.Tok.MaxLen())
	if err != nil {
		return nil, cfg, nil, err
	}
	init, err := clipInit(env, d.Train.H, d.Train.C, &cfg, &d.Tok)
	if err != nil {
		return nil, cfg, nil, err
	}
	env.Log("clip: %s", describeClip(cfg))
	return d, cfg, init, nil
}

// clipInit applies -set init=DIR to a CLIP experiment: the model's architecture
// replaces cfg, its tokenizer tok (the word-level tokenizer's file in the run directory
// gives way to the model's tokenizer files, so the run loads with them), and the
// returned Init sets its weights. Without init it changes nothing and returns nil.
func clipInit(env *Env, image, channels int, cfg *clip.Config, tok *text.Encoder) (func(*model.Store) error, error) {
	m, start, init, err := pretrained(env, weights.KindCLIP, image, channels, 0)
	if err != nil || start == nil {
		return nil, err
	}
	*cfg = start.CLIP
	if *tok, err = m.Encoder(); err != nil {
		return nil, fmt.Errorf("parameter init: %w", err)
	}
	if err := os.Remove(filepath.Join(env.Dir, pairs.TokenizerFile)); err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	if err := weights.CopyTokenizer(m.Dir, env.Dir); err != nil {
		return nil, fmt.Errorf("parameter init: %w", err)
	}
	return init, nil
}
