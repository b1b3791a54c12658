package tui

import "github.com/charmbracelet/lipgloss"

// Colours are ANSI 256 codes, readable on dark and light backgrounds; lipgloss drops
// them on terminals without colour, and the plain mode (NO_COLOR, no terminal) does
// not use this package's views at all.
var (
	colAccent = lipgloss.Color("39")  // blue: train series, selection.
	colEval   = lipgloss.Color("214") // orange: eval series.
	colGood   = lipgloss.Color("42")
	colBad    = lipgloss.Color("196")
	colDim    = lipgloss.Color("245")
)

type styles struct {
	Title    lipgloss.Style // the header bar.
	Heading  lipgloss.Style // section titles.
	Selected lipgloss.Style
	Dim      lipgloss.Style
	Good     lipgloss.Style
	Bad      lipgloss.Style
	Warn     lipgloss.Style
	Key      lipgloss.Style // a key in running text ("r  resume").
	Train    lipgloss.Style // chart series 0.
	Eval     lipgloss.Style // chart series 1.
	Axis     lipgloss.Style
	Bar      string // progress bar fill colour.
}

var st = styles{
	Title:    lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("231")).Background(lipgloss.Color("25")),
	Heading:  lipgloss.NewStyle().Bold(true),
	Selected: lipgloss.NewStyle().Bold(true).Foreground(colAccent),
	Dim:      lipgloss.NewStyle().Foreground(colDim),
	Good:     lipgloss.NewStyle().Foreground(colGood),
	Bad:      lipgloss.NewStyle().Bold(true).Foreground(colBad),
	Warn:     lipgloss.NewStyle().Foreground(colEval),
	Key:      lipgloss.NewStyle().Bold(true).Foreground(colAccent),
	Train:    lipgloss.NewStyle().Foreground(colAccent),
	Eval:     lipgloss.NewStyle().Foreground(colEval),
	Axis:     lipgloss.NewStyle().Foreground(colDim),
	Bar:      "39",
}

// paintSeries colours chart text: series 0 train, 1 eval, -1 axes.
func paintSeries(i int, s string) string {
	switch i {
	case -1:
		return st.Axis.Render(s)
	case 0:
		return st.Train.Render(s)
	default:
		return st.Eval.Render(s)
	}
}
