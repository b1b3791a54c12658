package tui

import (
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/mmdna/mmdna/events"
)

// screen is what the UI shows.
type screen int

const (
	screenList    screen = iota // the experiments.
	screenForm                  // the selected experiment's parameters.
	screenConfirm               // the run directory holds a run: resume, fresh or cancel.
	screenTrain                 // a run.
)

// Options are the command line's choices.
type Options struct {
	Exp    string   // the experiment selected at first; "" the catalog's default.
	Sets   []string // -set values for Exp.
	Start  bool     // start Exp at once, skipping the opening screen.
	Resume bool     // answer "resume" if Exp's run directory holds a run.
	Fresh  bool     // answer "start fresh" if it does.
}

// Model is the Bubble Tea model of the whole UI.
type Model struct {
	cat     Catalog
	opt     Options
	screen  screen
	width   int
	height  int
	list    listModel
	form    formModel
	confirm confirmModel
	train   *trainModel
	sets    map[string]paramSets // per experiment.
	info    RunInfo              // the selected experiment's run directory.
	help    help.Model
	full    bool   // full help on the list and form screens.
	err     string // why the last start was refused.
	sess    *Session
	gen     int  // counts sessions, to drop events of a session left behind.
	quit    bool // quit when the session's events end.
}

// New returns the UI over cat.
func New(cat Catalog, opt Options) *Model {
	if opt.Exp == "" {
		opt.Exp = cat.Default()
	}
	m := &Model{cat: cat, opt: opt, sets: map[string]paramSets{}, help: help.New(), width: 80, height: 24}
	m.sets[opt.Exp] = parseSets(opt.Sets)
	m.list = newList(cat.Experiments(), cat.Default(), opt.Exp)
	m.refreshInfo()
	m.layout()
	return m
}

// Init starts the selected experiment when Options.Start says so.
func (m *Model) Init() tea.Cmd {
	if m.opt.Start {
		return m.begin(m.opt.Exp, screenList)
	}
	return nil
}

// Update handles a message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		return m, nil
	case eventsMsg:
		return m, m.onEvents(msg)
	case tea.KeyMsg:
		return m, m.onKey(msg)
	case StopMsg:
		if m.screen == screenTrain {
			return m, m.stop(m.train.state == stateStopping)
		}
		return m, tea.Quit
	}
	if m.screen == screenForm && m.form.editing { // cursor blinks.
		var cmd tea.Cmd
		m.form.input, cmd = m.form.input.Update(msg)
		return m, cmd
	}
	return m, nil
}

func (m *Model) onEvents(msg eventsMsg) tea.Cmd {
	if msg.gen != m.gen || m.train == nil {
		return nil
	}
	for _, e := range msg.events {
		m.train.apply(e)
	}
	if msg.closed {
		m.train.closeEvents()
		if m.quit {
			return tea.Quit
		}
		return nil
	}
	return waitEvents(m.gen, m.sess.Events)
}

func (m *Model) onKey(msg tea.KeyMsg) tea.Cmd {
	switch m.screen {
	case screenList:
		switch {
		case key.Matches(msg, listKeyMap.Quit):
			return tea.Quit
		case key.Matches(msg, listKeyMap.Up):
			m.list.move(-1)
			m.refreshInfo()
		case key.Matches(msg, listKeyMap.Down):
			m.list.move(1)
			m.refreshInfo()
		case key.Matches(msg, listKeyMap.Help):
			m.full = !m.full
			m.layout()
		case key.Matches(msg, listKeyMap.Edit):
			if e, ok := m.list.selected(); ok {
				m.openForm(e.Name)
			}
		case key.Matches(msg, listKeyMap.Start):
			if e, ok := m.list.selected(); ok {
				return m.begin(e.Name, screenList)
			}
		}
	case screenForm:
		if !m.form.editing && key.Matches(msg, formKeyMap.Help) {
			m.full = !m.full
			m.layout()
			return nil
		}
		if key.Matches(msg, formKeyMap.Quit) {
			return tea.Quit
		}
		action, cmd := m.form.update(msg)
		m.sets[m.form.exp] = m.form.sets
		switch action {
		case formStart:
			return m.begin(m.form.exp, screenForm)
		case formBack:
			m.screen = screenList
			m.layout()
		}
		return cmd
	case screenConfirm:
		switch {
		case key.Matches(msg, confirmKeyMap.Resume) && m.confirm.info.Resumable:
			return m.start(Request{Name: m.confirm.exp, Sets: m.sets[m.confirm.exp].list(), Resume: true})
		case key.Matches(msg, confirmKeyMap.Fresh):
			return m.start(Request{Name: m.confirm.exp, Sets: m.sets[m.confirm.exp].list(), Fresh: true})
		case key.Matches(msg, confirmKeyMap.Cancel):
			m.screen = m.confirm.back
			m.layout()
		case msg.String() == "ctrl+c":
			return tea.Quit
		}
	case screenTrain:
		return m.onTrainKey(msg)
	}
	return nil
}

