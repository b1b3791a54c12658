package weights

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/weights/safetensors"
)

// tinyHFViT writes a valid Hugging Face ViTForImageClassification directory with
// random weights; edit changes the tensors (name -> shape) before they are written and
// config the config.json fields.
func tinyHFViT(t *testing.T, edit func(tensors map[string][]int), config func(c map[string]any)) string {
	t.Helper()
	cfg := vit.Config{Image: 8, Channels: 3, Patch: 4, Dim: 8, Depth: 1, Heads: 2, MLPDim: 16, Pool: vit.PoolCLS, Classes: 3}
	shapes := map[string][]int{}
	for _, m := range vitMaps("", cfg, hfViTNames(cfg, "vit.")) {
		for i, n := range m.theirs {
			shapes[n] = m.theirShapes[i]
		}
	}
	if edit != nil {
		edit(shapes)
	}
	dir := randomSafetensors(t, shapes, 1)
	c := map[string]any{"model_type": "vit", "architectures": []string{"ViTForImageClassification"}, "hidden_size": 8,
		"num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 16, "image_size": 8, "patch_size": 4,
		"num_channels": 3, "id2label": map[string]string{"0": "a", "1": "b", "2": "c"}}
	if config != nil {
		config(c)
	}
	data, _ := json.Marshal(c)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadGoodTinyViT(t *testing.T) {
	m, err := Load(tinyHFViT(t, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if m.Layout != LayoutHFViT || m.ViT.Classes != 3 || strings.Join(m.Labels, ",") != "a,b,c" {
		t.Fatalf("layout %s, classes %d, labels %v", m.Layout, m.ViT.Classes, m.Labels)
	}
	if m.ViT.LayerNormEpsilon != 1e-12 {
		t.Errorf("layer_norm_eps absent: got %g, want ViTConfig's default 1e-12", m.ViT.LayerNormEpsilon)
	}
}

// TestLoadMalformed: every damaged directory is a one-line error naming the file and
// what is wrong.
func TestLoadMalformed(t *testing.T) {
	cases := []struct {
		name string
		dir  func(t *testing.T) string
		want string
	}{
		{"missing tensor", func(t *testing.T) string {
			return tinyHFViT(t, func(s map[string][]int) { delete(s, "vit.encoder.layer.0.output.dense.bias") }, nil)
		}, "missing tensors vit.encoder.layer.0.output.dense.bias"},
		{"unexpected tensor", func(t *testing.T) string {
			return tinyHFViT(t, func(s map[string][]int) { s["vit.encoder.layer.1.output.dense.bias"] = []int{8} }, nil)
		}, "unexpected tensors vit.encoder.layer.1.output.dense.bias"},
		{"shape against config", func(t *testing.T) string {
			return tinyHFViT(t, nil, func(c map[string]any) { c["intermediate_size"] = 32 })
		}, "the configuration implies [32 8]"},
		{"id2label count", func(t *testing.T) string {
			return tinyHFViT(t, nil, func(c map[string]any) { c["id2label"] = map[string]string{"0": "a"} })
		}, "classifier.weight has shape [3 8], the configuration implies [1 8]"},
		{"id2label ids", func(t *testing.T) string {
			return tinyHFViT(t, nil, func(c map[string]any) { c["id2label"] = map[string]string{"0": "a", "x": "b", "2": "c"} })
		}, `id2label: id "x"`},
		{"config not JSON", func(t *testing.T) string {
			dir := tinyHFViT(t, nil, nil)
			os.WriteFile(filepath.Join(dir, "config.json"), []byte("{oops"), 0o644)
			return dir
		}, "config.json: not valid JSON"},
		{"config wrong type", func(t *testing.T) string {
			return tinyHFViT(t, nil, func(c map[string]any) { c["hidden_size"] = "eight" })
		}, "config.json: not valid JSON for this model"},
		{"bad activation", func(t *testing.T) string {
			return tinyHFViT(t, nil, func(c map[string]any) { c["hidden_act"] = "swish" })
		}, `hidden_act: activation "swish"`},
		{"no config", func(t *testing.T) string {
			dir := tinyHFViT(t, nil, nil)
			os.Remove(filepath.Join(dir, "config.json"))
			return dir
		}, "needs its config.json"},
		{"damaged weights", func(t *testing.T) string {
			dir := tinyHFViT(t, nil, nil)
			p := filepath.Join(dir, "model.safetensors")
			data, _ := os.ReadFile(p)
			os.WriteFile(p, data[:len(data)-10], 0o644)
			return dir
		}, "model.safetensors"},
		{"unknown layout", func(t *testing.T) string {
			dir := t.TempDir()
			safetensors.Write(filepath.Join(dir, "model.safetensors"),
				[]safetensors.Entry{safetensors.FloatEntry("encoder.weight", safetensors.F32, []int{2}, []float32{1, 2})}, nil)
			return dir
		}, "unknown layout: 1 tensors (encoder.weight)"},
		{"pickle only", func(t *testing.T) string {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "pytorch_model.bin"), []byte("PK"), 0o644)
			return dir
		}, "a PyTorch pickle; mmdna reads safetensors only"},
		{"empty dir", func(t *testing.T) string { return t.TempDir() }, "no weights: want one of model.safetensors"},
		{"not a dir", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "f")
			os.WriteFile(p, nil, 0o644)
			return p
		}, "not a directory"},
		{"no such dir", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope") }, "no such file or directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(c.dir(t))
			if err == nil {
				t.Fatalf("loaded; want an error containing %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q: want one line containing %q", err, c.want)
			}
		})
	}
}

// randomSafetensors writes model.safetensors into a new temporary directory: one F32
// tensor of N(0, 1) values (drawn with seed) for each name -> shape; it returns the
// directory.
func randomSafetensors(t testing.TB, shapes map[string][]int, seed uint64) string {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed+1))
	var entries []safetensors.Entry
	for n, s := range shapes {
		v := make([]float32, size(s))
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		entries = append(entries, safetensors.FloatEntry(n, safetensors.F32, s, v))
	}
	dir := t.TempDir()
	if err := safetensors.Write(filepath.Join(dir, "model.safetensors"), entries, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}
