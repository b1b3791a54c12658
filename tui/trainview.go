package tui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/mmdna/mmdna/events"
	"github.com/mmdna/mmdna/tui/chart"
)

// Layout of the training view, top to bottom: header, progress, throughput line,
// charts, evaluation table, checkpoint line, end-of-run lines, samples, log lines, help line.
// The samples panel takes its rows from the log lines' share, so the charts and
// everything above keep the size they have without it.
const (
	minChartW  = 34 // narrower charts are not worth drawing.
	minChartH  = 6
	maxChartH  = 20
	minLogRows = 2
	// chartLabelW is the y-axis labels and the axis of a chart, plus the gap after it.
	chartLabelW = 8
)

// keys returns the training keymap with the bindings that apply now.
func (m *trainModel) keys() trainKeys {
	k := trainKeyMap
	ended := m.state.ended()
	k.Pause.SetEnabled(!ended && m.state != stateStopping)
	k.Save.SetEnabled(!ended && m.state != stateStopping)
	k.Charts.SetEnabled(m.chartPages() > 1)
	k.Back.SetEnabled(ended)
	if ended {
		k.Stop.SetHelp("q", "quit")
	}
	return k
}

// chartsAcross is how many charts fit side by side.
func (m *trainModel) chartsAcross() int {
	return max(1, min(len(m.chartNames), m.width/minChartW))
}

func (m *trainModel) chartPages() int {
	n := m.chartsAcross()
	return max(1, (len(m.chartNames)+n-1)/n)
}

func (m *trainModel) view(h help.Model) string {
	w := max(m.width, 20)
	top := []string{m.header(w), m.progressLine(w), m.statsLine(w)}
	table := m.tableLines(w)
	ckpt := []string{m.checkpointLine(w)}
	end := m.endLines(w)
	h.Width = w
	helpLine := ansi.Truncate(h.ShortHelpView(m.keys().ShortHelp()), w, "…")
	fixed := len(top) + len(table) + len(ckpt) + len(end) + 1
	avail := m.height - fixed
	chartH := 0
	if avail-minLogRows >= minChartH && len(m.chartNames) > 0 {
		chartH = min(maxChartH, max(minChartH, avail*2/3))
	}
	logRows := max(0, avail-chartH)
	var samples []string
	if !m.showHelp { // the help takes the samples' rows too: it needs them more.
		samples = m.samplesLines(w, logRows-minLogRows)
		logRows -= len(samples)
	}
	var lines []string
	lines = append(lines, top...)
	if chartH > 0 {
		lines = append(lines, strings.Split(m.chartsView(w, chartH), "\n")...)
	}
	lines = append(lines, table...)
	lines = append(lines, ckpt...)
	lines = append(lines, end...)
	lines = append(lines, samples...)
	if m.showHelp {
		lines = append(lines, m.helpLines(h, w, logRows)...)
	} else {
		lines = append(lines, m.logLines(w, logRows)...)
	}
	if m.height > 0 && len(lines) > m.height-1 { // too small a window: the help line stays.
		lines = lines[:max(0, m.height-1)]
	}
	lines = append(lines, helpLine)
	return strings.Join(lines, "\n")
}

func (m *trainModel) header(w int) string {
	left := " mmdna · " + m.exp + " · " + m.state.String() + " "
	right := " " + m.backend + " "
	gap := w - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 1 {
		right = ansi.Truncate(right, max(0, w-ansi.StringWidth(left)-1), "…")
		gap = max(0, w-ansi.StringWidth(left)-ansi.StringWidth(right))
	}
	return st.Title.Render(ansi.Truncate(left+strings.Repeat(" ", gap)+right, w, ""))
}

func (m *trainModel) progressLine(w int) string {
	frac := 0.0
	if m.steps > 0 {
		frac = float64(m.step) / float64(m.steps)
	}
	left := fmt.Sprintf("step %d/%d  epoch %.2f ", m.step, m.steps, m.epoch)
	if m.steps == 0 { // before the start event: the plan is not known yet.
		left = fmt.Sprintf("step %d  epoch %.2f ", m.step, m.epoch)
	}
	right := fmt.Sprintf(" %3.0f%%  ETA %s", 100*frac, fmtDur(m.eta))
	switch m.state {
	case statePreparing, stateCompiling:
		right = fmt.Sprintf(" %3.0f%%  ETA …", 100*frac)
	case stateFinished:
		right = fmt.Sprintf(" %3.0f%%  done", 100*frac)
	case stateStopped, stateFailed, statePaused:
		right = fmt.Sprintf(" %3.0f%%  %s", 100*frac, m.state)
	}
	barW := w - len(left) - len(right)
	if barW < 5 {
		return ansi.Truncate(left+right, w, "…")
	}
	bar := progress.New(progress.WithSolidFill(st.Bar), progress.WithoutPercentage(),
		progress.WithFillCharacters('█', '░'), progress.WithWidth(barW))
	return left + bar.ViewAs(frac) + right
}

