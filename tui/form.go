package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// formModel edits an experiment's parameters: a list of key = value rows and a last
// "start" row. Every change is validated by resolving the parameters again (which
// also shows what smoke=true changes), and refused with the catalog's message.
type formModel struct {
	exp     string
	sets    paramSets
	params  []Param
	resolve func(sets []string) ([]Param, error)
	cursor  int // 0..len(params); len(params) is the start row.
	offset  int
	editing bool
	input   textinput.Model
	err     string
	width   int
	height  int // rows for the parameter list.
}

// formAction is what a key press in the form asks the app to do.
type formAction int

const (
	formNone formAction = iota
	formStart
	formBack
)

func newForm(exp string, sets paramSets, resolve func([]string) ([]Param, error)) formModel {
	f := formModel{exp: exp, sets: sets, resolve: resolve, input: textinput.New()}
	f.input.Prompt = ""
	f.input.CharLimit = 256
	params, err := resolve(sets.list())
	if err != nil {
		// The sets came from -set and are wrong: show defaults and say why.
		f.err = err.Error()
		params, _ = resolve(nil)
	}
	f.params = params
	return f
}

func (f *formModel) setSize(w, h int) {
	f.width, f.height = w, max(1, h)
	f.scroll()
}

func (f *formModel) scroll() {
	if f.cursor < f.offset {
		f.offset = f.cursor
	}
	if f.cursor >= f.offset+f.height {
		f.offset = f.cursor - f.height + 1
	}
}

// update handles a key; it returns the action the app must take.
func (f *formModel) update(msg tea.KeyMsg) (formAction, tea.Cmd) {
	if f.editing {
		switch {
		case key.Matches(msg, editKeyMap.Confirm):
			f.apply(f.sets.with(f.params[f.cursor].Key, strings.TrimSpace(f.input.Value())))
			if f.err == "" {
				f.editing = false
				f.input.Blur()
			}
			return formNone, nil
		case key.Matches(msg, editKeyMap.Cancel):
			f.editing, f.err = false, ""
			f.input.Blur()
			return formNone, nil
		}
		var cmd tea.Cmd
		f.input, cmd = f.input.Update(msg)
		return formNone, cmd
	}
	switch {
	case key.Matches(msg, formKeyMap.Up):
		f.cursor = max(0, f.cursor-1)
	case key.Matches(msg, formKeyMap.Down):
		f.cursor = min(len(f.params), f.cursor+1)
	case key.Matches(msg, formKeyMap.Edit):
		if f.cursor == len(f.params) {
			return formStart, nil
		}
		f.editing, f.err = true, ""
		f.input.SetValue(f.params[f.cursor].Value)
		f.input.CursorEnd()
		return formNone, f.input.Focus()
	case key.Matches(msg, formKeyMap.Reset):
		if f.cursor < len(f.params) {
			f.apply(f.sets.without(f.params[f.cursor].Key))
		}
	case key.Matches(msg, formKeyMap.Start):
		return formStart, nil
	case key.Matches(msg, formKeyMap.Back):
		return formBack, nil
	}
	f.scroll()
	return formNone, nil
}

// apply resolves candidate sets and keeps them if they are valid.
func (f *formModel) apply(candidate paramSets) {
	params, err := f.resolve(candidate.list())
	if err != nil {
		f.err = err.Error()
		return
	}
	f.sets, f.params, f.err = candidate, params, ""
}

func (f formModel) view() string {
	keyW := 4
	for _, p := range f.params {
		keyW = max(keyW, len(p.Key))
	}
	var rows []string
	for i := f.offset; i <= len(f.params) && i < f.offset+f.height; i++ {
		sel := i == f.cursor
		mark := "  "
		if sel {
			mark = "› "
		}
		if i == len(f.params) {
			row := mark + "[ start training ]"
			if sel {
				row = st.Selected.Render(row)
			}
			rows = append(rows, row)
			continue
		}
		p := f.params[i]
		changed := " "
		if f.sets.has(p.Key) {
			changed = "*"
		}
		prefix := fmt.Sprintf("%s%s%-*s = ", mark, changed, keyW, p.Key)
		value := p.Value
		if sel && f.editing {
			in := f.input
			in.Width = max(1, f.width-len(prefix)-1) // the cursor takes a cell.
			value = in.View()
		}
		row := prefix + value
		if !(sel && f.editing) {
			row = ansi.Truncate(row, f.width, "…")
		}
		if sel && !f.editing {
			row = st.Selected.Render(row)
		}
		rows = append(rows, row)
	}
	return strings.Join(rows, "\n")
}

// footer is the selected parameter's doc line, or the validation error.
func (f formModel) footer() string {
	if f.err != "" {
		return st.Bad.Render(ansi.Truncate(f.err, f.width, "…"))
	}
	if f.cursor < len(f.params) {
		return st.Dim.Render(ansi.Truncate(f.params[f.cursor].Doc, f.width, "…"))
	}
	if len(f.sets.keys) == 0 {
		return st.Dim.Render("defaults (no parameter changed)")
	}
	return st.Dim.Render(ansi.Truncate("-set '"+f.sets.String()+"'", f.width, "…"))
}
