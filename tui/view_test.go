package tui

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/mmdna/mmdna/events"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// screens builds each screen of the UI from messages, as a user would reach it.
var screens = []struct {
	name  string
	setup func(m *Model)
}{
	{"list", func(m *Model) {}},
	{"list-help", func(m *Model) { press(m, "?") }},
	{"form", func(m *Model) { press(m, "e", "down", "enter", "backspace", "x", "enter") }},
	{"confirm", func(m *Model) {
		m.cat.(*fakeCatalog).existing["mlp-spirals"] = RunInfo{Dir: "runs/mlp-spirals", Exists: true, Resumable: true, Step: 700, Steps: 1500}
		press(m, "enter")
	}},
	{"preparing", func(m *Model) {
		press(m, "enter")
		feed(m, events.Event{Kind: events.KindLog, Message: "generating 20000 captioned scenes"})
	}},
	{"training", func(m *Model) { press(m, "enter"); feed(m, script(events.KindStep)...) }},
	{"training-help", func(m *Model) { press(m, "enter"); feed(m, script(events.KindStep)...); press(m, "?") }},
	{"samples", func(m *Model) { press(m, "enter"); feed(m, withSamples(script(events.KindStep))...) }},
	{"paused", func(m *Model) { press(m, "enter"); feed(m, script(events.KindStep)...); press(m, "p") }},
	{"many-metrics", func(m *Model) {
		press(m, "up", "enter")
		evs := script(events.KindStep)
		for i := range evs {
			if evs[i].Kind == events.KindEval {
				evs[i].Metrics = map[string]float64{"i2t_r_at_1": 0.41, "i2t_r_at_5": 0.83, "t2i_r_at_1": 0.39,
					"t2i_r_at_5": 0.8, "zero_shot_accuracy": 0.77, "accuracy": 0.91}
			}
		}
		feed(m, evs...)
	}},
	{"stopped", func(m *Model) { press(m, "enter"); feed(m, script(events.KindStopped)...) }},
	{"failed", func(m *Model) { press(m, "enter"); feed(m, script(events.KindFailed)...) }},
	{"finished", func(m *Model) { press(m, "enter"); feed(m, script(events.KindFinished)...) }},
}

// TestViewGolden renders every screen at 80x24 and 120x40, strips ANSI and compares
// with testdata/NAME-WxH.golden (go test ./tui -run TestViewGolden -update rewrites them).
func TestViewGolden(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, sc := range screens {
			name := fmt.Sprintf("%s-%dx%d", sc.name, size[0], size[1])
			t.Run(name, func(t *testing.T) {
				m := New(newFakeCatalog(), Options{})
				m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
				sc.setup(m)
				got := ansi.Strip(m.View())
				lines := strings.Split(got, "\n")
				if len(lines) != size[1] {
					t.Errorf("%d lines, want %d", len(lines), size[1])
				}
				for i, l := range lines {
					if w := ansi.StringWidth(l); w > size[0] {
						t.Errorf("line %d is %d wide, over %d: %q", i+1, w, size[0], l)
					}
				}
				path := filepath.Join("testdata", name+".golden")
				if *update {
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if got != string(want) {
					t.Errorf("view differs from %s (rerun with -update if the change is meant):\n--- got\n%s\n--- want\n%s", path, got, want)
				}
			})
		}
	}
}

// TestViewSmallAndResized checks that no screen breaks at odd sizes.
func TestViewSmallAndResized(t *testing.T) {
	for _, size := range [][2]int{{40, 12}, {60, 16}, {20, 5}, {200, 60}} {
		for _, sc := range screens {
			m := New(newFakeCatalog(), Options{})
			m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
			sc.setup(m)
			m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			lines := strings.Split(ansi.Strip(m.View()), "\n")
			if len(lines) > size[1] {
				t.Errorf("%s at %dx%d: %d lines", sc.name, size[0], size[1], len(lines))
			}
			for i, l := range lines {
				if w := ansi.StringWidth(l); w > max(size[0], 20) {
					t.Errorf("%s at %dx%d: line %d is %d wide", sc.name, size[0], size[1], i+1, w)
				}
			}
		}
	}
}
