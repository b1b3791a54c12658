package imageproc

import (
	"encoding/json"
	"fmt"
	"image"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// python returns an interpreter that imports PIL and numpy, or skips the test.
func python(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import PIL, numpy").Run() == nil {
			return path
		}
	}
	t.Skip("no python3 with PIL and numpy (Debian: python3-pil python3-numpy): PIL parity not checked")
	return ""
}

// refCase is one manifest entry of testdata/pil_reference.py.
type refCase struct {
	Name      string         `json:"name"`
	File      string         `json:"file"`
	Make      map[string]any `json:"make,omitempty"`
	Resizes   [][3]int       `json:"resizes,omitempty"`
	Pipelines []refPipeline  `json:"pipelines,omitempty"`
	// jpeg marks files that Go's and libjpeg's inverse DCTs decode slightly
	// differently: compared with a tolerance, except flat-block ones (exact).
	jpeg, flat bool
}

type refPipeline struct {
	Name   string         `json:"name"`
	Kind   string         `json:"kind"`
	Config map[string]any `json:"config"`
}

type refIndex struct {
	Torch bool   `json:"torch"`
	PIL   string `json:"pil"`
	Cases map[string]struct {
		Mode      string            `json:"mode"`
		Size      [2]int            `json:"size"`
		Pipelines map[string][2]int `json:"pipelines"`
	} `json:"cases"`
}

// runReference writes the manifest, runs the script and reads its index.
func runReference(t *testing.T, dir string, cases []refCase) (refIndex, string) {
	t.Helper()
	py := python(t)
	manifest := filepath.Join(dir, "manifest.json")
	data, err := json.Marshal(map[string]any{"cases": cases})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifest, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "ref")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, filepath.Join("testdata", "pil_reference.py"), manifest, out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pil_reference.py: %v\n%s", err, msg)
	}
	var idx refIndex
	raw, err := os.ReadFile(filepath.Join(out, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &idx); err != nil {
		t.Fatal(err)
	}
	if !idx.Torch {
		t.Log("torch/torchvision not importable: the timm and OpenAI CLIP pipelines are not checked")
	}
	return idx, out
}

// rgbFromBytes wraps PIL's RGB bytes as an RGB8.
func rgbFromBytes(t *testing.T, path string, w, h int) *RGB8 {
	t.Helper()
	pix, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(pix) != w*h*3 {
		t.Fatalf("%s: %d bytes for %dx%d", path, len(pix), w, h)
	}
	return &RGB8{W: w, H: h, Pix: pix}
}

func readF32(t *testing.T, path string) []float32 {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(raw)/4)
	for i := range out {
		out[i] = math.Float32frombits(uint32(raw[4*i]) | uint32(raw[4*i+1])<<8 | uint32(raw[4*i+2])<<16 | uint32(raw[4*i+3])<<24)
	}
	return out
}

// byteDiff returns the largest absolute difference and how many bytes differ.
func byteDiff(a, b []uint8) (maxd, n int) {
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d != 0 {
			n++
			maxd = max(maxd, d, -d)
		}
	}
	return maxd, n
}

func floatDiff(a, b []float32) float64 {
	var m float64
	for i := range a {
		m = max(m, math.Abs(float64(a[i])-float64(b[i])))
	}
	return m
}

// pipelineConfig parses a pipeline's config as the Go side reads it.
func pipelineConfig(t *testing.T, p refPipeline) Config {
	t.Helper()
	data, err := json.Marshal(p.Config)
	if err != nil {
		t.Fatal(err)
	}
	var c Config
	switch p.Kind {
	case "hf":
		c, err = ParseHFConfig(p.Name+".json", data)
	case "timm":
		c, err = FromTimmConfig(p.Name+".json", data)
	case "openai_clip":
		c = CLIPConfig(p.Config["n_px"].(int))
	default:
		err = fmt.Errorf("unknown kind %q", p.Kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// rgbImage wraps an RGB8 as an image.Image (opaque NRGBA) for Apply.
func rgbImage(m *RGB8) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, m.W, m.H))
	for i := range m.W * m.H {
		copy(img.Pix[4*i:], m.Pix[3*i:3*i+3])
		img.Pix[4*i+3] = 255
	}
	return img
}
