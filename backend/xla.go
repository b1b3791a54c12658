//go:build xla

package backend

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/go-xla/compute/xla"
	"github.com/gomlx/go-xla/pjrt"
)

// XLABuilt reports whether this binary includes the XLA (PJRT) backend.
const XLABuilt = true

func init() {
	xla.EnableAutoInstall(false) // never download plugins.
}

// checkPlugin verifies, before go-xla is asked, that the PJRT plugin named by opts
// ("cuda", "cpu", "/abs/path/plugin.so", optionally followed by ",option=value")
// exists, so a missing plugin is one line that says where we looked.
func checkPlugin(opts string) error {
	name, _, _ := strings.Cut(opts, ",")
	if filepath.IsAbs(name) {
		if _, err := os.Stat(name); err != nil {
			return fmt.Errorf("PJRT plugin %s: not found", name)
		}
		return nil
	}
	plugins := pjrt.AvailablePlugins()
	if name == "" && len(plugins) > 0 {
		return nil
	}
	for found := range plugins {
		if found == name || strings.HasPrefix(found, name+"_v") {
			return nil
		}
	}
	where := os.Getenv(pjrt.PJRTPluginPathsEnv)
	if where == "" {
		where = "the default library directories ($HOME/.local/lib/go-xla, /usr/local/lib/go-xla, LD_LIBRARY_PATH, ld.so.conf)"
	} else {
		where = pjrt.PJRTPluginPathsEnv + "=" + where
	}
	have := make([]string, 0, len(plugins))
	for p := range plugins {
		have = append(have, p)
	}
	return fmt.Errorf("no PJRT plugin %q (pjrt_c_api_%s_plugin.so or pjrt-plugin-%s*.so) in %s; found %v; give the plugin's absolute path as -backend xla:/path/to/plugin.so",
		name, name, name, where, have)
}
