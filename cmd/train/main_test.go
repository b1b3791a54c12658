package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mmdna/mmdna/rundir"
)

// TestMain lets the tests run this command as a separate process (the test binary
// re-executes itself), so SIGKILL can be tested for real.
func TestMain(m *testing.M) {
	if os.Getenv("MMDNA_TRAIN_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func command(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "MMDNA_TRAIN_MAIN=1", "GOMLX_BACKEND=go")
	return cmd
}

func TestBadInputIsOneLineAndExit2(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing")
	os.MkdirAll(filepath.Join(existing, "checkpoints", "step-00000010"), 0o755)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown experiment", []string{"-exp", "nope"}, "unknown experiment"},
		{"unknown key", []string{"-exp", "mlp-spirals", "-set", "bogus=1"}, "valid keys: smoke, steps"},
		{"wrong type", []string{"-exp", "mlp-spirals", "-set", "steps=ten"}, "want an integer"},
		{"bad value", []string{"-exp", "mlp-spirals", "-set", "lr=-1", "-out", filepath.Join(dir, "neg")}, "lr=-1"},
		{"missing =", []string{"-exp", "mlp-spirals", "-set", "steps"}, "want key=value"},
		{"existing run", []string{"-exp", "mlp-spirals", "-out", existing}, "-resume or replace it with -fresh"},
		{"resume nothing", []string{"-exp", "mlp-spirals", "-resume", "-out", filepath.Join(dir, "none")}, "no run to resume"},
		{"no xla", []string{"-exp", "mlp-spirals", "-backend", "xla:cuda"}, "make build-xla"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			cmd := command(tc.args...)
			cmd.Stderr = &stderr
			err := cmd.Run()
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != exitBadArgs {
				t.Fatalf("exit = %v, want status %d; stderr: %s", err, exitBadArgs, stderr.String())
			}
			msg := strings.TrimSpace(stderr.String())
			if strings.Count(msg, "\n") != 0 || !strings.Contains(msg, tc.want) || strings.Contains(msg, "goroutine") {
				t.Errorf("stderr = %q, want one line containing %q", msg, tc.want)
			}
		})
	}
}

// TestSIGKILLThenResume kills a run with SIGKILL after its first checkpoint and
// checks that -resume continues from it with the step count intact and
// metrics.jsonl free of gaps and duplicates.
func TestSIGKILLThenResume(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	sets := "smoke=true;steps=1500;log_every=10;eval_every=200;ckpt_every=200;hidden=256"
	cmd := command("-exp", "mlp-spirals", "-set", sets, "-out", out)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := filepath.Join(out, "checkpoints", "step-00000200", "state.json")
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(first); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no checkpoint within 60 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // let it train past the checkpoint.
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if _, err := os.Stat(filepath.Join(out, "results.json")); err == nil {
		t.Skip("the run finished before it could be killed; machine too fast for this test")
	}

	var stdout bytes.Buffer
	resume := command("-exp", "mlp-spirals", "-out", out, "-resume")
	resume.Stdout = &stdout
	resume.Stderr = &stdout
	if err := resume.Run(); err != nil {
		t.Fatalf("resume: %v\n%s", err, stdout.String())
	}
	if !strings.Contains(stdout.String(), "resuming mlp-spirals at step ") {
		t.Errorf("resume output lacks the resume line:\n%s", stdout.String())
	}
	recs, err := rundir.ReadMetrics(out)
	if err != nil {
		t.Fatal(err)
	}
	next := 10
	seen := map[string]bool{}
	for _, rec := range recs {
		key := fmt.Sprintf("%s@%d", rec.Split, rec.Step)
		if seen[key] {
			t.Fatalf("duplicate line %s", key)
		}
		seen[key] = true
		if rec.Split == "train" {
			if rec.Step != next {
				t.Fatalf("train line at step %d, want %d (gap or duplicate)", rec.Step, next)
			}
			next += 10
		}
	}
	if next != 1510 || !seen["test@1500"] {
		t.Errorf("metrics end at train step %d (test line: %v), want 1500", next-10, seen["test@4000"])
	}
}

// TestFailedResumeIsOneLineOnStderr: a -resume that cannot start (the earlier start
// failed before its first checkpoint) is bad input: nothing on stdout, one line on
// stderr, exit status 2.
func TestFailedResumeIsOneLineOnStderr(t *testing.T) {
	out := t.TempDir()
	cfg := `{"format":"mmdna-run/1","experiment":"mlp-spirals","params":{"steps":20}}`
	if err := os.WriteFile(filepath.Join(out, rundir.ConfigFile), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, msg := runFailing(t, exitBadArgs, "-exp", "mlp-spirals", "-resume", "-out", out)
	if stdout != "" || !strings.Contains(msg, "checkpoint") {
		t.Errorf("stdout %q, stderr %q; want stdout empty and a stderr line about the missing checkpoint", stdout, msg)
	}
}

// runFailing runs the command with args, expects exit status code and exactly one
// line on stderr, and returns stdout and that line.
func runFailing(t *testing.T, code int, args ...string) (stdout, stderrLine string) {
	t.Helper()
	var out, errs bytes.Buffer
	cmd := command(args...)
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); !isExit(err, code) {
		t.Errorf("exit = %v, want status %d", err, code)
	}
	line := strings.TrimSpace(errs.String())
	if line == "" || strings.Contains(line, "\n") {
		t.Errorf("stderr %q, want one line", errs.String())
	}
	return out.String(), line
}

