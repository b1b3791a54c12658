// Command tui trains an mmdna experiment and shows it in the terminal. Until the
// interactive UI lands it runs the default experiment headless, with progress lines.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/mmdna/mmdna/backend"
	"github.com/mmdna/mmdna/experiments"
	"github.com/mmdna/mmdna/train"
)

func main() {
	exp := flag.String("exp", experiments.Default(), "experiment to run")
	flag.Parse()
	fmt.Println("mmdna: the interactive terminal UI is coming; training headless meanwhile (q: Ctrl-C saves a checkpoint)")
	b, err := backend.New("")
	if err != nil {
		fmt.Fprintln(os.Stderr, "tui:", err)
		os.Exit(2)
	}
	job, err := experiments.Prepare(experiments.Request{Name: *exp, Fresh: true, Backend: b, BackendName: backend.Name("")})
	if err != nil {
		fmt.Fprintln(os.Stderr, "tui:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := job.Run(ctx, nil, train.Progress{W: os.Stdout, Prefix: "[" + *exp + "] "}); err != nil && !errors.Is(err, train.ErrStopped) {
		os.Exit(1)
	}
}
