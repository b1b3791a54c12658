package experiments

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"

	"github.com/mmdna/mmdna/eval"
	"github.com/mmdna/mmdna/models/clip"
	"github.com/mmdna/mmdna/rundir"
	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/viz"
)

// Caption colours of the pictures: right answers green, wrong ones red.
var (
	colourRight = color.RGBA{G: 130, A: 255}
	colourWrong = color.RGBA{R: 200, A: 255}
)

// clipExamples is the chapter's generate_example: for each query image the top-3
// captions of the set (image→text) and for each query caption the top-3 images
// (text→image), with softmax probabilities at the model's logit scale over all
// candidates. It logs them and writes them as one picture, a row per query, to
// ev.Dir/name.
func clipExamples(ev *train.Evaluation, s *clipEvalSet, images, captions []int, name string) (string, error) {
	sp := s.Split
	scale := max(1, 128/max(sp.H, sp.W))
	var cells []viz.Cell
	pic := func(i int) (viz.Cell, error) {
		pix, err := sp.Pixels(i)
		if err != nil {
			return viz.Cell{}, err
		}
		return viz.Cell{Img: viz.FromHWC(pix, sp.H, sp.W, sp.C)}, nil
	}
	for _, i := range images {
		if i >= s.N {
			continue
		}
		cell, err := pic(i)
		if err != nil {
			return "", err
		}
		cell.Caption = fmt.Sprintf("image %d", i)
		cells = append(cells, cell)
		ev.Log("image %d: top 3 captions (image -> text):", i)
		for r, m := range eval.TopMatches(s.Sim.Row(i), 3, s.Scale) {
			own := s.Set.Owner[m.Index] == i || ownsText(s, i, m.Index)
			ev.Log("  - %s (prob: %.4f)%s", s.Set.Texts[m.Index], m.Prob, mark(own))
			cells = append(cells, viz.Cell{Caption: fmt.Sprintf("%d. %s (p=%.3f)", r+1, s.Set.Texts[m.Index], m.Prob),
				CaptionColor: pick(own)})
		}
	}
	for _, j := range captions {
		if j >= len(s.Set.Owner) {
			continue
		}
		owner := s.Set.Owner[j]
		cells = append(cells, viz.Cell{Caption: fmt.Sprintf("caption: %s (of image %d)", s.Set.Texts[j], owner)})
		ev.Log("caption %q (of image %d): top 3 images (text -> image):", s.Set.Texts[j], owner)
		for _, m := range eval.TopMatches(s.Sim.Column(j), 3, s.Scale) {
			ev.Log("  - image %d (prob: %.4f)%s", m.Index, m.Prob, mark(m.Index == owner))
			cell, err := pic(m.Index)
			if err != nil {
				return "", err
			}
			cell.Caption, cell.CaptionColor = fmt.Sprintf("image %d p=%.3f", m.Index, m.Prob), pick(m.Index == owner)
			cells = append(cells, cell)
		}
	}
	path := filepath.Join(ev.Dir, name)
	return path, viz.SavePNG(path, viz.ImageGrid(cells, 4, scale))
}

// ownsText says whether caption column j has the text of one of image i's captions.
func ownsText(s *clipEvalSet, i, j int) bool {
	for k, o := range s.Set.Owner {
		if o == i && s.Set.TextID[k] == s.Set.TextID[j] {
			return true
		}
	}
	return false
}

func mark(ok bool) string {
	if ok {
		return "  <- correct"
	}
	return ""
}

func pick(ok bool) color.Color {
	if ok {
		return colourRight
	}
	return colourWrong
}

// readLossCurve reads the train and eval losses from a run's metrics.jsonl.
func readLossCurve(dir string) (trainS, evalS viz.Series, err error) {
	recs, err := rundir.ReadMetrics(dir)
	if err != nil {
		return trainS, evalS, err
	}
	trainS.Name, evalS.Name = "train loss (mean over the log period)", "eval loss"
	trainS.X, trainS.Y = rundir.Curve(recs, rundir.SplitTrain, rundir.Loss)
	evalS.X, evalS.Y = rundir.Curve(recs, rundir.SplitEval, rundir.Loss)
	return trainS, evalS, nil
}

// lossRef is a loss curve's reference line: the loss of embeddings that tell nothing
// apart (every similarity equal) under the run's objective; Name is empty where there
// is none.
type lossRef struct {
	Name  string
	Value float64
}

// clipLossRef is the reference of the loss parameter at batch size batch: log(B) for
// InfoNCE, log(2B-1) for NT-Xent, twice the margin for the triplet (both directions),
// none for SigLIP, whose value at equal similarities depends on the learned t and b.
func clipLossRef(p *Params, batch int) lossRef {
	lc, err := clipLoss(p)
	if err != nil { // already reported by clipTask; the chart goes without the line.
		return lossRef{}
	}
	switch lc.Kind {
	case clip.LossNTXent:
		return lossRef{fmt.Sprintf("log(2·batch-1) = log %d", 2*batch-1), math.Log(float64(2*batch - 1))}
	case clip.LossTriplet:
		return lossRef{fmt.Sprintf("2·margin = %g", 2*lc.Margin), 2 * lc.Margin}
	case clip.LossSigLIP:
		return lossRef{}
	}
	return lossRef{fmt.Sprintf("log(batch %d)", batch), math.Log(float64(batch))}
}

// lossCurve writes ev.Dir/loss.png: the training loss against steps, with the
// evaluation's loss when withEval (it is CLIP's InfoNCE, the same function only for
// loss=infonce) and the reference ref when it has a name.
func lossCurve(ev *train.Evaluation, ref lossRef, withEval bool, title string) (string, error) {
	trainS, evalS, err := readLossCurve(ev.Dir)
	if err != nil {
		return "", err
	}
	series := []viz.Series{trainS}
	if withEval {
		series = append(series, evalS)
	}
	if len(trainS.X) > 0 && ref.Name != "" {
		last := trainS.X[len(trainS.X)-1]
		series = append(series, viz.Series{Name: fmt.Sprintf("%s = %.2f", ref.Name, ref.Value),
			X: []float64{0, last}, Y: []float64{ref.Value, ref.Value}})
	}
	path := filepath.Join(ev.Dir, "loss.png")
	return path, viz.LineChart(path, title, "step", "training loss", series...)
}

// firstLoss returns the first training loss of a run (for the log line that compares
// it with the reference); NaN when there is none yet.
func firstLoss(dir string) float64 {
	trainS, _, err := readLossCurve(dir)
	if err != nil || len(trainS.Y) == 0 {
		return math.NaN()
	}
	return trainS.Y[0]
}

// clipLossReport writes the loss curve of the run's objective and logs where it started.
func clipLossReport(ev *train.Evaluation, p *Params, batch int, name string) error {
	ref := clipLossRef(p, batch)
	lc, _ := clipLoss(p)
	path, err := lossCurve(ev, ref, lc.Kind == clip.LossInfoNCE, fmt.Sprintf("%s: %s loss", name, lc.Kind))
	if err != nil {
		return err
	}
	if ref.Name == "" {
		ev.Log("wrote %s (first logged train loss %.3f)", path, firstLoss(ev.Dir))
		return nil
	}
	ev.Log("wrote %s (first logged train loss %.3f; %s = %.3f)", path, firstLoss(ev.Dir), ref.Name, ref.Value)
	return nil
}
