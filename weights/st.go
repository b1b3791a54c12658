package weights

import (
	"io"

	"github.com/mmdna/mmdna/weights/safetensors"
)

// stSource reads tensors from a validated safetensors file.
type stSource struct{ *safetensors.File }

// Shape implements source.
func (s stSource) Shape(name string) ([]int, bool) {
	info, ok := s.Info(name)
	if !ok {
		return nil, false
	}
	return info.Shape, true
}

// openSource opens a safetensors file; its header is fully validated before any
// tensor is read.
func openSource(path string) (source, io.Closer, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, nil, err
	}
	return stSource{f}, f, nil
}
