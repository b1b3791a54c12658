package experiments

import (
	"github.com/mmdna/mmdna/datasets/pairs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mmdna/mmdna/datasets/shapeworld"
	"github.com/mmdna/mmdna/rundir"
)

func TestJudgeProbe(t *testing.T) {
	for _, tc := range []struct {
		name        string
		sims        []float64
		correct     int
		best        int
		ratio, gap  float64
		trainedWell bool
	}{
		// The chapter's v0 row: [5.322, 15.477, -4.509, -6.609, 2.107] -> 2.908, 10.155, True.
		{"chapter v0", []float64{5.322, 15.477, -4.509, -6.609, 2.107}, 1, 1, 15.477 / (5.322 + 1e-9), 10.155, true},
		// A tie (the chapter's v3 row, all 34.882): ratio 1, gap 0; the first maximum is
		// "best", and a tie is not a win even where the right caption is among the maxima.
		{"tie", []float64{34.882, 34.882, 34.882, 34.882, 34.882}, 1, 0, 1, 0, false},
		{"tie on the right caption first", []float64{3, 2, 3}, 0, 0, 1, 0, false},
		{"rounding tie", []float64{5, 5 + 1e-6, 4}, 1, 1, (5 + 1e-6) / (5 + 1e-9), 1e-6, false},
		{"wrong winner", []float64{1, 2, 4}, 1, 2, 4 / (2 + 1e-9), 2, false},
		// A negative second best gives the chapter's formula a negative ratio.
		{"negative second", []float64{1, -2, -3}, 0, 0, 1 / (-2 + 1e-9), 3, true},
	} {
		v := judgeProbe(tc.sims, tc.correct)
		if v.Best != tc.best || v.TrainedWell != tc.trainedWell ||
			math.Abs(float64(v.Ratio)-tc.ratio) > 1e-9 || math.Abs(float64(v.Gap)-tc.gap) > 1e-9 {
			t.Errorf("%s: got best %d ratio %g gap %g trained_well %v; want %d %g %g %v", tc.name,
				v.Best, float64(v.Ratio), float64(v.Gap), v.TrainedWell, tc.best, tc.ratio, tc.gap, tc.trainedWell)
		}
	}
}

// smallShapesSplit is a generated test split of n images.
func smallShapesSplit(t *testing.T, n int) *pairs.Split {
	t.Helper()
	cfg := shapeworld.DefaultConfig()
	cfg.Train, cfg.Val, cfg.Test, cfg.Size = 10, 10, n, 16
	w, err := shapeworld.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sp := &pairs.Split{Name: "test", N: n, Scenes: w.Test.Scenes, HeldOut: make([]bool, n), Captions: make([][]string, n)}
	for i, sc := range w.Test.Scenes {
		sp.Captions[i], sp.HeldOut[i] = sc.Captions, sc.HeldOut
	}
	return sp
}

// classesNamed returns the colour-shape classes a caption names.
func classesNamed(t *testing.T, caption string) []int {
	t.Helper()
	var out []int
	words := strings.Fields(caption)
	for i := 0; i+1 < len(words); i++ {
		if c, err := shapeworld.ParseClass(words[i] + " " + words[i+1]); err == nil {
			out = append(out, c)
		}
	}
	return out
}

