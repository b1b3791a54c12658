package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmdna/mmdna/experiments"
	"github.com/mmdna/mmdna/internal/pyref"
)

// peersDir is bench/peers/ from this package's directory.
const peersDir = "../../bench/peers"

// TestPeerParamsMatch builds every suite entry's model at its experiment's size and
// its PyTorch peer from the command line cmd/bench would run, and compares their
// parameter counts: a peer of another size would make the speed ratio meaningless.
// The peers are counted in one Python process (bench/peers/params.py). -short keeps
// the shapes-world experiments, on a smaller world (the vocabulary, hence the
// embeddings, follow it on both sides): loading Fashion-MNIST takes seconds per
// experiment.
func TestPeerParamsMatch(t *testing.T) {
	requireTorch(t)
	var labels []string
	var ours []int
	var stdin bytes.Buffer
	for _, e := range experiments.BenchSuite() {
		exp, err := experiments.Get(e.Experiment)
		if err != nil {
			t.Fatal(err)
		}
		sets := []string{e.Sets}
		if _, shapes := exp.NewParams().Decl("shapes_train"); testing.Short() {
			if !shapes {
				continue
			}
			sets = append(sets, "shapes_train=300;shapes_val=40;shapes_test=40")
		}
		p, err := exp.Resolve(sets)
		if err != nil {
			t.Fatal(err)
		}
		peer := experiments.PeerOf(exp)
		if peer == nil {
			t.Errorf("%s: no peer", e.Label())
			continue
		}
		argv := peer(p)
		if argv == nil {
			t.Logf("%s: the peer does not build these parameters yet; not compared", e.Label())
			continue
		}
		f, err := experimentFLOPs(exp, sets)
		if err != nil {
			t.Fatalf("%s: %v", e.Label(), err)
		}
		argv[0] = filepath.Join(peersDir, filepath.Base(argv[0]))
		line, _ := json.Marshal(argv)
		stdin.Write(append(line, '\n'))
		labels, ours = append(labels, e.Label()), append(ours, f.Params)
	}
	cmd := exec.Command(pyref.Python, filepath.Join(peersDir, "params.py"))
	cmd.Stdin = &stdin
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS=2", "PYTHONDONTWRITEBYTECODE=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("params.py: %v\n%s", err, stderr.String())
	}
	var theirs []int
	if err := json.Unmarshal([]byte(lastLine(string(out))), &theirs); err != nil || len(theirs) != len(ours) {
		t.Fatalf("params.py printed %q (%v); want %d counts", lastLine(string(out)), err, len(ours))
	}
	for i, label := range labels {
		if ours[i] != theirs[i] {
			t.Errorf("%s: mmdna has %d parameters, the PyTorch peer %d (%+d)", label, ours[i], theirs[i], theirs[i]-ours[i])
		} else {
			t.Logf("%s: %d parameters on both sides", label, ours[i])
		}
	}
}

// requireTorch skips t unless pyref.Python has torch, asking without importing it
// (an import takes seconds; params.py does it once).
func requireTorch(t *testing.T) {
	t.Helper()
	probe := "import importlib.util, sys; sys.exit(importlib.util.find_spec('torch') is None)"
	if err := exec.Command(pyref.Python, "-c", probe).Run(); err != nil {
		t.Skipf("skipping: %s has no torch (%v); `make peers` installs Debian's python3-torch", pyref.Python, err)
	}
}

// TestSuiteTable: -exp all expands to the suite with each entry's sets, and the
// summary puts each mmdna row beside its peer with the step-time ratio, both
// parameter counts and memories.
func TestSuiteTable(t *testing.T) {
	cases, suite := benchCases([]string{"bench-vit", suiteName})
	if !suite || len(cases) != 1+len(experiments.BenchSuite()) || cases[0].label != "bench-vit" {
		t.Fatalf("cases %+v (suite %v)", cases, suite)
	}
	var fusion []string
	for _, c := range cases {
		if c.name == "fusion-shapes" {
			fusion = append(fusion, c.label)
			if !strings.HasPrefix(c.sets, "fusion=") || c.family != "fusion" {
				t.Errorf("fusion case %+v: want its strategy as a set", c)
			}
		}
	}
	if len(fusion) < 3 {
		t.Errorf("fusion cases %v: want every strategy", fusion)
	}
	rows := []Row{
		{Experiment: "x [k=v]", Family: "f", Runner: "pytorch/cpu", Batch: 8, StepMS: 30, Params: 100, MemMB: 50},
		{Experiment: "x [k=v]", Family: "f", Runner: "mmdna/go", Batch: 8, StepMS: 20, Params: 100, MemMB: 10,
			TrainGFLOP: 2, TFLOPS: 0.1, MFU: 0.25},
		{Experiment: "y", Family: "g", Runner: "mmdna/go", Batch: 4, StepMS: 5},
	}
	var b strings.Builder
	printSuiteTable(&b, rows)
	for _, want := range []string{
		"| f | x [k=v] | 8 | go | 20.0 | pytorch/cpu | 30.0 | 1.50x | 2 | 0.1 /  | 25.0% /  | 100 / 100 | 10 / 50 |",
		"| g | y | 4 | go | 5.0 |  |  |  |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}
