package rundir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Results is results.json, written when a run ends.
type Results struct {
	Experiment   string  `json:"experiment"`
	Backend      string  `json:"backend"` // the configuration the backend came from ("go", "xla:cuda").
	Steps        int     `json:"steps"`
	WallS        float64 `json:"wall_s"`
	TrainImgPerS float64 `json:"train_img_per_s"`
	// Metrics are the final (test) evaluation's.
	Metrics Metrics     `json:"metrics"`
	Best    *BestMetric `json:"best,omitempty"`
	// Details are the test evaluation's structured results (per-class accuracy,
	// confusion matrix, retrieval examples, ...); read one back with Detail.
	Details    map[string]any `json:"details,omitempty"`
	Params     map[string]any `json:"params,omitempty"`
	FinishedAt time.Time      `json:"finished_at"`
}

// BestMetric records the best value of the tracked evaluation metric.
type BestMetric struct {
	Metric string  `json:"metric"`
	Value  float64 `json:"value"`
	Step   int     `json:"step"`
}

// Metrics maps metric names to values. In JSON a non-finite value is null
// (encoding/json refuses NaN, which would lose a whole run's results) and null is
// read back as NaN.
type Metrics map[string]float64

// MarshalJSON writes the metrics with keys sorted, non-finite values as null.
func (m Metrics) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteByte(',')
		}
		key, _ := json.Marshal(k)
		fmt.Fprintf(&b, "%s:%s", key, jsonNum(m[k]))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads metrics, null as NaN.
func (m *Metrics) UnmarshalJSON(data []byte) error {
	var raw map[string]*float64
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*m = make(Metrics, len(raw))
	for k, v := range raw {
		(*m)[k] = math.NaN()
		if v != nil {
			(*m)[k] = *v
		}
	}
	return nil
}

// Detail decodes the detail name into v (a pointer, as for json.Unmarshal) and
// says whether the results have it.
func (r *Results) Detail(name string, v any) (bool, error) {
	d, ok := r.Details[name]
	if !ok {
		return false, nil
	}
	data, err := json.Marshal(d)
	if err == nil {
		err = json.Unmarshal(data, v)
	}
	if err != nil {
		return true, fmt.Errorf("results detail %q: %w", name, err)
	}
	return true, nil
}

// ReadResults reads dir/results.json; fields it lacks are zero (Metrics empty). A
// missing file is an error that matches fs.ErrNotExist; a damaged one says so,
// naming the file.
func ReadResults(dir string) (*Results, error) {
	path := filepath.Join(dir, ResultsFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseResults(path, data)
}

// parseResults is ReadResults on the content of path.
func parseResults(path string, data []byte) (*Results, error) {
	var res Results
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, fmt.Errorf("%s: corrupted: %v", path, err)
	}
	if res.Metrics == nil { // an old or partial file: no metrics, rather than a nil map.
		res.Metrics = Metrics{}
	}
	return &res, nil
}

// WriteResults writes dir/results.json atomically.
func WriteResults(dir string, res *Results) error {
	path := filepath.Join(dir, ResultsFile)
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return WriteFileAtomic(path, append(data, '\n'))
}
