package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
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

func storeBytes(t *testing.T, s *model.Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	for v := range s.IterVariables() {
		value, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		if err := value.ConstBytes(func(b []byte) { out[v.Path()] = value.Shape().String() + ":" + string(b) }); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// A checkpoint whose second variable does not fit the model must leave the store as
// it was: no variable set, none created.
func TestLoadCheckpointValidatesBeforeSetting(t *testing.T) {
	dir := t.TempDir()
	saved := storeWith(t, map[string][]float32{"/a": {10, 20}, "/b": {1, 2}, "/c": {5}})
	path, err := SaveCheckpoint(dir, saved, CheckpointState{Step: 1}, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := storeWith(t, map[string][]float32{"/a": {-1, -2}, "/b": {1, 2, 3}})
	before := storeBytes(t, s)
	_, err = LoadCheckpoint(path, s)
	if err == nil || !strings.Contains(err.Error(), "/b") {
		t.Fatalf("error = %v, want a shape mismatch naming /b", err)
	}
	after := storeBytes(t, s)
	if len(after) != len(before) {
		t.Errorf("store has %d variables after the failed load, %d before", len(after), len(before))
	}
	for p, b := range before {
		if after[p] != b {
			t.Errorf("variable %s changed by a failed load", p)
		}
	}
}

// TestLoadCheckpointMalformed damages one part of a good checkpoint per case (fixing
// state.json's hash where the case is about what lies behind it): each is a one-line
// error that names the damaged file and says what is wrong.
func TestLoadCheckpointMalformed(t *testing.T) {
	good := t.TempDir()
	src, err := SaveCheckpoint(good, storeWith(t, map[string][]float32{"/a": {1, 2}, "/b": {3}}), CheckpointState{Step: 4}, 0)
	if err != nil {
		t.Fatal(err)
	}
	state, _ := os.ReadFile(filepath.Join(src, stateFile))
	vars, _ := os.ReadFile(filepath.Join(src, varsFile))
	// edit rewrites state.json through a map, and rehashes vars when asked.
	edit := func(dir string, fn func(m map[string]any), rehash []byte) {
		var m map[string]any
		if err := json.Unmarshal(state, &m); err != nil {
			t.Fatal(err)
		}
		if rehash != nil {
			sum := sha256.Sum256(rehash)
			m["vars_sha256"], m["vars_bytes"] = hex.EncodeToString(sum[:]), len(rehash)
			os.WriteFile(filepath.Join(dir, varsFile), rehash, 0o644)
		}
		if fn != nil {
			fn(m)
		}
		data, _ := json.Marshal(m)
		os.WriteFile(filepath.Join(dir, stateFile), data, 0o644)
	}
	headerLen := 8 + int(binary.LittleEndian.Uint64(vars))
	for _, tc := range []struct {
		name   string
		damage func(dir string)
		file   string
		want   string
	}{
		{"no state.json", func(dir string) { os.Remove(filepath.Join(dir, stateFile)) }, stateFile, "no such file"},
		{"state not JSON", func(dir string) { os.WriteFile(filepath.Join(dir, stateFile), []byte(`{"step":`), 0o644) }, stateFile, "corrupted"},
		{"unknown format", func(dir string) { edit(dir, func(m map[string]any) { m["format"] = "mmdna-checkpoint/9" }, nil) }, stateFile, `format "mmdna-checkpoint/9"`},
		{"hash not hex", func(dir string) { edit(dir, func(m map[string]any) { m["vars_sha256"] = "xyz" }, nil) }, stateFile, "not a sha256"},
		{"negative step", func(dir string) { edit(dir, func(m map[string]any) { m["step"] = -1 }, nil) }, stateFile, "step -1 is negative"},
		{"no trainable flags", func(dir string) { edit(dir, func(m map[string]any) { delete(m, "trainable") }, nil) }, stateFile, "no trainable flags"},
		{"no vars", func(dir string) { os.Remove(filepath.Join(dir, varsFile)) }, varsFile, "no such file"},
		{"vars truncated", func(dir string) { os.WriteFile(filepath.Join(dir, varsFile), vars[:len(vars)-1], 0o644) }, varsFile, "truncated"},
		{"vars byte flipped", func(dir string) {
			bad := bytes.Clone(vars)
			bad[len(bad)-1] ^= 1
			os.WriteFile(filepath.Join(dir, varsFile), bad, 0o644)
		}, varsFile, "sha256"},
		{"header not JSON, hash fixed", func(dir string) {
			bad := bytes.Clone(vars)
			bad[8] = 'x'
			edit(dir, nil, bad)
		}, varsFile, "corrupted"},
		{"data cut, hash fixed", func(dir string) { edit(dir, nil, vars[:headerLen+4]) }, varsFile, "corrupted"},
		{"variable not in state", func(dir string) {
			edit(dir, func(m map[string]any) { m["trainable"] = map[string]any{"/a": true, "/c": true} }, nil)
		}, varsFile, `"/b" is not in state.json`},
		{"state lists more variables", func(dir string) {
			edit(dir, func(m map[string]any) { m["trainable"] = map[string]any{"/a": true, "/b": true, "/c": true} }, nil)
		}, varsFile, "3 variables"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, stateFile), state, 0o644)
			os.WriteFile(filepath.Join(dir, varsFile), vars, 0o644)
			tc.damage(dir)
			s := model.NewStore()
			_, err := LoadCheckpoint(dir, s)
			name := filepath.Join(dir, tc.file)
			if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error = %v, want one line naming %s and saying %q", err, name, tc.want)
			}
			t.Log(err)
			if s.NumVariables() != 0 {
				t.Errorf("a failed load created %d variables", s.NumVariables())
			}
		})
	}
}
