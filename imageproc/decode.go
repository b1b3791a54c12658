package imageproc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"strings"

	"golang.org/x/image/bmp"
	"golang.org/x/image/webp"
)

// Format is an image file format, recognised by its first bytes.
type Format string

// The formats Decode reads.
const (
	PNG  Format = "PNG"
	JPEG Format = "JPEG"
	GIF  Format = "GIF"
	BMP  Format = "BMP"
	WebP Format = "WebP"
)

// MaxPixels is the largest width*height Decode accepts, so that a small file claiming
// a huge image fails with an error instead of exhausting memory: PIL's own limit, where
// Image.open raises DecompressionBombError (2 * MAX_IMAGE_PIXELS).
var MaxPixels = 2 * 89478485

// codec is one format's magic bytes and decoders.
type codec struct {
	format       Format
	magic        func(head []byte) bool
	decode       func(io.Reader) (image.Image, error)
	decodeConfig func(io.Reader) (image.Config, error)
}

var codecs = []codec{
	{PNG, prefix("\x89PNG\r\n\x1a\n"), png.Decode, png.DecodeConfig},
	{JPEG, prefix("\xff\xd8\xff"), jpeg.Decode, jpeg.DecodeConfig},
	{GIF, func(h []byte) bool { return prefix("GIF87a")(h) || prefix("GIF89a")(h) }, gif.Decode, gif.DecodeConfig},
	{BMP, prefix("BM"), bmp.Decode, bmp.DecodeConfig},
	{WebP, func(h []byte) bool { return len(h) >= 12 && string(h[:4]) == "RIFF" && string(h[8:12]) == "WEBP" }, webp.Decode, webp.DecodeConfig},
}

func prefix(p string) func([]byte) bool {
	return func(h []byte) bool { return bytes.HasPrefix(h, []byte(p)) }
}

// unsupported names formats that are recognised only to say so.
var unsupported = []struct {
	name  string
	magic func([]byte) bool
}{
	{"TIFF", func(h []byte) bool { return prefix("II*\x00")(h) || prefix("MM\x00*")(h) }},
	{"HEIF/AVIF", func(h []byte) bool { return len(h) >= 12 && string(h[4:8]) == "ftyp" }},
	{"ICO", prefix("\x00\x00\x01\x00")},
}

// Sniff returns the format of a file that starts with head (12 bytes are enough).
func Sniff(head []byte) (Format, bool) {
	for _, c := range codecs {
		if c.magic(head) {
			return c.format, true
		}
	}
	return "", false
}

// sniffCodec finds the codec for head, or returns the one-line error for name.
func sniffCodec(name string, head []byte) (codec, error) {
	if len(head) == 0 {
		return codec{}, fmt.Errorf("%s: empty file, not an image", name)
	}
	for _, c := range codecs {
		if c.magic(head) {
			return c, nil
		}
	}
	start := fmt.Sprintf("%q", head[:min(len(head), 8)])
	for _, u := range unsupported {
		if u.magic(head) {
			return codec{}, fmt.Errorf("%s: a %s image, which is not supported (PNG, JPEG, GIF, BMP or WebP are): starts with %s", name, u.name, start)
		}
	}
	return codec{}, fmt.Errorf("%s: not a PNG, JPEG, GIF, BMP or WebP image: starts with %s", name, start)
}

// Decode reads the image in the file at path, recognising its format by content, never
// by extension: a PNG named .jpg is a good PNG. Errors are one line and name the file.
func Decode(path string) (image.Image, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err // *PathError: "open cat.png: no such file or directory"
	}
	return DecodeBytes(path, data)
}

// DecodeBytes decodes the image file held in data; name (the file's name) is used in
// errors only. Like PIL, it refuses images of more than MaxPixels pixels before
// decoding them. A lossy WebP comes back as an *image.NRGBA converted as libwebp
// does (its YUV is limited-range, unlike JPEG's); every other image is what Go's
// decoder returns (ToRGB converts those as PIL does). EXIF orientation is not applied,
// as PIL's Image.open does not apply it either.
func DecodeBytes(name string, data []byte) (image.Image, error) {
	c, err := sniffCodec(name, data[:min(len(data), 16)])
	if err != nil {
		return nil, err
	}
	if _, err := checkConfig(name, c, bytes.NewReader(data)); err != nil {
		return nil, err
	}
	img, err := safely(func() (image.Image, error) { return c.decode(bytes.NewReader(data)) })
	if err != nil {
		return nil, decodeError(name, c.format, err)
	}
	if b := img.Bounds(); b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, fmt.Errorf("%s: zero-size %s image (%dx%d)", name, c.format, b.Dx(), b.Dy())
	}
	if c.format == WebP {
		img = webpToNRGBA(img)
	}
	return img, nil
}

// DecodeConfig reads only the header of the image file at path: its format, size and
// colour model, with the checks Decode makes on them.
func DecodeConfig(path string) (image.Config, Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return image.Config{}, "", err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	head, err := r.Peek(16)
	if err != nil && !errors.Is(err, io.EOF) {
		return image.Config{}, "", fmt.Errorf("%s: %v", path, err)
	}
	c, err := sniffCodec(path, head)
	if err != nil {
		return image.Config{}, "", err
	}
	cfg, err := checkConfig(path, c, r)
	return cfg, c.format, err
}

// checkConfig decodes the header and refuses empty and oversized images.
func checkConfig(name string, c codec, r io.Reader) (image.Config, error) {
	var cfg image.Config
	_, err := safely(func() (image.Image, error) {
		var err error
		cfg, err = c.decodeConfig(r)
		return nil, err
	})
	if err != nil {
		return cfg, decodeError(name, c.format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return cfg, fmt.Errorf("%s: zero-size %s image (%dx%d)", name, c.format, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(MaxPixels) {
		return cfg, fmt.Errorf("%s: %dx%d %s image is larger than the %d-pixel limit (imageproc.MaxPixels)", name, cfg.Width, cfg.Height, c.format, MaxPixels)
	}
	return cfg, nil
}

// safely runs a decoder and turns a panic (a decoder bug on malformed input) into an
// error, so that no file can crash the program.
func safely(f func() (image.Image, error)) (img image.Image, err error) {
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("decoder panicked: %v", p)
		}
	}()
	return f()
}

// decodeError words a decoder's error. Go's decoders report a file that ends early as
// io.ErrUnexpectedEOF, as a format error ending in "unexpected EOF" (png), or as
// "short Huffman data" (jpeg, when the scan data runs out).
func decodeError(name string, f Format, err error) error {
	msg := err.Error()
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		strings.HasSuffix(msg, "unexpected EOF") || strings.Contains(msg, "short Huffman data") {
		return fmt.Errorf("%s: truncated %s file", name, f)
	}
	return fmt.Errorf("%s: corrupt %s file: %s", name, f, strings.ReplaceAll(msg, "\n", " "))
}

// Load decodes the image file at path and converts it to RGB (Decode, then ToRGB).
func Load(path string) (*RGB8, error) {
	img, err := Decode(path)
	if err != nil {
		return nil, err
	}
	rgb, err := ToRGB(img)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return rgb, nil
}
