package experiments

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/mmdna/mmdna/rundir"
)

// What became of a version.
const (
	statusOK       = "ok"       // trained; its final validation loss is below chance.
	statusDiverged = "diverged" // a NaN/Inf loss, or a final validation loss not below chance.
	statusFailed   = "failed"   // an error (graph building, data, evaluation) stopped it.
)

// curvePoint is one value of a loss curve.
type curvePoint struct {
	Step int
	Loss float64
}

// versionResult is what the ablation records of one version.
type versionResult struct {
	Version   string        `json:"version"`
	Status    string        `json:"status"`
	Error     string        `json:"error,omitempty"`
	Steps     int           `json:"steps"`
	WallS     nullNum       `json:"wall_s"`
	TrainLoss nullNum       `json:"train_loss"` // the last logged training loss.
	ValLoss   nullNum       `json:"val_loss"`   // the last validation loss.
	ValAcc    nullNum       `json:"val_acc"`    // the last in-batch retrieval accuracy.
	TestLoss  nullNum       `json:"test_loss"`
	TestAcc   nullNum       `json:"test_acc"`
	Probe     *captionProbe `json:"probe,omitempty"`
	Verdict   *probeVerdict `json:"verdict,omitempty"`
	Summary   *probeSummary `json:"test_probes,omitempty"`

	TrainCurve, ValCurve []curvePoint `json:"-"`
	Batch                int          `json:"-"` // batch size, for the chance level of the loss.
}

// describe says the status, with the reason when it is not ok.
func (r versionResult) describe() string {
	if r.Error != "" {
		return r.Status + " (" + r.Error + ")"
	}
	return r.Status
}

// versionFailure is failed.json: why a version stopped.
type versionFailure struct {
	Error    string  `json:"error"`
	WallS    float64 `json:"wall_s"`
	Diverged bool    `json:"diverged"` // the NaN guard stopped it.
}

// probeDetail is the "probe" detail of a crossattn-match test evaluation.
type probeDetail struct {
	Probe   captionProbe `json:"probe"`
	Verdict probeVerdict `json:"verdict"`
}

// legacyAccuracy is what crossattn-match called its accuracy before it reported
// rundir.Accuracy: the finished versions of an older ablation still hold it, and a
// resumed ablation reads them instead of training them again.
const legacyAccuracy = "acc"

// readVersion reads what a version's run directory holds. done is true when the
// version finished (results.json) or failed (failed.json); err is set when the
// directory was trained with other parameters than params.
func readVersion(dir, v string, params map[string]any, batch int) (r versionResult, done bool, err error) {
	r = versionResult{Version: v, Batch: batch, WallS: nullNum(math.NaN()), TrainLoss: nullNum(math.NaN()), ValLoss: nullNum(math.NaN()),
		ValAcc: nullNum(math.NaN()), TestLoss: nullNum(math.NaN()), TestAcc: nullNum(math.NaN())}
	resultsPath, failedPath := filepath.Join(dir, rundir.ResultsFile), filepath.Join(dir, rundir.FailedFile)
	finished, failed := pathExists(resultsPath), pathExists(failedPath)
	if !pathExists(filepath.Join(dir, rundir.ConfigFile)) {
		return r, false, nil
	}
	diff, err := diffRunParams(dir, params)
	if err != nil {
		return r, false, err
	}
	if len(diff) > 0 {
		return r, false, fmt.Errorf("%s was trained with other parameters: %s; replace the ablation with -fresh or use another -out",
			dir, strings.Join(diff, ", "))
	}
	if !finished && !failed {
		return r, false, nil
	}
	recs, err := rundir.ReadMetrics(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return r, false, err
	}
	r.TrainCurve, r.ValCurve = versionCurve(recs, rundir.SplitTrain), versionCurve(recs, rundir.SplitEval)
	if n := len(r.TrainCurve); n > 0 {
		r.TrainLoss, r.Steps = nullNum(r.TrainCurve[n-1].Loss), r.TrainCurve[n-1].Step
	}
	if n := len(r.ValCurve); n > 0 {
		r.ValLoss = nullNum(r.ValCurve[n-1].Loss)
	}
	if failed {
		var f versionFailure
		if err := readJSONInto(failedPath, &f); err != nil {
			return r, false, err
		}
		r.Status, r.Error, r.WallS = statusFailed, f.Error, nullNum(f.WallS)
		if f.Diverged {
			r.Status = statusDiverged
		}
		return r, true, nil
	}
	res, err := rundir.ReadResults(dir)
	if err != nil {
		return r, false, err
	}
	r.Steps, r.WallS = res.Steps, nullNum(res.WallS)
	r.TestLoss, r.TestAcc = metricOrNaN(res.Metrics, rundir.Loss), metricOrNaN(res.Metrics, rundir.Accuracy, legacyAccuracy)
	r.ValAcc = nullNum(lastEvalAccuracy(recs))
	var probe probeDetail
	if ok, err := res.Detail("probe", &probe); err != nil {
		return r, false, fmt.Errorf("%s: %w", resultsPath, err)
	} else if ok {
		r.Probe, r.Verdict = &probe.Probe, &probe.Verdict
	}
	var summary probeSummary
	if ok, err := res.Detail("test_probes", &summary); err != nil {
		return r, false, fmt.Errorf("%s: %w", resultsPath, err)
	} else if ok {
		r.Summary = &summary
	}
	r.Status = statusOK
	if chance := chanceLoss(batch); math.IsNaN(float64(r.ValLoss)) || float64(r.ValLoss) >= chance {
		r.Status, r.Error = statusDiverged, fmt.Sprintf("validation loss %.4f is not below chance, ln %d = %.4f", float64(r.ValLoss), batch, chance)
	}
	return r, true, nil
}

// metricOrNaN is the first of names that m has, NaN if none.
func metricOrNaN(m map[string]float64, names ...string) nullNum {
	for _, k := range names {
		if v, ok := m[k]; ok {
			return nullNum(v)
		}
	}
	return nullNum(math.NaN())
}

func readJSONInto(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: corrupted: %v", path, err)
	}
	return nil
}

// versionCurve is the loss of a run's records of split.
func versionCurve(recs []rundir.Record, split string) []curvePoint {
	x, y := rundir.Curve(recs, split, rundir.Loss)
	out := make([]curvePoint, len(x))
	for i := range x {
		out[i] = curvePoint{int(x[i]), y[i]}
	}
	return out
}

// lastEvalAccuracy is the accuracy of the last "eval" record (NaN if none).
func lastEvalAccuracy(recs []rundir.Record) float64 {
	for _, name := range []string{rundir.Accuracy, legacyAccuracy} {
		if _, y := rundir.Curve(recs, rundir.SplitEval, name); len(y) > 0 {
			return y[len(y)-1]
		}
	}
	return math.NaN()
}
