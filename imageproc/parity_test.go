package imageproc

import (
	"fmt"
	"path/filepath"
	"testing"
)

// Pipelines of the parity test, as each library's config file says them.
var (
	hfCLIP = func(n int) refPipeline {
		return refPipeline{fmt.Sprintf("hf_clip_%d", n), "hf", map[string]any{
			"image_processor_type": "CLIPImageProcessor", "do_resize": true, "size": map[string]int{"shortest_edge": n},
			"resample": 3, "do_center_crop": true, "crop_size": map[string]int{"height": n, "width": n},
			"do_rescale": true, "rescale_factor": 1.0 / 255, "do_normalize": true,
			"image_mean": CLIPMean, "image_std": CLIPStd, "do_convert_rgb": true}}
	}
	hfViT = func(n int) refPipeline {
		return refPipeline{fmt.Sprintf("hf_vit_%d", n), "hf", map[string]any{
			"image_processor_type": "ViTImageProcessor", "do_resize": true, "size": map[string]int{"height": n, "width": n},
			"resample": 2, "do_rescale": true, "rescale_factor": 1.0 / 255, "do_normalize": true,
			"image_mean": HalfMean, "image_std": HalfStd}}
	}
	// hfPad crops 48x40 without resizing: small images are padded, with odd margins.
	hfPad = refPipeline{"hf_pad", "hf", map[string]any{
		"image_processor_type": "CLIPImageProcessor", "do_resize": false, "size": map[string]int{"shortest_edge": 8},
		"resample": 3, "do_center_crop": true, "crop_size": map[string]int{"height": 48, "width": 40},
		"do_rescale": true, "rescale_factor": 1.0 / 255, "do_normalize": true,
		"image_mean": ImageNetMean, "image_std": ImageNetStd}}
	timm = func(name string, size []int, interp string, cropPct float64, mode string) refPipeline {
		return refPipeline{name, "timm", map[string]any{"architecture": "vit_test", "pretrained_cfg": map[string]any{
			"input_size": size, "interpolation": interp, "crop_pct": cropPct, "crop_mode": mode,
			"mean": HalfMean, "std": HalfStd}}}
	}
	openAI = func(n int) refPipeline {
		return refPipeline{fmt.Sprintf("clip_%d", n), "openai_clip", map[string]any{"n_px": n}}
	}
)

