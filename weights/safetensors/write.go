package safetensors

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Entry is one tensor to write. Its bytes (little-endian, row-major, shape x dtype size
// of them) come from Data or, to stream a tensor without a copy, from WriteTo, which
// must write exactly that many bytes; set one of the two (neither for an empty tensor).
type Entry struct {
	Name    string
	DType   DType
	Shape   []int // nil or empty for a scalar
	Data    []byte
	WriteTo func(w io.Writer) error
}

// FloatEntry returns an Entry that writes values (len = the product of shape) as dtype
// F16, BF16, F32 or F64, converting in chunks while the file is written (F16 and BF16
// round to nearest even).
func FloatEntry(name string, dtype DType, shape []int, values []float32) Entry {
	return Entry{Name: name, DType: dtype, Shape: shape, WriteTo: func(w io.Writer) error {
		if !dtype.IsFloat() {
			return fmt.Errorf("FloatEntry writes F16, BF16, F32 or F64, not %s", dtype)
		}
		if n := (TensorInfo{Shape: shape}).Elements(); n != len(values) {
			return fmt.Errorf("FloatEntry has %d values for shape %s (%d elements)", len(values), shapeString(shape), n)
		}
		if len(values) == 0 {
			return nil
		}
		if dtype == F32 && littleEndian {
			_, err := w.Write(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(values))), 4*len(values)))
			return err
		}
		size := dtype.Size()
		chunk := make([]byte, min(chunkBytes/size, len(values))*size)
		for i := 0; i < len(values); {
			n := min(len(chunk)/size, len(values)-i)
			encodeFloats(chunk[:n*size], values[i:i+n], dtype)
			if _, err := w.Write(chunk[:n*size]); err != nil {
				return err
			}
			i += n
		}
		return nil
	}}
}

