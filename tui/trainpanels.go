package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/x/ansi"
)

// checkpointLine says where the newest checkpoint is.
func (m *trainModel) checkpointLine(w int) string {
	var s string
	switch {
	case m.saving:
		s = "checkpoint: saving after this step…"
	case m.ckptPath != "":
		s = fmt.Sprintf("checkpoint: step %d → %s", m.ckptStep, m.ckptPath)
	default:
		s = "checkpoint: none yet"
	}
	return ansi.Truncate(s, w, "…")
}

// endLines tell how the run ended and where its files are.
func (m *trainModel) endLines(w int) []string {
	wrap := func(s string, lines int) []string {
		out := strings.Split(ansi.Wrap(s, w, " /"), "\n")
		if len(out) > lines {
			out = out[:lines]
			out[lines-1] = ansi.Truncate(out[lines-1]+"…", w, "…")
		}
		return out
	}
	var lines []string
	switch m.state {
	case stateFinished:
		lines = append(lines, st.Good.Render(ansi.Truncate(m.message, w, "…")))
		lines = append(lines, ansi.Truncate(fmt.Sprintf("run directory: %s (results.json, metrics.jsonl, checkpoints/)", m.dir), w, "…"))
	case stateStopped:
		lines = append(lines, st.Warn.Render(ansi.Truncate(fmt.Sprintf("stopped at step %d: start %s again and choose resume to continue", m.step, m.exp), w, "…")))
		lines = append(lines, ansi.Truncate("run directory: "+m.dir, w, "…"))
	case stateFailed:
		msg := "failed: " + m.err.Error()
		if m.errStep > 0 {
			msg = fmt.Sprintf("failed at step %d: %v", m.errStep, m.err)
		}
		for _, l := range wrap(msg, 3) {
			lines = append(lines, st.Bad.Render(l))
		}
		if m.ckptPath != "" {
			lines = append(lines, ansi.Truncate("last good checkpoint: "+m.ckptPath, w, "…"))
		} else {
			lines = append(lines, "no checkpoint was saved before the failure")
		}
	}
	return lines
}

// logLines are the newest log lines that fit in rows.
func (m *trainModel) logLines(w, rows int) []string {
	if rows <= 0 {
		return nil
	}
	logs := m.logs[max(0, len(m.logs)-rows):]
	out := make([]string, 0, rows)
	for _, l := range logs {
		out = append(out, st.Dim.Render(ansi.Truncate(l, w, "…")))
	}
	for len(out) < rows {
		out = append(out, "")
	}
	return out
}

// helpLines explain the keys and the screen, in place of the log lines.
func (m *trainModel) helpLines(h help.Model, w, rows int) []string {
	text := []string{
		"charts: loss (log scale when it spans a decade) and each metric; ⠤⠤ train, ● eval.",
		"q stops cleanly: the loop saves a checkpoint and finishes metrics.jsonl first.",
	}
	lines := strings.Split(h.FullHelpView(m.keys().FullHelp()), "\n")
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, w, "…")
	}
	for _, t := range text {
		lines = append(lines, ansi.Truncate(t, w, "…"))
	}
	if len(lines) > rows {
		lines = lines[:max(0, rows)]
	}
	for len(lines) < rows {
		lines = append(lines, "")
	}
	return lines
}

// fmtDur writes a duration the way people read it: 45s, 3m05s, 1h02m.
func fmtDur(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	d = d.Round(time.Second)
	h, mi, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm", h, mi)
	case mi > 0:
		return fmt.Sprintf("%dm%02ds", mi, s)
	}
	return fmt.Sprintf("%ds", s)
}

// oneLine keeps a sample on its row: a newline or tab would break the layout's
// line count or width.
var oneLine = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ")

// samplesLines are the samples of the latest evaluation that had any, under a
// title, in at most rows lines; none when there are no samples or no room for a
// title and one sample, so runs without samples lay out as if the panel did not exist.
func (m *trainModel) samplesLines(w, rows int) []string {
	if m.samples == nil || rows < 2 {
		return nil
	}
	all := m.samples.Samples
	n := min(len(all), rows-1)
	title := fmt.Sprintf("samples · %s @ step %d", m.samples.Split, m.samples.Step)
	if n < len(all) { // say that some did not fit.
		title += fmt.Sprintf(" (%d of %d)", n, len(all))
	}
	out := []string{st.Heading.Render(ansi.Truncate(title, w, "…"))}
	for _, s := range all[:n] {
		out = append(out, ansi.Truncate("  "+oneLine.Replace(s), w, "…"))
	}
	return out
}
