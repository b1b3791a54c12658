// Command train runs mmdna experiments headless, for scripts and CI.
//
//	go run ./cmd/train -list                      # experiments, one line each
//	go run ./cmd/train -exp vit-fmnist -list      # its parameters: value, where it came from, smoke size
//	go run ./cmd/train -exp vit-fmnist -set steps=100 -list   # ... as -set changes them
//	go run ./cmd/train -exp vit-fmnist -out DIR -resume -list # ... of the run in DIR
//	go run ./cmd/train -exp vit-fmnist -set 'steps=2000;lr=5e-4' [-out DIR] [-backend go|xla:cuda] [-resume|-fresh]
//
// It writes DIR/config.json, DIR/metrics.jsonl, DIR/results.json and DIR/checkpoints
// (package rundir; DIR defaults to runs/<experiment>). -fresh replaces a run, deleting
// only what the run wrote. Errors go to stderr, progress to stdout. Exit status of
// the built binary: 0 done, 1 the run failed, 2 bad input, 130 stopped by
// SIGINT/SIGTERM after saving a checkpoint (continue with -resume); `go run` and
// make report other codes (see README).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/mmdna/mmdna/backend"
	"github.com/mmdna/mmdna/experiments"
	"github.com/mmdna/mmdna/rundir"
	"github.com/mmdna/mmdna/train"
)

type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, ";") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

// Exit statuses.
const (
	exitFailed  = 1
	exitBadArgs = 2
	exitStopped = 130
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) (code int) {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	list := fs.Bool("list", false, "list experiments (or, with -exp, the experiment's parameters)")
	exp := fs.String("exp", "", "experiment to run (see -list)")
	var sets setFlags
	fs.Var(&sets, "set", "parameters as 'key=value;key2=value2' (repeatable; see -exp NAME -list)")
	out := fs.String("out", "", "run directory (default runs/<experiment>)")
	backendName := fs.String("backend", "", "compute backend: go (default), xla:cuda, xla:cpu, xla:/path/plugin.so (default $GOMLX_BACKEND or go)")
	resume := fs.Bool("resume", false, "continue the run in the run directory from its newest checkpoint")
	fresh := fs.Bool("fresh", false, "replace the run in the run directory")
	quiet := fs.Bool("quiet", false, "print only the final result")
	if err := fs.Parse(args); err != nil {
		return exitBadArgs
	}
	fail := func(c int, err error) int {
		fmt.Fprintf(stderr, "train: %v\n", err)
		return c
	}
	defer func() { // no stack traces: a panic is a one-line failure.
		if p := recover(); p != nil {
			code = fail(exitFailed, fmt.Errorf("%v", p))
		}
	}()
	if fs.NArg() > 0 {
		return fail(exitBadArgs, fmt.Errorf("unexpected argument %q (parameters go in -set 'key=value')", fs.Arg(0)))
	}
	if *list {
		return listCmd(experiments.Request{Name: *exp, Sets: sets, Out: *out, Resume: *resume}, stdout, stderr)
	}
	if *exp == "" {
		return fail(exitBadArgs, errors.New("-exp is required (see -list)"))
	}
	b, err := backend.New(*backendName)
	if err != nil {
		return fail(exitBadArgs, err)
	}
	progress := train.Progress{W: stdout, Err: stderr, Prefix: "[" + *exp + "] "}
	job, err := experiments.Prepare(experiments.Request{Name: *exp, Sets: sets, Out: *out, Resume: *resume,
		Fresh: *fresh, Backend: b, BackendName: backend.Name(*backendName), Log: func(f string, a ...any) {
			if !*quiet {
				fmt.Fprintf(stdout, progress.Prefix+f+"\n", a...)
			}
		}})
	if err != nil {
		return fail(exitBadArgs, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var sinks []train.Sink
	if !*quiet {
		sinks = append(sinks, progress)
	}
	res, err := job.Run(ctx, nil, sinks...)
	switch {
	case errors.Is(err, train.ErrStopped):
		return exitStopped
	case err != nil:
		if *quiet { // otherwise the progress sink printed the failure on stderr.
			fmt.Fprintf(stderr, "train: %v\n", err)
		}
		return exitFailed
	}
	if *quiet {
		fmt.Fprintf(stdout, "%s: %v (results in %s)\n", *exp, res.Metrics, filepath.Join(job.Dir, rundir.ResultsFile))
	}
	return 0
}

// listCmd lists the experiments or, with -exp, the parameters the run would have:
// each key, its value, where the value came from (train default, common, family NAME,
// experiment, smoke, -set, resume), its smoke size and its doc line. With -set and
// -resume -out DIR it shows those runs' values, touching nothing.
func listCmd(req experiments.Request, stdout, stderr io.Writer) int {
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	defer w.Flush()
	if req.Name == "" {
		for _, e := range experiments.All() {
			fmt.Fprintf(w, "%s\t%s\t(%s)\n", e.Name, e.Description, e.Wall)
		}
		return 0
	}
	e, p, err := experiments.Resolved(req)
	if err != nil {
		fmt.Fprintf(stderr, "train: %v\n", err)
		return exitBadArgs
	}
	fmt.Fprintf(w, "%s: %s (%s)\n\n", e.Name, e.Description, e.Wall)
	fmt.Fprintf(w, "  key\tvalue\tfrom\tsmoke\tdoc\n")
	values := p.Map()
	for _, k := range p.Keys() {
		d, _ := p.Decl(k)
		smoke := ""
		if v, ok := e.Smoke[k]; ok {
			smoke = experiments.Format(v)
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%s\n", k, experiments.Format(values[k]), p.Origin(k), smoke, d.Doc)
	}
	return 0
}
