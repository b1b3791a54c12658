package train

import (
	"fmt"
	"runtime"
	"slices"
	"syscall"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
	gtrain "github.com/gomlx/gomlx/ml/train"
)

// BenchResult holds the timing of training steps.
type BenchResult struct {
	Batch      int       `json:"batch"`
	CompileS   float64   `json:"compile_s"` // first step: graph building and compilation (and the step).
	StepS      []float64 `json:"step_s"`    // the timed steps.
	MedianS    float64   `json:"step_s_median"`
	MeanS      float64   `json:"step_s_mean"`
	ImgPerS    float64   `json:"img_per_s"` // Batch / MedianS.
	PeakHeapMB float64   `json:"peak_heap_mb"`
	// CPUS is the median process CPU time (user+system, all threads) per timed step:
	// on a shared, noisy machine it varies less than wall time, and CPUS/MedianS says
	// how many cores a step keeps busy.
	CPUS float64 `json:"cpu_s_median"`
}

// Bench times training steps of task: one compiling step, warmup untimed steps,
// then steps timed one by one. Only the train step is timed: batches are prepared
// before each timed step, as the prefetching loop of Run does in parallel.
func Bench(task *Task, cfg Config, backend compute.Backend, warmup, steps int) (*BenchResult, error) {
	if err := task.validate(); err != nil {
		return nil, err
	}
	if steps < 1 || warmup < 0 {
		return nil, fmt.Errorf("bench: %d timed steps and %d warmup steps: want at least 1 and 0", steps, warmup)
	}
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, cfg.Seed)
	if err := store.SetRNGStateFromSeed(cfg.Seed); err != nil {
		return nil, err
	}
	// The step Run takes: with the NaN guard's metrics.
	trainer := gtrain.NewTrainer(backend, store, task.Model, task.Loss, cfg.optimizer(),
		append(stepHealthMetrics(), task.TrainMetrics...), nil)
	res := &BenchResult{Batch: task.Data.BatchSize()}
	var peak uint64
	var cpu []float64
	var ms runtime.MemStats
	for i := range 1 + warmup + steps {
		in, lab, err := task.Data.Batch(i)
		if err != nil {
			return nil, err
		}
		t0, c0 := time.Now(), cpuTime()
		metrics, err := trainer.TrainStep(gtrain.Batch{Inputs: in, Labels: lab})
		if err != nil {
			return nil, fmt.Errorf("bench step %d: %w", i, err)
		}
		for _, m := range metrics {
			m.MaterializeLocal() // wait for the step to finish before reading the clock.
		}
		d, c := time.Since(t0).Seconds(), cpuTime()-c0
		for _, m := range metrics {
			m.FinalizeAll()
		}
		switch {
		case i == 0:
			res.CompileS = d
		case i > warmup:
			res.StepS = append(res.StepS, d)
			cpu = append(cpu, c)
		}
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}
	sorted := slices.Sorted(slices.Values(res.StepS))
	res.MedianS = sorted[len(sorted)/2]
	for _, s := range res.StepS {
		res.MeanS += s / float64(len(res.StepS))
	}
	res.ImgPerS = float64(res.Batch) / res.MedianS
	res.CPUS = slices.Sorted(slices.Values(cpu))[len(cpu)/2]
	res.PeakHeapMB = float64(peak) / (1 << 20)
	return res, nil
}

// cpuTime returns the process's user+system CPU seconds so far.
func cpuTime() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
