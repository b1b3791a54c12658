//go:build xla

package backend

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// childEnv runs New(config) in a fresh test process with env added: go-xla reads
// PJRT_PLUGIN_LIBRARY_PATH once, when the process starts. It returns the child's
// error line ("" on success) and its stderr.
func childNew(t *testing.T, config string, env ...string) (errLine, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBackendChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), append(env, "MMDNA_BACKEND_CHILD="+config)...)
	var errBuf strings.Builder
	cmd.Stderr = &errBuf
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child process: %v\n%s%s", err, out, errBuf.String())
	}
	for _, line := range strings.Split(string(out), "\n") {
		if msg, ok := strings.CutPrefix(line, "CHILD-ERR: "); ok {
			return msg, errBuf.String()
		}
		if strings.HasPrefix(line, "CHILD-OK") {
			return "", errBuf.String()
		}
	}
	t.Fatalf("child process printed no result:\n%s", out)
	return "", ""
}

// TestBackendChild is the child process of childNew; it does nothing in a normal run.
func TestBackendChild(t *testing.T) {
	config := os.Getenv("MMDNA_BACKEND_CHILD")
	if config == "" {
		t.Skip("child process of the plugin tests")
	}
	b, err := New(config)
	if err != nil {
		os.Stdout.WriteString("CHILD-ERR: " + err.Error() + "\n")
		return
	}
	b.Finalize()
	os.Stdout.WriteString("CHILD-OK\n")
}

func checkOneLine(t *testing.T, what, msg string, want ...string) {
	t.Helper()
	if msg == "" || strings.Contains(msg, "\n") {
		t.Errorf("%s: error %q: want one line", what, msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("%s: error %q does not contain %q", what, msg, w)
		}
	}
}

func TestMissingPluginInEmptyDir(t *testing.T) {
	dir := t.TempDir()
	msg, stderr := childNew(t, "xla:cuda", "PJRT_PLUGIN_LIBRARY_PATH="+dir)
	checkOneLine(t, "xla:cuda", msg, "-backend xla:cuda: ", `no PJRT plugin "cuda"`, "xla_cuda_plugin.so",
		"PJRT_PLUGIN_LIBRARY_PATH="+dir, "plugins found: none", "-backend xla:/path/to/plugin.so", "never downloaded")
	if strings.TrimSpace(stderr) != "" {
		t.Errorf("stderr should be empty (go-xla's warnings silenced), got %q", stderr)
	}
}

func TestMissingPluginDefaultDirs(t *testing.T) {
	home := t.TempDir()
	msg, _ := childNew(t, "xla:mmdnatest", "PJRT_PLUGIN_LIBRARY_PATH=", "HOME="+home)
	checkOneLine(t, "xla:mmdnatest", msg, `no PJRT plugin "mmdnatest"`,
		"the default directories ("+filepath.Join(home, ".local", "lib", "go-xla"), "/usr/local/lib/go-xla",
		"PJRT_PLUGIN_LIBRARY_PATH is not set")
}

func TestPluginPathErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ path, want string }{
		{filepath.Join(dir, "nosuch", "plugin.so"), ": not found"},
		{dir, "is a directory"},
	} {
		_, err := New("xla:" + c.path)
		if err == nil {
			t.Errorf("New(xla:%s): no error", c.path)
			continue
		}
		checkOneLine(t, c.path, err.Error(), "-backend xla:"+c.path+": PJRT plugin "+c.path, c.want)
	}
}

// TestFakePlugin loads a file that is not a shared library: go-xla's dlopen error
// comes back as one line naming the file, and nothing else reaches stderr.
func TestFakePlugin(t *testing.T) {
	fake := filepath.Join(t.TempDir(), "fake_plugin.so")
	if err := os.WriteFile(fake, []byte("not an ELF file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	msg, stderr := childNew(t, "xla:"+fake)
	checkOneLine(t, fake, msg, "-backend xla:"+fake+": ", fake)
	if strings.TrimSpace(stderr) != "" {
		t.Errorf("stderr should be empty, got %q", stderr)
	}
}

// TestJAXPluginName finds a plugin under JAX's file name in PJRT_PLUGIN_LIBRARY_PATH
// and passes it to go-xla by absolute path, keeping the options.
func TestJAXPluginName(t *testing.T) {
	dir := t.TempDir()
	plugin := filepath.Join(dir, "xla_cuda_plugin.so")
	if err := os.WriteFile(plugin, []byte("fake"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", "/nonexistent:"+dir)
	got, err := resolvePlugin("cuda,tf32=false")
	if err != nil {
		t.Fatal(err)
	}
	if want := plugin + ",tf32=false"; got != want {
		t.Errorf("resolvePlugin(cuda,tf32=false) = %q, want %q", got, want)
	}
	// The whole path: New hands the file to go-xla, whose load error names it.
	msg, _ := childNew(t, "xla:cuda", "PJRT_PLUGIN_LIBRARY_PATH="+dir)
	checkOneLine(t, "xla:cuda with a JAX-named fake", msg, "-backend xla:cuda: ", plugin)
}