func parityCases(t *testing.T, dir string) []refCase {
	writePNG(t, dir, "noise.png", noiseRGB(37, 23, 1))
	writePNG(t, dir, "photo.png", photo(500, 375, 2))
	writeJPEG(t, dir, "photo_go.jpg", photo(500, 375, 2), 90)
	writePNG(t, dir, "grey.png", greyImage(41, 29, 3))
	writePNG(t, dir, "rgba.png", translucent(33, 47, 4))
	writePNG(t, dir, "pal.png", paletted(40, 30, 5))
	writePNG(t, dir, "gray16.png", gray16(20, 18))
	writePNG(t, dir, "blocky.png", blocky(64, 48, 6))
	writePNG(t, dir, "blocky_odd.png", blocky(37, 23, 7))
	writePNG(t, dir, "tiny.png", noiseRGB(4, 6, 8))
	small := []refPipeline{hfCLIP(32), hfViT(24), openAI(32)}
	jpegFrom := func(name, from, mode string, sub, q int, flat bool) refCase {
		return refCase{Name: name, File: name + ".jpg", jpeg: true, flat: flat,
			Make:      map[string]any{"from": from, "mode": mode, "subsampling": sub, "quality": q},
			Pipelines: small}
	}
	// pilFile has PIL write another format (decoded exactly by Go too).
	pilFile := func(name, ext, from, mode, format string) refCase {
		return refCase{Name: name, File: name + "." + ext, Pipelines: small,
			Make: map[string]any{"from": from, "mode": mode, "format": format}}
	}
	return []refCase{
		{Name: "noise", File: "noise.png", Resizes: [][3]int{
			{16, 16, 3}, {80, 50, 3}, {37, 11, 3}, {13, 23, 3}, {16, 16, 2}, {80, 50, 2}, {16, 16, 0}, {80, 50, 0},
			{7, 5, 0}, {16, 16, 1}, {80, 50, 1}, {16, 16, 4}, {16, 16, 5}, {1, 1, 3}, {300, 200, 3}, {3, 2, 2}},
			Pipelines: append(append([]refPipeline{}, small...), hfPad,
				timm("timm_pad", []int{3, 64, 64}, "bicubic", 1.5, "center"),
				timm("timm_rect", []int{3, 20, 28}, "bicubic", 0.875, "center"),
				timm("timm_squash", []int{3, 24, 24}, "bilinear", 0.95, "squash"))},
		{Name: "photo", File: "photo.png", Resizes: [][3]int{{298, 224, 3}, {224, 224, 2}, {224, 168, 3}, {64, 48, 1}},
			Pipelines: []refPipeline{hfCLIP(224), hfViT(224), openAI(224),
				timm("timm_224", []int{3, 224, 224}, "bicubic", 0.9, "center")}},
		{Name: "grey", File: "grey.png", Resizes: [][3]int{{20, 14, 3}}, Pipelines: small},
		{Name: "rgba", File: "rgba.png", Resizes: [][3]int{{16, 20, 3}}, Pipelines: small},
		{Name: "pal", File: "pal.png", Pipelines: small},
		{Name: "gray16", File: "gray16.png", Pipelines: []refPipeline{hfCLIP(32)}},
		{Name: "photo_go_jpg", File: "photo_go.jpg", jpeg: true, Pipelines: []refPipeline{hfCLIP(224), openAI(224)}},
		jpegFrom("photo_420", "photo.png", "RGB", 2, 90, false),
		jpegFrom("photo_422", "photo.png", "RGB", 1, 90, false),
		jpegFrom("photo_444", "photo.png", "RGB", 0, 90, false),
		jpegFrom("photo_grey", "photo.png", "L", 2, 90, false),
		jpegFrom("photo_cmyk", "photo.png", "CMYK", 0, 90, false),
		jpegFrom("blocky_420", "blocky.png", "RGB", 2, 100, true),
		jpegFrom("blocky_422", "blocky.png", "RGB", 1, 100, true),
		jpegFrom("blocky_444", "blocky.png", "RGB", 0, 100, true),
		jpegFrom("blocky_odd_420", "blocky_odd.png", "RGB", 2, 100, true),
		jpegFrom("blocky_cmyk", "blocky.png", "CMYK", 0, 100, true),
		jpegFrom("tiny_420", "tiny.png", "RGB", 2, 95, false),
		pilFile("webp_lossless", "webp", "noise.png", "RGBA", "WEBP"),
		pilFile("webp_lossy", "webp", "photo.png", "RGB", "WEBP_LOSSY"),
		pilFile("webp_lossy_odd", "webp", "noise.png", "RGB", "WEBP_LOSSY"),
		pilFile("webp_lossy_alpha", "webp", "rgba.png", "RGBA", "WEBP_LOSSY"),
		pilFile("gif", "gif", "photo.png", "P", "GIF"),
		pilFile("bmp", "bmp", "noise.png", "RGB", "BMP"),
		pilFile("bmp_pal", "bmp", "pal.png", "P", "BMP"),
		pilFile("la", "png", "rgba.png", "LA", "PNG"),
		pilFile("rgba_pil", "png", "rgba.png", "RGBA", "PNG"),
	}
}

// Tolerances where Go's JPEG decoder and libjpeg-turbo differ: only their inverse DCTs
// do (flat-block JPEGs, whose IDCT is exact in both, decode to equal bytes), by a unit
// or two on a few pixels, which at the end of a pipeline is at most a few units over
// 255 divided by the std.
const (
	jpegMaxByteDiff  = 4
	jpegMaxFloatDiff = 0.08
)

