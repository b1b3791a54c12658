package experiments

// CLIP on Fashion-MNIST (clip-fmnist): captions made from the labels, evaluated by
// zero-shot classification with the class prompts.

import (
	"path/filepath"
	"strings"

	"github.com/mmdna/mmdna/datasets/fmnist"
	"github.com/mmdna/mmdna/datasets/pairs"
	"github.com/mmdna/mmdna/datasets/text"
	"github.com/mmdna/mmdna/eval"
	"github.com/mmdna/mmdna/models/clip"
	"github.com/mmdna/mmdna/train"
)

// fmnistClassNames are the class names as words: "t-shirt/top", "ankle boot", ...
func fmnistClassNames() []string {
	names := make([]string, fmnist.NumClasses)
	for i, c := range fmnist.Classes {
		names[i] = strings.ToLower(c)
	}
	return names
}

// buildClipFMNIST pairs each Fashion-MNIST image with the captions of its class and
// evaluates zero-shot classification with the class prompts.
func buildClipFMNIST(env *Env) (*train.Task, error) {
	p := env.P
	templates, err := clipTemplates(p)
	if err != nil {
		return nil, err
	}
	d, err := loadFMNIST(env)
	if err != nil {
		return nil, err
	}
	classes := fmnistClassNames()
	captions := make([][]string, len(classes))
	var all []string
	for c, name := range classes {
		if captions[c], err = eval.Prompts([]string{name}, eval.PhotoTemplates); err != nil {
			return nil, err
		}
		all = append(all, captions[c]...)
	}
	// The prompts are tokenised too, so a template word outside the captions still has an id.
	prompts, err := eval.Prompts(classes, templates)
	if err != nil {
		return nil, err
	}
	words, err := text.Fit(append(all, prompts...), text.Config{MaxLen: p.Int("max_len")})
	if err != nil {
		return nil, err
	}
	var tok text.Encoder = words
	if err := words.Save(filepath.Join(env.Dir, pairs.TokenizerFile)); err != nil {
		return nil, err
	}
	splits := map[string]*pairs.Split{"train": pairs.FromLabels(d.train, captions, d.mean, d.std),
		"eval": pairs.FromLabels(d.evalSet("eval"), captions, d.mean, d.std), "test": pairs.FromLabels(d.test, captions, d.mean, d.std)}
	cfg, err := clipConfig(p, d.train.H, d.train.C, tok.VocabSize(), tok.MaxLen())
	if err != nil {
		return nil, err
	}
	init, err := clipInit(env, d.train.H, d.train.C, &cfg, &tok)
	if err != nil {
		return nil, err
	}
	env.Log("fashion-mnist: %d train, %d eval, %d test images; vocabulary %d; clip: %s", d.train.N,
		splits["eval"].N, d.test.N, tok.VocabSize(), describeClip(cfg))
	batch := p.Int("batch_size")
	task, err := clipTask(env, cfg, splits["train"], pairs.NewSource(splits["train"], tok, batch, uint64(p.Int("seed"))))
	if err != nil {
		return nil, err
	}
	task.Init = init
	task.Evaluate = func(ev *train.Evaluation) (train.Metrics, error) {
		set := d.evalSet(ev.Split)
		n := set.N
		if e := p.Int("eval_size"); e > 0 {
			n = min(n, e)
		}
		logits, m, err := fmnistZeroShot(ev, cfg, tok, splits[ev.Split], set.Labels[:n], classes, captions, templates, batch)
		ev.Result = logits
		return m, err
	}
	task.Report = func(ev *train.Evaluation) error {
		if err := predictionReport(ev, d.test, 16); err != nil {
			return err
		}
		return clipLossReport(ev, p, batch, "clip-fmnist")
	}
	return task, nil
}

// fmnistZeroShot embeds the first len(labels) images of sp and classifies them against
// the class prompts. It returns the zero-shot logits [n, classes] (scale·cosine) and the
// metrics: zero_shot_accuracy, zero_shot_top5, zero_shot_chance, and as "loss" the
// contrastive loss of images against their training captions (classCaptions[c]: the
// captions of class c, the same number for every class).
func fmnistZeroShot(ev *train.Evaluation, cfg clip.Config, tok text.Encoder, sp *pairs.Split, labels []int32,
	classes []string, classCaptions [][]string, templates []string, batch int) (eval.Matrix, train.Metrics, error) {
	enc, err := newClipEncoder(ev, cfg, tok)
	if err != nil {
		return eval.Matrix{}, nil, err
	}
	n := len(labels)
	img, err := enc.images(sp, n)
	if err != nil {
		return eval.Matrix{}, nil, err
	}
	w, err := eval.ZeroShotClassifier(classes, templates, enc.texts)
	if err != nil {
		return eval.Matrix{}, nil, err
	}
	logits, err := eval.Similarity(img, w)
	if err != nil {
		return eval.Matrix{}, nil, err
	}
	for i := range logits.Data {
		logits.Data[i] *= float32(enc.scale) // scale·cosine, the logits CLIP classifies with.
	}
	c, err := eval.Classify(logits, labels)
	if err != nil {
		return eval.Matrix{}, nil, err
	}
	for k, v := range c.Details(classes) {
		ev.Detail(k, v)
	}
	var flat []string
	for _, cs := range classCaptions {
		flat = append(flat, cs...)
	}
	capEmb, err := enc.texts(flat)
	if err != nil {
		return eval.Matrix{}, nil, err
	}
	sim, err := eval.Similarity(img, capEmb)
	if err != nil {
		return eval.Matrix{}, nil, err
	}
	per := len(classCaptions[0])
	// Image i goes with caption i mod per of its class, as pairs.Source picks one at random.
	loss := eval.BlockContrastiveLoss(sim, n, func(i int) int { return int(labels[i])*per + i%per }, enc.scale, batch)
	return logits, train.Metrics{"zero_shot_accuracy": c.Accuracy, "zero_shot_top5": c.Top5,
		"zero_shot_chance": 1 / float64(len(classes)), "logit_scale": enc.scale, "loss": loss}, nil
}