func (m *Model) onTrainKey(msg tea.KeyMsg) tea.Cmd {
	t := m.train
	switch {
	case key.Matches(msg, trainKeyMap.Stop):
		return m.stop(t.state == stateStopping && msg.String() == "ctrl+c")
	case key.Matches(msg, trainKeyMap.Pause) && !t.state.ended() && t.state != stateStopping:
		if m.send(events.CmdTogglePause) {
			switch t.state {
			case statePaused:
				t.state = stateRunning
			case stateRunning:
				t.state = statePaused
			}
		}
	case key.Matches(msg, trainKeyMap.Save) && !t.state.ended() && t.state != stateStopping:
		if m.send(events.CmdSave) {
			t.saving = true
		}
	case key.Matches(msg, trainKeyMap.Charts):
		t.chartPage = (t.chartPage + 1) % t.chartPages()
	case key.Matches(msg, trainKeyMap.Help):
		t.showHelp = !t.showHelp
	case key.Matches(msg, trainKeyMap.Back) && t.state.ended():
		m.screen = screenList
		m.refreshInfo()
		m.layout()
	}
	return nil
}

// stop asks the run to stop cleanly and quits when its events end; force quits at
// once (a second Ctrl-C does not wait for the checkpoint).
func (m *Model) stop(force bool) tea.Cmd {
	t := m.train
	switch {
	case t.state.ended() || t.closed || force:
		return tea.Quit
	case t.state != stateStopping:
		t.state = stateStopping
		t.log("stopping: the loop saves a checkpoint after this step (Ctrl-C again quits at once)")
		m.quit = true
		m.sess.Stop()
	}
	return nil
}

// send passes a command to the run without blocking; false if its queue is full.
func (m *Model) send(c events.Command) bool {
	select {
	case m.sess.Control <- c:
		return true
	default:
		m.train.log("the run is busy; try again")
		return false
	}
}

func (m *Model) openForm(name string) {
	m.form = newForm(name, m.sets[name], func(sets []string) ([]Param, error) { return m.cat.Params(name, sets) })
	m.screen = screenForm
	m.err = ""
	m.layout()
}

// begin starts name, first asking about an existing run unless the options answered.
func (m *Model) begin(name string, from screen) tea.Cmd {
	sets := m.sets[name]
	if _, err := m.cat.Params(name, sets.list()); err != nil { // the form shows why and lets it be fixed.
		m.openForm(name)
		m.form.err = err.Error()
		return nil
	}
	info := m.cat.Existing(name)
	if info.Exists {
		// -resume or -fresh answer the question once, for the experiment they came with.
		resume := name == m.opt.Exp && m.opt.Resume && info.Resumable
		fresh := name == m.opt.Exp && m.opt.Fresh
		m.opt.Resume, m.opt.Fresh = false, false
		if resume || fresh {
			return m.start(Request{Name: name, Sets: sets.list(), Resume: resume, Fresh: fresh})
		}
		m.confirm = confirmModel{exp: name, info: info, back: from, width: m.width}
		m.screen = screenConfirm
		return nil
	}
	return m.start(Request{Name: name, Sets: sets.list()})
}

func (m *Model) start(req Request) tea.Cmd {
	info := m.cat.Existing(req.Name)
	sess, err := m.cat.Start(req)
	if err != nil {
		m.err = err.Error()
		m.screen = screenList
		m.layout()
		return nil
	}
	m.gen++
	m.sess, m.err, m.quit = sess, "", false
	m.train = newTrain(req.Name, m.cat.Backend(), sess.Dir)
	if req.Resume {
		m.train.ckptStep, m.train.ckptPath = info.Step, info.Checkpoint
	}
	m.screen = screenTrain
	m.layout()
	return waitEvents(m.gen, sess.Events)
}

func (m *Model) refreshInfo() {
	if e, ok := m.list.selected(); ok {
		m.info = m.cat.Existing(e.Name)
	}
}

// layout hands the window size to the screens.
func (m *Model) layout() {
	m.help.Width = m.width
	m.list.setSize(m.width, m.height-m.chromeRows())
	m.form.setSize(m.width, m.height-m.chromeRows())
	m.confirm.width = m.width
	if m.train != nil {
		m.train.width, m.train.height = m.width, m.height
	}
}

// chromeRows are the rows around the list and the form: title, blank, blank,
// details (2), blank, error, help.
func (m *Model) chromeRows() int {
	n := 8
	if m.full {
		n += 3
	}
	return n
}

// Shutdown stops a run that is still going and waits up to timeout for it to save
// its checkpoint and end; for when the program ended abnormally (a panic in the UI,
// which Bubble Tea turns into an error after restoring the terminal).
func (m *Model) Shutdown(timeout time.Duration) {
	if m.sess == nil || m.train == nil || m.train.closed {
		return
	}
	m.sess.Stop()
	deadline := time.After(timeout)
	for {
		select {
		case _, ok := <-m.sess.Events:
			if !ok {
				return
			}
		case <-deadline:
			return
		}
	}
}

// Outcome says how the last run ended: "finished", "stopped", "failed", or "" if
// none ran to an end.
func (m *Model) Outcome() string {
	if m.train == nil || !m.train.state.ended() {
		return ""
	}
	return m.train.state.String()
}

// Summary is what to print after the UI has left the screen: how the last run
// ended, its results and where its files are.
func (m *Model) Summary() string {
	t := m.train
	if t == nil {
		return ""
	}
	var lines []string
	switch t.state {
	case stateFinished:
		lines = append(lines, t.message)
		lines = append(lines, t.tableLines(100)...)
	case stateStopped:
		lines = append(lines, t.message, "to resume: make run, select "+t.exp+" and choose resume")
	case stateFailed:
		lines = append(lines, t.endLines(200)...)
	default:
		lines = append(lines, t.exp+": quit while "+t.state.String()+" (the checkpoint may be incomplete)")
	}
	lines = append(lines, "run directory: "+t.dir)
	for i, l := range lines {
		lines[i] = ansi.Strip(l)
	}
	return strings.Join(lines, "\n") + "\n"
}
