package viz

import (
	"image"
	"image/color"
	"image/draw"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Grid layout, in pixels.
const (
	// GridGap is the white space around and between the cells of an ImageGrid.
	GridGap = 4
	// CaptionPad is the space between an image and its caption.
	CaptionPad = 2
	// CharWidth and LineHeight are the size of a caption character
	// (basicfont.Face7x13).
	CharWidth  = 7
	LineHeight = 13
)

// Cell is one picture of an ImageGrid.
type Cell struct {
	Img          image.Image // nil leaves the picture blank.
	Caption      string      // wrapped to the cell width; "\n" forces a break.
	CaptionColor color.Color // nil = black.
}

// ImageGrid lays cells out in rows of cols (cols <= 0: one row), each image
// upscaled by scale (nearest neighbour; scale < 1 counts as 1) and centred in a
// cell as wide as the widest scaled image, with its caption wrapped to that
// width underneath. All rows have room for the longest caption. The background
// is white; GridGap pixels separate the cells and frame the grid.
//
// With cw×ch the largest scaled image and L the most caption lines, the grid is
// cols·cw + (cols+1)·GridGap wide and rows·(ch + capH) + (rows+1)·GridGap high,
// where capH = CaptionPad + L·LineHeight, or 0 when no cell has a caption.
func ImageGrid(cells []Cell, cols, scale int) *image.RGBA {
	scale = max(scale, 1)
	if cols <= 0 || cols > len(cells) {
		cols = max(len(cells), 1)
	}
	rows := (len(cells) + cols - 1) / cols
	cw, ch := 0, 0
	for _, c := range cells {
		if c.Img != nil {
			cw = max(cw, c.Img.Bounds().Dx()*scale)
			ch = max(ch, c.Img.Bounds().Dy()*scale)
		}
	}
	perLine := max(cw/CharWidth, 1)
	lines := make([][]string, len(cells))
	nLines := 0
	for i, c := range cells {
		lines[i] = wrap(c.Caption, perLine)
		nLines = max(nLines, len(lines[i]))
	}
	capH := 0
	if nLines > 0 {
		capH = CaptionPad + nLines*LineHeight
	}
	W := cols*cw + (cols+1)*GridGap
	H := rows*(ch+capH) + (rows+1)*GridGap
	out := image.NewRGBA(image.Rect(0, 0, W, H))
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)

	for i, c := range cells {
		x0 := GridGap + (i%cols)*(cw+GridGap)
		y0 := GridGap + (i/cols)*(ch+capH+GridGap)
		if c.Img != nil {
			iw := c.Img.Bounds().Dx() * scale
			drawScaled(out, c.Img, x0+(cw-iw)/2, y0, scale)
		}
		col := c.CaptionColor
		if col == nil {
			col = color.Black
		}
		d := font.Drawer{Dst: out, Src: image.NewUniform(col), Face: basicfont.Face7x13}
		for l, text := range lines[i] {
			d.Dot = fixed.P(x0, y0+ch+CaptionPad+l*LineHeight+basicfont.Face7x13.Ascent)
			d.DrawString(text)
		}
	}
	return out
}

// drawScaled draws src at (x0, y0) of dst, each source pixel as a scale×scale block.
func drawScaled(dst *image.RGBA, src image.Image, x0, y0, scale int) {
	b := src.Bounds()
	for y := range b.Dy() {
		for x := range b.Dx() {
			c := src.At(b.Min.X+x, b.Min.Y+y)
			r := image.Rect(x0+x*scale, y0+y*scale, x0+(x+1)*scale, y0+(y+1)*scale)
			draw.Draw(dst, r, image.NewUniform(c), image.Point{}, draw.Over)
		}
	}
}

// wrap splits text into lines of at most width characters: greedily by words,
// splitting words longer than a line; "\n" forces a break. An empty text has no
// lines.
func wrap(text string, width int) []string {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	var lines []string
	for para := range strings.SplitSeq(text, "\n") {
		cur := ""
		for _, word := range strings.Fields(para) {
			for len([]rune(word)) > width {
				if cur != "" {
					lines = append(lines, cur)
					cur = ""
				}
				r := []rune(word)
				lines = append(lines, string(r[:width]))
				word = string(r[width:])
			}
			switch {
			case word == "":
			case cur == "":
				cur = word
			case len([]rune(cur))+1+len([]rune(word)) <= width:
				cur += " " + word
			default:
				lines = append(lines, cur)
				cur = word
			}
		}
		lines = append(lines, cur)
	}
	return lines
}
