package train

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func storeWith(t *testing.T, vals map[string][]float32) *model.Store {
	t.Helper()
	s := model.NewStore()
	for path, v := range vals {
		if _, err := s.CreateVariable(path, tensors.FromValue(v)); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestCheckpointRoundTripAndKeep(t *testing.T) {
	dir := t.TempDir()
	s := storeWith(t, map[string][]float32{"/a/w": {1, 2, 3}, "/b": {4}})
	s.GetVariable("/b").SetTrainable(false)
	for step := 1; step <= 4; step++ {
		if _, err := SaveCheckpoint(dir, s, CheckpointState{Step: step, WallS: float64(step)}, 2); err != nil {
			t.Fatal(err)
		}
	}
	steps, _ := listStepCheckpoints(dir)
	if len(steps) != 2 || !strings.HasSuffix(steps[0], "step-00000003") {
		t.Fatalf("kept %v, want steps 3 and 4", steps)
	}
	loaded := model.NewStore()
	st, err := LoadCheckpoint(steps[1], loaded)
	if err != nil {
		t.Fatal(err)
	}
	if st.Step != 4 || st.WallS != 4 {
		t.Errorf("state = %+v", st)
	}
	if got := tensors.MustCopyFlatData[float32](loaded.GetVariable("/a/w").MustValue()); got[2] != 3 {
		t.Errorf("/a/w = %v", got)
	}
	if loaded.GetVariable("/b").Trainable || !loaded.GetVariable("/a/w").Trainable {
		t.Error("trainable flags not restored")
	}
}

// A crash mid-save leaves a temporary directory: it is never taken for a
// checkpoint, and the next save removes it.
func TestCheckpointIgnoresInterruptedSave(t *testing.T) {
	dir := t.TempDir()
	s := storeWith(t, map[string][]float32{"/w": {1}})
	if _, err := SaveCheckpoint(dir, s, CheckpointState{Step: 5}, 0); err != nil {
		t.Fatal(err)
	}
	partial := filepath.Join(dir, tmpPrefix+"step-00000010-123")
	os.MkdirAll(partial, 0o755)
	os.WriteFile(filepath.Join(partial, varsFile), []byte{1, 2}, 0o644)
	if latest, _ := LatestCheckpoint(dir); filepath.Base(latest) != "step-00000005" {
		t.Fatalf("latest = %q, want step-00000005", latest)
	}
	if _, err := SaveCheckpoint(dir, s, CheckpointState{Step: 6}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(partial); !os.IsNotExist(err) {
		t.Errorf("interrupted save %s still there after the next save", partial)
	}
}

func TestLoadCheckpointShapeMismatch(t *testing.T) {
	dir := t.TempDir()
	path, err := SaveCheckpoint(dir, storeWith(t, map[string][]float32{"/w": {1, 2}}), CheckpointState{Step: 1}, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LoadCheckpoint(path, storeWith(t, map[string][]float32{"/w": {1, 2, 3}}))
	if err == nil || !strings.Contains(err.Error(), "/w") || !strings.Contains(err.Error(), "shape") {
		t.Errorf("error = %v, want a shape mismatch naming /w", err)
	}
}
