package imageproc

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const third = 1.0 / 255

func TestParseHFConfig(t *testing.T) {
	clip := Config{Resize: ShortestEdge, Size: 224, Filter: Bicubic, CenterCrop: true, CropHeight: 224, CropWidth: 224,
		CropRule: HFCrop, Rescale: third, Mean: CLIPMean, Std: CLIPStd}
	vit := Config{Resize: Exact, Height: 224, Width: 224, Filter: Bilinear, CropRule: HFCrop, Rescale: third,
		Mean: HalfMean, Std: HalfStd}
	with := func(c Config, f func(*Config)) Config { f(&c); return c }
	for _, tc := range []struct {
		name, json string
		want       Config
	}{
		{"clip-vit-base-patch32", `{"crop_size": {"height": 224, "width": 224}, "do_center_crop": true,
			"do_convert_rgb": true, "do_normalize": true, "do_rescale": true, "do_resize": true,
			"image_mean": [0.48145466, 0.4578275, 0.40821073], "image_processor_type": "CLIPImageProcessor",
			"image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3, "rescale_factor": 0.00392156862745098,
			"size": {"shortest_edge": 224}}`, clip},
		{"old CLIPFeatureExtractor: bare ints", `{"crop_size": 224, "do_center_crop": true, "do_normalize": true,
			"do_resize": true, "feature_extractor_type": "CLIPFeatureExtractor", "image_mean": [0.48145466, 0.4578275, 0.40821073],
			"image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3, "size": 224}`, clip},
		{"CLIP defaults", `{"image_processor_type": "CLIPImageProcessor"}`, clip},
		{"old ViTFeatureExtractor: bare int is a square", `{"do_normalize": true, "do_resize": true,
			"feature_extractor_type": "ViTFeatureExtractor", "image_mean": [0.5, 0.5, 0.5],
			"image_std": [0.5, 0.5, 0.5], "resample": 2, "size": 224}`, vit},
		{"empty: ViT defaults", `{}`, vit},
		{"unknown class read by its fields", `{"image_processor_type": "SiglipImageProcessor", "size": {"height": 384, "width": 384},
			"resample": 3, "image_mean": 0.5, "image_std": 0.5, "do_convert_rgb": null}`,
			with(vit, func(c *Config) {
				c.Height, c.Width, c.Filter, c.Mean, c.Std = 384, 384, Bicubic, []float64{0.5}, []float64{0.5}
			})},
		{"no normalise, no rescale, no resize", `{"image_processor_type": "CLIPImageProcessor", "do_normalize": false,
			"do_rescale": false, "do_resize": false, "crop_size": {"height": 7, "width": 9}}`,
			with(clip, func(c *Config) {
				c.Resize, c.Size, c.Filter, c.Rescale, c.Mean, c.Std, c.CropHeight, c.CropWidth = NoResize, 0, 0, 0, nil, nil, 7, 9
			})},
	} {
		got, err := ParseHFConfig("preprocessor_config.json", []byte(tc.json))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !strings.HasPrefix(got.Source, "preprocessor_config.json") {
			t.Errorf("%s: source %q", tc.name, got.Source)
		}
		got.Source = ""
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}

func TestParseHFConfigErrors(t *testing.T) {
	for _, tc := range []struct{ json, want string }{
		{`{"size": "big"}`, `field "size": want an int`},
		{`{"size": {"longest_edge": 5}}`, `field "size"`},
		{`{"size": {"height": 5}}`, `field "size"`},
		{`{"size": -3}`, `field "size"`},
		{`{"size": 2.5}`, `field "size"`},
		{`{"size": 100000000}`, `field "size"`},
		{`{"size": 20000}`, `1 to 16384 pixels`},
		{`{"resample": 7}`, `field "resample": want a PIL filter number 0-5, got 7`},
		{`{"resample": "bicubic"}`, `field "resample": want an integer`},
		{`{"do_resize": "yes"}`, `field "do_resize": want true or false`},
		{`{"image_mean": [1, 2]}`, `field "image_mean": want a number or a list of 3 numbers`},
		{`{"image_std": [0, 1, 1]}`, `field "image_std": want non-zero values`},
		{`{"rescale_factor": "x"}`, `field "rescale_factor": want a number`},
		{`{"rescale_factor": -1}`, `field "rescale_factor": want a positive number`},
		{`{"do_center_crop": true, "crop_size": {"shortest_edge": 3}}`, `field "crop_size"`},
		{`{"crop_pct": 0.875}`, `field "crop_pct"`},
		{`{"image_processor_type": 3}`, `field "image_processor_type": want a string`},
		{`{"do_convert_rgb": 1}`, `field "do_convert_rgb"`},
		{`[1, 2]`, `not a JSON object`},
		{`null`, `not a JSON object`},
		{`{"size": `, `not a JSON object`},
	} {
		_, err := ParseHFConfig("m/preprocessor_config.json", []byte(tc.json))
		if err == nil || !strings.HasPrefix(err.Error(), "m/preprocessor_config.json") ||
			!strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line naming the file and %q", tc.json, err, tc.want)
		}
	}
}

