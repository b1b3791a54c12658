package eval

import (
	"cmp"
	"fmt"
	"math"
)

// Classification summarises a classifier's logits [n, classes] against labels: what
// every classification experiment reports (the ViT, the Perceiver, CLIP's zero-shot
// scores read as logits, VQA's answers, the spirals' MLP).
type Classification struct {
	N, Classes int
	// Accuracy and Top5 count a label among the 1 (5) highest logits, ties broken at
	// random in expectation (TopKAccuracy), so a model with equal logits scores chance.
	Accuracy, Top5 float64
	// Loss is the mean cross-entropy of the softmax of the logits.
	Loss float64
	// Confusion counts [true class][predicted class], the prediction being the first
	// highest logit (Argmax).
	Confusion [][]int
}

// Classify computes the classification metrics of logits [n, classes] against labels
// [n] in [0, classes).
func Classify(logits Matrix, labels []int32) (*Classification, error) {
	acc, _, err := TopKAccuracy(logits, labels, 1, nil)
	if err != nil {
		return nil, err
	}
	top5, _, err := TopKAccuracy(logits, labels, 5, nil)
	if err != nil {
		return nil, err
	}
	k := logits.Cols
	c := &Classification{N: len(labels), Classes: k, Accuracy: acc, Top5: top5, Confusion: make([][]int, k)}
	for i := range c.Confusion {
		c.Confusion[i] = make([]int, k)
	}
	var nll float64
	for i, l := range labels {
		row := logits.Row(i)
		best := Argmax(row)
		c.Confusion[l][best]++
		mx := float64(row[best])
		var z float64
		for _, v := range row {
			z += math.Exp(float64(v) - mx)
		}
		nll += math.Log(z) + mx - float64(row[l])
	}
	c.Loss = nll / float64(len(labels))
	return c, nil
}

// Metrics names the figures as experiments report them: "accuracy", "loss" and, with
// more than 5 classes, "top5_accuracy".
func (c *Classification) Metrics() map[string]float64 {
	m := map[string]float64{"accuracy": c.Accuracy, "loss": c.Loss}
	if c.Classes > 5 {
		m["top5_accuracy"] = c.Top5
	}
	return m
}

// PerClass is the accuracy of each class that has examples, by name (names[c] names
// class c).
func (c *Classification) PerClass(names []string) map[string]float64 {
	out := map[string]float64{}
	for k, row := range c.Confusion {
		total := 0
		for _, n := range row {
			total += n
		}
		if total > 0 {
			out[className(names, k)] = float64(row[k]) / float64(total)
		}
	}
	return out
}

// Details are the structured results of results.json: "per_class_accuracy" and
// "confusion_matrix" (rows: true class, columns: predicted).
func (c *Classification) Details(names []string) map[string]any {
	return map[string]any{
		"per_class_accuracy": c.PerClass(names),
		"confusion_matrix":   map[string]any{"classes": names, "rows_true_cols_predicted": c.Confusion},
	}
}

func className(names []string, k int) string {
	if k < len(names) {
		return names[k]
	}
	return fmt.Sprint(k)
}

// Argmax is the index of the first highest value of row (0 for an empty row).
func Argmax[T cmp.Ordered](row []T) int {
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best
}

// TopKAccuracy is the share of rows of scores [n, classes] whose label is among the k
// highest-scoring allowed classes, ties broken at random in expectation (see
// hitProbability). allowed(i, c) limits the candidates of row i (nil: all classes); a
// label outside the allowed set is an error. Returns the accuracy and the mean chance
// level k/|candidates| (capped at 1) of the same rows.
func TopKAccuracy(scores Matrix, labels []int32, k int, allowed func(i, c int) bool) (acc, chance float64, err error) {
	if err := scores.Validate(); err != nil {
		return 0, 0, err
	}
	if len(labels) != scores.Rows || scores.Rows == 0 {
		return 0, 0, fmt.Errorf("eval: %d labels for %d scored examples", len(labels), scores.Rows)
	}
	if k < 1 {
		return 0, 0, fmt.Errorf("eval: top-%d: want k >= 1", k)
	}
	for i, label := range labels {
		l := int(label)
		if l < 0 || l >= scores.Cols || (allowed != nil && !allowed(i, l)) {
			return 0, 0, fmt.Errorf("eval: label %d of example %d is not among the %d candidate classes", l, i, scores.Cols)
		}
		row := scores.Row(i)
		g, e, n := 0, 0, 0
		for c, v := range row {
			if allowed != nil && !allowed(i, c) {
				continue
			}
			n++
			switch {
			case c == l:
			case v > row[l]:
				g++
			case v == row[l]:
				e++
			}
		}
		acc += hitProbability(g, e, 1, k)
		chance += min(1, float64(k)/float64(n))
	}
	return acc / float64(len(labels)), chance / float64(len(labels)), nil
}

// Predict returns the highest-scoring allowed class of each row (nil allowed: all;
// -1 for a row where no class is allowed).
func Predict(scores Matrix, allowed func(i, c int) bool) []int {
	pred := make([]int, scores.Rows)
	for i := range scores.Rows {
		best := -1
		for c, v := range scores.Row(i) {
			if (allowed == nil || allowed(i, c)) && (best < 0 || v > scores.Data[i*scores.Cols+best]) {
				best = c
			}
		}
		pred[i] = best
	}
	return pred
}
