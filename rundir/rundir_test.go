package rundir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestConfigRoundTrip(t *testing.T) {
	dir := t.TempDir()
	in := Config{Format: "ignored: WriteConfig sets it", Experiment: "mlp-spirals", Params: map[string]any{"steps": 20, "lr": 0.01, "name": "x"}}
	if err := WriteConfig(dir, in); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, ConfigFile))
	if !strings.HasPrefix(string(data), "{\n  \"format\": \"mmdna-run/1\",\n  \"experiment\": \"mlp-spirals\",") {
		t.Errorf("config.json starts %q, want the marker first, then the experiment", data)
	}
	c, err := ReadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Marked() || c.Experiment != "mlp-spirals" || c.Params["steps"] != 20.0 || c.Params["lr"] != 0.01 || c.Params["name"] != "x" {
		t.Errorf("read back %+v", c)
	}
	if !IsRun(dir) {
		t.Error("IsRun false on a written config")
	}
}

// TestReadConfig: configs from before the marker are read (Marked false); files that
// are not an mmdna run's config are one-line errors naming the file.
func TestReadConfig(t *testing.T) {
	for _, tc := range []struct {
		name, content, want string
		marked              bool
	}{
		{"marked", `{"format":"mmdna-run/1","experiment":"vit-fmnist","params":{"steps":5}}`, "", true},
		{"marked, no params", `{"format":"mmdna-run/1","experiment":"vit-fmnist"}`, "", true},
		{"before the marker", `{"experiment":"vit-fmnist","params":{"steps":5}}`, "", false},
		{"hugging face", `{"architectures":["ViTModel"],"hidden_size":768}`, `no "format"`, false},
		{"old-looking without params", `{"experiment":"vit-fmnist"}`, `no "format"`, false},
		{"other format", `{"format":"mmdna-run/9","experiment":"x","params":{}}`, `format "mmdna-run/9"`, false},
		{"no experiment", `{"format":"mmdna-run/1","params":{}}`, "names no experiment", false},
		{"array", `[1,2]`, "not a JSON object", false},
		{"null", `null`, "not a JSON object", false},
		{"not json", `{"experiment":`, "not a JSON object", false},
		{"wrong types", `{"format":"mmdna-run/1","experiment":3,"params":{}}`, "not an mmdna run's config", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, filepath.Join(dir, ConfigFile), tc.content)
			c, err := ReadConfig(dir)
			if tc.want == "" {
				if err != nil || c.Marked() != tc.marked || c.Params == nil {
					t.Fatalf("ReadConfig: %+v, %v; want marked=%v and params", c, err, tc.marked)
				}
				if IsRun(dir) != tc.marked {
					t.Errorf("IsRun = %v, want %v", IsRun(dir), tc.marked)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), ConfigFile) || strings.Contains(err.Error(), "\n") {
				t.Errorf("ReadConfig: %v, want one line naming config.json with %q", err, tc.want)
			}
			if IsRun(dir) {
				t.Error("IsRun true on a config that is not a run's")
			}
		})
	}
	if _, err := ReadConfig(t.TempDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadConfig of a directory without config.json: %v, want fs.ErrNotExist", err)
	}
}

func TestWriteFileAtomicReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.json")
	for _, content := range []string{"first", "second"} {
		if err := WriteFileAtomic(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := os.ReadFile(path)
	entries, _ := os.ReadDir(dir)
	if string(got) != "second" || len(entries) != 1 {
		t.Errorf("content %q, %d entries; want second and no temporary file left", got, len(entries))
	}
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "x"), nil); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

// FuzzReadConfig: parsing never panics, and a config it accepts is written back
// marked and parsed again with the same experiment and parameter names.
func FuzzReadConfig(f *testing.F) {
	f.Add(`{"format":"mmdna-run/1","experiment":"vit-fmnist","params":{"steps":5}}`)
	f.Add(`{"experiment":"x","params":{"a":[1,{"b":null}]}}`)
	f.Add(`{"architectures":["ViTModel"]}`)
	f.Fuzz(func(t *testing.T, content string) {
		c, err := parseConfig("f", []byte(content))
		if err != nil {
			return
		}
		data, err := c.marshal()
		if err != nil {
			t.Fatalf("writing back %+v: %v", c, err)
		}
		again, err := parseConfig("f", data)
		if err != nil || !again.Marked() || again.Experiment != c.Experiment || len(again.Params) != len(c.Params) {
			t.Fatalf("read back %+v, %v; first read %+v", again, err, c)
		}
	})
}
