package chart

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0, "0"},
		{1500, "1500"},
		{200000, "200000"},
		{2e6, "2.0e+6"},
		{0.98765, "0.9877"},
		{1.23456, "1.2346"},
		{12.345, "12.35"}, // 12.345 is 12.3449999... in binary.
		{123.45, "123.5"},
		{1234.5, "1234"}, // 'f' rounds half to even.
		{0.0001234, "1.2e-4"},
		{-0.5, "-0.500"},
		{-0.0001234, "-1e-4"},
		{math.NaN(), "NaN"},
	} {
		if got := Format(tc.v); got != tc.want {
			t.Errorf("Format(%v) = %q, want %q", tc.v, got, tc.want)
		}
		if n := utf8.RuneCountInString(Format(tc.v)); n > 6+boolInt(tc.v < 0) {
			t.Errorf("Format(%v) = %q is %d cells", tc.v, Format(tc.v), n)
		}
	}
}

// TestRenderMarkers checks positions worked out by hand: a 16x4 chart has a 9x2-cell
// plot (18x8 dots); (0,0) maps to dot (0,7), cell row 1 col 0; (1,1) to dot (17,0),
// cell row 0 col 8.
func TestRenderMarkers(t *testing.T) {
	got := Render(16, 4, Options{Title: "t"}, Series{X: []float64{0, 1}, Y: []float64{0, 1}, Markers: true})
	want := strings.Join([]string{
		"t               ",
		"     1┤        ●",
		"     0┤●        ",
		"      └0───────1",
	}, "\n")
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestGridLine checks braille dots worked out by hand: on a 2x1-cell grid (4x4
// dots) the diagonal from dot (0,3) to (3,0) sets (0,3) and (1,2) in cell 0, bits
// 0x40|0x20 = U+2860, and (2,1) and (3,0) in cell 1, bits 0x02|0x08 = U+280A.
func TestGridLine(t *testing.T) {
	for _, tc := range []struct {
		x0, y0, x1, y1 int
		want           string
	}{
		{0, 3, 3, 0, "\u2860\u280a"},
		{3, 0, 0, 3, "\u2860\u280a"}, // either direction.
		{0, 0, 3, 0, "\u2809\u2809"}, // top row: bits 0x01|0x08 per cell.
		{1, 0, 1, 3, "\u28b8\u0020"}, // right column of cell 0: 0x08|0x10|0x20|0x80.
		{0, 3, 3, 2, "\u28c0\u2824"}, // shallow: (0,3) (1,3): 0x40|0x80; (2,2) (3,2): 0x04|0x20.
	} {
		g := newGrid(2, 1)
		g.line(0, tc.x0, tc.y0, tc.x1, tc.y1)
		if got := g.row(0, func(_ int, s string) string { return s }); got != tc.want {
			t.Errorf("line (%d,%d)-(%d,%d) = %q, want %q", tc.x0, tc.y0, tc.x1, tc.y1, got, tc.want)
		}
	}
}

func TestRenderShapes(t *testing.T) {
	xs := []float64{0, 100, 200, 300, 400}
	ys := []float64{1.2, 0.6, math.NaN(), 0.2, 0.1}
	for _, size := range [][2]int{{16, 4}, {40, 10}, {33, 7}, {120, 20}} {
		w, h := size[0], size[1]
		out := Render(w, h, Options{Title: "loss", XMax: 1000, LogY: true},
			Series{Name: "train", X: xs, Y: ys}, Series{Name: "eval", X: []float64{400}, Y: []float64{0.15}, Markers: true})
		lines := strings.Split(out, "\n")
		if len(lines) != h {
			t.Fatalf("%dx%d: %d lines", w, h, len(lines))
		}
		for i, l := range lines {
			if n := utf8.RuneCountInString(l); n != w {
				t.Errorf("%dx%d: line %d is %d cells: %q", w, h, i, n, l)
			}
		}
		if !strings.Contains(out, "●") || !strings.Contains(lines[0], "(log)") || !strings.HasSuffix(lines[h-1], "1000") {
			t.Errorf("%dx%d: want a marker, a log title and the x range to 1000:\n%s", w, h, out)
		}
		if !strings.HasPrefix(lines[1], "1.2000┤") || !strings.HasPrefix(lines[h-2], "0.1000┤") {
			t.Errorf("%dx%d: y labels wrong:\n%s", w, h, out)
		}
	}
}

func TestRenderEdgeCases(t *testing.T) {
	for _, tc := range []struct {
		name   string
		series []Series
		want   string // a substring of the output.
	}{
		{"no data", nil, "waiting for data"},
		{"only NaN", []Series{{X: []float64{1, 2}, Y: []float64{math.NaN(), math.Inf(1)}}}, "waiting for data"},
		{"one point", []Series{{X: []float64{5}, Y: []float64{0.5}}}, "⠁"},
		{"constant", []Series{{X: []float64{0, 1, 2}, Y: []float64{3, 3, 3}}}, "2.5000┤"},
		{"length mismatch", []Series{{X: []float64{0, 1, 2}, Y: []float64{1, 2}}}, "└0─────────────────────1"},
	} {
		out := Render(30, 6, Options{Title: tc.name}, tc.series...)
		if !strings.Contains(out, tc.want) {
			t.Errorf("%s: output lacks %q:\n%s", tc.name, tc.want, out)
		}
		if len(strings.Split(out, "\n")) != 6 {
			t.Errorf("%s: not 6 lines", tc.name)
		}
	}
	if out := Render(10, 3, Options{}); out != strings.Repeat(" ", 10)+"\n"+strings.Repeat(" ", 10)+"\n"+strings.Repeat(" ", 10) {
		t.Errorf("too small: %q, want blank lines", out)
	}
}

func TestLogYOnlyOverADecade(t *testing.T) {
	s := Series{X: []float64{0, 1}, Y: []float64{1, 5}}
	if out := Render(30, 6, Options{Title: "x", LogY: true}, s); strings.Contains(out, "(log)") {
		t.Error("log scale for data within a decade")
	}
	s.Y = []float64{-1, 50}
	if out := Render(30, 6, Options{Title: "x", LogY: true}, s); strings.Contains(out, "(log)") {
		t.Error("log scale for data with a negative value")
	}
}

func TestPaint(t *testing.T) {
	var seen []int
	paint := func(i int, s string) string {
		seen = append(seen, i)
		return "<" + s + ">"
	}
	out := Render(20, 4, Options{Paint: paint}, Series{Name: "a", X: []float64{0, 1}, Y: []float64{0, 1}},
		Series{Name: "b", X: []float64{1}, Y: []float64{0}, Markers: true, Marker: '+'})
	if !strings.Contains(out, "<+>") || !strings.Contains(out, "└0───────────1>") {
		t.Errorf("paint not applied to markers and axes:\n%s", out)
	}
	has := map[int]bool{}
	for _, i := range seen {
		has[i] = true
	}
	if !has[-1] || !has[0] || !has[1] {
		t.Errorf("paint saw series %v, want -1, 0 and 1", seen)
	}
}
