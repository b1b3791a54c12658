package imageproc

import (
	"image"
	"image/color"
	"strings"
	"testing"
)

// TestApplyConstant: a constant colour comes out of every pipeline as
// (v/255 - mean) / std in float32, at the configured size.
func TestApplyConstant(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 13, 9))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = 200, 100, 50, 255
	}
	timm, err := FromTimmConfig("t.json", []byte(`{"pretrained_cfg": {"input_size": [3, 6, 10], "crop_pct": 0.9}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		c    Config
		h, w int
	}{
		{CLIPConfig(8), 8, 8},
		{timm, 6, 10},
		{Config{Source: "exact", Resize: Exact, Height: 5, Width: 17, Filter: Lanczos, Rescale: 1.0 / 255, Mean: HalfMean, Std: HalfStd}, 5, 17},
	} {
		pix, h, w, err := tc.c.Apply(img)
		if err != nil {
			t.Fatalf("%s: %v", tc.c.Source, err)
		}
		if h != tc.h || w != tc.w || len(pix) != h*w*3 {
			t.Fatalf("%s: %dx%d, %d values; want %dx%d", tc.c.Source, w, h, len(pix), tc.w, tc.h)
		}
		for i, v := range pix {
			c := i % 3
			x := []float32{200, 100, 50}[c] / 255
			want := (x - float32(tc.c.Mean[c])) / float32(tc.c.Std[c])
			if v != want {
				t.Fatalf("%s: value %d = %v, want %v", tc.c.Source, i, v, want)
			}
		}
	}
	// Converting last or first gives the same on an opaque RGB image.
	first := CLIPConfig(8)
	first.ConvertLast = false
	a, _, _, _ := CLIPConfig(8).Apply(rgbImage(noisy(13, 9)))
	b, _, _, _ := first.Apply(rgbImage(noisy(13, 9)))
	if floatDiff(a, b) != 0 {
		t.Error("ConvertLast changes an opaque RGB image")
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		c    Config
		want string
	}{
		{Config{Source: "a", Resize: ShortestEdge}, "a: resize size 0"},
		{Config{Source: "b", Resize: Exact, Height: 3}, "b: resize to 0x3"},
		{Config{Source: "c", Resize: ShortestEdge, Size: 4, Filter: 8}, "c: unknown resample filter 8"},
		{Config{Source: "d", CenterCrop: true, CropWidth: 3}, "d: crop to 3x0"},
		{Config{Source: "e", Mean: HalfMean}, "e: std has 0 values"},
		{Config{Source: "f", Rescale: -1}, "f: rescale factor -1 is negative"},
		{Config{Source: "g", Resize: ResizeMode(9)}, "g: unknown resize mode 9"},
	} {
		err := tc.c.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.c, err, tc.want)
		}
		if _, _, _, err := tc.c.Apply(image.NewGray(image.Rect(0, 0, 2, 2))); err == nil {
			t.Errorf("%s: Apply ran an invalid config", tc.c.Source)
		}
	}
	if _, _, _, err := CLIPConfig(8).Apply(image.NewUniform(color.Black)); err == nil {
		t.Error("Apply on an unbounded image: no error")
	}
}
