package train

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/rundir"
	"github.com/mmdna/mmdna/weights/safetensors"
)

// Checkpoints are directories under RUN/checkpoints:
//
//	step-00000100/vars.safetensors  every variable of the store (weights, optimizer moments,
//	                                step counters, RNG state) as a tensor named by its store
//	                                path ("/hidden/weights", "/#rngState"), readable by numpy
//	                                or PyTorch with nothing of mmdna
//	step-00000100/state.json        format, step, wall time, best metric, params, trainable
//	                                flags, and the sha256 and size of vars.safetensors
//	best/                           a copy of the checkpoint with the best evaluation metric
//
// A checkpoint is written into a temporary directory, synced, and renamed into place,
// so a crash mid-write (even SIGKILL) leaves the previous checkpoints untouched and at
// most a ".tmp-*" directory that the next save removes. The hash in state.json makes a
// corrupted or truncated vars.safetensors a clear error instead of silent garbage.
// Checkpoints of format 1 (vars.bin, see checkpoint_v1.go) still load.

const (
	checkpointFormat = "mmdna-checkpoint/2"
	stateFile        = "state.json"
	varsFile         = "vars.safetensors"
	stepPrefix       = "step-"
	bestDir          = "best"
	tmpPrefix        = ".tmp-"
)

// CheckpointState is what state.json holds besides the variables.
type CheckpointState struct {
	Format string  `json:"format"`
	Step   int     `json:"step"`   // training steps completed.
	WallS  float64 `json:"wall_s"` // training wall time so far, continued on resume.
	// Best is the best evaluation seen so far (for best-model tracking).
	Best *BestMetric `json:"best,omitempty"`
	// Params are the run's hyperparameters, for the record: config.json in the run
	// directory is what a resume reads.
	Params map[string]any `json:"params,omitempty"`
	// Trainable maps the store path of every variable in vars.safetensors to its
	// trainable flag (safetensors has no place for it).
	Trainable map[string]bool `json:"trainable"`
	VarsHash  string          `json:"vars_sha256"` // of the whole vars.safetensors file.
	VarsBytes int64           `json:"vars_bytes"`
}

// BestMetric records the best value of the tracked evaluation metric (results.json
// holds it too, hence its home in package rundir).
type BestMetric = rundir.BestMetric

// SaveCheckpoint writes the store's variables and state into dir/step-NNNNNNNN
// atomically and returns the final path. Older step checkpoints beyond keep
// (keep <= 0 keeps all) are removed after the new one is in place.
func SaveCheckpoint(dir string, store *model.Store, st CheckpointState, keep int) (string, error) {
	final := filepath.Join(dir, fmt.Sprintf("%s%08d", stepPrefix, st.Step))
	if err := writeCheckpointDir(dir, final, store, st); err != nil {
		return "", err
	}
	if keep > 0 {
		steps, err := listStepCheckpoints(dir)
		if err != nil {
			return final, err
		}
		for len(steps) > keep {
			if err := os.RemoveAll(steps[0]); err != nil {
				return final, fmt.Errorf("checkpoint: removing old %s: %w", steps[0], err)
			}
			steps = steps[1:]
		}
	}
	return final, nil
}

// SaveBestCheckpoint writes the store into dir/best, replacing the previous best only
// once the new one is complete.
func SaveBestCheckpoint(dir string, store *model.Store, st CheckpointState) (string, error) {
	final := filepath.Join(dir, bestDir)
	return final, writeCheckpointDir(dir, final, store, st)
}

func writeCheckpointDir(dir, final string, store *model.Store, st CheckpointState) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	removeStaleTemps(dir)
	tmp, err := os.MkdirTemp(dir, tmpPrefix+filepath.Base(final)+"-")
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer os.RemoveAll(tmp) // no-op once renamed.
	if err := writeCheckpointFiles(tmp, final, store, st); err != nil {
		return err
	}
	// Replace an existing directory of the same name (a re-save at the same step, or best/)
	// by moving it aside first: rename(2) cannot replace a non-empty directory.
	var old string
	if _, err := os.Stat(final); err == nil {
		old = tmp + ".old"
		if err := os.Rename(final, old); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	syncDir(dir)
	if old != "" {
		_ = os.RemoveAll(old)
	}
	return nil
}

