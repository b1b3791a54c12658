package tui

import (
	tea "github.com/charmbracelet/bubbletea"
	"github.com/mmdna/mmdna/events"
)

// eventsMsg carries the events a session emitted since the last one, read in a batch
// so that a fast run does not redraw the screen once per event. gen says which
// session they belong to: events of a session the user left are dropped.
type eventsMsg struct {
	gen    int
	events []events.Event
	closed bool // the session's event channel was closed after these events.
}

// maxBatch bounds the events handled per redraw.
const maxBatch = 256

// waitEvents returns a command that blocks for the next event of ch and then takes
// whatever else is already queued.
func waitEvents(gen int, ch <-chan events.Event) tea.Cmd {
	return func() tea.Msg {
		e, ok := <-ch
		if !ok {
			return eventsMsg{gen: gen, closed: true}
		}
		msg := eventsMsg{gen: gen, events: []events.Event{e}}
		for len(msg.events) < maxBatch {
			select {
			case e, ok := <-ch:
				if !ok {
					msg.closed = true
					return msg
				}
				msg.events = append(msg.events, e)
			default:
				return msg
			}
		}
		return msg
	}
}

// StopMsg asks the UI to stop the run cleanly, as the q key does; send it from a
// signal handler (SIGTERM, SIGINT) with tea.Program.Send. A second one, while the
// run is stopping, quits at once.
type StopMsg struct{}
