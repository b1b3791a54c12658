package imageproc

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/gif"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
)

// pngWithSize returns a PNG signature and an IHDR chunk (valid CRC) claiming w x h,
// followed by nothing: the header parses, the size is what is wrong.
func pngWithSize(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func encoded(t *testing.T) map[Format][]byte {
	t.Helper()
	img := noiseRGB(7, 5, 9)
	var p, g, m bytes.Buffer
	if err := bmp.Encode(&m, img); err != nil {
		t.Fatal(err)
	}
	if err := gif.Encode(&g, img, nil); err != nil {
		t.Fatal(err)
	}
	pngPath := writePNG(t, t.TempDir(), "x.png", img)
	data, _ := os.ReadFile(pngPath)
	p.Write(data)
	return map[Format][]byte{PNG: p.Bytes(), JPEG: encodeJPEG(t, img, 90), GIF: g.Bytes(), BMP: m.Bytes()}
}

func TestDecodeFormats(t *testing.T) {
	for f, data := range encoded(t) {
		got, ok := Sniff(data)
		if !ok || got != f {
			t.Errorf("Sniff(%s) = %q, %v", f, got, ok)
		}
		img, err := DecodeBytes("x", data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if b := img.Bounds(); b.Dx() != 7 || b.Dy() != 5 {
			t.Errorf("%s: %v", f, b)
		}
	}
	if f, ok := Sniff([]byte("RIFF\x00\x00\x00\x00WEBPVP8 ")); !ok || f != WebP {
		t.Errorf("WebP not sniffed: %q", f)
	}
}

// TestDecodeByContent: the extension does not matter, the bytes do.
func TestDecodeByContent(t *testing.T) {
	dir := t.TempDir()
	enc := encoded(t)
	for name, f := range map[string]Format{"png.jpg": PNG, "jpeg.png": JPEG, "gif.jpeg": GIF, "noext": BMP} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, enc[f], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Decode(path); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		cfg, got, err := DecodeConfig(path)
		if err != nil || got != f || cfg.Width != 7 || cfg.Height != 5 {
			t.Errorf("DecodeConfig(%s) = %+v, %q, %v", name, cfg, got, err)
		}
		if rgb, err := Load(path); err != nil || rgb.W != 7 {
			t.Errorf("Load(%s): %v", name, err)
		}
	}
}

func TestDecodeMalformed(t *testing.T) {
	enc := encoded(t)
	png := enc[PNG]
	jpg := enc[JPEG]
	sos := bytes.Index(jpg, []byte{0xff, 0xda})
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty.png", nil, "empty.png: empty file"},
		{"notes.jpg", []byte("this is not a picture"), `notes.jpg: not a PNG, JPEG, GIF, BMP or WebP image: starts with "this is "`},
		{"one.png", []byte{0x89}, "one.png: not a PNG"},
		{"cut-header.png", png[:20], "cut-header.png: truncated PNG file"},
		{"cut-data.png", png[:len(png)-20], "cut-data.png: truncated PNG file"},
		{"cut-scan.jpg", jpg[:sos+20], "cut-scan.jpg: truncated JPEG file"},
		{"cut-header.jpg", jpg[:30], "cut-header.jpg: truncated JPEG file"},
		{"bad-crc.png", append(append([]byte{}, png[:29]...), 0, 0, 0, 0), "bad-crc.png: corrupt PNG file"},
		{"zero.png", pngWithSize(0, 5), "zero.png: corrupt PNG file"},
		{"zero.gif", []byte("GIF89a\x00\x00\x00\x00\x00\x00\x00;"), "zero.gif: zero-size GIF image (0x0)"},
		{"bomb.png", pngWithSize(100000, 100000), "bomb.png: 100000x100000 PNG image is larger than the"},
		{"scan.tif", []byte("II*\x00\x08\x00\x00\x00"), "scan.tif: a TIFF image, which is not supported"},
		{"photo.heic", []byte("\x00\x00\x00\x18ftypheic"), "photo.heic: a HEIF/AVIF image"},
	} {
		_, err := DecodeBytes(tc.name, tc.data)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, tc.want) || strings.Contains(msg, "\n") {
			t.Errorf("%s: error %q, want a line starting %q", tc.name, msg, tc.want)
		}
	}
	if _, err := Decode(filepath.Join(t.TempDir(), "missing.png")); err == nil || !strings.Contains(err.Error(), "missing.png") {
		t.Errorf("missing file: %v", err)
	}
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.jpg")
	os.WriteFile(empty, nil, 0o644)
	if _, _, err := DecodeConfig(empty); err == nil || !strings.Contains(err.Error(), "empty.jpg: empty file") {
		t.Errorf("DecodeConfig of an empty file: %v", err)
	}
}

// FuzzDecode: any bytes give an image or a one-line error naming the file, never a
// panic; a decoded image converts to RGB and resizes.
func FuzzDecode(f *testing.F) {
	for _, data := range encoded(&testing.T{}) {
		f.Add(data)
	}
	f.Add([]byte{})
	f.Add([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"))
	f.Add(pngWithSize(3, 2))
	f.Add([]byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"))
	defer func(m int) { MaxPixels = m }(MaxPixels)
	MaxPixels = 1 << 16 // keep allocations small while fuzzing
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := DecodeBytes("fuzz.bin", data)
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "fuzz.bin: ") || strings.Contains(msg, "\n") {
				t.Fatalf("error %q: want one line naming the file", msg)
			}
			return
		}
		rgb, err := ToRGB(img)
		if err != nil {
			t.Fatalf("decoded %T %v, ToRGB: %v", img, img.Bounds(), err)
		}
		if _, err := Resize(rgb, 3, 2, Bicubic); err != nil {
			t.Fatal(err)
		}
		var _ image.Image = img
	})
}