// writeCheckpointFiles writes vars.safetensors into tmp, streaming each variable's
// bytes from its tensor (no copy of the store is made), then state.json with the
// file's hash. Errors name the file by its final path.
func writeCheckpointFiles(tmp, final string, store *model.Store, st CheckpointState) error {
	name := filepath.Join(final, varsFile)
	f, err := os.Create(filepath.Join(tmp, varsFile))
	if err != nil {
		return fmt.Errorf("checkpoint: %w", unwrapPathErr(err))
	}
	defer f.Close()
	st.Format = checkpointFormat
	st.Trainable = map[string]bool{}
	var entries []safetensors.Entry
	for v := range store.IterVariables() {
		value, err := v.Value()
		if err != nil {
			return fmt.Errorf("checkpoint: reading variable %s: %w", v.Path(), err)
		}
		e, err := variableEntry(v.Path(), value)
		if err == nil && v.Trainable {
			err = checkFinite(v.Path(), value)
		}
		if err != nil {
			return fmt.Errorf("checkpoint %s: %w", name, err)
		}
		entries = append(entries, e)
		st.Trainable[v.Path()] = v.Trainable
	}
	h := sha256.New()
	counted := &byteCounter{}
	w := bufio.NewWriterSize(io.MultiWriter(f, h, counted), 1<<20)
	meta := map[string]string{"format": checkpointFormat, "step": strconv.Itoa(st.Step)}
	if err := safetensors.Encode(w, entries, meta); err != nil {
		return fmt.Errorf("checkpoint %s: %w", name, err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("checkpoint %s: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("checkpoint %s: %w", name, err)
	}
	st.VarsHash = hex.EncodeToString(h.Sum(nil))
	st.VarsBytes = counted.n
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("checkpoint: encoding state: %w", err)
	}
	return writeFileSync(filepath.Join(tmp, stateFile), data)
}

// variableEntry returns the safetensors entry that streams value's bytes.
func variableEntry(path string, value *tensors.Tensor) (safetensors.Entry, error) {
	shape := value.Shape()
	dtype, ok := safetensorsDType[shape.DType]
	if !ok {
		return safetensors.Entry{}, fmt.Errorf("variable %s has dtype %s, which safetensors cannot hold", path, shape.DType)
	}
	return safetensors.Entry{Name: path, DType: dtype, Shape: slices.Clone(shape.Dimensions), WriteTo: func(w io.Writer) error {
		var werr error
		if err := value.ConstBytes(func(data []byte) { _, werr = w.Write(data) }); err != nil {
			return err
		}
		return werr
	}}, nil
}

// checkFinite returns an error wrapping ErrNonFinite if value (a weight) holds a NaN or
// an infinity: a checkpoint is only ever saved from weights good to resume from.
func checkFinite(path string, value *tensors.Tensor) error {
	dtype := safetensorsDType[value.Shape().DType]
	i := -1
	if err := value.ConstBytes(func(data []byte) { i = firstNonFinite(dtype, data) }); err != nil {
		return fmt.Errorf("variable %s: %w", path, err)
	}
	if i >= 0 {
		return fmt.Errorf("variable %s: element %d is NaN or infinite: %w", path, i, ErrNonFinite)
	}
	return nil
}

// byteCounter counts the bytes written through it.
type byteCounter struct{ n int64 }

// Write implements io.Writer.
func (c *byteCounter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// LatestCheckpoint returns the newest step checkpoint in dir, or "" if there is none.
func LatestCheckpoint(dir string) (string, error) {
	steps, err := listStepCheckpoints(dir)
	if err != nil || len(steps) == 0 {
		return "", err
	}
	return steps[len(steps)-1], nil
}

// listStepCheckpoints returns the step-* directories in dir, oldest first.
func listStepCheckpoints(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	type stepDir struct {
		step int
		path string
	}
	var found []stepDir
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, stepPrefix) {
			continue
		}
		step, err := strconv.Atoi(strings.TrimPrefix(name, stepPrefix))
		if err != nil {
			continue
		}
		found = append(found, stepDir{step, filepath.Join(dir, name)})
	}
	sort.Slice(found, func(i, j int) bool { return found[i].step < found[j].step })
	paths := make([]string, len(found))
	for i, s := range found {
		paths[i] = s.path
	}
	return paths, nil
}

// removeStaleTemps deletes temporary directories left by a crash mid-save.
func removeStaleTemps(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			_ = os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// writeFileSync writes data to name and fsyncs it.
func writeFileSync(name string, data []byte) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteFileAtomic writes data to name through a temporary file in the same directory
// and a rename, so readers see either the old or the new content, never a mix
// (rundir.WriteFileAtomic).
func WriteFileAtomic(name string, data []byte) error { return rundir.WriteFileAtomic(name, data) }

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// unwrapPathErr drops the *PathError's repetition of the file name.
func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