// TestFailureGoesToStderr: a run that fails (a damaged checkpoint on -resume) says
// so on stderr, in one line, and exits 1; stdout carries no error.
func TestFailureGoesToStderr(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	if err := command("-exp", "mlp-spirals", "-set", "smoke=true;steps=20;ckpt_every=10;eval_every=10;log_every=10;test_size=60",
		"-out", out, "-quiet").Run(); err != nil {
		t.Fatalf("first run: %v", err)
	}
	// Every checkpoint damaged: a resume falls back from a damaged newest checkpoint to
	// an intact one (train's TestResumeFallsBackToIntactCheckpoint), so only this fails.
	steps, err := filepath.Glob(filepath.Join(out, "checkpoints", "step-*", "vars.safetensors"))
	if err != nil || len(steps) == 0 {
		t.Fatalf("no checkpoints to damage: %v", err)
	}
	for _, vars := range steps {
		if err := os.WriteFile(vars, []byte("damaged"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stdout, msg := runFailing(t, exitFailed, "-exp", "mlp-spirals", "-resume", "-out", out)
	if !strings.Contains(msg, "intact") || strings.Contains(stdout, "intact") {
		t.Errorf("stdout %q, stderr %q; want the failure on stderr only", stdout, msg)
	}
}

// buildTrain builds this command into a temporary directory: exit statuses are a
// promise of the built binary (go run replaces them with its own).
func buildTrain(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "train")
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	build := exec.Command(goCmd, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestBuiltBinaryExitCodes: the built binary exits 2 on a bad flag, and 130 on
// SIGINT once it has saved a checkpoint.
func TestBuiltBinaryExitCodes(t *testing.T) {
	bin := buildTrain(t)
	var stderr bytes.Buffer
	bad := exec.Command(bin, "-no-such-flag")
	bad.Stderr = &stderr
	if err := bad.Run(); !isExit(err, exitBadArgs) {
		t.Errorf("bad flag: %v, want exit status %d; stderr %s", err, exitBadArgs, stderr.String())
	}

	out := filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(bin, "-exp", "mlp-spirals", "-set", "steps=1000000;log_every=20;eval_every=0;ckpt_every=0", "-out", out)
	cmd.Env = append(os.Environ(), "GOMLX_BACKEND=go")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(60 * time.Second)
	for stepped := false; !stepped; {
		select {
		case l, ok := <-lines:
			if !ok {
				cmd.Wait()
				t.Fatal("the run ended before it printed a step line")
			}
			stepped = strings.Contains(l, "] step ")
		case <-timeout:
			cmd.Process.Kill()
			t.Fatal("no step line within 60 s")
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	var rest []string
	for l := range lines {
		rest = append(rest, l)
	}
	if err := cmd.Wait(); !isExit(err, exitStopped) {
		t.Errorf("after SIGINT: %v, want exit status %d; output:\n%s", err, exitStopped, strings.Join(rest, "\n"))
	}
	ckpts, _ := filepath.Glob(filepath.Join(out, "checkpoints", "step-*", "state.json"))
	if len(ckpts) == 0 {
		t.Errorf("no checkpoint after SIGINT; output:\n%s", strings.Join(rest, "\n"))
	}
}

func isExit(err error, code int) bool {
	ee, ok := err.(*exec.ExitError)
	return ok && ee.ExitCode() == code
}

// TestListShowsOrigins: -exp NAME -list prints each key with its value and where the
// value came from, as -set and -resume change them.
func TestListShowsOrigins(t *testing.T) {
	row := func(out, key string) []string {
		for _, line := range strings.Split(out, "\n") {
			f := regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(line), -1)
			if len(f) >= 3 && f[0] == key {
				return f[:3]
			}
		}
		t.Fatalf("no row %q in:\n%s", key, out)
		return nil
	}
	list := func(args ...string) string {
		var out, errOut bytes.Buffer
		if code := run(append(args, "-list"), &out, &errOut); code != 0 {
			t.Fatalf("%v -list: exit %d: %s", args, code, errOut.String())
		}
		return out.String()
	}
	out := list("-exp", "vit-fmnist")
	for key, want := range map[string][2]string{"steps": {"6450", "experiment"}, "min_lr": {"0", "train default"},
		"batch_size": {"128", "common"}, "patch": {"4", "family vit"}, "val_size": {"5000", "family images"}} {
		if got := row(out, key); got[1] != want[0] || got[2] != want[1] {
			t.Errorf("%s: %v, want value %s from %s", key, got, want[0], want[1])
		}
	}
	out = list("-exp", "vit-fmnist", "-set", "smoke=true;lr=0.5")
	if got := row(out, "steps"); got[1] != "60" || got[2] != "smoke" {
		t.Errorf("smoke steps: %v, want 60 from smoke", got)
	}
	if got := row(out, "lr"); got[1] != "0.5" || got[2] != "-set" {
		t.Errorf("-set lr: %v, want 0.5 from -set", got)
	}
	dir := t.TempDir() // a run's config.json lacking keys added since: they take the experiment's values.
	if err := rundir.WriteConfig(dir, rundir.Config{Experiment: "mlp-spirals", Params: map[string]any{"steps": 77.0}}); err != nil {
		t.Fatal(err)
	}
	out = list("-exp", "mlp-spirals", "-out", dir, "-resume", "-set", "seed=3")
	for key, want := range map[string][2]string{"steps": {"77", "resume"}, "seed": {"3", "-set"}, "lr": {"0.01", "experiment"}} {
		if got := row(out, key); got[1] != want[0] || got[2] != want[1] {
			t.Errorf("resumed %s: %v, want value %s from %s", key, got, want[0], want[1])
		}
	}
	if _, err := os.Stat(filepath.Join(dir, rundir.MetricsFile)); err == nil {
		t.Error("-list wrote into the run directory")
	}
}