func TestFromTimmConfig(t *testing.T) {
	base := Config{Resize: ShortestEdge, Size: 248, Filter: Bicubic, CenterCrop: true, CropHeight: 224, CropWidth: 224,
		CropRule: TorchvisionCrop, Rescale: third, Mean: HalfMean, Std: HalfStd}
	with := func(c Config, f func(*Config)) Config { f(&c); return c }
	for _, tc := range []struct {
		name, json string
		want       Config
	}{
		// floor(224 / 0.9) = floor(248.9) = 248.
		{"hub config", `{"architecture": "vit_base_patch16_224", "num_classes": 1000, "pretrained_cfg": {
			"tag": "augreg_in21k_ft_in1k", "input_size": [3, 224, 224], "fixed_input_size": true,
			"interpolation": "bicubic", "crop_pct": 0.9, "crop_mode": "center", "mean": [0.5, 0.5, 0.5],
			"std": [0.5, 0.5, 0.5], "num_classes": 1000, "pool_size": null}}`, base},
		{"older, keys at the top", `{"architecture": "resnet50", "input_size": [3, 224, 224], "crop_pct": 0.875,
			"interpolation": "bilinear", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}`,
			with(base, func(c *Config) { c.Size, c.Filter, c.Mean, c.Std = 256, Bilinear, ImageNetMean, ImageNetStd })},
		{"defaults", `{"pretrained_cfg": {}}`,
			with(base, func(c *Config) { c.Size, c.Mean, c.Std = 256, ImageNetMean, ImageNetStd })},
		{"crop_pct 1 at 384", `{"pretrained_cfg": {"input_size": [3, 384, 384], "crop_pct": 1.0, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}}`,
			with(base, func(c *Config) { c.Size, c.CropHeight, c.CropWidth = 384, 384, 384 })},
		{"squash", `{"pretrained_cfg": {"crop_mode": "squash", "crop_pct": 0.95, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}}`,
			with(base, func(c *Config) { c.Resize, c.Size, c.Height, c.Width = Exact, 0, 235, 235 })},
		{"non-square: ResizeKeepRatio, bilinear", `{"pretrained_cfg": {"input_size": [3, 192, 256], "crop_pct": 0.8, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}}`,
			with(base, func(c *Config) {
				c.Resize, c.Size, c.Height, c.Width, c.Filter, c.CropHeight, c.CropWidth = KeepRatio, 0, 240, 320, Bilinear, 192, 256
			})},
	} {
		got, err := FromTimmConfig("config.json", []byte(tc.json))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		got.Source = ""
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct{ json, want string }{
		{`{"pretrained_cfg": {"input_size": [2, 224, 224]}}`, `pretrained_cfg: field "input_size": want [channels (1 or 3), height, width]`},
		{`{"pretrained_cfg": {"input_size": [3, 224]}}`, `field "input_size"`},
		{`{"pretrained_cfg": {"input_size": "224"}}`, `field "input_size": want a list of integers`},
		{`{"pretrained_cfg": {"interpolation": "random"}}`, `field "interpolation": want nearest, bilinear`},
		{`{"pretrained_cfg": {"crop_mode": "border"}}`, `field "crop_mode"`},
		{`{"pretrained_cfg": {"crop_pct": "x"}}`, `field "crop_pct": want a number`},
		{`{"pretrained_cfg": {"crop_pct": -1}}`, `field "crop_pct"`},
		{`{"pretrained_cfg": {"input_size": [3, 224, 224], "crop_pct": 0.001}}`, `want 1 to 16384 pixels`},
		{`{"pretrained_cfg": 5}`, `field "pretrained_cfg": want an object`},
		{`{"pretrained_cfg": {"std": [1, 0, 1]}}`, `std[1] is 0`},
	} {
		_, err := FromTimmConfig("config.json", []byte(tc.json))
		if err == nil || !strings.HasPrefix(err.Error(), "config.json") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.json, err, tc.want)
		}
	}
}

