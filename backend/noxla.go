//go:build !xla

package backend

// XLABuilt reports whether this binary includes the XLA (PJRT) backend.
const XLABuilt = false

func checkPlugin(string) error { return nil }
