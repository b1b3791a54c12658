package experiments

// CLIP on the shapes world (clip-shapes): retrieval, and zero-shot classification of
// images whose main object is a colour-shape pair held out of training.

import (
	"fmt"
	"github.com/mmdna/mmdna/datasets/pairs"
	"path/filepath"
	"slices"

	"github.com/mmdna/mmdna/datasets/shapeworld"
	"github.com/mmdna/mmdna/eval"
	"github.com/mmdna/mmdna/models/clip"
	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/viz"
)

// buildClipShapes trains CLIP on the shapes world's captions and evaluates retrieval
// and the zero-shot protocol on held-out colour-shape pairs (see clip_shapes.go).
func buildClipShapes(env *Env) (*train.Task, error) {
	p := env.P
	if p.String("data_dir") != "" {
		return nil, fmt.Errorf("parameter data_dir: clip-shapes runs on the embedded shapes world; use clip-flickr8k for Flickr8k")
	}
	templates, err := clipTemplates(p)
	if err != nil {
		return nil, err
	}
	if _, err := clipLoss(p); err != nil {
		return nil, err // before the world's 20000 scenes are generated.
	}
	d, cfg, init, err := loadClipPairs(env)
	if err != nil {
		return nil, err
	}
	src := pairs.NewSource(d.Train, d.Tok, p.Int("batch_size"), uint64(p.Int("seed")))
	task, err := clipTask(env, cfg, d.Train, src)
	if err != nil {
		return nil, err
	}
	task.Init = init
	batch := p.Int("batch_size")
	task.Evaluate = func(ev *train.Evaluation) (train.Metrics, error) {
		s, z, m, err := clipShapesEval(ev, cfg, d, templates, p.Int("eval_size"), batch)
		ev.Result = &clipShapesResult{s, z}
		return m, err
	}
	task.Report = func(ev *train.Evaluation) error {
		r, ok := ev.Result.(*clipShapesResult)
		if !ok || r.s == nil {
			return fmt.Errorf("clip-shapes report: the test evaluation left no embeddings (%T)", ev.Result)
		}
		return clipShapesReport(ev, p, r.s, r.z, batch)
	}
	return task, nil
}

// clipShapesResult is what a clip-shapes evaluation computed, for the report.
type clipShapesResult struct {
	s *clipEvalSet
	z *shapesZeroShot
}

// shapesZeroShot is the zero-shot evaluation of a split: class scores and the labels
// and candidate sets of its images.
type shapesZeroShot struct {
	Scores  eval.Matrix // [N, 56]: cosine similarity to each class weight.
	Labels  []int32     // main object class.
	others  []map[int]bool
	heldOut []bool // main object is a held-out pair.
}

// allowed excludes, for image i, the classes of its other objects.
func (z *shapesZeroShot) allowed(i, c int) bool { return c == int(z.Labels[i]) || !z.others[i][c] }

// clipShapesEval embeds a split and computes retrieval and zero-shot metrics.
func clipShapesEval(ev *train.Evaluation, cfg clip.Config, d *pairs.Data, templates []string, n, batch int) (
	*clipEvalSet, *shapesZeroShot, train.Metrics, error) {
	enc, err := newClipEncoder(ev, cfg, d.Tok)
	if err != nil {
		return nil, nil, nil, err
	}
	s, err := embedSplit(enc, d.Split(ev.Split), n)
	if err != nil {
		return nil, nil, nil, err
	}
	m, err := s.retrievalMetrics(batch)
	if err != nil {
		return nil, nil, nil, err
	}
	w, err := eval.ZeroShotClassifier(shapeworld.ClassNames(), templates, enc.texts)
	if err != nil {
		return nil, nil, nil, err
	}
	z := &shapesZeroShot{Labels: make([]int32, s.N), others: make([]map[int]bool, s.N), heldOut: make([]bool, s.N)}
	if z.Scores, err = eval.Similarity(s.Img, w); err != nil {
		return nil, nil, nil, err
	}
	for i, sc := range s.Split.Scenes[:s.N] {
		z.Labels[i] = int32(sc.Objects[0].Class())
		z.heldOut[i] = d.World.IsHeldOut(int(z.Labels[i]))
		z.others[i] = map[int]bool{}
		for _, o := range sc.Objects[1:] {
			z.others[i][o.Class()] = true
		}
	}
	groups := []struct {
		name   string
		keep   func(i int) bool
		strict bool
	}{
		{"heldout", func(i int) bool { return z.heldOut[i] }, false},
		{"heldout_strict", func(i int) bool { return z.heldOut[i] }, true},
		{"heldout_single", func(i int) bool { return z.heldOut[i] && len(z.others[i]) == 0 }, false},
		{"seen", func(i int) bool { return !z.heldOut[i] }, false},
		{"seen_single", func(i int) bool { return !z.heldOut[i] && len(z.others[i]) == 0 }, false},
	}
	for _, g := range groups {
		acc1, acc5, chance, count, err := z.accuracy(g.keep, g.strict)
		if err != nil {
			return nil, nil, nil, err
		}
		m["zero_shot_"+g.name+"_accuracy"], m["zero_shot_"+g.name+"_top5"] = acc1, acc5
		m["zero_shot_"+g.name+"_n"] = float64(count)
		if g.name == "heldout" {
			m["zero_shot_chance"] = chance
		}
	}
	ev.Detail("zero_shot_heldout_per_class", z.perClass(d.World))
	ev.Detail("zero_shot_protocol", "main object a held-out pair; candidates: the 56 colour-shape classes minus the "+
		"classes of the image's other objects; chance = mean 1/|candidates|")
	return s, z, m, nil
}

