package flickr8k

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// photo makes a w x h image that compresses about like a photograph: gradients, a few
// blobs, fine texture and grain.
func photo(w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 7))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	type blob struct{ x, y, r float64 }
	var blobs []blob
	for range 6 {
		blobs = append(blobs, blob{rng.Float64() * float64(w), rng.Float64() * float64(h), 10 + rng.Float64()*float64(h)/3})
	}
	base := [3]float64{rng.Float64() * 200, rng.Float64() * 200, rng.Float64() * 200}
	for y := range h {
		for x := range w {
			v := [3]float64{base[0] + 40*float64(x)/float64(w), base[1] + 40*float64(y)/float64(h), base[2]}
			for k, b := range blobs {
				if (float64(x)-b.x)*(float64(x)-b.x)+(float64(y)-b.y)*(float64(y)-b.y) < b.r*b.r {
					v[k%3] += 60
				}
			}
			// Texture (fine stripes) and grain give the file a photograph's entropy.
			tex := 25 * math.Sin(float64(x*x+3*y)*0.05)
			c := color.RGBA{A: 255}
			for ch, p := range []*uint8{&c.R, &c.G, &c.B} {
				*p = uint8(min(max(v[ch]+tex+rng.Float64()*30-15, 0), 255))
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func solid(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, 255
	}
	return img
}

func writeJPEG(t testing.TB, path string, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fixture is a small Flickr8k directory in the real format.
type fixture struct {
	dir       string
	good      []string // images that decode
	truncated string   // JPEG whose header parses but whose data is cut
	missing   string   // named in captions.txt, no file
	corrupt   string   // not a JPEG at all
	solidName string   // a solid colour image, for pixel values
	solidRGB  color.RGBA
}

// Captions per image in the fixture (the real dataset has 5).
const fixtureCaps = 5

// writeFixture writes nGood photos of w x h, plus the odd cases, and a captions.txt
// with a BOM, CRLF line endings, quoted commas, a blank line, stray quotes, an invalid
// UTF-8 caption and a record without a caption.
func writeFixture(t testing.TB, nGood, w, h int) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir(), truncated: "9000000000_truncated.jpg", missing: "9000000001_missing.jpg",
		corrupt: "9000000002_corrupt.jpg", solidName: "1000000000_solid.jpg", solidRGB: color.RGBA{200, 100, 50, 255}}
	imgs := filepath.Join(f.dir, "Images")
	if err := os.Mkdir(imgs, 0o755); err != nil {
		t.Fatal(err)
	}
	writeJPEG(t, filepath.Join(imgs, f.solidName), solid(w, h, f.solidRGB))
	f.good = append(f.good, f.solidName)
	for i := range nGood - 1 {
		name := fmt.Sprintf("%d_%08x.jpg", 1000268201+i, i*7919)
		writeJPEG(t, filepath.Join(imgs, name), photo(w, h, uint64(i)))
		f.good = append(f.good, name)
	}
	data := writeJPEG(t, filepath.Join(imgs, f.truncated), photo(w, h, 99))
	// Cut the file a few bytes into the scan (after the SOS marker): the header parses,
	// the pixels do not.
	sos := bytes.Index(data, []byte{0xff, 0xda})
	if err := os.WriteFile(filepath.Join(imgs, f.truncated), data[:sos+20], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(imgs, f.corrupt), []byte("this is not a JPEG file"), 0o644); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("\xef\xbb\xbfimage,caption\r\n")
	for _, name := range append(append([]string{}, f.good...), f.truncated, f.missing, f.corrupt) {
		for k := range fixtureCaps {
			switch k {
			case 0:
				fmt.Fprintf(&b, "%s,A child in a pink dress is climbing up a set of stairs .\r\n", name)
			case 1:
				fmt.Fprintf(&b, "%s,\"A dog, a cat, and a bird play .\"\r\n", name)
			case 2:
				fmt.Fprintf(&b, "%s,Two men , one in red , walk .\r\n\r\n", name) // unquoted commas, blank line
			case 3:
				fmt.Fprintf(&b, "%s,A \"cool\" dog jumps .\n", name) // stray quotes, LF only
			default:
				fmt.Fprintf(&b, "%s,Caption %d of %s\r\n", name, k, name)
			}
		}
	}
	b.WriteString(f.good[0] + ",Bad byte \xff here\r\n") // not valid UTF-8: skipped
	b.WriteString("orphan-record-without-caption\r\n")   // one field: skipped
	if err := os.WriteFile(filepath.Join(f.dir, "captions.txt"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// fixtureConfig serves the fixture at a small size.
func fixtureConfig(f *fixture, size int) Config {
	cfg := DefaultConfig(f.dir)
	cfg.Size = size
	return cfg
}
