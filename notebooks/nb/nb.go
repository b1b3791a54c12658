// Package nb is the shared code of the GoNB notebooks in notebooks/: training a
// registered experiment into a folder of runs, reading a run's results and
// metrics, and rendering a loss curve and a markdown metrics table; pretrained.go
// and caption.go hold the helpers of the pretrained and captioning notebooks.
//
// It is plain Go and does not import gonb, so the project's go.mod does not
// depend on it and the package is tested with `go test ./notebooks/nb`. Each
// notebook keeps a few gonb-specific lines that display what this package
// returns (gonbui.DisplayPng, a markdown display, then gonbui.Sync so the display
// is not lost when the cell's program exits).
package nb

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mmdna/mmdna/backend"
	"github.com/mmdna/mmdna/experiments"
	"github.com/mmdna/mmdna/rundir"
	"github.com/mmdna/mmdna/train"
)

// Runs is a folder that holds named runs, one subfolder each: a notebook keeps its
// runs in the kernel's scratch directory, never in the repository.
type Runs string

// Dir is the directory of run name.
func (r Runs) Dir(name string) string { return filepath.Join(string(r), name) }

// File is the path of file (a path relative to the run directory) in run name.
func (r Runs) File(name, file string) string { return filepath.Join(string(r), name, file) }

// Rel strips the runs folder (and the separator after it) from every path in s,
// so text shown in a notebook names runs, not machine-specific folders.
func (r Runs) Rel(s string) string {
	if r == "" {
		return s
	}
	return strings.ReplaceAll(s, string(r)+string(filepath.Separator), "")
}

// Writer returns a writer that writes through Rel to w. Each Write is rewritten
// on its own, so a path split across two writes is left as it is; train.Progress
// writes one whole line a call.
func (r Runs) Writer(w io.Writer) io.Writer { return relWriter{r, w} }

// relWriter writes through Runs.Rel.
type relWriter struct {
	runs Runs
	w    io.Writer
}

// Write implements io.Writer. It reports len(p) written (the rewritten text may
// be shorter) so callers do not see a short write.
func (rw relWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(rw.w, rw.runs.Rel(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Train trains the registered experiment in run name, replacing any earlier run
// there, through the same API as `go run ./cmd/train` (experiments.Prepare +
// Job.Run) on the backend GOMLX_BACKEND selects. sets are parameter settings
// ("k=v;k2=v2", as -set takes them; later ones win). Progress lines, prefixed
// "[name] " and with the runs folder stripped from paths, go to progress (nil
// is silent); checkpoint lines are left out. Errors are returned as they are:
// pass them through Rel before showing them.
func (r Runs) Train(name, experiment string, progress io.Writer, sets ...string) (*train.Results, error) {
	if name == "" {
		return nil, fmt.Errorf("nb: Train %s: empty run name", experiment)
	}
	if progress == nil {
		progress = io.Discard
	}
	b, err := backend.New("")
	if err != nil {
		return nil, err
	}
	w := r.Writer(progress)
	p := train.Progress{W: w, Prefix: "[" + name + "] "}
	job, err := experiments.Prepare(experiments.Request{Name: experiment, Sets: sets, Out: r.Dir(name),
		Fresh: true, Backend: b, BackendName: backend.Name(""),
		Log: func(f string, a ...any) { io.WriteString(w, p.Prefix+fmt.Sprintf(f, a...)+"\n") }})
	if err != nil {
		return nil, err
	}
	sink := train.SinkFunc(func(e train.Event) {
		if e.Kind != train.KindCheckpoint {
			p.Emit(e)
		}
	})
	return job.Run(context.Background(), nil, sink)
}

// Results reads results.json of run name, trained earlier (in another cell, whose
// program has exited).
func (r Runs) Results(name string) (*train.Results, error) {
	res, err := rundir.ReadResults(r.Dir(name))
	if err != nil {
		return nil, fmt.Errorf("nb: %w", err)
	}
	return res, nil
}

// PNG returns the bytes of picture file of run name, after checking that they
// start with the PNG signature (a display of anything else shows nothing).
func (r Runs) PNG(name, file string) ([]byte, error) {
	path := r.File(name, file)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(string(data), pngSignature) {
		return nil, fmt.Errorf("nb: %s: not a PNG file", path)
	}
	return data, nil
}

// pngSignature starts every PNG file.
const pngSignature = "\x89PNG\r\n\x1a\n"
