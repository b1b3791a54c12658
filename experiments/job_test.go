package experiments

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mmdna/mmdna/internal/testbackend"
)

// writeFiles creates files (paths relative to dir; a trailing / makes a folder)
// with small contents.
func writeFiles(t *testing.T, dir string, files ...string) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, f)
		if strings.HasSuffix(f, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("{\"architectures\":[\"ViTModel\"]}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// tree lists every path below dir, folders with a trailing /.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			rel += "/"
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFreshRefusesForeignDirectories: -fresh deletes nothing in a directory that is
// not a marked mmdna run, and its error names what is there. Before the run marker,
// one config.json or a checkpoints/ folder made a directory "a run" and -fresh
// removed all of it: a Hugging Face model's weights, a user's notes.
func TestFreshRefusesForeignDirectories(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string
		want  string
	}{
		{"hugging face model", []string{"config.json", "model.safetensors"}, "config.json"},
		{"checkpoints and notes", []string{"checkpoints/step-00000010/", "notes.txt"}, "notes.txt"},
		{"run marker and a stranger", []string{"metrics.jsonl", "notes.txt"}, "notes.txt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tc.files...)
			before := tree(t, dir)
			_, err := Prepare(Request{Name: "mlp-spirals", Sets: []string{"smoke=true"}, Out: dir, Fresh: true, Backend: testbackend.Go()})
			if err == nil || !strings.Contains(err.Error(), "-fresh") || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Prepare -fresh: %v, want a one-line -fresh error naming %s", err, tc.want)
			}
			if after := tree(t, dir); !slices.Equal(before, after) {
				t.Errorf("-fresh changed the directory: before %v, after %v", before, after)
			}
		})
	}
}

// TestOutRefusesForeignConfig: without -fresh, a directory whose config.json is not
// an mmdna run's is refused too: writing the run's config.json would overwrite it.
func TestOutRefusesForeignConfig(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, "config.json", "model.safetensors")
	before, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	_, err := Prepare(Request{Name: "mlp-spirals", Sets: []string{"smoke=true"}, Out: dir, Backend: testbackend.Go()})
	if err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("Prepare into a model directory: %v, want an error naming config.json", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "config.json")); string(after) != string(before) {
		t.Errorf("config.json was overwritten: %s", after)
	}
}

// TestFreshReplacesARun trains a tiny run, starts it again with -fresh and checks
// that every file of the first run is gone and nothing else was removed or left.
func TestFreshReplacesARun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	sets := []string{"smoke=true;steps=20;eval_every=10;ckpt_every=10;log_every=10;test_size=60"}
	job, err := Prepare(Request{Name: "mlp-spirals", Sets: sets, Out: dir, Backend: testbackend.Go()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := job.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "results.json")); err != nil {
		t.Fatalf("the first run left no results: %v", err)
	}
	if _, err := Prepare(Request{Name: "mlp-spirals", Sets: sets, Out: dir, Backend: testbackend.Go()}); err == nil {
		t.Fatal("a second start without -resume or -fresh was accepted")
	}
	if _, err := Prepare(Request{Name: "mlp-spirals", Sets: sets, Out: dir, Fresh: true, Backend: testbackend.Go()}); err != nil {
		t.Fatalf("-fresh on a run: %v", err)
	}
	// What is left is what the new job wrote before training: its config.json.
	if got := tree(t, dir); !slices.Equal(got, []string{"config.json"}) {
		t.Errorf("after -fresh the directory holds %v, want only the new config.json", got)
	}
}

// TestFreshOnAnOldRun: a run written before the marker (config.json without
// "format") is resumable but -fresh leaves it alone and names the files to remove.
func TestFreshOnAnOldRun(t *testing.T) {
	dir := t.TempDir()
	old := `{"experiment":"mlp-spirals","params":{"steps":20}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, "metrics.jsonl", "checkpoints/step-00000010/")
	before := tree(t, dir)
	_, err := Prepare(Request{Name: "mlp-spirals", Out: dir, Fresh: true, Backend: testbackend.Go()})
	if err == nil || !strings.Contains(err.Error(), "metrics.jsonl") || !strings.Contains(err.Error(), "checkpoints") {
		t.Errorf("-fresh on an unmarked run: %v, want a refusal naming its files", err)
	}
	if after := tree(t, dir); !slices.Equal(before, after) {
		t.Errorf("-fresh changed an unmarked run: before %v, after %v", before, after)
	}
}
