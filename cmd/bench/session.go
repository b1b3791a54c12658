package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"

	"github.com/gomlx/compute"
	"github.com/mmdna/mmdna/backend"
	"github.com/mmdna/mmdna/experiments"
	"github.com/mmdna/mmdna/train"
)

// Row is one measurement: an experiment at a batch size on a backend or a peer.
type Row struct {
	Experiment string  `json:"experiment"`        // the experiment, with a suite entry's sets (-exp all).
	Family     string  `json:"family,omitempty"`  // the model family of a suite entry.
	Runner     string  `json:"runner"`            // "mmdna/go", "mmdna/xla:cuda", "pytorch/cpu", "pytorch/cuda", "jax/gpu".
	Backend    string  `json:"backend,omitempty"` // the backend configuration of mmdna rows.
	Device     string  `json:"device"`
	Precision  string  `json:"precision,omitempty"` // of float32 matrix products: fp32 or tf32.
	Batch      int     `json:"batch"`
	CompileS   float64 `json:"compile_s,omitempty"`
	StepMS     float64 `json:"step_ms_median"`
	CPUMS      float64 `json:"cpu_ms_median,omitempty"`
	ImgPerS    float64 `json:"img_per_s"`
	PeakHeapMB float64 `json:"peak_heap_mb,omitempty"`
	// TrainGFLOP is the counted FLOPs of a training step (3x the forward pass).
	TrainGFLOP float64 `json:"train_gflop_per_step,omitempty"`
	// TFLOPS is TrainGFLOP over the median step time.
	TFLOPS float64  `json:"achieved_tflop_per_s,omitempty"`
	Peak   peakInfo `json:"peak"`
	// MFU is TFLOPS / Peak.TFLOPS.
	MFU     float64 `json:"mfu,omitempty"`
	MemMB   float64 `json:"mem_mb,omitempty"`
	MemWhat string  `json:"mem_what,omitempty"`
	// Params is the model's parameter count: mmdna's from its graph, a peer's as it
	// reports it.
	Params int `json:"params,omitempty"`
	// Extra holds a peer's whole result.
	Extra  map[string]any     `json:"extra,omitempty"`
	Result *train.BenchResult `json:"-"`
}

// session runs the rows of one invocation, keeping one backend per configuration
// (a second PJRT client on the same GPU would hold a second memory pool) and one
// peak measurement per backend.
type session struct {
	backends       []string
	sets           string
	steps, warmup  int
	peakN          int
	cpuProfile     string
	peers          bool
	peer           peerOptions
	pyInfo         *pythonInfo
	live           map[string]compute.Backend
	peaks          map[string]peakInfo
	profileStarted bool
}

// runAll measures every case at every batch size: peers first, then each backend.
// Until the first backend row, this process holds no GPU memory while a peer runs;
// bench/gpu/run.sh runs one experiment per process.
func (s *session) runAll(cases []benchCase, batches string) ([]Row, error) {
	var rows []Row
	for _, c := range cases {
		exp, err := experiments.Get(c.name)
		if err != nil {
			return nil, err
		}
		bs, err := batchSizes(exp, []string{c.sets, s.sets}, batches)
		if err != nil {
			return nil, err
		}
		for _, batch := range bs {
			// The case's sets first: -set may change a suite entry too.
			sets := []string{c.sets, s.sets, "batch_size=" + strconv.Itoa(batch)}
			flops, err := experimentFLOPs(exp, sets)
			if err != nil { // the rows still have their speeds.
				fmt.Fprintf(os.Stderr, "bench: %s: no FLOP count: %v\n", c.label, err)
			}
			var group []Row
			if s.peers {
				peerRows, err := s.runPeers(exp, c.label, sets, batch)
				if err != nil {
					return nil, err
				}
				group = append(group, peerRows...)
			}
			for _, bname := range s.backends {
				row, err := s.benchOne(exp, bname, sets)
				if err != nil {
					return nil, err
				}
				fmt.Fprintf(os.Stderr, "bench: %s batch %d on %s: %.1f ms/step\n", c.label, batch, bname, row.StepMS)
				group = append(group, row)
			}
			for i := range group {
				group[i].Experiment, group[i].Family = c.label, c.family
				group[i].fillFLOPs(flops)
			}
			rows = append(rows, group...)
		}
	}
	if s.profileStarted {
		pprof.StopCPUProfile()
	}
	return rows, nil
}

