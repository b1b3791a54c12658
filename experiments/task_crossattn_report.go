package experiments

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/viz"
)

// Files the ablation writes in its run directory.
const (
	ablationCSV         = "crossattn_results.csv"
	ablationTable       = "crossattn_table.md"
	ablationCurves      = "crossattn_curves.png"       // validation loss of every version.
	ablationTrainCurves = "crossattn_train_curves.png" // training loss of every version.
)

// writeAblationOutputs writes the CSV, the markdown table and the two curve charts,
// and returns their paths.
func writeAblationOutputs(dir string, rs []versionResult) ([]string, error) {
	ratioRank := rankDescending(rs, func(r versionResult) float64 {
		if r.Verdict == nil {
			return math.NaN()
		}
		return float64(r.Verdict.Ratio)
	})
	testRank := rankDescending(rs, func(r versionResult) float64 {
		if r.Summary == nil {
			return math.NaN()
		}
		return float64(r.Summary.TrainedWell)
	})
	var paths []string
	write := func(name string, data []byte) error {
		p := filepath.Join(dir, name)
		paths = append(paths, p)
		return train.WriteFileAtomic(p, data)
	}
	if err := write(ablationCSV, ablationCSVBytes(rs, ratioRank, testRank)); err != nil {
		return nil, err
	}
	if err := write(ablationTable, []byte(ablationMarkdown(rs, ratioRank, testRank))); err != nil {
		return nil, err
	}
	for _, c := range []struct {
		name, title string
		curve       func(versionResult) []curvePoint
	}{
		{ablationCurves, "validation loss", func(r versionResult) []curvePoint { return r.ValCurve }},
		{ablationTrainCurves, "training loss", func(r versionResult) []curvePoint { return r.TrainCurve }},
	} {
		p := filepath.Join(dir, c.name)
		if err := curvePanels(p, c.title, rs, c.curve); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// versionsPerPanel keeps each panel's lines in distinct colours (viz cycles through
// seven; the seventh line of a panel is the chance level).
const versionsPerPanel = 6

// curvePanels writes one PNG with the curves of the versions in panels of
// versionsPerPanel, side by side, each with the chance level ln(batch) of the loss
// when the runs recorded their batch size (a flat line: a version on it learned
// nothing).
func curvePanels(path, what string, rs []versionResult, curve func(versionResult) []curvePoint) error {
	var cells []viz.Cell
	for start := 0; start < len(rs); start += versionsPerPanel {
		group := rs[start:min(start+versionsPerPanel, len(rs))]
		var series []viz.Series
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, r := range group {
			s := viz.Series{Name: r.Version}
			for _, p := range curve(r) {
				s.X, s.Y = append(s.X, float64(p.Step)), append(s.Y, p.Loss)
				lo, hi = math.Min(lo, float64(p.Step)), math.Max(hi, float64(p.Step))
			}
			series = append(series, s)
		}
		if b := group[0].Batch; b > 1 && lo < hi {
			for len(series) < versionsPerPanel { // empty series are not drawn: chance keeps the 7th colour.
				series = append(series, viz.Series{})
			}
			series = append(series, viz.Series{Name: "chance", X: []float64{lo, hi}, Y: []float64{chanceLoss(b), chanceLoss(b)}})
		}
		tmp := fmt.Sprintf("%s.panel%d.png", path, start/versionsPerPanel)
		title := fmt.Sprintf("%s, %s to %s", what, group[0].Version, group[len(group)-1].Version)
		err := viz.LineChart(tmp, title, "step", "contrastive loss", series...)
		if err == nil {
			var img image.Image
			img, err = readPNG(tmp)
			cells = append(cells, viz.Cell{Img: img})
		}
		_ = os.Remove(tmp)
		if err != nil {
			return err
		}
	}
	return viz.SavePNG(path, viz.ImageGrid(cells, len(cells), 1))
}

func readPNG(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return img, nil
}

// rankDescending ranks the values of key from the largest (1), ties sharing the
// smallest rank (pandas' rank(ascending=False, method="min"), the chapter's
// similarity_ratio_rank); NaN values get rank 0 (none).
func rankDescending(rs []versionResult, key func(versionResult) float64) []int {
	ranks := make([]int, len(rs))
	for i, a := range rs {
		va := key(a)
		if math.IsNaN(va) {
			continue
		}
		ranks[i] = 1
		for _, b := range rs {
			if vb := key(b); !math.IsNaN(vb) && vb > va {
				ranks[i]++
			}
		}
	}
	return ranks
}

var ablationColumns = []string{"version", "status", "error", "steps", "wall_s", "train_loss", "val_loss", "val_acc",
	"test_loss", "test_acc", "best_caption", "all_similarities", "similarity_ratio", "similarity_gap", "trained_well",
	"similarity_ratio_rank", "test_images", "test_trained_well", "test_ratio_median", "test_gap_mean", "novel_images",
	"novel_trained_well", "test_rank"}

// ablationCSVBytes is one row per version with ablationColumns.
func ablationCSVBytes(rs []versionResult, ratioRank, testRank []int) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(ablationColumns)
	for i, r := range rs {
		row := []string{r.Version, r.Status, r.Error, strconv.Itoa(r.Steps), fmtNum(r.WallS, 1), fmtNum(r.TrainLoss, 4),
			fmtNum(r.ValLoss, 4), fmtNum(r.ValAcc, 4), fmtNum(r.TestLoss, 4), fmtNum(r.TestAcc, 4)}
		row = append(row, verdictCells(r, ratioRank[i], ";")...)
		row = append(row, summaryCells(r, testRank[i])...)
		_ = w.Write(row)
	}
	w.Flush()
	return b.Bytes()
}

// verdictCells are best_caption, all_similarities, similarity_ratio, similarity_gap,
// trained_well and similarity_ratio_rank ("" without a verdict).
func verdictCells(r versionResult, rank int, sep string) []string {
	if r.Verdict == nil || r.Probe == nil {
		return []string{"", "", "", "", "", ""}
	}
	v := r.Verdict
	sims := make([]string, len(v.Similarities))
	for i, s := range v.Similarities {
		sims[i] = fmtNum(s, 3)
	}
	return []string{r.Probe.Captions[v.Best], strings.Join(sims, sep), fmtNum(v.Ratio, 3), fmtNum(v.Gap, 3),
		strconv.FormatBool(v.TrainedWell), fmtRank(rank)}
}

// summaryCells are the test-set verdict columns.
func summaryCells(r versionResult, rank int) []string {
	if r.Summary == nil {
		return []string{"", "", "", "", "", "", ""}
	}
	s := r.Summary
	return []string{strconv.Itoa(s.N), fmtNum(s.TrainedWell, 3), fmtNum(s.RatioMedian, 3), fmtNum(s.GapMean, 3),
		strconv.Itoa(s.NovelN), fmtNum(s.NovelTrainedWell, 3), fmtRank(rank)}
}

func fmtRank(rank int) string {
	if rank == 0 {
		return ""
	}
	return strconv.Itoa(rank)
}

// fmtNum formats a number with the given decimals; NaN and infinities as "nan", "inf".
func fmtNum(x nullNum, decimals int) string {
	f := float64(x)
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 0):
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', decimals, 64)
}

