// Package simdguard works around a bug of Go 1.27.3's experimental simd package, which
// GoMLX's pure-Go backend uses for its element-wise kernels: the "Part" loads
// (archsimd.LoadFloat32x16Part and its kin, used for the tail of a row shorter than a
// vector) load a whole vector and mask it afterwards, instead of a masked load, so they
// read up to 60 bytes past the end of the slice. When a buffer ends exactly at the end
// of the heap memory Go has mapped so far (a tensor of a multiple of 8 KiB, the last
// allocation of a heap growth), that read faults: SIGSEGV in
// simdV2V1AddFloat32@simd512, seen about once in 8 runs of a test that adds a width-8
// bias to a [8192, 8] activation.
//
// The guard makes the Go heap map 1 GiB once at start-up and frees it: Go keeps freed
// heap memory mapped (it only returns the pages to the OS with madvise), and it
// allocates from the lowest free addresses first, so while the program's heap stays
// below that size, no buffer ends at the edge of mapped memory. The 1 GiB is never
// touched, so it costs address space, not memory. Its effect is argued, not measured:
// the fault is too rare (1 run in 40 to 100 of that test here) to show a difference in
// a few hundred runs. The backend and the tests' backend import it.
package simdguard

import "runtime"

// reserveBytes is how much heap the guard maps ahead.
const reserveBytes = 1 << 30

func init() {
	b := make([]byte, reserveBytes)
	runtime.KeepAlive(b)
	b = nil
	runtime.GC() // frees it now; the mapping stays.
}
