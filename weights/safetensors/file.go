package safetensors

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"unsafe"
)

// chunkBytes is the size of the buffer that converting reads go through: big enough for
// few system calls, small enough not to count next to the destination buffers.
const chunkBytes = 64 << 10

// littleEndian is true on little-endian hosts, where F32 and F64 tensors are read
// straight into the caller's slice.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// File is an opened safetensors file whose header and layout have been validated. Its
// methods may be called from several goroutines at once.
type File struct {
	name      string // as given to Open, for error messages
	r         io.ReaderAt
	closer    io.Closer
	dataStart int64        // offset of the data buffer in the file: 8 + header length
	infos     []TensorInfo // sorted by name
	index     map[string]int
	metadata  map[string]string
}

// Open opens the safetensors file at path and validates its header and layout (see
// ParseHeader); it reads no tensor data. Close the File when done.
func Open(path string) (*File, error) {
	osf, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the message names the file already
		}
		return nil, fmt.Errorf("safetensors %s: %w", path, err)
	}
	st, err := osf.Stat()
	if err == nil && st.IsDir() {
		err = errors.New("is a directory")
	}
	if err != nil {
		osf.Close()
		return nil, fmt.Errorf("safetensors %s: %w", path, err)
	}
	f, err := OpenReader(osf, st.Size(), path)
	if err != nil {
		osf.Close()
		return nil, err
	}
	f.closer = osf
	return f, nil
}

// OpenReader is Open for a file held by r (a *bytes.Reader, an embedded file, ...) of
// size bytes; name stands for it in error messages. Close is a no-op for it.
func OpenReader(r io.ReaderAt, size int64, name string) (*File, error) {
	f := &File{name: name, r: r}
	if size < 8 {
		return nil, f.errorf("file is %d bytes, shorter than the 8-byte header length", size)
	}
	var lenBuf [8]byte
	if err := f.readAt(lenBuf[:], 0); err != nil {
		return nil, f.errorf("reading the header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	switch {
	case n == 0:
		return nil, f.errorf("header length is 0")
	case n > MaxHeaderSize:
		return nil, f.errorf("header length %d is over the limit of %d bytes", n, MaxHeaderSize)
	case n > uint64(size-8):
		return nil, f.errorf("header length %d goes beyond the end of the file (%d bytes)", n, size)
	}
	header := make([]byte, n)
	if err := f.readAt(header, 8); err != nil {
		return nil, f.errorf("reading the header: %w", err)
	}
	f.dataStart = 8 + int64(n)
	infos, metadata, err := ParseHeader(header, size-f.dataStart)
	if err != nil {
		return nil, f.errorf("%w", err)
	}
	f.infos, f.metadata = infos, metadata
	f.index = make(map[string]int, len(infos))
	for i, t := range infos {
		f.index[t.Name] = i
	}
	return f, nil
}

// errorf returns an error that starts with "safetensors NAME: ".
func (f *File) errorf(format string, args ...any) error {
	return fmt.Errorf("safetensors %s: %w", f.name, fmt.Errorf(format, args...))
}

// readAt fills p from offset off of the file; a short read is an error.
func (f *File) readAt(p []byte, off int64) error {
	n, err := f.r.ReadAt(p, off)
	if n == len(p) {
		return nil // io.ReaderAt may report io.EOF along with a full read at the end
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// Close closes the underlying file.
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	return f.closer.Close()
}

// Names returns the tensor names, sorted.
func (f *File) Names() []string {
	names := make([]string, len(f.infos))
	for i, t := range f.infos {
		names[i] = t.Name
	}
	return names
}

// Tensors returns the description of every tensor, sorted by name.
func (f *File) Tensors() []TensorInfo {
	out := make([]TensorInfo, len(f.infos))
	for i, t := range f.infos {
		t.Shape = append([]int(nil), t.Shape...)
		out[i] = t
	}
	return out
}

// Info returns the description of the tensor called name.
func (f *File) Info(name string) (TensorInfo, bool) {
	i, ok := f.index[name]
	if !ok {
		return TensorInfo{}, false
	}
	t := f.infos[i]
	t.Shape = append([]int(nil), t.Shape...)
	return t, true
}

// Metadata returns a copy of the header's "__metadata__" (nil if it has none).
func (f *File) Metadata() map[string]string { return maps.Clone(f.metadata) }

// lookup returns the tensor called name or an error that names it.
func (f *File) lookup(name string) (TensorInfo, error) {
	i, ok := f.index[name]
	if !ok {
		return TensorInfo{}, f.errorf("no tensor %q", name)
	}
	return f.infos[i], nil
}

// ReadRaw reads the bytes of the tensor called name, exactly as stored (little-endian),
// into dst, whose length must be the tensor's byte length.
func (f *File) ReadRaw(name string, dst []byte) error {
	t, err := f.lookup(name)
	if err != nil {
		return err
	}
	if int64(len(dst)) != t.End-t.Begin {
		return f.errorf("tensor %q holds %d bytes, the buffer %d", name, t.End-t.Begin, len(dst))
	}
	if err := f.readAt(dst, f.dataStart+t.Begin); err != nil {
		return f.errorf("tensor %q: %w", name, err)
	}
	return nil
}

// ReadFloat32 reads the tensor called name into dst, whose length must be its number of
// elements, converting F16, BF16 and F64 to float32 (F64 rounds to nearest).
func (f *File) ReadFloat32(name string, dst []float32) error {
	return readFloats(f, name, dst, F32)
}

// ReadFloat64 reads the tensor called name into dst, whose length must be its number of
// elements, converting F16, BF16 and F32 to float64 (exactly).
func (f *File) ReadFloat64(name string, dst []float64) error {
	return readFloats(f, name, dst, F64)
}

// readFloats reads a float tensor into dst ([]float32 when native is F32, []float64 when
// F64): straight into dst when the stored dtype is native, otherwise through a chunk
// buffer of chunkBytes, so no copy of the whole tensor is ever held.
func readFloats[T float32 | float64](f *File, name string, dst []T, native DType) error {
	t, err := f.lookup(name)
	if err != nil {
		return err
	}
	if !t.DType.IsFloat() {
		return f.errorf("tensor %q is %s, not a float dtype (F16, BF16, F32, F64)", name, t.DType)
	}
	if len(dst) != t.Elements() {
		return f.errorf("tensor %q has %d elements (shape %s), the buffer %d",
			name, t.Elements(), shapeString(t.Shape), len(dst))
	}
	if len(dst) == 0 {
		return nil
	}
	if t.DType == native && littleEndian {
		raw := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), len(dst)*native.Size())
		return f.ReadRaw(name, raw)
	}
	size := t.DType.Size()
	chunk := make([]byte, min(chunkBytes/size, len(dst))*size)
	for i := 0; i < len(dst); {
		n := min(len(chunk)/size, len(dst)-i)
		buf := chunk[:n*size]
		if err := f.readAt(buf, f.dataStart+t.Begin+int64(i*size)); err != nil {
			return f.errorf("tensor %q: %w", name, err)
		}
		decodeFloats(dst[i:i+n], buf, t.DType)
		i += n
	}
	return nil
}

