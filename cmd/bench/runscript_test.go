package main

// Tests of bench/gpu/run.sh on this machine: argument handling, the lookup of the
// binary, python and plugin, the commands of --dry-run, and a whole run with a fake
// bench, nvidia-smi and python (the GPU itself is never touched).

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const script = "../../bench/gpu/run.sh"

// scriptFixture is a fake XLA bin dir (bench, train listing two of the four
// experiments), a site-packages with JAX's plugin and nvidia libraries, and a python
// that reports the plugin and runs everything else with /usr/bin/python3.
type scriptFixture struct {
	dir, bin, python, plugin, site string
}

func newScriptFixture(t *testing.T) scriptFixture {
	t.Helper()
	dir := t.TempDir()
	f := scriptFixture{dir: dir, bin: filepath.Join(dir, "bin"), python: filepath.Join(dir, "python"),
		site: filepath.Join(dir, "site")}
	f.plugin = filepath.Join(f.site, "jax_plugins", "xla_cuda13", "xla_cuda_plugin.so")
	write := func(path, content string, mode os.FileMode) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	write(f.plugin, "fake", 0o644)
	write(filepath.Join(f.site, "nvidia", "cu13", "lib", "libcudart.so.13"), "", 0o644)
	write(filepath.Join(f.site, "nvidia", "cu13", "nvvm", "libdevice", "libdevice.10.bc"), "", 0o644)
	// The fake bench writes what -json and -md name, as the real one does.
	write(filepath.Join(f.bin, "bench"), `#!/bin/bash
# a fake XLA build: github.com/gomlx/go-xla/compute/xla
echo "$@" >> "$(dirname "$0")/bench.log"
# FAKE_XLA_FAIL=ld: XLA fails until the nvidia libraries are on LD_LIBRARY_PATH; =always: always.
if [ -n "$FAKE_XLA_FAIL" ] && [[ " $* " == *" -backends xla:cuda "* ]] &&
   [[ "$FAKE_XLA_FAIL" = always || "${LD_LIBRARY_PATH:-}" != *nvidia/cu13/lib* ]]; then
  echo "bench: -backend xla:cuda: libcudart.so.13: cannot open shared object file" >&2; exit 2
fi
while [ $# -gt 0 ]; do
  case "$1" in
    -json) echo '[{"experiment":"x","runner":"mmdna/xla:cuda","img_per_s":10}]' > "$2"; shift ;;
    -md) echo "| fake table |" > "$2"; shift ;;
  esac
  shift
done
`, 0o755)
	write(filepath.Join(f.bin, "train"), "#!/bin/sh\necho 'bench-vit    ViT'\necho 'bench-mae    MAE'\n", 0o755)
	write(f.python, `#!/bin/bash
if [ "$1" = "-" ] && [ $# -eq 1 ]; then echo "`+f.plugin+`"; exit 0; fi
if [ "$1" = "-c" ]; then echo "fake python: $2"; exit 0; fi
exec /usr/bin/python3 "$@"
`, 0o755)
	write(filepath.Join(dir, "path", "nvidia-smi"), "#!/bin/sh\necho 'NVIDIA H100 80GB HBM3, 81559 MiB, 570.00'\n", 0o755)
	return f
}

