package experiments

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
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

// versionResults is the part of a crossattn-match results.json the ablation reads.
type versionResults struct {
	Steps   int                `json:"steps"`
	WallS   nullNum            `json:"wall_s"`
	Metrics map[string]nullNum `json:"metrics"`
	Details struct {
		Probe *struct {
			Probe   captionProbe `json:"probe"`
			Verdict probeVerdict `json:"verdict"`
		} `json:"probe"`
		TestProbes *probeSummary `json:"test_probes"`
	} `json:"details"`
}

// readVersion reads what a version's run directory holds. done is true when the
// version finished (results.json) or failed (failed.json); err is set when the
// directory was trained with other parameters than params.
func readVersion(dir, v string, params map[string]any, batch int) (r versionResult, done bool, err error) {
	r = versionResult{Version: v, Batch: batch, WallS: nullNum(math.NaN()), TrainLoss: nullNum(math.NaN()), ValLoss: nullNum(math.NaN()),
		ValAcc: nullNum(math.NaN()), TestLoss: nullNum(math.NaN()), TestAcc: nullNum(math.NaN())}
	resultsPath, failedPath := filepath.Join(dir, "results.json"), filepath.Join(dir, "failed.json")
	finished, failed := pathExists(resultsPath), pathExists(failedPath)
	if !pathExists(filepath.Join(dir, "config.json")) {
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
	r.TrainCurve, r.ValCurve, err = readLossCurves(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		return r, false, err
	}
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
	var res versionResults
	if err := readJSONInto(resultsPath, &res); err != nil {
		return r, false, err
	}
	r.Steps, r.WallS = res.Steps, res.WallS
	r.TestLoss, r.TestAcc = metricOrNaN(res.Metrics, "loss"), metricOrNaN(res.Metrics, "acc")
	r.ValAcc = nullNum(lastEvalAcc(filepath.Join(dir, "metrics.jsonl")))
	if p := res.Details.Probe; p != nil {
		r.Probe, r.Verdict = &p.Probe, &p.Verdict
	}
	r.Summary = res.Details.TestProbes
	r.Status = statusOK
	if chance := chanceLoss(batch); math.IsNaN(float64(r.ValLoss)) || float64(r.ValLoss) >= chance {
		r.Status, r.Error = statusDiverged, fmt.Sprintf("validation loss %.4f is not below chance, ln %d = %.4f", float64(r.ValLoss), batch, chance)
	}
	return r, true, nil
}

func metricOrNaN(m map[string]nullNum, k string) nullNum {
	if v, ok := m[k]; ok {
		return v
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

// metricsRecord is one line of metrics.jsonl, as far as the curves need it.
type metricsRecord struct {
	Step  int      `json:"step"`
	Split string   `json:"split"`
	Loss  *nullNum `json:"loss"`
	Acc   *nullNum `json:"acc"`
}

// readLossCurves returns the training and validation losses of a run's metrics.jsonl;
// a missing file gives empty curves, a null loss NaN.
func readLossCurves(path string) (trainCurve, valCurve []curvePoint, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for line := 1; sc.Scan(); line++ {
		var m metricsRecord
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, nil, fmt.Errorf("%s: line %d: %v", path, line, err)
		}
		loss := math.NaN()
		if m.Loss != nil {
			loss = float64(*m.Loss)
		}
		switch m.Split {
		case "train":
			trainCurve = append(trainCurve, curvePoint{m.Step, loss})
		case "eval":
			valCurve = append(valCurve, curvePoint{m.Step, loss})
		}
	}
	return trainCurve, valCurve, sc.Err()
}

// lastEvalAcc is the accuracy of the last "eval" line of metrics.jsonl (NaN if none).
func lastEvalAcc(path string) float64 {
	f, err := os.Open(path)
	if err != nil {
		return math.NaN()
	}
	defer f.Close()
	acc := math.NaN()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m metricsRecord
		if json.Unmarshal(sc.Bytes(), &m) == nil && m.Split == "eval" && m.Acc != nil {
			acc = float64(*m.Acc)
		}
	}
	return acc
}
