package tui

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestNoGraphCode enforces the design rule "the UI imports no graph code": the
// packages of tui/... must not depend on GoMLX or on mmdna's train, experiments,
// models, backend or datasets packages (cmd/tui does the wiring).
func TestNoGraphCode(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out, err := exec.Command(goCmd, "list", "-deps", "github.com/mmdna/mmdna/tui/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 || !strings.Contains(string(out), "github.com/charmbracelet/bubbletea") {
		t.Fatalf("go list -deps returned %d packages without bubbletea: the check would prove nothing", len(deps))
	}
	forbidden := []string{"github.com/gomlx/", "github.com/mmdna/mmdna/train", "github.com/mmdna/mmdna/experiments",
		"github.com/mmdna/mmdna/models", "github.com/mmdna/mmdna/backend", "github.com/mmdna/mmdna/datasets", "github.com/mmdna/mmdna/nn"}
	for _, d := range deps {
		for _, f := range forbidden {
			if strings.HasPrefix(d, f) {
				t.Errorf("tui depends on %s", d)
			}
		}
	}
}
