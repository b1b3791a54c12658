//go:build !goexperiment.simd

package backend

// SIMD reports whether the binary was built with GOEXPERIMENT=simd, which the go
// backend's fast matrix-product kernels need.
const SIMD = false