// runPeers runs the experiment's peers. A peer that fails while running is reported
// and skipped (the table keeps the others); a python that cannot be probed skips the
// peers, unless -python named it; a device or framework the flags ask for and the
// python lacks is an error.
func (s *session) runPeers(exp *experiments.Experiment, label string, sets []string, batch int) ([]Row, error) {
	peer := experiments.PeerOf(exp)
	if peer == nil {
		return nil, nil
	}
	p, err := exp.Resolve(sets)
	if err != nil {
		return nil, err
	}
	base := peer(p)
	if base == nil {
		fmt.Fprintf(os.Stderr, "bench: %s: no peer for these parameters\n", label)
		return nil, nil
	}
	if s.pyInfo == nil {
		info, err := probePython(s.peer.python)
		if err != nil {
			if s.peer.pythonSet {
				return nil, err
			}
			fmt.Fprintf(os.Stderr, "bench: peers skipped: %v\n", err)
			s.peers = false
			return nil, nil
		}
		s.pyInfo = &info
	}
	runs, err := peerRuns(base, *s.pyInfo, s.peer)
	if err != nil {
		return nil, err
	}
	var rows []Row
	for _, pr := range runs {
		row, err := runPeer(exp, batch, pr, s.peer, s.steps, s.warmup)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: peer %s of %s: %v\n", pr.framework+"/"+pr.device, label, err)
			continue
		}
		if pr.device != "cpu" {
			row.Peak = gpuTablePeak(row.Precision)
		}
		fmt.Fprintf(os.Stderr, "bench: %s batch %d on %s: %.1f ms/step\n", label, batch, row.Runner, row.StepMS)
		rows = append(rows, row)
	}
	return rows, nil
}

func batchSizes(exp *experiments.Experiment, sets []string, batches string) ([]int, error) {
	if batches == "" {
		p, err := exp.Resolve(sets)
		if err != nil {
			return nil, err
		}
		return []int{p.Int("batch_size")}, nil
	}
	var out []int
	for _, f := range split(batches) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-batch %s: want positive integers", batches)
		}
		out = append(out, n)
	}
	return out, nil
}

// backendFor returns the session's backend for a configuration, creating it once.
func (s *session) backendFor(bname string) (compute.Backend, error) {
	if b, ok := s.live[bname]; ok {
		return b, nil
	}
	b, err := backend.New(bname)
	if err != nil {
		return nil, err
	}
	if s.live == nil {
		s.live = map[string]compute.Backend{}
	}
	s.live[bname] = b
	return b, nil
}