// accuracy returns top-1 and top-5 accuracy and the top-1 chance over the kept rows.
func (z *shapesZeroShot) accuracy(keep func(i int) bool, strict bool) (acc1, acc5, chance float64, n int, err error) {
	var rows []int
	for i := range z.Labels {
		if keep(i) {
			rows = append(rows, i)
		}
	}
	if len(rows) == 0 {
		return 0, 0, 0, 0, nil // a tiny eval_size may hold no such image.
	}
	sub := eval.Matrix{Rows: len(rows), Cols: z.Scores.Cols}
	labels := make([]int32, len(rows))
	for r, i := range rows {
		sub.Data = append(sub.Data, z.Scores.Row(i)...)
		labels[r] = z.Labels[i]
	}
	var allowed func(r, c int) bool
	if !strict {
		allowed = func(r, c int) bool { return z.allowed(rows[r], c) }
	}
	if acc1, chance, err = eval.TopKAccuracy(sub, labels, 1, allowed); err != nil {
		return 0, 0, 0, 0, err
	}
	acc5, _, err = eval.TopKAccuracy(sub, labels, 5, allowed)
	return acc1, acc5, chance, len(rows), err
}

// perClass gives, for each held-out class, its images, top-1 accuracy and the classes
// its images were taken for most often.
func (z *shapesZeroShot) perClass(w *shapeworld.World) map[string]any {
	names := shapeworld.ClassNames()
	pred := eval.Predict(z.Scores, z.allowed)
	out := map[string]any{}
	for _, c := range w.HeldOutClasses {
		counts := map[string]int{}
		n, right := 0, 0
		for i, l := range z.Labels {
			if int(l) == c {
				n++
				counts[names[pred[i]]]++
				if pred[i] == c {
					right++
				}
			}
		}
		if n > 0 {
			out[names[c]] = map[string]any{"n": n, "accuracy": float64(right) / float64(n), "predicted": counts}
		}
	}
	return out
}

// clipShapesReport writes examples.png (generate_example on two test images, two
// held-out ones and two captions), zeroshot.png (held-out test images with their
// zero-shot class) and loss.png.
func clipShapesReport(ev *train.Evaluation, p *Params, s *clipEvalSet, z *shapesZeroShot, batch int) error {
	var heldOut []int
	for i := range s.N {
		if z.heldOut[i] && len(heldOut) < 16 {
			heldOut = append(heldOut, i)
		}
	}
	images := []int{0, 1}
	captions := []int{lastCaption(s, min(2, s.N-1))}
	if len(heldOut) > 0 {
		images = append(images, heldOut[:min(2, len(heldOut))]...)
		captions = append(captions, lastCaption(s, heldOut[0]))
	}
	path, err := clipExamples(ev, s, dedupe(images), dedupe(captions), "examples.png")
	if err != nil {
		return err
	}
	ev.Log("wrote %s", path)
	if len(heldOut) > 0 {
		names := shapeworld.ClassNames()
		pred := eval.Predict(z.Scores, z.allowed)
		cells := make([]viz.Cell, 0, len(heldOut))
		for _, i := range heldOut {
			pix, err := s.Split.Pixels(i)
			if err != nil {
				return err
			}
			cells = append(cells, viz.Cell{Img: viz.FromHWC(pix, s.Split.H, s.Split.W, s.Split.C),
				Caption:      fmt.Sprintf("%s (true: %s)", names[pred[i]], names[z.Labels[i]]),
				CaptionColor: pick(pred[i] == int(z.Labels[i]))})
		}
		path = filepath.Join(ev.Dir, "zeroshot.png")
		if err := viz.SavePNG(path, viz.ImageGrid(cells, 8, 4)); err != nil {
			return err
		}
		ev.Log("wrote %s", path)
	}
	return clipLossReport(ev, p, batch, "clip-shapes")
}

// lastCaption is the column of image i's last caption (the bare noun phrase in the
// shapes world).
func lastCaption(s *clipEvalSet, i int) int {
	return slices.Index(s.Set.Owner, i) + len(s.Split.Captions[i]) - 1
}
