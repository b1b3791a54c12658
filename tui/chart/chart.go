// Package chart draws small line charts for terminals: braille lines (2x4 dots per
// cell) for dense series such as the training loss, and whole-cell markers for
// sparse ones such as evaluations, with a labelled y axis and an x axis that shows
// its range. It depends on nothing but the standard library, so its output is plain
// text unless the caller colours it through Options.Paint.
package chart

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Series is one line or set of points. X and Y have the same length; points whose
// coordinates are not finite are skipped.
type Series struct {
	Name string
	X, Y []float64
	// Markers draws each point as a whole-cell Marker rune instead of joining the
	// points with a braille line: for series with few points (evaluations).
	Markers bool
	Marker  rune // default '●'.
}

// Options shape a chart.
type Options struct {
	Title string
	// XMin and XMax fix the x range (e.g. 0 and the planned steps, so a line grows
	// from left to right as training goes on); when XMax <= XMin the data's range is used.
	XMin, XMax float64
	// LogY plots log10(y) when every y is positive and the data spans more than a
	// decade (losses); the axis labels stay in y's units.
	LogY bool
	// Paint colours the text s drawn for series i (-1: axes and labels); nil leaves it plain.
	Paint func(series int, s string) string
}

const (
	yLabelWidth = 6 // "0.9870" / "1.2e+4" fit in 6 cells.
	braille     = 0x2800
)

// brailleBit[row][col] is the dot of a braille cell at dot row 0-3, column 0-1.
var brailleBit = [4][2]rune{{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}}

// Render draws series into a chart of exactly height lines, each width cells wide.
// It needs width >= 16 and height >= 4 (title, two plot rows, x axis); smaller
// sizes return blank lines of the requested size.
func Render(width, height int, opt Options, series ...Series) string {
	if width < 16 || height < 4 {
		return blank(width, height)
	}
	paint := opt.Paint
	if paint == nil {
		paint = func(_ int, s string) string { return s }
	}
	plotW, plotH := width-yLabelWidth-1, height-2
	xmin, xmax, ymin, ymax, ok := bounds(opt, series)
	logY := ok && opt.LogY && ymin > 0 && ymax/ymin > 10
	ty := func(y float64) float64 { return y }
	if logY {
		ty = math.Log10
	}
	lines := make([]string, 0, height)
	lines = append(lines, titleLine(width, opt.Title, logY, series, paint))
	if !ok {
		for r := 0; r < plotH; r++ {
			row := strings.Repeat(" ", yLabelWidth) + paint(-1, "│") + strings.Repeat(" ", plotW)
			if r == plotH/2 {
				row = strings.Repeat(" ", yLabelWidth) + paint(-1, "│") + pad(" waiting for data", plotW)
			}
			lines = append(lines, row)
		}
		lines = append(lines, xAxis(plotW, "", "", paint))
		return strings.Join(lines, "\n")
	}
	lo, hi := ty(ymin), ty(ymax)
	if hi-lo < 1e-12 {
		lo, hi = lo-0.5, hi+0.5
		if !logY && ymin >= 0 && lo < 0 { // a constant non-negative series sits on the axis.
			lo, hi = 0, 2*ty(ymin)+1e-12
		}
	}
	g := newGrid(plotW, plotH)
	for i, s := range series {
		g.draw(i, s, func(x float64) float64 { return (x - xmin) / (xmax - xmin) },
			func(y float64) float64 { return (ty(y) - lo) / (hi - lo) })
	}
	untransform := func(v float64) float64 {
		if logY {
			return math.Pow(10, v)
		}
		return v
	}
	for r := 0; r < plotH; r++ {
		label := ""
		switch {
		case r == 0:
			label = Format(untransform(hi))
		case r == plotH-1:
			label = Format(untransform(lo))
		case r == plotH/2 && plotH >= 5:
			label = Format(untransform(lo + (hi-lo)*(float64(plotH-r)-0.5)/float64(plotH)))
		}
		tick := "│"
		if label != "" {
			tick = "┤"
		}
		lines = append(lines, paint(-1, padLeft(label, yLabelWidth)+tick)+g.row(r, paint))
	}
	lines = append(lines, xAxis(plotW, Format(xmin), Format(xmax), paint))
	return strings.Join(lines, "\n")
}

// bounds returns the data range, widened to opt's fixed x range; ok is false when
// no point is finite.
func bounds(opt Options, series []Series) (xmin, xmax, ymin, ymax float64, ok bool) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, s := range series {
		for i := range min(len(s.X), len(s.Y)) {
			x, y := s.X[i], s.Y[i]
			if !finite(x) || !finite(y) {
				continue
			}
			ok = true
			xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
			ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
		}
	}
	if opt.XMax > opt.XMin {
		xmin, xmax = math.Min(xmin, opt.XMin), math.Max(xmax, opt.XMax)
	}
	if ok && xmax <= xmin {
		xmax = xmin + 1
	}
	return xmin, xmax, ymin, ymax, ok
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// grid is the plot area: braille dots per cell, or a marker that fills the cell.
type grid struct {
	w, h   int
	dots   []rune // braille bits per cell.
	owner  []int  // series that last drew in the cell, for colour; -1 none.
	marker []rune // a marker overrides the cell's dots.
}

func newGrid(w, h int) *grid {
	g := &grid{w: w, h: h, dots: make([]rune, w*h), owner: make([]int, w*h), marker: make([]rune, w*h)}
	for i := range g.owner {
		g.owner[i] = -1
	}
	return g
}

