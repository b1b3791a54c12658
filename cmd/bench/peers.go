package main

// Peers: the same experiment written in PyTorch (bench/peers/NAME.py) and in JAX
// (bench/peers/NAME_jax.py, same arguments), run by the given python on the devices
// it has: PyTorch on the CPU (with -threads threads) and on CUDA when torch sees a
// GPU, JAX on its default device. Each script prints one JSON object on its last
// line (see bench/peers/README.md).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mmdna/mmdna/experiments"
	"github.com/mmdna/mmdna/internal/pyref"
)

// peerOptions are the flags that choose and run the peers (their values checked by
// checkPeerFlags).
type peerOptions struct {
	python    string
	pythonSet bool   // -python given: a python that cannot run the probe is an error.
	dir       string // where the peer scripts are; the experiments name them bench/peers/X.py.
	devices   string // "auto", "none" or a list of cpu, cuda: the PyTorch devices.
	jax       string // "auto", "on" or "off".
	threads   int
	peakN     int // matrix size of the peers' own matmul peak on CPU (0: 1024, -1: none).
}

// pythonInfo is what the python has: torch (and CUDA), jax (and its backend).
type pythonInfo struct {
	Torch      string `json:"torch"`
	TorchCUDA  bool   `json:"torch_cuda"`
	JAX        string `json:"jax"`
	JAXBackend string `json:"jax_backend"`
}

// probeScript prints pythonInfo; a missing package leaves its fields empty.
const probeScript = `import json
info = {}
try:
    import torch
    info["torch"] = torch.__version__
    info["torch_cuda"] = bool(torch.cuda.is_available())
except Exception:
    pass
try:
    import jax
    info["jax"] = jax.__version__
    info["jax_backend"] = jax.default_backend()
except Exception:
    pass
print(json.dumps(info))
`

// probePython asks python which frameworks and devices it has.
func probePython(python string) (pythonInfo, error) {
	var info pythonInfo
	cmd := exec.Command(python, "-c", probeScript)
	cmd.Env = append(os.Environ(), "XLA_PYTHON_CLIENT_PREALLOCATE=false") // jax.default_backend() starts the GPU client.
	out, err := cmd.Output()
	if err != nil {
		return info, fmt.Errorf("-python %s: %v", python, err)
	}
	if err := json.Unmarshal([]byte(lastLine(string(out))), &info); err != nil {
		return info, fmt.Errorf("-python %s: unreadable probe output %q", python, lastLine(string(out)))
	}
	return info, nil
}

// peerRun is one peer to run: a script with its arguments on a device.
type peerRun struct {
	framework string // "pytorch" or "jax".
	device    string // "cpu", "cuda" (torch) or "gpu" (jax).
	args      []string
}

// peerRuns lists the peer runs of an experiment's peer command for the python's
// frameworks and the chosen devices. A device or framework asked for by name that the
// python does not have is an error.
func peerRuns(base []string, info pythonInfo, o peerOptions) ([]peerRun, error) {
	script := base[0]
	if o.dir != "" {
		script = filepath.Join(o.dir, filepath.Base(script))
	}
	var runs []peerRun
	if info.Torch != "" {
		devices := []string{"cpu"}
		if info.TorchCUDA {
			devices = append(devices, "cuda")
		}
		switch o.devices {
		case "auto":
		case "none":
			devices = nil
		default:
			devices = split(o.devices)
		}
		for _, d := range devices {
			if d == "cuda" && !info.TorchCUDA {
				return nil, fmt.Errorf("-peer-devices %s: torch %s sees no CUDA device", o.devices, info.Torch)
			}
			runs = append(runs, peerRun{"pytorch", d, append([]string{script}, base[1:]...)})
		}
	}
	jaxScript := strings.TrimSuffix(script, ".py") + "_jax.py"
	switch o.jax {
	case "off":
	default: // "on" or "auto".
		if info.JAX == "" {
			if o.jax == "on" {
				return nil, fmt.Errorf("-jax on: %s has no jax", o.python)
			}
			break
		}
		if _, err := os.Stat(jaxScript); err != nil {
			if o.jax == "on" {
				return nil, fmt.Errorf("-jax on: no JAX peer %s", jaxScript)
			}
			break
		}
		device := "cpu"
		if info.JAXBackend == "gpu" || info.JAXBackend == "cuda" {
			device = "gpu"
		}
		runs = append(runs, peerRun{"jax", device, append([]string{jaxScript}, base[1:]...)})
	}
	return runs, nil
}

// runPeer runs one peer in bench mode and reads its result into a Row.
func runPeer(exp *experiments.Experiment, batch int, pr peerRun, o peerOptions, steps, warmup int) (Row, error) {
	args := append(append([]string(nil), pr.args...), "--mode", "bench", "--batch", strconv.Itoa(batch),
		"--steps", strconv.Itoa(steps), "--warmup-steps", strconv.Itoa(warmup), "--threads", strconv.Itoa(o.threads),
		"--device", pr.device)
	peakN := o.peakN
	if peakN == 0 {
		peakN = 1024 // as the go backend's.
	}
	if pr.device == "cpu" && peakN > 0 {
		args = append(args, "--peak-n", strconv.Itoa(peakN))
	}
	var out, errOut bytes.Buffer
	cmd := exec.Command(o.python, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = peerEnv(os.Environ())
	if err := cmd.Run(); err != nil {
		return Row{}, fmt.Errorf("%s %s: %v: %s", o.python, strings.Join(args, " "), err, lastLine(errOut.String()))
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(lastLine(out.String())), &res); err != nil {
		return Row{}, fmt.Errorf("%s: no JSON result on the last line: %q", args[0], lastLine(out.String()))
	}
	num := func(k string) float64 { v, _ := res[k].(float64); return v }
	str := func(k string) string { v, _ := res[k].(string); return v }
	if num("img_per_s") <= 0 || num("step_s_median") <= 0 {
		return Row{}, errors.New(args[0] + ": peer reported no img_per_s or step_s_median")
	}
	row := Row{Experiment: exp.Name, Runner: pr.framework + "/" + pr.device, Batch: batch,
		CompileS: num("compile_s"), StepMS: num("step_s_median") * 1000, ImgPerS: num("img_per_s"),
		Precision: str("precision"), MemMB: num("peak_mem_mb"), MemWhat: str("mem_what"), Params: int(num("params")),
		Extra: res}
	if row.Device = str("device_name"); row.Device == "" {
		row.Device = pr.device
	}
	if pr.device == "cpu" && num("matmul_tflops") > 0 {
		row.Peak = peakInfo{num("matmul_tflops"), fmt.Sprintf("measured: %s, %d³ f32 matmul, best of 5", pr.framework, peakN)}
	}
	return row, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// peerEnv is the environment of a peer: pyref.TimedEnv's (OpenMP waiting passively),
// plus what the peers need: JAX would reserve 75% of the GPU at start, so it grows as
// needed, as go-xla does; no __pycache__ in the peers' directory.
func peerEnv(environ []string) []string {
	return append(pyref.TimedEnv(environ), "XLA_PYTHON_CLIENT_PREALLOCATE=false", "PYTHONDONTWRITEBYTECODE=1")
}