// Write writes entries and metadata (nil for none) to the safetensors file at path, laid
// out as the Rust reference lays them out: header padded with spaces to a multiple of 8,
// tensors sorted by descending dtype alignment, then by name. It validates every entry
// before it creates anything, streams the data through a temporary file in the same
// directory, syncs it and renames it into place, so path is never left half written.
func Write(path string, entries []Entry, metadata map[string]string) (err error) {
	fail := func(err error) error { return fmt.Errorf("safetensors %s: %w", path, err) }
	p, err := prepare(entries, metadata)
	if err != nil {
		return fail(err)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fail(err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err = p.write(bw); err != nil {
		return fail(err)
	}
	if err = bw.Flush(); err != nil {
		return fail(err)
	}
	if err = tmp.Chmod(0o644); err != nil { // CreateTemp's 0600 would hide the weights from others
		return fail(err)
	}
	if err = tmp.Sync(); err != nil {
		return fail(err)
	}
	if err = tmp.Close(); err != nil {
		return fail(err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fail(err)
	}
	if d, derr := os.Open(dir); derr == nil { // make the rename durable; best effort
		d.Sync()
		d.Close()
	}
	return nil
}

// Encode writes entries and metadata as a safetensors file to w, exactly as Write lays
// it out. It validates every entry before writing anything; an error from a WriteTo
// leaves w with a partial file.
func Encode(w io.Writer, entries []Entry, metadata map[string]string) error {
	p, err := prepare(entries, metadata)
	if err == nil {
		err = p.write(w)
	}
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// prepared is a validated file ready to be written: its padded header and the entries
// in layout order with their byte lengths.
type prepared struct {
	header  []byte
	entries []Entry
	sizes   []int64
}

// prepare validates entries and metadata, lays the entries out and builds the header.
func prepare(entries []Entry, metadata map[string]string) (*prepared, error) {
	seen := make(map[string]bool, len(entries))
	sizes := make(map[string]int64, len(entries))
	for _, e := range entries {
		if err := checkEntry(e); err != nil {
			return nil, err
		}
		if seen[e.Name] {
			return nil, fmt.Errorf("tensor %q is given twice", e.Name)
		}
		seen[e.Name] = true
		n, ok := byteSize(e.DType, e.Shape)
		if !ok {
			return nil, fmt.Errorf("tensor %q: shape %s of %s overflows int64 bytes", e.Name, shapeString(e.Shape), e.DType)
		}
		if e.WriteTo == nil && int64(len(e.Data)) != n {
			return nil, fmt.Errorf("tensor %q: Data has %d bytes, shape %s of %s needs %d",
				e.Name, len(e.Data), shapeString(e.Shape), e.DType, n)
		}
		sizes[e.Name] = n
	}
	for k, v := range metadata {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, fmt.Errorf("%s %q is not valid UTF-8", metadataKey, k)
		}
	}
	p := &prepared{entries: slices.Clone(entries)}
	slices.SortFunc(p.entries, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(dtypeRank[b.DType], dtypeRank[a.DType]), strings.Compare(a.Name, b.Name))
	})
	var h bytes.Buffer
	h.WriteByte('{')
	if len(metadata) > 0 {
		appendJSONString(&h, metadataKey)
		h.WriteString(":{")
		for i, k := range slices.Sorted(maps.Keys(metadata)) {
			if i > 0 {
				h.WriteByte(',')
			}
			appendJSONString(&h, k)
			h.WriteByte(':')
			appendJSONString(&h, metadata[k])
		}
		h.WriteByte('}')
	}
	var offset int64
	for i, e := range p.entries {
		if i > 0 || len(metadata) > 0 {
			h.WriteByte(',')
		}
		n := sizes[e.Name]
		appendJSONString(&h, e.Name)
		dims := make([]string, len(e.Shape))
		for j, d := range e.Shape {
			dims[j] = strconv.Itoa(d)
		}
		fmt.Fprintf(&h, `:{"dtype":"%s","shape":[%s],"data_offsets":[%d,%d]}`, e.DType, strings.Join(dims, ","), offset, offset+n)
		offset += n
		p.sizes = append(p.sizes, n)
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	if h.Len() > MaxHeaderSize {
		return nil, fmt.Errorf("header of %d bytes is over the limit of %d", h.Len(), MaxHeaderSize)
	}
	p.header = h.Bytes()
	return p, nil
}

// checkEntry checks one entry on its own: name, dtype, shape and where its bytes come
// from.
func checkEntry(e Entry) error {
	switch {
	case e.Name == metadataKey:
		return fmt.Errorf("tensor name %q is reserved for the metadata", e.Name)
	case !utf8.ValidString(e.Name):
		return fmt.Errorf("tensor name %q is not valid UTF-8", e.Name)
	case !e.DType.Valid():
		return fmt.Errorf("tensor %q: unknown dtype %q", e.Name, e.DType)
	case e.Data != nil && e.WriteTo != nil:
		return fmt.Errorf("tensor %q has both Data and WriteTo", e.Name)
	}
	for _, d := range e.Shape {
		if d < 0 {
			return fmt.Errorf("tensor %q: shape %s has a negative dimension", e.Name, shapeString(e.Shape))
		}
	}
	return nil
}

// appendJSONString appends s as a JSON string, without the HTML escapes of
// json.Marshal (the reference writes <, > and & as they are).
func appendJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a valid UTF-8 string always encodes
	b.Truncate(b.Len() - 1)
}

// write writes the length, the header and every entry's bytes to w.
func (p *prepared) write(w io.Writer) error {
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(p.header)))
	if _, err := w.Write(lenBuf[:]); err != nil {
		return err
	}
	if _, err := w.Write(p.header); err != nil {
		return err
	}
	for i, e := range p.entries {
		if e.WriteTo == nil {
			if _, err := w.Write(e.Data); err != nil {
				return err
			}
			continue
		}
		cw := &countingWriter{w: w}
		if err := e.WriteTo(cw); err != nil {
			return fmt.Errorf("tensor %q: %w", e.Name, err)
		}
		if cw.n != p.sizes[i] {
			return fmt.Errorf("tensor %q: WriteTo wrote %d bytes, shape %s of %s needs %d",
				e.Name, cw.n, shapeString(e.Shape), e.DType, p.sizes[i])
		}
	}
	return nil
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

// Write implements io.Writer.
func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