// draw plots s; fx and fy map data to [0,1].
func (g *grid) draw(idx int, s Series, fx, fy func(float64) float64) {
	dw, dh := 2*g.w, 4*g.h
	px := func(x float64) int { return clampInt(int(math.Round(fx(x)*float64(dw-1))), 0, dw-1) }
	py := func(y float64) int { return clampInt(int(math.Round((1-fy(y))*float64(dh-1))), 0, dh-1) }
	havePrev := false
	var x0, y0 int
	for i := range min(len(s.X), len(s.Y)) {
		if !finite(s.X[i]) || !finite(s.Y[i]) {
			continue
		}
		x1, y1 := px(s.X[i]), py(s.Y[i])
		if s.Markers {
			m := s.Marker
			if m == 0 {
				m = '●'
			}
			c := (y1/4)*g.w + x1/2
			g.marker[c], g.owner[c] = m, idx
			continue
		}
		if havePrev {
			g.line(idx, x0, y0, x1, y1)
		} else {
			g.dot(idx, x1, y1)
		}
		x0, y0, havePrev = x1, y1, true
	}
}

// line joins two dots (Bresenham).
func (g *grid) line(idx, x0, y0, x1, y1 int) {
	dx, dy := absInt(x1-x0), -absInt(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		g.dot(idx, x0, y0)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func (g *grid) dot(idx, x, y int) {
	c := (y/4)*g.w + x/2
	g.dots[c] |= brailleBit[y%4][x%2]
	if g.marker[c] == 0 {
		g.owner[c] = idx
	}
}

func (g *grid) row(r int, paint func(int, string) string) string {
	var b strings.Builder
	run, runOwner := []rune{}, -2
	flush := func() {
		if len(run) > 0 {
			if runOwner < 0 {
				b.WriteString(string(run))
			} else {
				b.WriteString(paint(runOwner, string(run)))
			}
		}
		run = run[:0]
	}
	for c := 0; c < g.w; c++ {
		i := r*g.w + c
		ch, own := ' ', g.owner[i]
		switch {
		case g.marker[i] != 0:
			ch = g.marker[i]
		case g.dots[i] != 0:
			ch = braille + g.dots[i]
		default:
			own = -1
		}
		if own != runOwner {
			flush()
			runOwner = own
		}
		run = append(run, ch)
	}
	flush()
	return b.String()
}

// titleLine is the title followed by a legend of the named series.
func titleLine(width int, title string, logY bool, series []Series, paint func(int, string) string) string {
	if logY {
		title += " (log)"
	}
	plain := title
	styled := title
	for i, s := range series {
		if s.Name == "" {
			continue
		}
		glyph := "⠤⠤"
		if s.Markers {
			glyph = "●"
			if s.Marker != 0 {
				glyph = string(s.Marker)
			}
		}
		item := "  " + glyph + " " + s.Name
		if utf8.RuneCountInString(plain+item) > width {
			break
		}
		plain += item
		styled += "  " + paint(i, glyph) + " " + s.Name
	}
	if n := utf8.RuneCountInString(plain); n > width {
		return truncate(plain, width)
	} else {
		return styled + strings.Repeat(" ", width-n)
	}
}

// xAxis is "└" and a rule with the range's ends written into it.
func xAxis(plotW int, left, right string, paint func(int, string) string) string {
	rule := []rune(strings.Repeat("─", plotW))
	copy(rule, []rune(left))
	if r := []rune(right); len(r)+len([]rune(left))+1 < plotW {
		copy(rule[plotW-len(r):], r)
	}
	return paint(-1, strings.Repeat(" ", yLabelWidth)+"└"+string(rule))
}

// Format writes v in at most 6 cells (7 for negative numbers): 0.9871, 12.35,
// 1500, 200000, 1.2e+6, 3.1e-4.
func Format(v float64) string {
	a := math.Abs(v)
	var s string
	switch {
	case v == 0:
		return "0"
	case a < 1e6 && a == math.Trunc(a): // steps: 200000, not 2.0e+5.
		s = formatFloat(v, 'f', 0)
	case a >= 1e5 || a < 1e-3:
		s = strings.Replace(formatFloat(v, 'e', 1-boolInt(v < 0)), "e-0", "e-", 1)
		s = strings.Replace(s, "e+0", "e+", 1)
	case a >= 1000:
		s = formatFloat(v, 'f', 0)
	case a >= 100:
		s = formatFloat(v, 'f', 1)
	case a >= 10:
		s = formatFloat(v, 'f', 2)
	default:
		s = formatFloat(v, 'f', 4-boolInt(v < 0))
	}
	return s
}

func formatFloat(v float64, f byte, prec int) string { return strconv.FormatFloat(v, f, prec, 64) }

func blank(width, height int) string {
	if height <= 0 {
		return ""
	}
	row := strings.Repeat(" ", max(width, 0))
	return strings.TrimSuffix(strings.Repeat(row+"\n", height), "\n")
}

func pad(s string, w int) string {
	if n := utf8.RuneCountInString(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return truncate(s, w)
}

func padLeft(s string, w int) string {
	if n := utf8.RuneCountInString(s); n < w {
		return strings.Repeat(" ", w-n) + s
	}
	return truncate(s, w)
}

func truncate(s string, w int) string {
	r := []rune(s)
	if len(r) <= w {
		return s
	}
	return string(r[:w])
}

func clampInt(v, lo, hi int) int { return max(lo, min(v, hi)) }

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