// CheckNames compares the file's tensors with want, the names a model expects, and
// returns an error that lists the missing and the unexpected names (sorted, at most
// maxListed of each) if the two sets differ.
func (f *File) CheckNames(want []string) error {
	wantSet := make(map[string]bool, len(want))
	var missing, unexpected []string
	for _, n := range want {
		if wantSet[n] {
			continue
		}
		wantSet[n] = true
		if _, ok := f.index[n]; !ok {
			missing = append(missing, n)
		}
	}
	for _, t := range f.infos {
		if !wantSet[t.Name] {
			unexpected = append(unexpected, t.Name)
		}
	}
	if len(missing) == 0 && len(unexpected) == 0 {
		return nil
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, fmt.Sprintf("%d missing tensors %s", len(missing), listNames(missing)))
	}
	if len(unexpected) > 0 {
		parts = append(parts, fmt.Sprintf("%d unexpected tensors %s", len(unexpected), listNames(unexpected)))
	}
	return f.errorf("%s", strings.Join(parts, ", "))
}

// maxListed bounds the names an error lists, so that a wholly wrong file gives a
// readable line.
const maxListed = 10

// listNames formats names (sorted) as ["a" "b" ...], the first maxListed of them.
func listNames(names []string) string {
	names = slices.Sorted(slices.Values(names))
	var b strings.Builder
	b.WriteByte('[')
	for i, n := range names {
		if i == maxListed {
			fmt.Fprintf(&b, " ... %d more", len(names)-maxListed)
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%q", n)
	}
	b.WriteByte(']')
	return b.String()
}
