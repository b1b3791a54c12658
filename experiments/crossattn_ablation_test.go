package experiments

import (
	"context"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/mmdna/mmdna/internal/testbackend"
	"github.com/mmdna/mmdna/models/crossattn"
	"github.com/mmdna/mmdna/train"
)

var crossAttnTestBackend = testbackend.Go

// Two broken versions for the runner test: one that cannot build its graph, one whose
// loss is NaN from the first step.
func init() {
	for _, v := range []crossattn.Version{
		{Name: "test_broken", Adds: "fails to build", Source: crossattn.SourceReading,
			Fn: func(*model.Scope, crossattn.Config, *Node, *Node, *Node) (*Node, *Node) {
				exceptions.Panicf("injected failure")
				return nil, nil
			}},
		{Name: "test_nan", Adds: "NaN features", Source: crossattn.SourceReading,
			Fn: func(_ *model.Scope, _ crossattn.Config, img, txt, _ *Node) (*Node, *Node) {
				return MulScalar(img, math.NaN()), txt
			}},
	} {
		if err := crossattn.Register(v); err != nil {
			panic(err)
		}
	}
}

// tinyAblationSets is an ablation small enough for a unit test.
const tinyAblationSets = "image_size=16;patch=8;img_dim=16;img_depth=1;img_heads=2;txt_dim=16;txt_depth=1;txt_heads=2;" +
	"proj_dim=16;attn_heads=2;shapes_train=64;shapes_val=16;shapes_test=128;batch_size=8;eval_batches=1;eval_images=6;" +
	"steps=4;warmup=1;eval_every=2;ckpt_every=2;log_every=2"

func runTinyAblation(t *testing.T, dir string, resume bool) (*Job, []string) {
	t.Helper()
	var logs []string
	var mu sync.Mutex
	job, err := Prepare(Request{Name: "crossattn-ablation", Sets: []string{tinyAblationSets, "versions=test_broken,v3,test_nan"},
		Out: dir, Resume: resume, Backend: crossAttnTestBackend(), Log: func(f string, a ...any) {}})
	if err != nil {
		t.Fatal(err)
	}
	sink := train.SinkFunc(func(e train.Event) {
		if e.Kind == train.KindLog {
			mu.Lock()
			logs = append(logs, e.Message)
			mu.Unlock()
		}
	})
	if _, err := job.Run(context.Background(), nil, sink); err != nil {
		t.Fatal(err)
	}
	return job, logs
}

// TestAblationSurvivesFailingVersions runs an ablation in which the first version
// cannot build and the last goes NaN: both are recorded with their error, the version
// between trains and is judged, the outputs list all three, and a resumed ablation
// trains nothing again.
func TestAblationSurvivesFailingVersions(t *testing.T) {
	dir := t.TempDir()
	runTinyAblation(t, dir, false)
	rows := readCSV(t, filepath.Join(dir, ablationCSV))
	if len(rows) != 4 {
		t.Fatalf("%s has %d rows, want a header and 3 versions", ablationCSV, len(rows))
	}
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	byVersion := map[string][]string{}
	for _, r := range rows[1:] {
		byVersion[r[col["version"]]] = r
	}
	if r := byVersion["test_broken"]; r[col["status"]] != statusFailed || !strings.Contains(r[col["error"]], "injected failure") {
		t.Errorf("test_broken: status %q error %q, want failed with the injected error", r[col["status"]], r[col["error"]])
	}
	if r := byVersion["test_nan"]; r[col["status"]] != statusDiverged || !strings.Contains(r[col["error"]], "NaN") {
		t.Errorf("test_nan: status %q error %q, want diverged on a NaN loss", r[col["status"]], r[col["error"]])
	}
	r := byVersion["v3"]
	if r[col["steps"]] != "4" || r[col["best_caption"]] == "" || r[col["similarity_ratio_rank"]] != "1" || r[col["test_images"]] != "6" {
		t.Errorf("v3 row %v: want 4 steps, a probe verdict ranked 1 and 6 test images", r)
	}
	for _, name := range []string{ablationTable, ablationCurves, ablationTrainCurves, "versions/v3/results.json",
		"versions/v3/config.json", "versions/test_broken/failed.json", "versions/test_nan/failed.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("missing output: %v", err)
		}
	}
	wantRun(t, dir, nil, nil)
	wantLossFalls(t, filepath.Join(dir, "versions", "v3"), 1, 0.10)
	table, _ := os.ReadFile(filepath.Join(dir, ablationTable))
	if !strings.Contains(string(table), "| model_version | best_caption |") || !strings.Contains(string(table), "| test_broken | failed") {
		t.Errorf("%s lacks the chapter's columns or the failed version:\n%s", ablationTable, table)
	}

	// An interrupted ablation: the outer run ended (checkpoint) but wrote no results.
	if err := os.Remove(filepath.Join(dir, "results.json")); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(filepath.Join(dir, "versions/v3/results.json"))
	if err != nil {
		t.Fatal(err)
	}
	_, logs := runTinyAblation(t, dir, true)
	after, err := os.Stat(filepath.Join(dir, "versions/v3/results.json"))
	if err != nil || !before.ModTime().Equal(after.ModTime()) {
		t.Error("the resumed ablation trained v3 again")
	}
	if n := strings.Count(strings.Join(logs, "\n"), "already done"); n != 3 {
		t.Errorf("resume: %d versions reported already done, want 3; log:\n%s", n, strings.Join(logs, "\n"))
	}
}

// TestAblationRefusesOtherParameters: a version directory trained with other
// parameters is not mixed into the table.
func TestAblationRefusesOtherParameters(t *testing.T) {
	dir := t.TempDir()
	vdir := filepath.Join(dir, "v0")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(vdir, "config.json"), []byte(`{"experiment":"crossattn-match","params":{"steps":10,"lr":0.001}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(vdir, "results.json"), []byte(`{"steps":10}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := readVersion(vdir, "v0", map[string]any{"steps": 20, "lr": 0.001}, 8)
	if err == nil || !strings.Contains(err.Error(), "steps=10 (now 20)") || strings.Contains(err.Error(), "lr") {
		t.Fatalf("want an error naming steps only, got %v", err)
	}
	if _, done, err := readVersion(vdir, "v0", map[string]any{"steps": 10, "lr": 0.001}, 8); err != nil || !done {
		t.Fatalf("same parameters: want done, got done=%v err=%v", done, err)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}
