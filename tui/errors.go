package tui

import "errors"

var (
	errUnknown       = errors.New("the run failed without saying why")
	errEndedSilently = errors.New("the run ended without a final event (see the log lines)")
)
