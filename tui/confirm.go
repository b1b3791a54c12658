package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// confirmModel asks what to do with a run directory that already holds a run:
// resume it, replace it, or go back.
type confirmModel struct {
	exp   string
	info  RunInfo
	back  screen // where cancel returns to.
	width int
}

func (c confirmModel) view() string {
	var b strings.Builder
	state := "an interrupted run"
	switch {
	case c.info.Finished:
		state = "a finished run"
	case !c.info.Resumable:
		state = "a run without a checkpoint"
	}
	fmt.Fprintf(&b, "%s already holds %s of %s", c.info.Dir, state, c.exp)
	if c.info.Resumable {
		if c.info.Steps > 0 {
			fmt.Fprintf(&b, ": step %d of %d.", c.info.Step, c.info.Steps)
		} else {
			fmt.Fprintf(&b, ": step %d.", c.info.Step)
		}
	} else {
		b.WriteString(".")
	}
	lines := []string{st.Heading.Render(ansi.Wrap(b.String(), c.width, " ")), ""}
	if c.info.Resumable {
		what := fmt.Sprintf("resume from step %d", c.info.Step)
		if c.info.Finished {
			what = "resume: show its results, or train on if you raised steps"
		}
		lines = append(lines, "  "+st.Key.Render("r")+"  "+what)
	}
	lines = append(lines,
		"  "+st.Key.Render("f")+"  start fresh (deletes "+c.info.Dir+")",
		"  "+st.Key.Render("c")+"  cancel")
	for i := 2; i < len(lines); i++ { // the heading is wrapped already.
		lines[i] = ansi.Truncate(lines[i], c.width, "…")
	}
	return strings.Join(lines, "\n")
}
