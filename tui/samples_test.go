package tui

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/mmdna/mmdna/events"
)

// captions are samples as a captioning evaluation writes them.
var captions = []string{
	"a red circle left of a blue square -> a red circle left of a blue square",
	"a small green triangle above a yellow star -> a green triangle above a star",
	"two purple squares -> a purple square",
}

// withSamples gives script's evaluations samples: the eval at step s gets
// lines ending "@s", so tests can tell one evaluation's samples from another's.
func withSamples(evs []events.Event) []events.Event {
	for i, e := range evs {
		if e.Kind == events.KindEval {
			for _, c := range captions {
				evs[i].Samples = append(evs[i].Samples, fmt.Sprintf("%s %s@%d", c, e.Split, e.Step))
			}
		}
	}
	return evs
}

// trainView starts mlp-spirals at w x h, feeds evs and returns the plain view.
func trainView(w, h int, evs ...events.Event) (*Model, string) {
	m := New(newFakeCatalog(), Options{})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	press(m, "enter")
	feed(m, evs...)
	return m, ansi.Strip(m.View())
}

func TestSamplesAppearAndAreReplaced(t *testing.T) {
	m, v := trainView(120, 40, script(events.KindStep)...)
	if strings.Contains(v, "samples") {
		t.Fatalf("a run without samples shows a samples panel:\n%s", v)
	}
	feed(m, withSamples([]events.Event{{Kind: events.KindEval, Step: 500, Split: "eval", Loss: 0.25}})...)
	v = ansi.Strip(m.View())
	if !strings.Contains(v, "samples · eval @ step 500\n") {
		t.Errorf("no samples title for step 500:\n%s", v)
	}
	for _, c := range captions {
		if !strings.Contains(v, "  "+c+" eval@500\n") {
			t.Errorf("sample %q missing:\n%s", c, v)
		}
	}
	feed(m, withSamples([]events.Event{{Kind: events.KindEval, Step: 1000, Split: "eval", Loss: 0.1}})...)
	v = ansi.Strip(m.View())
	if !strings.Contains(v, "samples · eval @ step 1000\n") || strings.Contains(v, "eval@500") ||
		strings.Contains(v, "step 500\n") || !strings.Contains(v, captions[0]+" eval@1000") {
		t.Errorf("the eval at 1000 did not replace the samples of 500:\n%s", v)
	}
	// An evaluation without samples leaves the last ones on screen.
	feed(m, events.Event{Kind: events.KindEval, Step: 1200, Split: "eval", Loss: 0.09})
	if v = ansi.Strip(m.View()); !strings.Contains(v, captions[0]+" eval@1000") {
		t.Errorf("an eval without samples removed the earlier ones:\n%s", v)
	}
}

func TestSamplesOfTheTestSplit(t *testing.T) {
	m, v := trainView(120, 40, withSamples(script(events.KindFinished))...)
	if m.train.state != stateFinished {
		t.Fatalf("state %s, want finished", m.train.state)
	}
	if !strings.Contains(v, "samples · test @ step 1500\n") || !strings.Contains(v, captions[2]+" test@1500") ||
		strings.Contains(v, "eval@1500") {
		t.Errorf("the test evaluation's samples are not shown after the run:\n%s", v)
	}
}

func TestSamplesTruncated(t *testing.T) {
	long := strings.Repeat("a very long reference caption ", 10) + "-> " + strings.Repeat("界", 40)
	for _, w := range []int{80, 47} {
		_, v := trainView(w, 30, append(script(events.KindStep),
			events.Event{Kind: events.KindEval, Step: 600, Split: "eval", Loss: 0.2, Samples: []string{long, "two\nlines\tand a tab"}})...)
		lines := strings.Split(v, "\n")
		i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "samples · eval @ step 600") })
		if i < 0 || i+2 >= len(lines) {
			t.Fatalf("width %d: no samples panel with two lines:\n%s", w, v)
		}
		if got := lines[i+1]; !strings.HasSuffix(got, "…") || ansi.StringWidth(got) > w || !strings.HasPrefix(got, "  a very long") {
			t.Errorf("width %d: long sample %q (width %d), want it cut to the width with …", w, got, ansi.StringWidth(got))
		}
		if got := lines[i+2]; got != "  two lines and a tab" {
			t.Errorf("width %d: sample with a newline and a tab rendered as %q", w, got)
		}
	}
}

// TestSamplesKeepTheLayout compares a run with samples with the same run without,
// at sizes from roomy to tiny: only rows that held log lines (or nothing) may
// differ, so the charts, table, checkpoint line and help stay where they were.
func TestSamplesKeepTheLayout(t *testing.T) {
	sizes := [][2]int{{120, 40}, {80, 24}, {60, 16}, {80, 17}, {40, 12}, {20, 5}}
	for _, upTo := range []events.Kind{events.KindStep, events.KindFinished} {
		for _, size := range sizes {
			name := fmt.Sprintf("%s-%dx%d", upTo, size[0], size[1])
			m, base := trainView(size[0], size[1], script(upTo)...)
			_, with := trainView(size[0], size[1], withSamples(script(upTo))...)
			bl, wl := strings.Split(base, "\n"), strings.Split(with, "\n")
			if len(bl) != len(wl) {
				t.Fatalf("%s: %d lines with samples, %d without", name, len(wl), len(bl))
			}
			isLog := func(l string) bool {
				return l == "" || slices.ContainsFunc(m.train.logs, func(s string) bool {
					return strings.HasPrefix(s, strings.TrimSuffix(l, "…"))
				})
			}
			for i := range bl {
				if bl[i] != wl[i] && !isLog(bl[i]) {
					t.Errorf("%s: line %d was %q, with samples %q", name, i+1, bl[i], wl[i])
				}
			}
			// Where it fits depends on the rows the log lines had; these sizes are clear.
			shown := strings.Contains(with, "samples · ")
			if want, ok := map[int]bool{40: true, 24: true, 5: false}[size[1]]; ok && shown != want {
				t.Errorf("%s: samples shown %v, want %v:\n%s", name, shown, want, with)
			}
		}
	}
}

func TestSamplesGiveWayToHelp(t *testing.T) {
	m, _ := trainView(80, 24, withSamples(script(events.KindStep))...)
	press(m, "?")
	if v := ansi.Strip(m.View()); strings.Contains(v, "samples · ") {
		t.Errorf("samples shown with the help:\n%s", v)
	}
	press(m, "?")
	if v := ansi.Strip(m.View()); !strings.Contains(v, "samples · eval @ step 500") {
		t.Errorf("samples not back after the help:\n%s", v)
	}
}
