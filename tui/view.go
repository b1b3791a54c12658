package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// View renders the current screen.
func (m *Model) View() string {
	switch m.screen {
	case screenTrain:
		return m.train.view(m.help)
	case screenForm:
		return m.frame(m.formTitle(), m.form.view(), []string{m.form.footer()}, m.formHelp())
	case screenConfirm:
		return m.frame("mmdna · "+m.confirm.exp, m.confirm.view(), nil, m.help.ShortHelpView(confirmKeyMap.ShortHelp()))
	}
	return m.frame("mmdna · experiments", m.list.view(), m.listDetails(), m.listHelp())
}

// frame lays out the list-like screens: title bar, body, details, error, help.
func (m *Model) frame(title, body string, details []string, helpView string) string {
	w := max(m.width, 20)
	bar := " " + title + " "
	right := " " + m.cat.Backend() + " "
	if gap := w - ansi.StringWidth(bar) - ansi.StringWidth(right); gap > 0 {
		bar += strings.Repeat(" ", gap) + right
	}
	lines := []string{st.Title.Render(ansi.Truncate(bar, w, "…")), ""}
	lines = append(lines, strings.Split(body, "\n")...)
	lines = append(lines, "")
	lines = append(lines, details...)
	if m.err != "" && m.screen != screenForm {
		lines = append(lines, st.Bad.Render(ansi.Truncate(m.err, w, "…")))
	}
	help := strings.Split(helpView, "\n")
	for i, l := range help { // bubbles' help overflows when not even "…" fits.
		help[i] = ansi.Truncate(l, w, "…")
	}
	if m.height > 0 {
		// Push the help to the bottom row; drop body rows if the window is too small.
		room := m.height - len(help)
		if len(lines) > room {
			lines = lines[:max(0, room)]
		}
		for len(lines) < room {
			lines = append(lines, "")
		}
	}
	return strings.Join(append(lines, help...), "\n")
}

func (m *Model) formTitle() string {
	return "mmdna · " + m.form.exp + " · parameters"
}

// listDetails describes the selected experiment: its changed parameters and what
// its run directory holds.
func (m *Model) listDetails() []string {
	e, ok := m.list.selected()
	if !ok {
		return nil
	}
	w := max(m.width, 20)
	params := "parameters: defaults (e edits them)"
	if s := m.sets[e.Name]; len(s.keys) > 0 {
		params = "parameters: -set '" + s.String() + "' (e edits them)"
	}
	run := "run directory: " + m.info.Dir + " (new)"
	switch {
	case m.info.Finished:
		run = fmt.Sprintf("run directory: %s holds a finished run (%d steps): Enter offers resume or fresh", m.info.Dir, m.info.Step)
	case m.info.Resumable:
		run = fmt.Sprintf("run directory: %s holds a run stopped at step %d: Enter offers to resume it", m.info.Dir, m.info.Step)
	case m.info.Exists:
		run = "run directory: " + m.info.Dir + " holds a run without a checkpoint: Enter offers to replace it"
	}
	return []string{
		st.Dim.Render(ansi.Truncate(params, w, "…")),
		st.Dim.Render(ansi.Truncate(run, w, "…")),
	}
}

func (m *Model) listHelp() string {
	if m.full {
		return m.help.FullHelpView(listKeyMap.FullHelp())
	}
	return m.help.ShortHelpView(listKeyMap.ShortHelp())
}

func (m *Model) formHelp() string {
	if m.form.editing {
		return m.help.ShortHelpView(editKeyMap.ShortHelp())
	}
	if m.full {
		return m.help.FullHelpView(formKeyMap.FullHelp())
	}
	return m.help.ShortHelpView(formKeyMap.ShortHelp())
}
