package backend

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestName(t *testing.T) {
	t.Setenv("GOMLX_BACKEND", "xla:cpu")
	for _, c := range []struct{ flag, want string }{{"go", "go"}, {"", "xla:cpu"}} {
		if got := Name(c.flag); got != c.want {
			t.Errorf("Name(%q) = %q, want %q", c.flag, got, c.want)
		}
	}
	t.Setenv("GOMLX_BACKEND", "")
	if got := Name(""); got != Default {
		t.Errorf("Name(\"\") without GOMLX_BACKEND = %q, want %q", got, Default)
	}
}

func TestNewGo(t *testing.T) {
	b, err := New("go")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	if b.String() != "go" {
		t.Errorf("String() = %q, want go", b.String())
	}
	if d := Describe(b); !strings.Contains(d, "CPUs") {
		t.Errorf("Describe = %q, want the CPU count", d)
	}
}

func TestNewErrorsAreOneLine(t *testing.T) {
	cases := []struct{ config, want string }{
		{"nosuch", `unknown backend "nosuch"`},
		{"nosuch:opt", "available: "},
	}
	if !XLABuilt {
		cases = append(cases, struct{ config, want string }{"xla:cuda", "make build-xla"})
	}
	for _, c := range cases {
		_, err := New(c.config)
		if err == nil {
			t.Errorf("New(%q): no error", c.config)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, c.want) || !strings.HasPrefix(msg, "-backend "+c.config+": ") || strings.Contains(msg, "\n") {
			t.Errorf("New(%q) = %q, want one line starting with the flag and containing %q", c.config, msg, c.want)
		}
	}
}

// TestXLABuildHasNoAutoInstall checks that the XLA build links go-xla's backend but
// not its auto-installer, which would download PJRT plugins.
func TestXLABuildHasNoAutoInstall(t *testing.T) {
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goCmd); err != nil {
		t.Skipf("no go command at %s", goCmd)
	}
	cmd := exec.Command(goCmd, "list", "-deps", "-tags", "xla", "./cmd/...")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps -tags xla ./cmd/...: %v", err)
	}
	deps := strings.Fields(string(out))
	var hasXLA bool
	for _, d := range deps {
		if strings.Contains(d, "autoinstall") || strings.HasSuffix(d, "gomlx/backends/default") {
			t.Errorf("the XLA build depends on %s, which downloads PJRT plugins", d)
		}
		hasXLA = hasXLA || d == "github.com/gomlx/go-xla/compute/xla"
	}
	if !hasXLA {
		t.Errorf("the XLA build does not include github.com/gomlx/go-xla/compute/xla (%d packages)", len(deps))
	}
}
