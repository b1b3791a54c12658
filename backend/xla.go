//go:build xla

package backend

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/go-xla/compute/xla"
	"github.com/gomlx/go-xla/pjrt"
	"k8s.io/klog/v2"
)

// XLABuilt reports whether this binary includes the XLA (PJRT) backend.
const XLABuilt = true

func init() {
	xla.EnableAutoInstall(false) // never download plugins.
	if os.Getenv(XLALogEnv) == "" {
		quietKlog()
	}
}

// quietKlog keeps go-xla's warnings (klog) off stderr, so a failure is the one line
// our error returns; errors still show. MMDNA_XLA_LOG=1 keeps everything.
func quietKlog() {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	for _, kv := range [][2]string{{"logtostderr", "false"}, {"alsologtostderr", "false"}, {"stderrthreshold", "ERROR"}} {
		_ = fs.Set(kv[0], kv[1])
	}
	klog.SetOutput(io.Discard) // no log files either.
}

// resolvePlugin checks, before go-xla is asked, that the PJRT plugin named by opts
// ("cuda", "cpu", "/abs/path/plugin.so", optionally followed by ",option=value")
// exists, and returns the options to hand to go-xla. A plugin go-xla does not find
// under its own names (pjrt_c_api_<name>_plugin.so, pjrt-plugin-<name>*.so) is
// looked for under JAX's name, xla_<name>_plugin.so, in the directories of
// PJRT_PLUGIN_LIBRARY_PATH, and then given to go-xla by absolute path: so
// PJRT_PLUGIN_LIBRARY_PATH=.../site-packages/jax_plugins/xla_cuda13 makes "xla:cuda"
// load JAX's CUDA plugin in place, where its RPATH finds the nvidia libraries.
func resolvePlugin(opts string) (string, error) {
	name, rest, hasRest := strings.Cut(opts, ",")
	if filepath.IsAbs(name) {
		info, err := os.Stat(name)
		switch {
		case err != nil:
			return "", fmt.Errorf("PJRT plugin %s: not found", name)
		case info.IsDir():
			return "", fmt.Errorf("PJRT plugin %s: is a directory; give the plugin's .so file", name)
		}
		return opts, nil
	}
	plugins := pjrt.AvailablePlugins()
	if name == "" && len(plugins) > 0 {
		return opts, nil // go-xla picks the first one.
	}
	for found := range plugins {
		if found == name || strings.HasPrefix(found, name+"_v") {
			return opts, nil
		}
	}
	if name != "" {
		if path := jaxPlugin(name); path != "" {
			if hasRest {
				path += "," + rest
			}
			return path, nil
		}
	}
	return "", missingPlugin(name, plugins)
}

// jaxPlugin returns the absolute path of xla_<name>_plugin.so in a directory of
// PJRT_PLUGIN_LIBRARY_PATH, or "".
func jaxPlugin(name string) string {
	for _, dir := range pluginDirs() {
		path, err := filepath.Abs(filepath.Join(dir, "xla_"+name+"_plugin.so"))
		if err != nil {
			continue
		}
		if info, err := os.Stat(path); err == nil && info.Mode().IsRegular() {
			return path
		}
	}
	return ""
}

// pluginDirs are the directories of PJRT_PLUGIN_LIBRARY_PATH.
func pluginDirs() []string {
	return slices.DeleteFunc(strings.Split(os.Getenv(pjrt.PJRTPluginPathsEnv), ":"), func(d string) bool { return d == "" })
}

// missingPlugin is the one-line error for a plugin that is nowhere: where we looked,
// what we found, what to do.
func missingPlugin(name string, plugins map[string]string) error {
	var where string
	if dirs := pluginDirs(); len(dirs) > 0 {
		where = pjrt.PJRTPluginPathsEnv + "=" + strings.Join(dirs, ":")
	} else {
		home, _ := os.UserHomeDir()
		where = fmt.Sprintf("the default directories (%s, /usr/local/lib/go-xla, $LD_LIBRARY_PATH, /etc/ld.so.conf; %s is not set)",
			filepath.Join(home, ".local", "lib", "go-xla"), pjrt.PJRTPluginPathsEnv)
	}
	have := make([]string, 0, len(plugins))
	for p := range plugins {
		have = append(have, p)
	}
	slices.Sort(have)
	found := "none"
	if len(have) > 0 {
		found = strings.Join(have, ", ")
	}
	what := "no PJRT plugin"
	if name != "" {
		what = fmt.Sprintf("no PJRT plugin %q (pjrt_c_api_%s_plugin.so, pjrt-plugin-%s*.so or JAX's xla_%s_plugin.so)",
			name, name, name, name)
	}
	gpu := ""
	if pjrt.IsCUDAName(name) && !hasNvidiaDevice() {
		gpu = "; CUDA plugins are skipped here: no /dev/nvidia* device"
	}
	return fmt.Errorf("%s in %s; plugins found: %s%s; give the plugin's absolute path as -backend xla:/path/to/plugin.so (plugins are never downloaded)",
		what, where, found, gpu)
}

func hasNvidiaDevice() bool {
	m, _ := filepath.Glob("/dev/nvidia*")
	return len(m) > 0
}
