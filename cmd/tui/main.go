// Command tui trains mmdna experiments and shows them in the terminal: `make run`.
//
//	go run ./cmd/tui                                   # pick an experiment, Enter trains it
//	go run ./cmd/tui -exp mlp-spirals -set 'steps=3000' -start
//	go run ./cmd/tui -exp mlp-spirals -start -resume   # continue runs/mlp-spirals
//
// The screens and keys live in package tui, which imports no graph code; this file
// and catalog.go wire it to the experiments registry and the trainer. With NO_COLOR
// set, -plain, or stdout not a terminal it prints progress lines as cmd/train does
// (errors on stderr). Exit status of the built binary: 0 done, stopped with q, or
// nothing run; 1 the run failed; 2 bad input; 130 stopped by SIGINT/SIGTERM (or
// Ctrl-C in plain mode) after saving a checkpoint.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/term"
	"github.com/mmdna/mmdna/backend"
	"github.com/mmdna/mmdna/events"
	"github.com/mmdna/mmdna/experiments"
	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/tui"
)

// Exit statuses, as cmd/train's.
const (
	exitFailed  = 1
	exitBadArgs = 2
	exitStopped = 130
)

type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, ";") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

// config is the parsed command line.
type config struct {
	opt   tui.Options
	plain bool
	cat   *catalog
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout *os.File, stderr io.Writer) int {
	cfg, err := parseArgs(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "tui: %v\n", err)
		}
		return exitBadArgs
	}
	if cfg.plain || os.Getenv("NO_COLOR") != "" || !term.IsTerminal(stdout.Fd()) {
		return runPlain(cfg, stdout, stderr)
	}
	m := tui.New(cfg.cat, cfg.opt)
	// Signals stop the run cleanly (checkpoint first), as q does, instead of tea's
	// default of quitting at once.
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithInput(stdin), tea.WithOutput(stdout), tea.WithoutSignalHandler())
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	var signalled atomic.Bool
	go func() {
		for range sig {
			signalled.Store(true)
			p.Send(tui.StopMsg{})
		}
	}()
	if _, err := p.Run(); err != nil { // tea restores the terminal, after a panic too.
		fmt.Fprintf(stderr, "tui: %v; stopping the run (a checkpoint is saved)\n", err)
		m.Shutdown(time.Minute)
		return exitFailed
	}
	code := exitCode(m.Outcome())
	summary := io.Writer(stdout)
	if code == exitFailed { // the summary of a failed run ends with its error.
		summary = stderr
	}
	fmt.Fprint(summary, m.Summary())
	if code == exitStopped && !signalled.Load() {
		code = 0 // q is how people leave the UI: not an error for make or the shell.
	}
	return code
}

func exitCode(outcome string) int {
	switch outcome {
	case "failed":
		return exitFailed
	case "stopped":
		return exitStopped
	}
	return 0
}

// parseArgs reads the flags and checks them before any screen opens: a wrong
// experiment, -set or backend is a one-line error, as in cmd/train.
func parseArgs(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("tui", flag.ContinueOnError)
	fs.SetOutput(stderr)
	exp := fs.String("exp", "", "experiment selected at first (default: "+experiments.Default()+")")
	var sets setFlags
	fs.Var(&sets, "set", "parameters as 'key=value;key2=value2' (repeatable; see go run ./cmd/train -exp NAME -list)")
	start := fs.Bool("start", false, "start -exp at once instead of showing the experiments")
	out := fs.String("out", "", "run directory (default runs/<experiment>)")
	backendName := fs.String("backend", "", "compute backend: go (default), xla:cuda, xla:cpu, xla:/path/plugin.so (default $GOMLX_BACKEND or go)")
	resume := fs.Bool("resume", false, "if the run directory holds a run, continue it without asking")
	fresh := fs.Bool("fresh", false, "if the run directory holds a run, replace it without asking")
	plain := fs.Bool("plain", false, "print progress lines instead of the interactive screen (also with NO_COLOR or no terminal)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (parameters go in -set 'key=value')", fs.Arg(0))
	}
	if *resume && *fresh {
		return nil, errors.New("-resume and -fresh exclude each other")
	}
	if *exp == "" {
		*exp = experiments.Default()
	}
	b, err := backend.New(*backendName)
	if err != nil {
		return nil, err
	}
	cat := &catalog{backend: b, backendName: backend.Name(*backendName), describe: backend.Name(*backendName) + ": " + backend.Describe(b), out: *out}
	if _, err := cat.Params(*exp, sets); err != nil {
		return nil, err
	}
	return &config{cat: cat, plain: *plain, opt: tui.Options{Exp: *exp, Sets: sets, Start: *start, Resume: *resume, Fresh: *fresh}}, nil
}

// runPlain trains -exp with progress lines, for logs and terminals without colour.
func runPlain(cfg *config, stdout, stderr io.Writer) int {
	name := cfg.opt.Exp
	info := cfg.cat.Existing(name)
	if info.Exists && !cfg.opt.Resume && !cfg.opt.Fresh {
		fmt.Fprintf(stderr, "tui: %s already holds a run: continue it with -resume or replace it with -fresh\n", info.Dir)
		return exitBadArgs
	}
	sess, err := cfg.cat.Start(tui.Request{Name: name, Sets: cfg.opt.Sets,
		Resume: cfg.opt.Resume && info.Resumable, Fresh: cfg.opt.Fresh})
	if err != nil {
		fmt.Fprintf(stderr, "tui: %v\n", err)
		return exitFailed
	}
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	go func() {
		for range sig {
			sess.Stop()
		}
	}()
	progress := train.Progress{W: stdout, Err: stderr, Prefix: "[" + name + "] "}
	outcome, badIn := "", false
	for e := range sess.Events {
		progress.Emit(e)
		switch e.Kind {
		case events.KindFinished, events.KindStopped, events.KindFailed:
			outcome = string(e.Kind)
			badIn = errors.As(e.Err, new(badInput))
		}
	}
	if outcome == "" {
		outcome = "failed"
	}
	if badIn {
		return exitBadArgs
	}
	return exitCode(outcome)
}
