package nb

import (
	"fmt"
	"strings"

	"github.com/mmdna/mmdna/rundir"
	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/viz"
)

// LossSeries returns the "train" and "eval" loss of a run's metrics records
// against their step, in file order. Records of other splits ("test") and without
// a loss are left out; a null (non-finite) loss is NaN, which viz.LineChart skips.
func LossSeries(recs []rundir.Record) (trainLoss, evalLoss viz.Series) {
	trainLoss, evalLoss = viz.Series{Name: rundir.SplitTrain}, viz.Series{Name: rundir.SplitEval}
	trainLoss.X, trainLoss.Y = rundir.Curve(recs, rundir.SplitTrain, rundir.Loss)
	evalLoss.X, evalLoss.Y = rundir.Curve(recs, rundir.SplitEval, rundir.Loss)
	return trainLoss, evalLoss
}

// LossCurve plots the training and evaluation loss of run name (from its
// metrics.jsonl) with viz.LineChart, titled title, into the run's
// loss_curve.png, and returns the PNG's bytes.
func (r Runs) LossCurve(name, title string) ([]byte, error) {
	recs, err := rundir.ReadMetrics(r.Dir(name))
	if err != nil {
		return nil, fmt.Errorf("nb: %w", err)
	}
	trainLoss, evalLoss := LossSeries(recs)
	if err := viz.LineChart(r.File(name, "loss_curve.png"), title, "step", "loss", trainLoss, evalLoss); err != nil {
		return nil, err
	}
	return r.PNG(name, "loss_curve.png")
}

// MetricsTable is a markdown table of the named metrics of res, in the order
// given, values with four significant digits; names res lacks are left out.
func MetricsTable(res *train.Results, names ...string) string {
	var b strings.Builder
	b.WriteString("| metric | value |\n|---|---:|\n")
	if res == nil {
		return b.String()
	}
	for _, n := range names {
		if v, ok := res.Metrics[n]; ok {
			fmt.Fprintf(&b, "| %s | %.4g |\n", n, v)
		}
	}
	return b.String()
}
