package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// listModel is the opening screen: the experiments, one line each, with the
// selected one's details below.
type listModel struct {
	items  []Experiment
	def    string // the default experiment's name.
	cursor int
	offset int // first visible item, when the list is longer than the screen.
	width  int
	height int // rows for the items.
}

func newList(items []Experiment, def, selected string) listModel {
	l := listModel{items: items, def: def}
	for i, e := range items {
		if e.Name == selected {
			l.cursor = i
		}
	}
	return l
}

// selected returns the experiment under the cursor; ok is false for an empty list.
func (l listModel) selected() (Experiment, bool) {
	if l.cursor < 0 || l.cursor >= len(l.items) {
		return Experiment{}, false
	}
	return l.items[l.cursor], true
}

func (l *listModel) move(d int) {
	if len(l.items) == 0 {
		return
	}
	l.cursor = max(0, min(len(l.items)-1, l.cursor+d))
	l.scroll()
}

func (l *listModel) setSize(w, h int) {
	l.width, l.height = w, max(1, h)
	l.scroll()
}

func (l *listModel) scroll() {
	if l.cursor < l.offset {
		l.offset = l.cursor
	}
	if l.cursor >= l.offset+l.height {
		l.offset = l.cursor - l.height + 1
	}
}

// view renders the visible items: name, wall time, description, truncated to width.
func (l listModel) view() string {
	if len(l.items) == 0 {
		return st.Bad.Render("no experiments are registered")
	}
	nameW, wallW := 4, 4
	for _, e := range l.items {
		nameW = max(nameW, len(e.Name))
		wallW = max(wallW, len(e.Wall))
	}
	var rows []string
	for i := l.offset; i < len(l.items) && i < l.offset+l.height; i++ {
		e := l.items[i]
		mark := "  "
		if i == l.cursor {
			mark = "› "
		}
		desc := e.Description
		if e.Name == l.def {
			desc += " (default)"
		}
		row := fmt.Sprintf("%s%-*s  %*s  %s", mark, nameW, e.Name, wallW, e.Wall, desc)
		row = ansi.Truncate(row, l.width, "…")
		if i == l.cursor {
			row = st.Selected.Render(row)
		}
		rows = append(rows, row)
	}
	if l.offset > 0 || l.offset+l.height < len(l.items) {
		rows = append(rows, st.Dim.Render(fmt.Sprintf("  %d of %d", l.cursor+1, len(l.items))))
	}
	return strings.Join(rows, "\n")
}
