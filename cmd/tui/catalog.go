package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/gomlx/compute"
	"github.com/mmdna/mmdna/events"
	"github.com/mmdna/mmdna/experiments"
	"github.com/mmdna/mmdna/rundir"
	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/tui"
)

// catalog adapts the experiments registry and the trainer to tui.Catalog: the UI
// package sees names, strings and events, never graph code.
type catalog struct {
	backend     compute.Backend
	backendName string // the configuration the backend came from ("go", "xla:cuda").
	describe    string // the backend and device in words.
	out         string // -out: the run directory for whichever experiment starts.
}

var _ tui.Catalog = (*catalog)(nil)

func (c *catalog) Experiments() []tui.Experiment {
	var out []tui.Experiment
	for _, e := range experiments.All() {
		if e.BenchOnly { // synthetic-data benchmark sizes: started by name only (-exp).
			continue
		}
		out = append(out, tui.Experiment{Name: e.Name, Description: e.Description, Wall: e.Wall})
	}
	return out
}

func (c *catalog) Default() string { return experiments.Default() }

func (c *catalog) Backend() string { return c.describe }

// Params resolves and validates the parameters as a start would: unknown keys and
// wrong types (Resolve), and values the trainer refuses (Config.Validate).
func (c *catalog) Params(name string, sets []string) ([]tui.Param, error) {
	e, err := experiments.Get(name)
	if err != nil {
		return nil, err
	}
	p, err := e.Resolve(sets)
	if err != nil {
		return nil, err
	}
	if err := experiments.TrainConfig(p).Validate(); err != nil {
		return nil, err
	}
	values := p.Map()
	var out []tui.Param
	for _, k := range p.Keys() {
		d, _ := p.Decl(k)
		out = append(out, tui.Param{Key: k, Value: experiments.Format(values[k]), Doc: d.Doc})
	}
	return out, nil
}

func (c *catalog) dir(name string) string {
	if c.out != "" {
		return c.out
	}
	return filepath.Join("runs", name)
}

// Existing reads the run directory the way experiments.Prepare judges it: training
// has started when metrics.jsonl has lines or a checkpoint exists.
func (c *catalog) Existing(name string) tui.RunInfo {
	info := tui.RunInfo{Dir: c.dir(name)}
	info.Exists = experiments.HoldsRun(info.Dir)
	latest, _ := train.LatestCheckpoint(filepath.Join(info.Dir, rundir.CheckpointsDir))
	if latest != "" {
		info.Exists, info.Resumable, info.Checkpoint = true, true, latest
		if s, err := train.ReadCheckpointState(latest); err == nil {
			info.Step = s.Step
		}
	}
	if rc, err := rundir.ReadConfig(info.Dir); err == nil {
		if s, ok := rc.Params["steps"].(float64); ok {
			info.Steps = int(s)
		}
	}
	if res, err := rundir.ReadResults(info.Dir); err == nil {
		info.Finished = info.Resumable && res.Steps >= info.Step
	}
	return info
}

// Start prepares and trains in a goroutine. Everything the run says arrives on the
// event channel, preparation logs and errors included; a panic anywhere in it
// becomes a failed event instead of a crash, so the UI can show it.
func (c *catalog) Start(req tui.Request) (*tui.Session, error) {
	ch := make(chan events.Event, 256)
	ctl := make(chan events.Command, 8)
	ctx, cancel := context.WithCancel(context.Background())
	dir := c.dir(req.Name)
	go func() {
		defer close(ch)
		defer cancel()
		sink := events.ChanSink(ch)
		defer func() {
			if p := recover(); p != nil {
				sink.Emit(events.Event{Kind: events.KindFailed, Time: time.Now(), Err: fmt.Errorf("panic: %v", p)})
			}
		}()
		c.run(ctx, req, dir, ctl, sink)
	}()
	return &tui.Session{Dir: dir, Events: ch, Control: ctl, Stop: cancel}, nil
}

func (c *catalog) run(ctx context.Context, req tui.Request, dir string, ctl <-chan events.Command, sink events.Sink) {
	fail := func(err error) { sink.Emit(events.Event{Kind: events.KindFailed, Time: time.Now(), Err: err}) }
	job, err := experiments.Prepare(experiments.Request{Name: req.Name, Sets: req.Sets, Out: dir,
		Resume: req.Resume, Fresh: req.Fresh, Backend: c.backend, BackendName: c.backendName,
		Log: func(format string, args ...any) {
			sink.Emit(events.Event{Kind: events.KindLog, Time: time.Now(), Message: fmt.Sprintf(format, args...)})
		}})
	if err != nil {
		fail(badInput{err})
		return
	}
	if ctx.Err() != nil { // stopped while preparing: nothing trained, nothing to save.
		sink.Emit(events.Event{Kind: events.KindStopped, Time: time.Now(),
			Message: "stopped before training started; nothing to save"})
		return
	}
	if job.Resume {
		sink = &historySink{next: sink, dir: dir}
	}
	_, _ = job.Run(ctx, ctl, sink) // failures and stops were reported as events.
}

// badInput marks a failure to prepare a run (flags, parameters, run directory):
// plain mode exits 2 on it, as cmd/train does.
type badInput struct{ error }

func (b badInput) Unwrap() error { return b.error }
