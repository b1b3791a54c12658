// Package testbackend gives tests and benchmarks the pure-Go backend, created once per
// test binary: the CI tier runs on it (GOMLX_BACKEND=go), and it needs no plugin.
package testbackend

import (
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
)

// Go returns the shared pure-Go backend; it panics if the backend cannot be created,
// which only a broken build can cause.
var Go = sync.OnceValue(func() compute.Backend {
	b, err := gobackend.New("")
	if err != nil {
		panic(err)
	}
	return b
})
