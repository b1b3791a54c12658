package train

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/metric"
)

// resumeCheckpoint loads the newest intact step checkpoint of dir into store and
// returns its state and path. Damaged newer ones (a truncated or modified file, a
// broken state.json) are moved aside to damaged-step-N, so that keep-N never counts
// them and the run redoes their steps, each with a line for the log that names it,
// what is wrong with it and the checkpoint used instead. With none intact it returns
// a one-line error about the newest and moves nothing.
func resumeCheckpoint(dir string, store *model.Store) (st *CheckpointState, path string, notes []string, err error) {
	steps, err := listStepCheckpoints(dir)
	if err != nil {
		return nil, "", nil, err
	}
	if len(steps) == 0 {
		return nil, "", nil, fmt.Errorf("%s: no checkpoint to resume from", dir)
	}
	var damaged []string
	var reasons []error
	for i := len(steps) - 1; i >= 0 && st == nil; i-- {
		// A failed load leaves store unchanged, so the next one starts clean.
		if st, err = LoadCheckpoint(steps[i], store); err != nil {
			damaged, reasons = append(damaged, steps[i]), append(reasons, err)
			continue
		}
		path = steps[i]
	}
	if st == nil {
		if len(steps) == 1 {
			return nil, "", nil, reasons[0]
		}
		return nil, "", nil, fmt.Errorf("%w; no intact checkpoint to resume from: the %d older ones in %s are damaged too",
			reasons[0], len(steps)-1, dir)
	}
	for i, d := range damaged {
		aside := filepath.Join(dir, "damaged-"+filepath.Base(d))
		_ = os.RemoveAll(aside) // an earlier damaged copy of the same step.
		if err := os.Rename(d, aside); err != nil {
			return nil, "", nil, fmt.Errorf("checkpoint %s is damaged and cannot be moved aside: %w", d, err)
		}
		notes = append(notes, fmt.Sprintf("checkpoint %s is damaged (%v): moved aside to %s; resuming from %s",
			filepath.Base(d), reasons[i], filepath.Base(aside), filepath.Base(path)))
	}
	return st, path, notes, nil
}

// adoptMetricState moves the train metrics' running state loaded from a checkpoint
// (moving averages: /metrics/<name>_uuid_<uuid>/...) to the scopes of this session's
// metrics of the same names. GoMLX draws a new uuid for every Trainer, so without this
// a resumed run would restart each moving average and carry the old state along,
// unused. A name with the state of several earlier sessions (checkpoints saved before
// this) is ambiguous and left alone: its average restarts.
func adoptMetricState(store *model.Store, metrics []metric.Interface) error {
	root := "/" + metric.Scope + "/"
	for _, m := range metrics {
		current := root + m.ScopeName() + "/"
		prefix := root + model.EscapeScopeName(m.Name()+"_uuid_")
		var paths []string
		scopes := map[string]bool{}
		for v := range store.IterVariables() {
			p := v.Path()
			if rest, ok := strings.CutPrefix(p, prefix); ok && !strings.HasPrefix(p, current) {
				if i := strings.Index(rest, "/"); i >= 0 {
					paths = append(paths, p)
					scopes[prefix+rest[:i+1]] = true
				}
			}
		}
		if len(scopes) != 1 {
			continue
		}
		for _, p := range paths {
			rest := p[strings.Index(p[len(prefix):], "/")+len(prefix)+1:]
			if err := store.MoveVariable(p, current+rest); err != nil {
				return fmt.Errorf("metric %q: %w", m.Name(), err)
			}
		}
	}
	return nil
}