// ablationMarkdown renders the chapter's table and ours.
func ablationMarkdown(rs []versionResult, ratioRank, testRank []int) string {
	var b strings.Builder
	for _, r := range rs {
		if r.Probe != nil {
			fmt.Fprintf(&b, "Probe (the chapter's evaluation): test image %d, candidate captions ", r.Probe.Image)
			for i, c := range r.Probe.Captions {
				fmt.Fprintf(&b, "%d. %q ", i+1, c)
			}
			fmt.Fprintf(&b, "(right: %d).\n\n", r.Probe.Correct+1)
			break
		}
	}
	b.WriteString("| model_version | best_caption | all_similarities | similarity_ratio | similarity_gap | trained_well | similarity_ratio_rank |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for i, r := range rs {
		c := verdictCells(r, ratioRank[i], ", ")
		if c[1] != "" {
			c[1] = "[" + c[1] + "]"
		}
		fmt.Fprintf(&b, "| %s | %s |\n", r.Version, strings.Join(c, " | "))
	}
	b.WriteString("\n| version | status | steps | wall (s) | train loss | val loss | in-batch acc | test images | right caption wins | median ratio | mean gap | novel-pair images | their wins | rank |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for i, r := range rs {
		status := r.Status
		if r.Error != "" {
			status += ": " + strings.ReplaceAll(r.Error, "|", "/")
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %s | %s | %s | %s |\n", r.Version, status, r.Steps, fmtNum(r.WallS, 0),
			fmtNum(r.TrainLoss, 3), fmtNum(r.ValLoss, 3), fmtNum(r.ValAcc, 3), strings.Join(summaryCells(r, testRank[i]), " | "))
	}
	return b.String()
}
