package train

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/rundir"
)

// Checkpoints are directories under RUN/checkpoints:
//
//	step-00000100/state.json   step, wall time, best metric, params, variable index, data hash
//	step-00000100/vars.bin     raw little-endian tensor bytes, concatenated
//	best/                      a copy of the checkpoint with the best evaluation metric
//
// A checkpoint is written into a temporary directory, synced, and renamed into place,
// so a crash mid-write (even SIGKILL) leaves the previous checkpoints untouched and at
// most a ".tmp-*" directory that the next save removes. The data hash in state.json
// makes a corrupted or truncated vars.bin a clear error instead of silent garbage.

const (
	checkpointFormat = "mmdna-checkpoint/1"
	stateFile        = "state.json"
	varsFile         = "vars.bin"
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
	Params    map[string]any `json:"params,omitempty"`
	Variables []savedVar     `json:"variables"`
	DataHash  string         `json:"data_sha256"`
	DataBytes int64          `json:"data_bytes"`
}

// BestMetric records the best value of the tracked evaluation metric (results.json
// holds it too, hence its home in package rundir).
type BestMetric = rundir.BestMetric

type savedVar struct {
	Path      string `json:"path"`
	DType     string `json:"dtype"`
	Dims      []int  `json:"dims"`
	Offset    int64  `json:"offset"`
	Length    int64  `json:"length"`
	Trainable bool   `json:"trainable"`
}

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
	if err := writeCheckpointFiles(tmp, store, st); err != nil {
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

func writeCheckpointFiles(tmp string, store *model.Store, st CheckpointState) error {
	f, err := os.Create(filepath.Join(tmp, varsFile))
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	w := io.MultiWriter(f, h)
	st.Format = checkpointFormat
	st.Variables = st.Variables[:0]
	var offset int64
	for v := range store.IterVariables() {
		value, err := v.Value()
		if err != nil {
			return fmt.Errorf("checkpoint: reading variable %s: %w", v.Path(), err)
		}
		var n int
		var werr error
		if err := value.ConstBytes(func(data []byte) { n, werr = w.Write(data) }); err != nil {
			return fmt.Errorf("checkpoint: reading variable %s: %w", v.Path(), err)
		}
		if werr != nil {
			return fmt.Errorf("checkpoint: writing %s: %w", f.Name(), werr)
		}
		shape := value.Shape()
		st.Variables = append(st.Variables, savedVar{Path: v.Path(), DType: shape.DType.String(),
			Dims: shape.Dimensions, Offset: offset, Length: int64(n), Trainable: v.Trainable})
		offset += int64(n)
	}
	st.DataHash = hex.EncodeToString(h.Sum(nil))
	st.DataBytes = offset
	if err := f.Sync(); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("checkpoint: encoding state: %w", err)
	}
	return writeFileSync(filepath.Join(tmp, stateFile), data)
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

// ReadCheckpointState reads and validates path/state.json without loading the data.
func ReadCheckpointState(path string) (*CheckpointState, error) {
	name := filepath.Join(path, stateFile)
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", name, unwrapPathErr(err))
	}
	var st CheckpointState
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("checkpoint %s: corrupted: %v", name, err)
	}
	if st.Format != checkpointFormat {
		return nil, fmt.Errorf("checkpoint %s: format %q, want %q", name, st.Format, checkpointFormat)
	}
	var end int64
	for _, v := range st.Variables {
		if v.Offset != end || v.Length < 0 {
			return nil, fmt.Errorf("checkpoint %s: corrupted: variable %s at offset %d, want %d", name, v.Path, v.Offset, end)
		}
		end += v.Length
	}
	if end != st.DataBytes {
		return nil, fmt.Errorf("checkpoint %s: corrupted: variables cover %d bytes, data has %d", name, end, st.DataBytes)
	}
	return &st, nil
}

// LoadCheckpoint reads the checkpoint at path into store (creating variables that do
// not exist yet, overwriting those that do) and returns its state. Any damage (a
// truncated or modified vars.bin, a broken state.json) is a one-line error naming the
// file; the store is left unchanged in that case.
func LoadCheckpoint(path string, store *model.Store) (*CheckpointState, error) {
	st, err := ReadCheckpointState(path)
	if err != nil {
		return nil, err
	}
	name := filepath.Join(path, varsFile)
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", name, unwrapPathErr(err))
	}
	if int64(len(data)) != st.DataBytes {
		return nil, fmt.Errorf("checkpoint %s: truncated: %d bytes, want %d", name, len(data), st.DataBytes)
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != st.DataHash {
		return nil, fmt.Errorf("checkpoint %s: corrupted: sha256 does not match state.json", name)
	}
	values := make([]*tensors.Tensor, len(st.Variables))
	for i, v := range st.Variables {
		dtype, err := dtypes.DTypeString(v.DType)
		if err != nil {
			return nil, fmt.Errorf("checkpoint %s: variable %s: unknown dtype %q", name, v.Path, v.DType)
		}
		t := tensors.FromShape(shapes.Make(dtype, v.Dims...))
		if int64(t.Shape().Memory()) != v.Length {
			return nil, fmt.Errorf("checkpoint %s: variable %s: %d bytes for shape %s", name, v.Path, v.Length, t.Shape())
		}
		if err := t.MutableBytes(func(b []byte) { copy(b, data[v.Offset:v.Offset+v.Length]) }); err != nil {
			return nil, fmt.Errorf("checkpoint %s: variable %s: %w", name, v.Path, err)
		}
		values[i] = t
	}
	for i, v := range st.Variables {
		if existing := store.GetVariable(v.Path); existing != nil {
			if !existing.Shape().Equal(values[i].Shape()) {
				return nil, fmt.Errorf("checkpoint %s: variable %s has shape %s, the model wants %s",
					name, v.Path, values[i].Shape(), existing.Shape())
			}
			if err := existing.SetValue(values[i]); err != nil {
				return nil, fmt.Errorf("checkpoint %s: variable %s: %w", name, v.Path, err)
			}
			continue
		}
		created, err := store.CreateVariable(v.Path, values[i])
		if err != nil {
			return nil, fmt.Errorf("checkpoint %s: variable %s: %w", name, v.Path, err)
		}
		created.SetTrainable(v.Trainable)
	}
	return st, nil
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
