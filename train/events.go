package train

import "github.com/mmdna/mmdna/events"

// The event types live in package events (no graph code, for UIs); these aliases
// keep train's API in one place.
type (
	Event    = events.Event
	Kind     = events.Kind
	Sink     = events.Sink
	SinkFunc = events.SinkFunc
	ChanSink = events.ChanSink
	Command  = events.Command
)

// Event kinds and commands, re-exported from package events.
const (
	KindStart      = events.KindStart
	KindStep       = events.KindStep
	KindEval       = events.KindEval
	KindCheckpoint = events.KindCheckpoint
	KindLog        = events.KindLog
	KindPaused     = events.KindPaused
	KindResumed    = events.KindResumed
	KindStopped    = events.KindStopped
	KindFinished   = events.KindFinished
	KindFailed     = events.KindFailed

	CmdPause       = events.CmdPause
	CmdResume      = events.CmdResume
	CmdTogglePause = events.CmdTogglePause
	CmdSave        = events.CmdSave
)
