package train

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// FuzzLoadCheckpoint loads arbitrary state.json and vars files (written under both
// formats' names) into a store that already holds a variable: it must never panic,
// and a failed load must leave the store unchanged. With fixHash the harness makes
// state.json's hash and size match the vars file, so that the fuzzer gets past the
// hash check into the safetensors header and the staging.
//
//	go test -run '^$' -fuzz FuzzLoadCheckpoint -fuzztime 60s ./train/
func FuzzLoadCheckpoint(f *testing.F) {
	seed := func(path string) {
		state, err := os.ReadFile(filepath.Join(path, stateFile))
		if err != nil {
			f.Fatal(err)
		}
		vars, err := os.ReadFile(filepath.Join(path, varsFile))
		if os.IsNotExist(err) {
			vars, err = os.ReadFile(filepath.Join(path, varsFileV1))
		}
		if err != nil {
			f.Fatal(err)
		}
		f.Add(state, vars, false)
		f.Add(state, vars[:len(vars)-3], true)
	}
	s := model.NewStore()
	for path, v := range map[string][]float32{"/w": {1, 2}, "/b": {3}} {
		if _, err := s.CreateVariable(path, tensors.FromValue(v)); err != nil {
			f.Fatal(err)
		}
	}
	dir := f.TempDir()
	saved, err := SaveCheckpoint(dir, s, CheckpointState{Step: 2}, 0)
	if err != nil {
		f.Fatal(err)
	}
	seed(saved)
	seed(filepath.Join("testdata", "v1run", "checkpoints", "step-00000010"))
	f.Add([]byte(`{"format":"mmdna-checkpoint/2","step":1,"trainable":{"/w":true},"vars_sha256":"00","vars_bytes":16}`), []byte("\x08\x00\x00\x00\x00\x00\x00\x00{}      "), true)

	f.Fuzz(func(t *testing.T, state, vars []byte, fixHash bool) {
		if fixHash {
			var m map[string]any
			if json.Unmarshal(state, &m) == nil && m != nil {
				sum := sha256.Sum256(vars)
				m["vars_sha256"], m["vars_bytes"] = hex.EncodeToString(sum[:]), len(vars)
				m["data_sha256"], m["data_bytes"] = m["vars_sha256"], m["vars_bytes"]
				state, _ = json.Marshal(m)
			}
		}
		path := t.TempDir()
		for name, data := range map[string][]byte{stateFile: state, varsFile: vars, varsFileV1: vars} {
			if err := os.WriteFile(filepath.Join(path, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		store := model.NewStore()
		if _, err := store.CreateVariable("/w", tensors.FromValue([]float32{7, 8})); err != nil {
			t.Fatal(err)
		}
		before := storeBytes(t, store)
		if _, err := LoadCheckpoint(path, store); err != nil {
			after := storeBytes(t, store)
			if len(after) != len(before) || after["/w"] != before["/w"] {
				t.Fatalf("failed load (%v) changed the store", err)
			}
		}
	})
}
