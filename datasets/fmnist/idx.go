package fmnist

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// IDX magic numbers: two zero bytes, the element type (0x08 = unsigned byte) and
// the number of dimensions.
const (
	magicImages = 0x00000803 // [N, rows, cols] uint8
	magicLabels = 0x00000801 // [N] uint8
	dtypeUint8  = 0x08
)

// maxPayload bounds the payload a header may announce (1 GiB, 20 times the
// Fashion-MNIST train images), so a corrupt header cannot ask for a huge buffer.
const maxPayload = 1 << 30

// ReadIDX reads an IDX file of unsigned bytes, raw or gzip-compressed (told by
// the gzip magic bytes 1f 8b), and returns its dimensions and payload: data has
// exactly prod(dims) bytes in row-major order. Only the two layouts Fashion-MNIST
// uses are accepted: magic 0x00000803 (3 dimensions, images) and 0x00000801
// (1 dimension, labels). name is used in error messages.
func ReadIDX(r io.Reader, name string) (dims []int, data []uint8, err error) {
	br := bufio.NewReader(r)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("fmnist: %s: gzip: %v", name, err)
		}
		defer zr.Close()
		// The gzip checksum is checked at the end of the stream; readPayload reads
		// up to there, so corruption surfaces as an error.
		return readIDX(zr, name+" (gzip)")
	}
	return readIDX(br, name)
}

// readIDX parses an uncompressed IDX stream.
func readIDX(r io.Reader, name string) ([]int, []uint8, error) {
	var hdr [4]byte
	if n, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, nil, fmt.Errorf("fmnist: %s: truncated header: %d bytes, want 4 (%v)", name, n, err)
	}
	magic := binary.BigEndian.Uint32(hdr[:])
	if hdr[0] != 0 || hdr[1] != 0 {
		return nil, nil, fmt.Errorf("fmnist: %s: bad magic number %#08x: not an IDX file", name, magic)
	}
	if hdr[2] != dtypeUint8 {
		return nil, nil, fmt.Errorf("fmnist: %s: element type %#02x, want %#02x (unsigned byte)", name, hdr[2], dtypeUint8)
	}
	if magic != magicImages && magic != magicLabels {
		return nil, nil, fmt.Errorf("fmnist: %s: magic %#08x has %d dimensions, want %#08x (images, 3) or %#08x (labels, 1)",
			name, magic, hdr[3], magicImages, magicLabels)
	}
	nd := int(hdr[3])
	sizes := make([]byte, 4*nd)
	if n, err := io.ReadFull(r, sizes); err != nil {
		return nil, nil, fmt.Errorf("fmnist: %s: truncated header: %d of %d dimension bytes (%v)", name, n, len(sizes), err)
	}
	dims := make([]int, nd)
	want := 1
	for i := range dims {
		d := binary.BigEndian.Uint32(sizes[4*i:])
		if d > maxPayload {
			return nil, nil, fmt.Errorf("fmnist: %s: dimension %d is %d, over the %d limit", name, i, d, maxPayload)
		}
		dims[i] = int(d)
		want *= dims[i]
		if want > maxPayload {
			return nil, nil, fmt.Errorf("fmnist: %s: dimensions %v announce over %d bytes", name, dims[:i+1], maxPayload)
		}
	}
	data, err := readPayload(r, want, name)
	if err != nil {
		return nil, nil, err
	}
	return dims, data, nil
}

// readPayload reads exactly want bytes and then checks that the stream ends
// there. The buffer grows with the data actually read, so a header that lies
// about the size costs no more memory than the file holds.
func readPayload(r io.Reader, want int, name string) ([]uint8, error) {
	data := make([]uint8, 0, min(want, 64<<20))
	for len(data) < want {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		end := min(cap(data), want)
		n, err := r.Read(data[len(data):end])
		data = data[:len(data)+n]
		if len(data) == want && errors.Is(err, io.EOF) {
			return data, nil
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("fmnist: %s: truncated: %d payload bytes, want %d", name, len(data), want)
		}
		if err != nil {
			return nil, fmt.Errorf("fmnist: %s: after %d payload bytes: %v", name, len(data), err)
		}
	}
	var extra [1]byte
	for {
		n, err := r.Read(extra[:])
		if n > 0 {
			return nil, fmt.Errorf("fmnist: %s: trailing data after the %d payload bytes", name, want)
		}
		if errors.Is(err, io.EOF) {
			return data, nil
		}
		if err != nil {
			return nil, fmt.Errorf("fmnist: %s: after the payload: %v", name, err)
		}
	}
}
