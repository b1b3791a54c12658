package viz

import (
	"fmt"
	"image/color"
	"image/png"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Chart size: LineChart and BarChart write PNGs of ChartWidth×ChartHeight pixels
// at ChartDPI.
const (
	ChartWidth  = 720
	ChartHeight = 480
	ChartDPI    = 96
)

// tableau10 is Tableau's 10-colour palette: distinct hues, readable on white
// (plotutil's default has 7, two of them close reds).
var tableau10 = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255},
	{140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255}, {188, 189, 34, 255}, {23, 190, 207, 255},
}

// SeriesColor is the colour of series i in a LineChart; series 10-19 reuse the
// colours with dashed lines.
func SeriesColor(i int) color.RGBA { return tableau10[i%len(tableau10)] }

// Series is one line of a LineChart: Y[i] against X[i].
type Series struct {
	Name string
	X, Y []float64
}

// LineChart writes a line chart of the series to path as a PNG (atomically),
// with a legend naming each series. Points whose X or Y is NaN or infinite are
// left out (a loss that went NaN, an eval metric not yet computed), and a series
// with no point left is not drawn. It returns an error when a series has
// different numbers of X and Y values.
func LineChart(path, title, xLabel, yLabel string, series ...Series) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	for i, s := range series {
		if len(s.X) != len(s.Y) {
			return fmt.Errorf("viz: %s: series %q has %d x and %d y values", path, s.Name, len(s.X), len(s.Y))
		}
		var xys plotter.XYs
		for j := range s.X {
			if finite(s.X[j]) && finite(s.Y[j]) {
				xys = append(xys, plotter.XY{X: s.X[j], Y: s.Y[j]})
			}
		}
		if len(xys) == 0 {
			continue
		}
		line, err := plotter.NewLine(xys)
		if err != nil {
			return fmt.Errorf("viz: %s: series %q: %v", path, s.Name, err)
		}
		line.Color = SeriesColor(i)
		line.Width = vg.Points(1.5)
		if i >= len(tableau10) { // a second round of the colours, dashed: 20 distinct lines.
			line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		p.Add(line)
		if s.Name != "" {
			p.Legend.Add(s.Name, line)
		}
	}
	return savePlot(path, p)
}

// BarChart writes a bar chart to path as a PNG (atomically): one bar per value,
// labelled underneath. Labels are slanted when there are more than 8. It returns
// an error when labels and values differ in number, there are none, or a value
// is NaN or infinite.
func BarChart(path, title string, labels []string, values []float64) error {
	if len(labels) != len(values) {
		return fmt.Errorf("viz: %s: %d labels for %d values", path, len(labels), len(values))
	}
	if len(values) == 0 {
		return fmt.Errorf("viz: %s: no values to chart", path)
	}
	for i, v := range values {
		if !finite(v) {
			return fmt.Errorf("viz: %s: value %d (%q) is %v", path, i, labels[i], v)
		}
	}
	p := plot.New()
	p.Title.Text = title
	p.Add(plotter.NewGrid())
	// Bars take at most 60% of the plot width, and no more than 40pt each.
	width := min(vg.Length(ChartWidth)/ChartDPI*vg.Inch*0.6/vg.Length(len(values)), vg.Points(40))
	bars, err := plotter.NewBarChart(plotter.Values(values), width)
	if err != nil {
		return fmt.Errorf("viz: %s: %v", path, err)
	}
	bars.Color = plotutil.Color(0)
	bars.LineStyle.Width = 0
	p.Add(bars)
	p.NominalX(labels...)
	// Half a slot of room beside the first and last bars (gonum would clip them).
	p.X.Min, p.X.Max = -0.6, float64(len(values))-0.4
	if len(labels) > 8 {
		p.X.Tick.Label.Rotation = math.Pi / 4
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	return savePlot(path, p)
}

// savePlot renders p at the chart size and writes it atomically.
func savePlot(path string, p *plot.Plot) error {
	w := vg.Length(ChartWidth) / ChartDPI * vg.Inch
	h := vg.Length(ChartHeight) / ChartDPI * vg.Inch
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(ChartDPI))
	// A margin inside the picture: gonum draws to the very edge.
	m := vg.Points(10)
	p.Draw(draw.Crop(draw.New(c), m, -m, m, -m))
	return writeAtomic(path, func(wr io.Writer) error { return png.Encode(wr, c.Image()) })
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