func (s *session) benchOne(exp *experiments.Experiment, bname string, sets []string) (Row, error) {
	b, err := s.backendFor(bname)
	if err != nil {
		return Row{}, err
	}
	p, err := exp.Resolve(sets)
	if err != nil {
		return Row{}, err
	}
	task, err := buildTask(exp, p, b)
	if err != nil {
		return Row{}, err
	}
	if s.cpuProfile != "" && !s.profileStarted {
		f, err := os.Create(s.cpuProfile)
		if err != nil {
			return Row{}, fmt.Errorf("-cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return Row{}, err
		}
		s.profileStarted = true
	}
	cuda := isCUDAConfig(bname)
	gpuBefore := -1.0
	if cuda {
		gpuBefore = gpuMemUsedMB()
	}
	cfg := experiments.TrainConfig(p)
	if exp.NoDecayRank1 { // as a training job's optimizer (experiments.NewJob).
		cfg.NoDecay = train.NoDecayRank1
	}
	res, err := train.Bench(task, cfg, b, s.warmup, s.steps)
	if err != nil {
		return Row{}, fmt.Errorf("%s on %s: %w", exp.Name, bname, err)
	}
	row := Row{Experiment: exp.Name, Runner: "mmdna/" + bname, Backend: bname, Batch: res.Batch,
		CompileS: res.CompileS, StepMS: res.MedianS * 1000, CPUMS: res.CPUS * 1000, ImgPerS: res.ImgPerS,
		PeakHeapMB: res.PeakHeapMB, Result: res, Device: cpuName(), Precision: "fp32"}
	switch {
	case cuda:
		row.Device, row.Precision = gpuName(), xlaPrecision(bname)
		if after := gpuMemUsedMB(); gpuBefore >= 0 && after >= 0 {
			row.MemMB, row.MemWhat = after-gpuBefore, "GPU memory growth during the row (nvidia-smi)"
		} else {
			row.MemWhat = "not available (no nvidia-smi; go-xla does not expose PJRT's memory stats)"
		}
	case b.String() == "go":
		row.MemMB, row.MemWhat = res.PeakHeapMB, "Go heap in use, peak"
	default:
		row.MemMB, row.MemWhat = maxRSSMB(), "process max RSS"
	}
	row.Peak = s.peakFor(bname, b, cuda, row.Precision)
	runtime.GC() // release the task's device buffers before the next row.
	return row, nil
}

// peakFor returns a backend's peak: the datasheet figure of a known GPU, else the
// measured large-matmul rate of the backend itself.
func (s *session) peakFor(bname string, b compute.Backend, cuda bool, precision string) peakInfo {
	if pk, ok := s.peaks[bname]; ok {
		return pk
	}
	var pk peakInfo
	if cuda {
		pk = gpuTablePeak(precision)
	}
	if pk.TFLOPS == 0 && s.peakN >= 0 {
		n := s.peakN
		if n == 0 {
			n = 1024
			if cuda {
				n = 8192
			}
		}
		if t, err := measureMatmul(b, n, 5); err == nil {
			pk = peakInfo{t, fmt.Sprintf("measured: %s backend, %d³ f32 matmul, best of 5", bname, n)}
		} else {
			fmt.Fprintf(os.Stderr, "bench: peak of %s: %v\n", bname, err)
		}
	}
	if s.peaks == nil {
		s.peaks = map[string]peakInfo{}
	}
	s.peaks[bname] = pk
	return pk
}

// gpuTablePeak is the datasheet peak of this machine's GPU at a precision, or zero.
func gpuTablePeak(precision string) peakInfo {
	name := gpuName()
	if precision == "" {
		precision = "fp32"
	}
	if t, row, ok := lookupGPUPeak(name, precision); ok {
		return peakInfo{t, fmt.Sprintf("table: %s %s dense", row, precision)}
	}
	return peakInfo{}
}

// experimentFLOPs builds the experiment's task on the go backend and counts the
// FLOPs of its forward pass.
func experimentFLOPs(exp *experiments.Experiment, sets []string) (FLOPs, error) {
	p, err := exp.Resolve(sets)
	if err != nil {
		return FLOPs{}, err
	}
	b, err := goBackend()
	if err != nil {
		return FLOPs{}, err
	}
	task, err := buildTask(exp, p, b)
	if err != nil {
		return FLOPs{}, err
	}
	return TaskFLOPs(task)
}

// buildTask builds the experiment's task for timing or counting: its run directory
// (tokenizer files, pictures) is a temporary one, removed once the task is built,
// since a timed task never evaluates.
func buildTask(exp *experiments.Experiment, p *experiments.Params, b compute.Backend) (*train.Task, error) {
	dir, err := os.MkdirTemp("", "mmdna-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	return exp.Build(&experiments.Env{P: p, Dir: dir, Backend: b, Log: func(string, ...any) {}})
}

// fillFLOPs sets the FLOP figures of a row from the experiment's count.
func (r *Row) fillFLOPs(f FLOPs) {
	r.TrainGFLOP = f.Train() / 1e9
	if strings.HasPrefix(r.Runner, "mmdna/") {
		r.Params = f.Params
	}
	if r.StepMS > 0 {
		r.TFLOPS = f.Train() / (r.StepMS / 1000) / 1e12
	}
	if r.Peak.TFLOPS > 0 {
		r.MFU = r.TFLOPS / r.Peak.TFLOPS
	}
}

// maxRSSMB is the process's peak resident memory in MiB.
func maxRSSMB() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024 // Linux reports KiB.
}