func TestKeepRatioSize(t *testing.T) {
	// 500x375 into 320x240: ratios 375/240 = 1.5625 and 500/320 = 1.5625 -> 320x240.
	// 400x100 into 32x24: ratios 100/24 = 4.17 and 400/32 = 12.5; the smaller scales:
	// 400/4.1667 = 96, 100/4.1667 = 24.
	for _, tc := range []struct{ w0, h0, w, h, ww, wh int }{
		{500, 375, 320, 240, 320, 240}, {400, 100, 32, 24, 96, 24}, {37, 23, 28, 20, 32, 20},
	} {
		if w, h := KeepRatioSize(tc.w0, tc.h0, tc.w, tc.h); w != tc.ww || h != tc.wh {
			t.Errorf("%dx%d into %dx%d: %dx%d, want %dx%d", tc.w0, tc.h0, tc.w, tc.h, w, h, tc.ww, tc.wh)
		}
	}
}

func TestLoadDir(t *testing.T) {
	hf, timm, plain, empty := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(hf, "preprocessor_config.json"), []byte(`{"image_processor_type": "CLIPImageProcessor"}`), 0o644)
	os.WriteFile(filepath.Join(hf, "config.json"), []byte(`{"model_type": "clip"}`), 0o644)
	os.WriteFile(filepath.Join(timm, "config.json"), []byte(`{"architecture": "vit_small", "pretrained_cfg": {"crop_pct": 1}}`), 0o644)
	os.WriteFile(filepath.Join(plain, "config.json"), []byte(`{"model_type": "vit"}`), 0o644)
	if c, err := LoadDir(hf); err != nil || c.Size != 224 || c.CropRule != HFCrop {
		t.Errorf("HF dir: %+v %v", c, err)
	}
	if c, err := LoadDir(timm); err != nil || c.Size != 224 || c.CropRule != TorchvisionCrop {
		t.Errorf("timm dir: %+v %v", c, err)
	}
	for _, dir := range []string{plain, empty} {
		if _, err := LoadDir(dir); err == nil || !strings.HasPrefix(err.Error(), dir) {
			t.Errorf("%s: error %v", dir, err)
		}
	}
}

// FuzzConfig: any bytes give a Config that validates (and runs on a small image) or a
// one-line error naming the file, never a panic.
func FuzzConfig(f *testing.F) {
	for _, s := range []string{
		`{"image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 8}, "crop_size": 8}`,
		`{"size": 5, "resample": 0, "image_mean": 0.5, "image_std": [1, 2, 3]}`,
		`{"pretrained_cfg": {"input_size": [3, 8, 6], "crop_pct": 0.5, "crop_mode": "squash"}}`,
		`{"architecture": "x", "input_size": [3, 9, 9], "interpolation": "lanczos"}`,
		`{"size": {"height": 3, "width": 4}, "do_center_crop": true, "crop_size": {"height": 5, "width": 2}}`,
		`null`, `[]`, `{"size": null}`,
	} {
		f.Add([]byte(s))
	}
	img := rgbImage(noisy(11, 7))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, parse := range []func(string, []byte) (Config, error){ParseHFConfig, FromTimmConfig} {
			c, err := parse("fuzz.json", data)
			if err != nil {
				if msg := err.Error(); !strings.HasPrefix(msg, "fuzz.json") || strings.Contains(msg, "\n") {
					t.Fatalf("error %q: want one line naming the file", msg)
				}
				continue
			}
			if err := c.Validate(); err != nil {
				t.Fatalf("parsed config does not validate: %v", err)
			}
			small := max(c.Size, c.Height, c.Width, c.CropHeight, c.CropWidth) <= 64
			if !small {
				continue
			}
			pix, h, w, err := c.Apply(img)
			if err != nil || len(pix) != h*w*3 {
				t.Fatalf("Apply: %d values for %dx%d, %v", len(pix), w, h, err)
			}
		}
	})
}
