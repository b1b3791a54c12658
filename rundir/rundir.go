// Package rundir is the one reader and writer of the files a training run keeps in
// its directory: config.json (Config: the experiment and its parameters, marked as
// an mmdna run), metrics.jsonl (one Record a line) and results.json (Results). It
// also knows every other file a run writes (checkpoints/, pictures, the tokenizer),
// so RemoveRun can replace a run without touching anything it did not write.
//
// It imports only the standard library: the TUI, notebooks and commands read runs
// through it without graph code. Package train writes the files through it; the
// checkpoint format inside checkpoints/ stays train's. (Not named "runs": that is
// the default folder of run directories, runs/<experiment>, which .gitignore
// excludes.)
package rundir

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// The files and folders of a run directory that other packages name.
const (
	ConfigFile     = "config.json"   // Config.
	MetricsFile    = "metrics.jsonl" // one Record a line.
	ResultsFile    = "results.json"  // Results, when the run ends.
	CheckpointsDir = "checkpoints"   // train's checkpoints: step-NNNNNNNN/ and best/.
	FailedFile     = "failed.json"   // why an ablation version stopped.
	VersionsDir    = "versions"      // the ablation's versions, one run directory each.
)

// Format marks config.json as written by mmdna: RemoveRun deletes only directories
// that carry it, so a Hugging Face model's config.json is never taken for a run.
const Format = "mmdna-run/1"

// Config is config.json: what a resume rebuilds the run from.
type Config struct {
	// Format is Format; "" in runs written before the marker existed (still
	// resumable, but RemoveRun leaves them alone).
	Format     string         `json:"format"`
	Experiment string         `json:"experiment"`
	Params     map[string]any `json:"params"` // resolved hyperparameters; JSON numbers read back as float64.
}

// Marked says whether the config carries the run marker.
func (c *Config) Marked() bool { return c.Format == Format }

// ReadConfig reads dir/config.json. A missing file is an error that matches
// fs.ErrNotExist. A config without the marker is accepted when it has an experiment
// and params (a run from before the marker: Marked is false); anything else is an
// error saying the file is not an mmdna run's.
func ReadConfig(dir string) (*Config, error) {
	path := filepath.Join(dir, ConfigFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseConfig(path, data)
}

// parseConfig is ReadConfig on the content of path.
func parseConfig(path string, data []byte) (*Config, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil || raw == nil {
		return nil, fmt.Errorf("%s is not an mmdna run's config (not a JSON object)", path)
	}
	var c Config
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s is not an mmdna run's config (%v)", path, err)
	}
	switch {
	case c.Format != "" && c.Format != Format:
		return nil, fmt.Errorf("%s has format %q, not %q", path, c.Format, Format)
	case c.Format == "" && (c.Experiment == "" || raw["params"] == nil):
		return nil, fmt.Errorf("%s is not an mmdna run's config (no \"format\": %q)", path, Format)
	case c.Experiment == "":
		return nil, fmt.Errorf("%s names no experiment", path)
	}
	if c.Params == nil {
		c.Params = map[string]any{}
	}
	return &c, nil
}

// WriteConfig writes dir/config.json atomically, with the marker.
func WriteConfig(dir string, c Config) error {
	data, err := c.marshal()
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(dir, ConfigFile), err)
	}
	return WriteFileAtomic(filepath.Join(dir, ConfigFile), data)
}

// marshal is config.json's content for c, with the marker.
func (c Config) marshal() ([]byte, error) {
	c.Format = Format
	data, err := json.MarshalIndent(c, "", "  ")
	return append(data, '\n'), err
}

// IsRun says whether dir holds an mmdna run: a config.json with the marker.
func IsRun(dir string) bool {
	c, err := ReadConfig(dir)
	return err == nil && c.Marked()
}

// WriteFileAtomic writes data to name through a temporary file in the same directory
// and a rename, so readers see either the old or the new content, never a mix. The
// temporary file is named "."+base+".tmp-*" (RemoveRun knows it).
func WriteFileAtomic(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+tmpInfix)
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}

// tmpInfix is in the name of WriteFileAtomic's temporary files.
const tmpInfix = ".tmp-"
