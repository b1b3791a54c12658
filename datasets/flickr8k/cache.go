package flickr8k

import (
	"container/list"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// lru is an in-memory cache of decoded and resized images, bounded in bytes. Cached
// slices are shared: callers must not modify them.
type lru struct {
	mu       sync.Mutex
	capacity int64 // bytes
	used     int64
	order    *list.List // front = most recently used; values are *lruEntry
	entries  map[string]*list.Element
}

type lruEntry struct {
	key string
	pix []uint8
}

func newLRU(capacity int64) *lru {
	return &lru{capacity: capacity, order: list.New(), entries: map[string]*list.Element{}}
}

func (c *lru) get(key string) ([]uint8, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*lruEntry).pix, true
}

func (c *lru) put(key string, pix []uint8) {
	size := int64(len(pix))
	if size > c.capacity {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		c.order.MoveToFront(e)
		return
	}
	for c.used+size > c.capacity {
		last := c.order.Back()
		old := last.Value.(*lruEntry)
		c.order.Remove(last)
		delete(c.entries, old.key)
		c.used -= int64(len(old.pix))
	}
	c.entries[key] = c.order.PushFront(&lruEntry{key: key, pix: pix})
	c.used += size
}

// len returns the number of cached images.
func (c *lru) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// diskCache keeps resized images as raw [size, size, 3] bytes in dir/<size>/<name>.rgb,
// so that a second run skips JPEG decoding. Delete the directory when the images change.
type diskCache struct {
	dir  string
	size int
}

func newDiskCache(dir string, size int) (*diskCache, error) {
	d := filepath.Join(dir, fmt.Sprint(size))
	if err := os.MkdirAll(d, 0o755); err != nil {
		return nil, fmt.Errorf("flickr8k: cache directory: %w", err)
	}
	return &diskCache{dir: d, size: size}, nil
}

func (d *diskCache) path(name string) string { return filepath.Join(d.dir, name+".rgb") }

// get returns the cached image, or false when it is absent or not of the right length.
func (d *diskCache) get(name string) ([]uint8, bool) {
	pix, err := os.ReadFile(d.path(name))
	if err != nil || len(pix) != d.size*d.size*3 {
		return nil, false
	}
	return pix, true
}

// put writes an image atomically (temporary file + rename).
func (d *diskCache) put(name string, pix []uint8) error {
	tmp, err := os.CreateTemp(d.dir, "."+name+".tmp*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(pix)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), d.path(name))
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}