// runScript runs run.sh with args and returns its stdout, stderr and exit status.
func runScript(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{script}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

func TestRunScriptHelp(t *testing.T) {
	out, _, code := runScript(t, nil, "--help")
	if code != 0 || !strings.Contains(out, "usage: bench/gpu/run.sh") || !strings.Contains(out, "--dry-run") {
		t.Errorf("--help: status %d, output %q", code, out)
	}
}

func TestRunScriptBadArguments(t *testing.T) {
	f := newScriptFixture(t)
	noXLA := filepath.Join(t.TempDir(), "bin")
	for _, b := range []string{"bench", "train"} {
		if err := os.MkdirAll(noXLA, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(noXLA, b), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	noPlugin := filepath.Join(t.TempDir(), "python")
	if err := os.WriteFile(noPlugin, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--nope"}, "run.sh: unknown argument --nope (see --help)"},
		{[]string{"--bin"}, "run.sh: --bin needs a value"},
		{[]string{"--out", ""}, "run.sh: --out needs a value"},
		{[]string{"--bin", "/nonexistent/bin"}, "run.sh: --bin /nonexistent/bin: no such directory"},
		{[]string{"--bin", t.TempDir()}, "no executable bench"},
		{[]string{"--bin", noXLA}, "bench was built without XLA (use make build-xla)"},
		{[]string{"--bin", f.bin, "--python", "/nonexistent/python"}, "run.sh: --python /nonexistent/python: not found"},
		{[]string{"--bin", f.bin, "--python", noPlugin}, "no JAX CUDA plugin"},
		{[]string{"--bin", f.bin, "--python", f.python, "--plugin", "/nonexistent.so"}, "run.sh: --plugin /nonexistent.so: no such file"},
	} {
		_, stderr, code := runScript(t, nil, append(c.args, "--dry-run")...)
		msg := strings.TrimSpace(stderr)
		if code != 2 || !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
			t.Errorf("%q: status %d, stderr %q; want status 2 and one line containing %q", c.args, code, stderr, c.want)
		}
	}
	// No python in PATH has the plugin (here only /usr/bin's, without JAX).
	_, stderr, code := runScript(t, []string{"PATH=/usr/bin:/bin", "PYTHON="}, "--bin", f.bin, "--dry-run")
	if code != 2 || !strings.Contains(stderr, "no python with JAX's CUDA plugin") {
		t.Errorf("no python with the plugin: status %d, stderr %q", code, stderr)
	}
}

func TestRunScriptDryRun(t *testing.T) {
	f := newScriptFixture(t)
	out := filepath.Join(f.dir, "out")
	stdout, stderr, code := runScript(t, []string{"PYTHON=" + f.python, "LD_LIBRARY_PATH="}, "--bin", f.bin,
		"--out", out, "--quick", "--dry-run")
	if code != 0 {
		t.Fatalf("status %d: %s", code, stderr)
	}
	repo, _ := filepath.Abs("../..")
	for _, want := range []string{
		"export PJRT_PLUGIN_LIBRARY_PATH=" + filepath.Dir(f.plugin) + " MMDNA_XLA_LOG=1",
		"# if the XLA check fails: export LD_LIBRARY_PATH=" + filepath.Join(f.site, "nvidia", "cu13", "lib") +
			" XLA_FLAGS=--xla_gpu_cuda_data_dir=" + filepath.Join(f.site, "nvidia", "cu13") + "\n",
		"nvidia-smi >" + out + "/nvidia-smi.txt 2>&1\n",
		f.bin + "/bench -exp bench-vit -set smoke=true -backends xla:cuda -peers=false",
		f.bin + "/bench -exp bench-vit -backends xla:cuda -peer-devices cuda -python " + f.python + " -peer-dir " +
			repo + "/bench/peers -steps 5 -warmup 1 -batch 32 -json " + out + "/bench-vit.json -md " + out + "/bench-vit.md",
		"run.sh: skipping bench-clip: " + f.bin + "/train does not list it",
		f.bin + "/bench -exp bench-mae -backends xla:cuda",
		"run.sh: skipping bench-perceiver",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("dry run lacks %q:\n%s", want, stdout)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("--dry-run created %s", out)
	}
	// --exp picks the experiments, in order.
	stdout, _, _ = runScript(t, []string{"PYTHON=" + f.python}, "--bin", f.bin, "--exp", "bench-mae,nosuch", "--dry-run")
	if !strings.Contains(stdout, "bench -exp bench-mae -backends xla:cuda") || strings.Contains(stdout, "-exp bench-vit -backends") ||
		!strings.Contains(stdout, "run.sh: skipping nosuch") {
		t.Errorf("--exp bench-mae,nosuch:\n%s", stdout)
	}
	if _, err := os.Stat(filepath.Join(f.bin, "bench.log")); err == nil {
		t.Error("--dry-run ran bench")
	}
}

// TestRunScriptFakeRun runs the whole script with fakes and reads the folder.
func TestRunScriptFakeRun(t *testing.T) {
	f := newScriptFixture(t)
	out := filepath.Join(f.dir, "out")
	env := []string{"PATH=" + filepath.Join(f.dir, "path") + ":" + os.Getenv("PATH")}
	stdout, stderr, code := runScript(t, env, "--bin", f.bin, "--python", f.python, "--out", out)
	if code != 0 {
		t.Fatalf("status %d:\n%s\n%s", code, stdout, stderr)
	}
	md, err := os.ReadFile(filepath.Join(out, "results.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Device: NVIDIA H100 80GB HBM3", "## bench-vit", "## bench-mae", "| fake table |",
		"20 timed steps after 3 warm-up steps"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("results.md lacks %q:\n%s", want, md)
		}
	}
	var rows []map[string]any
	data, _ := os.ReadFile(filepath.Join(out, "results.json"))
	if err := json.Unmarshal(data, &rows); err != nil || len(rows) != 2 {
		t.Errorf("results.json: %v, %d rows, want the 2 experiments' rows:\n%s", err, len(rows), data)
	}
	for _, name := range []string{"env.txt", "nvidia-smi.txt", "logs/xla-check.log", "logs/bench-vit.log", "logs/bench-mae.log"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("missing %s", name)
		}
	}
	calls, _ := os.ReadFile(filepath.Join(f.bin, "bench.log"))
	if n := strings.Count(string(calls), "\n"); n != 3 {
		t.Errorf("bench ran %d times, want 3 (the check, bench-vit, bench-mae):\n%s", n, calls)
	}
}

// TestRunScriptXLAFallback: when the XLA check fails, run.sh retries with the nvidia
// libraries on LD_LIBRARY_PATH, and when that fails too it runs the peers alone.
func TestRunScriptXLAFallback(t *testing.T) {
	for _, c := range []struct {
		mode, say, backends string
	}{
		{"ld", "retrying with the nvidia libraries", "-backends xla:cuda -peer-devices"},
		{"always", "the XLA backend failed, running the peers only: bench: -backend xla:cuda: libcudart.so.13", "-backends  -peer-devices"},
	} {
		f := newScriptFixture(t)
		out := filepath.Join(f.dir, "out")
		env := []string{"PATH=" + filepath.Join(f.dir, "path") + ":" + os.Getenv("PATH"), "FAKE_XLA_FAIL=" + c.mode,
			"LD_LIBRARY_PATH="}
		stdout, stderr, code := runScript(t, env, "--bin", f.bin, "--python", f.python, "--out", out, "--exp", "bench-vit")
		if code != 0 || !strings.Contains(stdout, c.say) {
			t.Errorf("%s: status %d, output lacks %q:\n%s%s", c.mode, code, c.say, stdout, stderr)
		}
		calls, _ := os.ReadFile(filepath.Join(f.bin, "bench.log"))
		lines := strings.Split(strings.TrimSpace(string(calls)), "\n")
		if len(lines) != 3 || !strings.Contains(lines[2], "-exp bench-vit "+c.backends) {
			t.Errorf("%s: bench calls:\n%s\nwant 2 checks, then bench-vit with %q", c.mode, calls, c.backends)
		}
		if _, err := os.Stat(filepath.Join(out, "results.md")); err != nil {
			t.Errorf("%s: no results.md", c.mode)
		}
	}
}
