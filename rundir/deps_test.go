package rundir

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestStandardLibraryOnly: the TUI, notebooks and commands read runs through this
// package without pulling in graph code, so it imports the standard library only.
func TestStandardLibraryOnly(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out, err := exec.Command(goCmd, "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}", "github.com/mmdna/mmdna/rundir").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "encoding/json true") {
		t.Fatalf("go list -deps lacks encoding/json: the check would prove nothing:\n%s", out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, std, _ := strings.Cut(line, " ")
		if std != "true" && path != "github.com/mmdna/mmdna/rundir" {
			t.Errorf("rundir depends on %s, outside the standard library", path)
		}
	}
}
