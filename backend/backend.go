// Package backend creates the compute backend mmdna runs on: GoMLX's pure-Go backend
// ("go") by default, or XLA through PJRT ("xla:cuda", "xla:cpu",
// "xla:/abs/path/plugin.so") in binaries built with `make build-xla` when a PJRT
// plugin is present. It never downloads anything: GoMLX's backends/default would
// install PJRT plugins on first use, so this package imports the backends itself.
package backend

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend"        // registers "go".
	_ "github.com/mmdna/mmdna/internal/simdguard" // see its package comment: a Go 1.27.3 simd bug.
)

// Default is the backend used when neither -backend nor GOMLX_BACKEND says otherwise.
const Default = "go"

// XLALogEnv names the environment variable that, set to anything, keeps go-xla's
// and PJRT's own log lines (klog) on stderr in XLA builds; by default they are
// silenced so that a failure reads as one line.
const XLALogEnv = "MMDNA_XLA_LOG"

func init() {
	// Belt and braces: even if some dependency pulls in an auto-installer, it must
	// not reach for the network.
	if os.Getenv("GOMLX_NO_AUTO_INSTALL") == "" {
		os.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	}
}

// Name resolves the backend configuration: flag, else $GOMLX_BACKEND, else Default.
func Name(flag string) string {
	if flag != "" {
		return flag
	}
	if env := os.Getenv(compute.ConfigEnvVar); env != "" {
		return env
	}
	return Default
}

// New creates the backend named by config ("go", "go:parallelism=2", "xla:cuda",
// "xla:/path/plugin.so", "xla:cuda,tf32=false"). With XLA, the plugin is looked up
// before go-xla is asked (see resolvePlugin in xla.go), so a missing plugin is a
// one-line error that names where it looked. Errors are one line and say what to do.
func New(config string) (compute.Backend, error) {
	config = Name(config)
	name, opts, _ := strings.Cut(config, ":")
	use := config // what go-xla is given: the plugin may be resolved to its path.
	if name == "xla" {
		if !XLABuilt {
			return nil, fmt.Errorf("-backend %s: this binary has only the pure-Go backend; build with XLA support using `make build-xla`", config)
		}
		resolved, err := resolvePlugin(opts)
		if err != nil {
			return nil, fmt.Errorf("-backend %s: %w", config, err)
		}
		if resolved != opts {
			use = name + ":" + resolved
		}
	}
	if !slices.Contains(compute.List(), name) {
		return nil, fmt.Errorf("-backend %s: unknown backend %q; available: %s", config, name, strings.Join(compute.List(), ", "))
	}
	b, err := compute.NewWithConfig(use)
	if err != nil {
		return nil, fmt.Errorf("-backend %s: %v", config, oneLine(err))
	}
	WarnIfSlow(os.Stderr)
	return b, nil
}

// Describe says in words what a backend is, for progress lines and the TUI.
func Describe(b compute.Backend) string {
	d := b.Description()
	if b.String() == "go" { // Name() is "Go Backend"; String() is the registered name.
		simd := "SIMD on"
		if !SIMD {
			simd = "SIMD off: slow build"
		}
		d = fmt.Sprintf("%s, %d CPUs, %s", d, runtime.NumCPU(), simd)
	}
	return d
}

var warnOnce sync.Once

// WarnIfSlow writes, once per process, that this binary was built without
// GOEXPERIMENT=simd and how to build it fast.
func WarnIfSlow(w io.Writer) {
	if SIMD {
		return
	}
	warnOnce.Do(func() {
		fmt.Fprintln(w, "mmdna: built without GOEXPERIMENT=simd: matrix products run several times slower; "+
			"rebuild with `export GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd` (the Makefile does this)")
	})
}

func oneLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
