package tui

import "github.com/charmbracelet/bubbles/key"

// The key bindings of each screen; each keymap implements help.KeyMap, so the help
// line always shows what the screen accepts.

type listKeys struct {
	Up, Down, Start, Edit, Help, Quit key.Binding
}

var listKeyMap = listKeys{
	Up:    key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
	Down:  key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
	Start: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "start")),
	Edit:  key.NewBinding(key.WithKeys("e", "tab"), key.WithHelp("e", "edit parameters")),
	Help:  key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
	Quit:  key.NewBinding(key.WithKeys("q", "esc", "ctrl+c"), key.WithHelp("q", "quit")),
}

func (k listKeys) ShortHelp() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.Start, k.Edit, k.Help, k.Quit}
}

func (k listKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down}, {k.Start, k.Edit}, {k.Help, k.Quit}}
}

type formKeys struct {
	Up, Down, Edit, Reset, Start, Back, Help, Quit key.Binding
}

var formKeyMap = formKeys{
	Up:    key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
	Down:  key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
	Edit:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "edit")),
	Reset: key.NewBinding(key.WithKeys("d", "delete"), key.WithHelp("d", "default")),
	Start: key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "start")),
	Back:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
	Help:  key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
	Quit:  key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
}

func (k formKeys) ShortHelp() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.Edit, k.Reset, k.Start, k.Back, k.Help}
}

func (k formKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down}, {k.Edit, k.Reset}, {k.Start, k.Back}, {k.Help, k.Quit}}
}

type editKeys struct {
	Confirm, Cancel key.Binding
}

var editKeyMap = editKeys{
	Confirm: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply")),
	Cancel:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
}

func (k editKeys) ShortHelp() []key.Binding  { return []key.Binding{k.Confirm, k.Cancel} }
func (k editKeys) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

type confirmKeys struct {
	Resume, Fresh, Cancel key.Binding
}

var confirmKeyMap = confirmKeys{
	Resume: key.NewBinding(key.WithKeys("r", "enter"), key.WithHelp("r", "resume")),
	Fresh:  key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "start fresh")),
	Cancel: key.NewBinding(key.WithKeys("c", "esc", "q"), key.WithHelp("c", "cancel")),
}

func (k confirmKeys) ShortHelp() []key.Binding  { return []key.Binding{k.Resume, k.Fresh, k.Cancel} }
func (k confirmKeys) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

type trainKeys struct {
	Pause, Save, Charts, Stop, Back, Help key.Binding
}

var trainKeyMap = trainKeys{
	Pause:  key.NewBinding(key.WithKeys("p", " "), key.WithHelp("p", "pause/resume")),
	Save:   key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "save checkpoint")),
	Charts: key.NewBinding(key.WithKeys("c", "tab"), key.WithHelp("c", "more charts")),
	Stop:   key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "stop & quit")),
	Back:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "experiments")),
	Help:   key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
}

func (k trainKeys) ShortHelp() []key.Binding {
	return []key.Binding{k.Help, k.Pause, k.Save, k.Charts, k.Stop, k.Back}
}

func (k trainKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Pause, k.Save}, {k.Charts, k.Help}, {k.Stop, k.Back}}
}
