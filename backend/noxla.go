//go:build !xla

package backend

// XLABuilt reports whether this binary includes the XLA (PJRT) backend.
const XLABuilt = false

// resolvePlugin is never reached without XLA: New refuses "xla" first.
func resolvePlugin(opts string) (string, error) { return opts, nil }
