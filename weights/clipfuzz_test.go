package weights

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzCLIPConfig fuzzes one CLIP layout's config file: whatever its bytes, Load
// returns a model that validates or a one-line error, and never panics.
func fuzzCLIPConfig(f *testing.F, layout, file string, seeds func(c map[string]any) []map[string]any) {
	dir := tinyCLIPDir(f, layout, nil, nil)
	good, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	var c map[string]any
	if err := json.Unmarshal(good, &c); err != nil {
		f.Fatal(err)
	}
	for _, s := range seeds(c) {
		data, _ := json.Marshal(s)
		f.Add(data)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"model_cfg": null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, file), data, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := Load(dir)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error on two lines: %q", err)
			}
			return
		}
		if err := m.CLIP.Validate(); err != nil {
			t.Fatalf("loaded an invalid config: %v", err)
		}
	})
}

// clone returns a deep copy of a JSON object.
func clone(c map[string]any) map[string]any {
	data, _ := json.Marshal(c)
	var out map[string]any
	json.Unmarshal(data, &out)
	return out
}

func FuzzOpenCLIPConfig(f *testing.F) {
	fuzzCLIPConfig(f, "openclip", OpenCLIPConfigFile, func(c map[string]any) []map[string]any {
		bare := clone(sub(c, "model_cfg"))
		list := clone(c)
		sub(list, "model_cfg", "vision_cfg")["layers"] = []int{1, 1, 1, 1}
		size := clone(c)
		sub(size, "model_cfg", "vision_cfg")["image_size"] = []int{8, 8}
		return []map[string]any{bare, list, size}
	})
}

func FuzzHFCLIPConfig(f *testing.F) {
	fuzzCLIPConfig(f, "hf", "config.json", func(c map[string]any) []map[string]any {
		old := clone(c)
		sub(old, "text_config")["eos_token_id"] = 2
		act := clone(c)
		sub(act, "vision_config")["hidden_act"] = "gelu"
		return []map[string]any{old, act, {"text_config": nil}}
	})
}
