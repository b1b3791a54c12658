package viz

import (
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// decodePNG reads a PNG and checks its size and that it is not blank.
func decodePNG(t *testing.T, path string, w, h int) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("%s: %dx%d, want %dx%d", path, b.Dx(), b.Dy(), w, h)
	}
	colours := map[[4]uint32]bool{}
	for y := 0; y < h; y += 3 {
		for x := 0; x < w; x += 3 {
			r, g, b, a := img.At(x, y).RGBA()
			colours[[4]uint32{r, g, b, a}] = true
		}
	}
	if len(colours) < 3 {
		t.Errorf("%s: only %d colours: a blank chart", path, len(colours))
	}
	return img
}

func TestLineChart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "loss.png")
	nan := math.NaN()
	err := LineChart(path, "loss", "step", "loss",
		Series{Name: "train", X: []float64{0, 1, 2, 3}, Y: []float64{2.3, 1.1, nan, 0.4}},
		Series{Name: "eval", X: []float64{0, 2, nan}, Y: []float64{2.2, 0.9, 0.5}},
		Series{Name: "all NaN", X: []float64{1}, Y: []float64{nan}},
	)
	if err != nil {
		t.Fatal(err)
	}
	decodePNG(t, path, ChartWidth, ChartHeight)
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %v, want only loss.png", entries)
	}

	bad := filepath.Join(dir, "bad.png")
	err = LineChart(bad, "t", "x", "y", Series{Name: "s", X: []float64{1, 2}, Y: []float64{1}})
	if err == nil || !strings.Contains(err.Error(), `series "s" has 2 x and 1 y values`) {
		t.Errorf("mismatched series: err = %v", err)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Error("a failed chart left a file")
	}
}

func TestBarChart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "acc.png")
	if err := BarChart(path, "accuracy", []string{"v0", "v1", "v2"}, []float64{0.8, 0.85, 0.9}); err != nil {
		t.Fatal(err)
	}
	decodePNG(t, path, ChartWidth, ChartHeight)
	// Many labels take the slanted layout.
	labels := make([]string, 17)
	values := make([]float64, 17)
	for i := range labels {
		labels[i], values[i] = "v10_"+string(rune('a'+i)), float64(i)
	}
	many := filepath.Join(dir, "many.png")
	if err := BarChart(many, "ablation", labels, values); err != nil {
		t.Fatal(err)
	}
	decodePNG(t, many, ChartWidth, ChartHeight)

	for _, tc := range []struct {
		name, want string
		labels     []string
		values     []float64
	}{
		{"mismatch", "2 labels for 1 values", []string{"a", "b"}, []float64{1}},
		{"empty", "no values", nil, nil},
		{"nan", `value 1 ("b") is NaN`, []string{"a", "b"}, []float64{1, math.NaN()}},
	} {
		err := BarChart(filepath.Join(dir, "x.png"), "t", tc.labels, tc.values)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
}
