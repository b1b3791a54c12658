package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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
	f, err := os.Open(filepath.Join(out, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	next := 10
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rec struct {
			Step  int    `json:"step"`
			Split string `json:"split"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("bad line %q: %v", sc.Text(), err)
		}
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