// TestPILParity compares every step with PIL 9.4 / numpy / torchvision on the same
// files: decoding to RGB, Resize's bytes, and whole pipelines parsed from config files,
// all exact except the decoding of JPEG photographs (Go's inverse DCT).
func TestPILParity(t *testing.T) {
	dir := t.TempDir()
	cases := parityCases(t, dir)
	idx, out := runReference(t, dir, cases)
	for _, c := range cases {
		ref, ok := idx.Cases[c.Name]
		if !ok {
			t.Fatalf("%s: no reference output", c.Name)
		}
		w, h := ref.Size[0], ref.Size[1]
		pilRGB := rgbFromBytes(t, filepath.Join(out, c.Name+".rgb"), w, h)
		img, err := Decode(filepath.Join(dir, c.File))
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		rgb, err := ToRGB(img)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if rgb.W != w || rgb.H != h {
			t.Fatalf("%s: decoded %dx%d, PIL %dx%d", c.Name, rgb.W, rgb.H, w, h)
		}
		maxd, n := byteDiff(rgb.Pix, pilRGB.Pix)
		switch {
		case c.jpeg && !c.flat:
			t.Logf("%s (%s, %T): decoded bytes differ from PIL's on %d of %d, by at most %d", c.Name, ref.Mode, img, n, len(rgb.Pix), maxd)
			if maxd > jpegMaxByteDiff {
				t.Errorf("%s: JPEG decoding differs from PIL's by %d (> %d)", c.Name, maxd, jpegMaxByteDiff)
			}
		case n > 0:
			t.Errorf("%s (%s, %T): decoded bytes differ from PIL's on %d of %d, by at most %d", c.Name, ref.Mode, img, n, len(rgb.Pix), maxd)
		}
		for i, r := range c.Resizes {
			got, err := Resize(pilRGB, r[0], r[1], Filter(r[2]))
			if err != nil {
				t.Fatal(err)
			}
			want := rgbFromBytes(t, filepath.Join(out, fmt.Sprintf("%s.resize.%d", c.Name, i)), r[0], r[1])
			if maxd, n := byteDiff(got.Pix, want.Pix); n > 0 {
				t.Errorf("%s: Resize %dx%d -> %dx%d %v: %d bytes differ from PIL's, by at most %d", c.Name, w, h, r[0], r[1], Filter(r[2]), n, maxd)
			}
		}
		for _, p := range c.Pipelines {
			shape, ok := ref.Pipelines[p.Name]
			if !ok {
				continue // torch-only pipeline without torch
			}
			want := readF32(t, filepath.Join(out, c.Name+"."+p.Name+".f32"))
			cfg := pipelineConfig(t, p)
			got, gh, gw, err := cfg.Apply(img)
			if err != nil {
				t.Fatalf("%s %s: %v", c.Name, p.Name, err)
			}
			if gh != shape[0] || gw != shape[1] || len(got) != len(want) {
				t.Fatalf("%s %s: output %dx%d (%d values), reference %dx%d (%d)", c.Name, p.Name, gw, gh, len(got), shape[1], shape[0], len(want))
			}
			d := floatDiff(got, want)
			switch {
			case c.jpeg && !c.flat:
				t.Logf("%s %s: max |Go - reference| %.3g (Go's JPEG decoder)", c.Name, p.Name, d)
				if d > jpegMaxFloatDiff {
					t.Errorf("%s %s: differs from the reference by %.3g (> %g)", c.Name, p.Name, d, jpegMaxFloatDiff)
				}
			case d > 0: // bit-exact: the brief allowed 1e-6, there is no difference at all
				t.Errorf("%s %s: differs from the reference by %.3g", c.Name, p.Name, d)
			}
			// On PIL's own decoded bytes the rest of the pipeline must be exact (CMYK
			// excepted under OpenAI's order, which resizes CMYK before converting).
			if c.jpeg && !(ref.Mode == "CMYK" && cfg.ConvertLast) {
				got, _, _, err := cfg.Apply(rgbImage(pilRGB))
				if err != nil {
					t.Fatal(err)
				}
				if d := floatDiff(got, want); d > 0 {
					t.Errorf("%s %s on PIL's decoded bytes: differs from the reference by %.3g", c.Name, p.Name, d)
				}
			}
		}
	}
}
