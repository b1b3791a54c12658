package rundir

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const marked = `{"format":"mmdna-run/1","experiment":"x","params":{}}`

// makeDir creates files (a trailing / makes a folder) in a new directory; config
// is config.json's content ("" for none).
func makeDir(t *testing.T, config string, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	if config != "" {
		write(t, filepath.Join(dir, ConfigFile), config)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "/") {
			if err := os.MkdirAll(filepath.Join(dir, f), 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		write(t, filepath.Join(dir, f), "x")
	}
	return dir
}

// listing is every path below dir, folders with a trailing /.
func listing(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && p != dir {
			rel, _ := filepath.Rel(dir, p)
			if d.IsDir() {
				rel += "/"
			}
			out = append(out, rel)
		}
		return err
	})
	return out
}

func TestFiles(t *testing.T) {
	dir := makeDir(t, marked, "metrics.jsonl", "checkpoints/step-00000010/state.json", ".results.json.tmp-123", ".write-test-9",
		"predictions.png", "notes.txt", "data/", ".notes.txt.tmp-1", "versions/v3/config.json", "versions/v3/notes.txt",
		"versions/v4/metrics.jsonl", "versions/stray.txt")
	if err := os.Symlink(filepath.Join(dir, "notes.txt"), filepath.Join(dir, "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	own, other, err := Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	wantOwn := []string{".results.json.tmp-123", ".write-test-9", "checkpoints/", "config.json", "metrics.jsonl", "predictions.png"}
	wantOther := []string{".notes.txt.tmp-1", "data/", "notes.txt", "tokenizer.json", "versions/stray.txt", "versions/v3/notes.txt"}
	slices.Sort(own)
	slices.Sort(other)
	if !slices.Equal(own, wantOwn) || !slices.Equal(other, wantOther) {
		t.Errorf("Files:\nown   %v\nwant  %v\nother %v\nwant  %v", own, wantOwn, other, wantOther)
	}
}

// TestRemoveRunRefuses: RemoveRun deletes nothing unless the directory is a marked
// run holding only what runs write; the error names what it found.
func TestRemoveRunRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, config string
		files        []string
		want         []string
	}{
		{"hugging face model", `{"architectures":["ViTModel"]}`, []string{"model.safetensors"},
			[]string{"config.json is not an mmdna run's config", "model.safetensors"}},
		{"checkpoints and notes", "", []string{"checkpoints/step-00000010/", "notes.txt"},
			[]string{"not an mmdna run (no config.json)", "notes.txt"}},
		{"empty but for metrics", "", []string{"metrics.jsonl"}, []string{"no config.json"}},
		{"marked run and notes", marked, []string{"metrics.jsonl", "notes.txt"}, []string{"holds what no run writes: notes.txt"}},
		{"stranger in a version", marked, []string{"versions/v0/config.json", "versions/v0/model.safetensors"},
			[]string{"versions/v0/model.safetensors"}},
		{"run from before the marker", `{"experiment":"x","params":{}}`, []string{"metrics.jsonl", "checkpoints/"},
			[]string{"before runs were marked", "remove checkpoints/, config.json, metrics.jsonl yourself"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := makeDir(t, tc.config, tc.files...)
			before := listing(t, dir)
			err := RemoveRun(dir)
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("RemoveRun: %v, want it to say %q", err, w)
				}
			}
			if err != nil && (strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "nothing deleted")) {
				t.Errorf("error %q: want one line saying nothing was deleted", err)
			}
			if after := listing(t, dir); !slices.Equal(before, after) {
				t.Errorf("RemoveRun changed the directory: %v -> %v", before, after)
			}
		})
	}
	if err := RemoveRun(filepath.Join(t.TempDir(), "absent")); err == nil {
		t.Error("RemoveRun of a missing directory succeeded")
	}
}

func TestRemoveRunRemovesEverythingItWrote(t *testing.T) {
	files := []string{"metrics.jsonl", "results.json", "checkpoints/step-00000010/vars.bin", "checkpoints/best/state.json",
		"reconstructions/test_step_000010.png", "tokenizer.json", "loss.png", ".config.json.tmp-4", ".write-test-1",
		"versions/v3/metrics.jsonl", "versions/v3/failed.json", "crossattn_table.md"}
	for _, f := range runFiles {
		if f != ConfigFile {
			files = append(files, f)
		}
	}
	dir := makeDir(t, marked, files...)
	if err := RemoveRun(dir); err != nil {
		t.Fatal(err)
	}
	if left := listing(t, dir); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("the directory itself was removed: %v", err)
	}
}