func TestProbesAreUnambiguous(t *testing.T) {
	sp := smallShapesSplit(t, 300)
	single, err := chapterProbe(sp)
	if err != nil {
		t.Fatal(err)
	}
	probes, err := testProbes(sp, 100, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(probes) != 100 {
		t.Fatalf("%d probes, want 100", len(probes))
	}
	again, _ := testProbes(sp, 100, 3)
	corrects := map[int]bool{}
	for k, p := range append([]captionProbe{single}, probes...) {
		if len(p.Captions) != 5 || p.Captions[p.Correct] != sp.Captions[p.Image][0] {
			t.Fatalf("probe %d: %d captions, right one %q, want image %d's first caption", k, len(p.Captions),
				p.Captions[p.Correct], p.Image)
		}
		present := map[int]bool{}
		for _, o := range sp.Scenes[p.Image].Objects {
			present[o.Class()] = true
		}
		named := map[int]bool{}
		for i, c := range p.Captions {
			if i == p.Correct {
				continue
			}
			main := classesNamed(t, c)[0] // every caption names the main object first.
			if present[main] || named[main] {
				t.Fatalf("probe %d: distractor %q names %s, in the image or in another distractor", k, c, shapeworld.ClassNames()[main])
			}
			named[main] = true
		}
		if k > 0 {
			corrects[p.Correct] = true
			if !slices.Equal(p.Captions, again[k-1].Captions) {
				t.Fatal("testProbes is not deterministic for a seed")
			}
		}
	}
	if single.Correct != 1 || len(sp.Scenes[single.Image].Objects) != 1 {
		t.Errorf("chapter probe: right caption at %d (want 2nd), image with %d objects (want 1)",
			single.Correct, len(sp.Scenes[single.Image].Objects))
	}
	if len(corrects) < 4 {
		t.Errorf("the right caption sits at only %d of 5 places over 100 probes", len(corrects))
	}
	if _, err := testProbes(smallShapesSplit(t, 3), 3, 1); err == nil {
		t.Error("3 images: want an error, there are too few for 4 distractors")
	}
}

func TestSummarizeProbes(t *testing.T) {
	sp := &pairs.Split{HeldOut: []bool{false, true, true, false}}
	probes := []captionProbe{{Image: 0}, {Image: 1}, {Image: 2}, {Image: 3}}
	vs := []probeVerdict{
		{Ratio: 2, Gap: 1, TrainedWell: true}, {Ratio: 1, Gap: 0}, {Ratio: 3, Gap: 2, TrainedWell: true},
		{Ratio: nullNum(math.NaN()), Gap: 1},
	}
	s := summarizeProbes(sp, probes, vs)
	// Ratios sorted with NaN last: 1 2 3 NaN -> median (2+3)/2.
	if s.N != 4 || s.TrainedWell != 0.5 || s.RatioMedian != 2.5 || s.GapMean != 1 || s.NovelN != 2 || s.NovelTrainedWell != 0.5 {
		t.Errorf("summary %+v; want n 4, trained_well 0.5, ratio_median 2.5, gap_mean 1, novel 2 at 0.5", s)
	}
}

func TestRankDescending(t *testing.T) {
	rs := []versionResult{{Version: "a"}, {Version: "b"}, {Version: "c"}, {Version: "d"}, {Version: "e"}}
	vals := map[string]float64{"a": 2.9, "b": 1, "c": 2.9, "d": math.NaN(), "e": 1.5}
	got := rankDescending(rs, func(r versionResult) float64 { return vals[r.Version] })
	if want := []int{1, 4, 1, 0, 3}; !slices.Equal(got, want) {
		t.Errorf("ranks %v, want %v (ties share the smallest rank, NaN unranked)", got, want)
	}
}

func TestParseCrossAttnVersions(t *testing.T) {
	got, err := parseCrossAttnVersions(" v0, v3 ,v10_4")
	if err != nil || !slices.Equal(got, []string{"v0", "v3", "v10_4"}) {
		t.Fatalf("got %v, %v", got, err)
	}
	if all, _ := parseCrossAttnVersions("all"); len(all) != 17 {
		t.Errorf("all gives %d versions, want the chapter's 17", len(all))
	}
	for _, bad := range []string{"", ",", "v0,v0", "v0,v12", "V0"} {
		if _, err := parseCrossAttnVersions(bad); err == nil || !strings.Contains(err.Error(), "versions") {
			t.Errorf("versions=%q: want an error naming the parameter, got %v", bad, err)
		}
	}
}

func FuzzParseCrossAttnVersions(f *testing.F) {
	for _, s := range []string{"all", "v0,v3", "v10_1,,v11", "v0,v0", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		vs, err := parseCrossAttnVersions(s)
		if err == nil && len(vs) == 0 {
			t.Fatalf("%q: no error and no versions", s)
		}
	})
}

// TestReadVersion reads a finished version written now ("accuracy") and one written
// before crossattn-match reported "accuracy" ("acc", no run marker): a resumed
// ablation must read both instead of training them again.
func TestReadVersion(t *testing.T) {
	params := map[string]any{"steps": 10}
	for _, tc := range []struct{ name, config, acc string }{
		{"current", `{"format":"mmdna-run/1","experiment":"crossattn-match","params":{"steps":10}}`, rundir.Accuracy},
		{"before the renaming", `{"experiment":"crossattn-match","params":{"steps":10}}`, "acc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{
				rundir.ConfigFile: tc.config,
				rundir.MetricsFile: `{"step":5,"split":"train","loss":2.5}` + "\n" + `{"step":10,"split":"train","loss":1.5}` + "\n" +
					`{"step":10,"split":"eval","loss":1.25,"` + tc.acc + `":0.375}` + "\n" + `{"step":10,"split":"test","loss":1.0,"` + tc.acc + `":0.5}` + "\n",
				rundir.ResultsFile: `{"steps":10,"wall_s":3,"metrics":{"loss":1.0,"` + tc.acc + `":0.5},` +
					`"details":{"test_probes":{"n":6,"trained_well":0.75,"ratio_median":null}}}`,
			}
			for name, content := range files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r, done, err := readVersion(dir, "v0", params, 8)
			if err != nil || !done {
				t.Fatalf("readVersion: done %v, %v", done, err)
			}
			if r.Status != statusOK || r.Steps != 10 || float64(r.WallS) != 3 || float64(r.TrainLoss) != 1.5 || float64(r.ValLoss) != 1.25 ||
				float64(r.ValAcc) != 0.375 || float64(r.TestLoss) != 1 || float64(r.TestAcc) != 0.5 || len(r.TrainCurve) != 2 || len(r.ValCurve) != 1 {
				t.Errorf("read %+v", r)
			}
			if r.Summary == nil || r.Summary.N != 6 || float64(r.Summary.TrainedWell) != 0.75 || !math.IsNaN(float64(r.Summary.RatioMedian)) || r.Probe != nil {
				t.Errorf("probes: summary %+v, probe %+v; want 6 images, 0.75 trained well, a NaN median and no probe", r.Summary, r.Probe)
			}
		})
	}
}

// TestCrossAttnMatchSmoke trains one version (v9, the chapter's best family) a few
// steps: it learns, and reports the contrastive loss, the in-batch accuracy and the
// chapter's probe and test verdicts.
func TestCrossAttnMatchSmoke(t *testing.T) {
	dir, res := runExp(t, "crossattn-match", tinyAblationSets, "steps=12;log_every=3;eval_every=6;ckpt_every=6;lr=1e-3")
	wantRun(t, dir, res.Metrics, []string{"loss", "accuracy", "probe_ratio", "test_trained_well", "test_ratio_median"})
	wantLossFalls(t, dir, 1, 0.05)
}
