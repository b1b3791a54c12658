// Package pyref runs Python reference code from Go tests: PyTorch, PIL or numpy
// computations whose results a test compares with mmdna's. Debian's /usr/bin/python3
// is used (python3-torch, python3-pil, python3-numpy: `make test` installs them); a
// test whose modules are missing is skipped with a message saying how to get them.
//
// The script reads one JSON value on stdin and writes one JSON value as the last line
// of its stdout; large arrays travel as files the test names in its input.
package pyref

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Python is the interpreter the references run with: Debian's, where the apt packages
// install their modules (a pyenv python on PATH would not see them).
const Python = "/usr/bin/python3"

var (
	mu      sync.Mutex
	checked = map[string]error{}
)

// Require skips t unless Python can import every module in modules ("torch", "PIL",
// "numpy", ...). The check runs once per module set and process.
func Require(t testing.TB, modules ...string) {
	t.Helper()
	key := strings.Join(modules, ",")
	mu.Lock()
	err, done := checked[key]
	if !done {
		cmd := exec.Command(Python, "-c", "import "+key)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err = cmd.Run(); err != nil && stderr.Len() > 0 {
			err = &missingError{msg: lastLine(stderr.String())}
		}
		checked[key] = err
	}
	mu.Unlock()
	if err != nil {
		t.Skipf("skipping: %s cannot import %s (%v); `make test` installs Debian's python3-torch, python3-torchvision, python3-pil, python3-numpy", Python, key, err)
	}
}

type missingError struct{ msg string }

func (e *missingError) Error() string { return e.msg }

// Run executes script (Python source) with input as JSON on stdin and decodes the
// last line of its stdout into output (a pointer). PyTorch is limited to 2 threads
// through the environment. A failing script fails the test with its stderr.
func Run(t testing.TB, script string, input, output any) {
	t.Helper()
	in, err := json.Marshal(input)
	if err != nil {
		t.Fatalf("pyref: encoding input: %v", err)
	}
	cmd := exec.Command(Python, "-c", script)
	cmd.Stdin = bytes.NewReader(in)
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS=2", "MKL_NUM_THREADS=2", "OPENBLAS_NUM_THREADS=2")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("pyref: python reference failed: %v\n%s", err, stderr.String())
	}
	if output == nil {
		return
	}
	if err := json.Unmarshal([]byte(lastLine(stdout.String())), output); err != nil {
		t.Fatalf("pyref: decoding the reference's output: %v\nstdout tail: %q", err, tail(stdout.String(), 500))
	}
}

// TimedEnv is the environment of a Python process that is timed against mmdna:
// environ, with OpenMP's threads waiting passively unless environ sets
// OMP_WAIT_POLICY. On these 2 cores torch's OpenMP pool spins after each element-wise
// op while OpenBLAS's own pthreads need the same cores for the next matrix product;
// spinning made the PyTorch peers up to 2x slower and erratic (docs/results/perf.md:
// fusion-shapes [late] 69.1, 94.5, 88.3 ms per step spinning, 41.8, 38.6, 39.3 ms
// passive).
func TimedEnv(environ []string) []string {
	env := slices.Clip(environ)
	for _, kv := range environ {
		if strings.HasPrefix(kv, "OMP_WAIT_POLICY=") {
			return env
		}
	}
	return append(env, "OMP_WAIT_POLICY=PASSIVE")
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