func (m *trainModel) statsLine(w int) string {
	var parts []string
	switch m.state {
	case statePreparing:
		parts = append(parts, "preparing data and model…")
	case stateCompiling:
		parts = append(parts, "starting: compiling the graph, then the first steps until the first progress report…")
	case stateStopping:
		parts = append(parts, st.Warn.Render("stopping: saving a checkpoint…"))
	case statePaused:
		parts = append(parts, st.Warn.Render("paused (p resumes)"))
	}
	if m.imgPerS > 0 {
		parts = append(parts, fmt.Sprintf("%.0f img/s", m.imgPerS))
	}
	if m.lr > 0 {
		parts = append(parts, fmt.Sprintf("lr %.2e", m.lr))
	}
	if m.wallS > 0 {
		parts = append(parts, "wall "+fmtDur(time.Duration(m.wallS*float64(time.Second))))
	}
	if p := m.chartPages(); p > 1 {
		parts = append(parts, st.Dim.Render(fmt.Sprintf("charts %d/%d (c)", m.chartPage%p+1, p)))
	}
	return ansi.Truncate(strings.Join(parts, " · "), w, "…")
}

func (m *trainModel) chartsView(w, h int) string {
	n := m.chartsAcross()
	page := m.chartPage % m.chartPages()
	names := m.chartNames[page*n : min(len(m.chartNames), (page+1)*n)]
	cw := w / n
	var cols []string
	for i, name := range names {
		width := cw
		if i == len(names)-1 {
			width = w - cw*(len(names)-1)
		}
		cols = append(cols, m.renderChart(name, width, h))
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, cols...)
}

func (m *trainModel) renderChart(name string, w, h int) string {
	c := m.charts[name]
	opt := chart.Options{Title: name, XMax: float64(m.steps), LogY: name == "loss", Paint: paintSeries}
	var ss []chart.Series
	if len(c.train.x) > 0 {
		ss = append(ss, chart.Series{Name: "train", X: c.train.x, Y: c.train.y})
	}
	// Markers show a few evaluations well, but many would hide the train line:
	// past one per three columns of the range they span, the evaluations are a line
	// of their own colour.
	dense := false
	if n := len(c.eval.x); n > 1 {
		cols := float64(w - chartLabelW)
		if m.steps > 0 {
			cols *= (c.eval.x[n-1] - c.eval.x[0]) / float64(m.steps)
		}
		dense = float64(n) > cols/3+1
	}
	switch {
	case len(c.eval.x) > 0 && dense:
		if len(ss) == 0 {
			ss = append(ss, chart.Series{}) // keep the evaluation in series 1's colour.
		}
		ss = append(ss, chart.Series{Name: "eval", X: c.eval.x, Y: c.eval.y})
	case len(c.eval.x) > 0:
		if len(ss) == 0 { // evaluation only: join its points in its colour, and mark them.
			ss = append(ss, chart.Series{X: c.eval.x, Y: c.eval.y})
			opt.Paint = func(i int, s string) string {
				if i == 0 {
					i = 1
				}
				return paintSeries(i, s)
			}
		}
		ss = append(ss, chart.Series{Name: "eval", X: c.eval.x, Y: c.eval.y, Markers: true})
	}
	// One column of space after each chart keeps markers at the right edge apart
	// from the next chart's axis labels.
	return strings.ReplaceAll(chart.Render(w-1, h, opt, ss...), "\n", " \n") + " "
}

// tableLines is the latest evaluation (and, at the end, the test results) as a
// table: one column per metric, one row per split. It always takes at least four
// lines, so the layout does not jump when the first evaluation arrives.
func (m *trainModel) tableLines(w int) []string {
	ev, fin := m.lastEval, m.final
	if ev == nil && fin == nil {
		return []string{st.Heading.Render("evaluation"), st.Dim.Render("  none yet"), "", ""}
	}
	var title string
	if fin != nil {
		title = fmt.Sprintf("final results @ step %d (test split)", fin.Step)
	} else {
		title = fmt.Sprintf("evaluation @ step %d", ev.Step)
	}
	names := []string{"loss"}
	for _, e := range []*events.Event{ev, fin} {
		if e != nil {
			for _, k := range e.MetricNames() {
				if !slices.Contains(names, k) {
					names = append(names, k)
				}
			}
		}
	}
	type row struct {
		label string
		vals  map[string]float64
	}
	var rows []row
	train := map[string]float64{"loss": m.loss}
	for k, v := range m.trainLast {
		train[k] = v
	}
	if m.step > 0 && m.loss != 0 {
		rows = append(rows, row{"train", train})
	}
	for _, e := range []*events.Event{ev, fin} {
		if e == nil {
			continue
		}
		vals := map[string]float64{}
		for k, v := range e.Metrics {
			vals[k] = v
		}
		if e.Loss != 0 {
			vals["loss"] = e.Loss
		}
		rows = append(rows, row{e.Split, vals})
	}
	lines := []string{st.Heading.Render(ansi.Truncate(title, w, "…"))}
	const labelW = 7
	for len(names) > 0 { // as many metric columns as fit, then the rest below.
		var cols []string
		used := labelW
		for len(names) > 0 && (len(cols) == 0 || used+max(len(names[0]), 6)+2 <= w) {
			used += max(len(names[0]), 6) + 2
			cols, names = append(cols, names[0]), names[1:]
		}
		head := strings.Repeat(" ", labelW)
		for _, c := range cols {
			head += fmt.Sprintf("  %*s", max(len(c), 6), c)
		}
		lines = append(lines, st.Dim.Render(ansi.Truncate(head, w, "…")))
		for _, r := range rows {
			line := fmt.Sprintf("  %-*s", labelW-2, r.label)
			for _, c := range cols {
				v, ok := r.vals[c]
				s := "-"
				if ok {
					s = chart.Format(v)
				}
				line += fmt.Sprintf("  %*s", max(len(c), 6), s)
			}
			lines = append(lines, ansi.Truncate(line, w, "…"))
		}
	}
	return lines
}
