package datasets

import (
	"fmt"
	"sync"
)

// Epochs slices a seeded order of N examples into training batches of Batch: batch
// step is the (step mod StepsPerEpoch)-th run of Batch examples of EpochOrder(Seed,
// step/StepsPerEpoch, N). The last partial batch of an epoch is dropped (those
// examples are seen in other epochs, whose order differs). Indices is a pure function
// of (Seed, N, Batch, step): a run resumed at step s sees the batches an uninterrupted
// one would have. Every training source of the datasets uses it.
//
// The order of the current epoch is cached, since a permutation of N is too much to
// redo for every batch. An Epochs is safe for concurrent use once its fields are set;
// it must not be copied after first use.
type Epochs struct {
	Seed     uint64
	N, Batch int
	cache    orderCache
}

// StepsPerEpoch returns N / Batch (0 when Batch is not positive).
func (e *Epochs) StepsPerEpoch() int {
	if e.Batch <= 0 {
		return 0
	}
	return e.N / e.Batch
}

// Indices returns the examples of batch step (>= 0): Batch indices in [0, N). It is an
// error when N holds no full batch.
func (e *Epochs) Indices(step int) ([]int, error) {
	return epochBatch(&e.cache, e.Seed, step, e.N, e.Batch)
}

// epochBatch is the one slicing of epoch orders into batches (Epochs and
// ImageBatcher).
func epochBatch(cache *orderCache, seed uint64, step, n, batch int) ([]int, error) {
	if batch <= 0 || n < batch {
		return nil, fmt.Errorf("datasets: %d examples, fewer than one batch of %d", n, batch)
	}
	if step < 0 {
		return nil, fmt.Errorf("datasets: negative step %d", step)
	}
	per := n / batch
	order := cache.get(seed, step/per, n)
	return order[(step%per)*batch : (step%per+1)*batch], nil
}

// orderCache holds EpochOrder of the last epoch asked.
type orderCache struct {
	mu    sync.Mutex
	key   orderKey
	order []int
}

// orderKey identifies a cached epoch order.
type orderKey struct {
	seed     uint64
	epoch, n int
}

// get returns EpochOrder(seed, epoch, n), cached. The returned slice is never written
// after it is cached, so callers may read it without the lock.
func (c *orderCache) get(seed uint64, epoch, n int) []int {
	key := orderKey{seed, epoch, n}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.order == nil || c.key != key {
		c.order = EpochOrder(seed, epoch, n)
		c.key = key
	}
	return c.order
}
