package rundir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// runFiles are the files runs write at the top of their directory, by writer. A
// new picture or file in an experiment's report belongs here too: RemoveRun
// refuses a directory that holds a file not listed (and names it).
var runFiles = []string{
	// train and experiments.Prepare; failed.json: the ablation's versions.
	ConfigFile, MetricsFile, ResultsFile, FailedFile,
	// experiments with text: clip-fmnist, the pairs experiments, perceiver-shapes.
	"tokenizer.json",
	// vit-* and clip-*: the model as weights.Spec (weights.SpecFile), for weights.Load.
	"model.json",
	// pictures: vit-*, perceiver-fmnist, clip-*, fusion-shapes, perceiver-shapes, mae-*.
	"predictions.png", "attention.png", "cross_attention.png", "examples.png", "zeroshot.png",
	"loss.png", "vqa.png", "reconstruction.png",
	// caption-*: captions and where each word looked.
	"captions.png", "caption_attention.png",
	// crossattn-ablation.
	"crossattn_results.csv", "crossattn_table.md", "crossattn_curves.png", "crossattn_train_curves.png",
	// notebooks/nb.
	"loss_curve.png",
}

// runDirs are the folders runs write, removed whole.
// train; mae-* (one picture per evaluation); caption-* (test images as PNGs, for infer caption).
var runDirs = []string{CheckpointsDir, "reconstructions", "images"}

// writeProbe starts the name of the file experiments.Prepare creates to check that a
// run directory is writable (removed at once; a crash can leave it).
const writeProbe = ".write-test-"

// WriteProbePattern is the os.CreateTemp pattern of that probe file.
const WriteProbePattern = writeProbe + "*"

// isRunFile says whether name, an entry of a run directory, is something a run
// writes: a listed file or folder, the atomic-write temporary of a listed file, or
// the write probe.
func isRunFile(name string, dir bool) bool {
	if dir {
		return slices.Contains(runDirs, name)
	}
	if slices.Contains(runFiles, name) || strings.HasPrefix(name, writeProbe) {
		return true
	}
	if base, _, ok := strings.Cut(name, tmpInfix); ok && strings.HasPrefix(base, ".") {
		return slices.Contains(runFiles, base[1:])
	}
	return false
}

// Files sorts the entries of dir into those a run writes (own) and the rest
// (other), both relative to dir, folders with a trailing slash. In VersionsDir
// every version's directory is looked into the same way: a stranger there is in
// other by its path (versions/v3/notes.txt). Links are never a run's.
func Files(dir string) (own, other []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		name, isDir := e.Name(), e.Type().IsDir()
		switch {
		case e.Type()&fs.ModeSymlink != 0 || !(isDir || e.Type().IsRegular()):
			other = append(other, name)
		case isDir && name == VersionsDir:
			bad, err := versionStrangers(filepath.Join(dir, name))
			if err != nil {
				return nil, nil, err
			}
			if len(bad) == 0 {
				own = append(own, name+"/")
			}
			for _, b := range bad {
				other = append(other, name+"/"+b)
			}
		case isRunFile(name, isDir) && isDir:
			own = append(own, name+"/")
		case isRunFile(name, isDir):
			own = append(own, name)
		case isDir:
			other = append(other, name+"/")
		default:
			other = append(other, name)
		}
	}
	return own, other, nil
}

// versionStrangers lists what in an ablation's versions folder no run wrote.
func versionStrangers(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var bad []string
	for _, e := range entries {
		if !e.Type().IsDir() {
			bad = append(bad, e.Name())
			continue
		}
		_, other, err := Files(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		for _, o := range other {
			bad = append(bad, e.Name()+"/"+o)
		}
	}
	return bad, nil
}

// RemoveRun deletes what a run wrote in dir and nothing else; dir itself stays. It
// refuses, deleting nothing, unless dir holds a marked run (IsRun) and only files a
// run writes. A run from before the marker is refused with the list of its files,
// for the user to remove.
func RemoveRun(dir string) error {
	own, other, err := Files(dir)
	if err != nil {
		return err
	}
	cfg, cerr := ReadConfig(dir)
	strangers := ""
	if len(other) > 0 {
		strangers = "holds what no run writes: " + listNames(other)
	}
	switch {
	case errors.Is(cerr, fs.ErrNotExist):
		return fmt.Errorf("%s is not an mmdna run (no %s)%s; nothing deleted", dir, ConfigFile, prefixed(", and ", strangers))
	case cerr != nil:
		return fmt.Errorf("%v%s; nothing deleted", cerr, prefixed(", and the directory ", strangers))
	case len(other) > 0:
		return fmt.Errorf("%s %s; nothing deleted (move them, or use another directory)", dir, strangers)
	case !cfg.Marked():
		return fmt.Errorf("%s holds a run from before runs were marked (%s has no \"format\"); nothing deleted: remove %s yourself",
			dir, ConfigFile, listNames(own))
	}
	// config.json last: a removal cut short leaves a directory RemoveRun still takes
	// for a run, so running it again finishes the job.
	slices.SortStableFunc(own, func(a, b string) int { return boolCmp(a == ConfigFile, b == ConfigFile) })
	for _, name := range own {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

// listNames joins names, the first few of a long list.
func listNames(names []string) string {
	const most = 6
	if len(names) <= most {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:most], ", "), len(names)-most)
}
