// Package cache is an in-process TTL cache over ristretto with an expiry
// callback, used for Nitrado server details.
//
// It is a cache only, never a source of truth: ristretto buffers writes and
// its admission policy may drop or reject any Set, so a Get right after a
// Set can miss. Callers treat a miss as "read through to the real source"
// (see GetOrLoad); a dropped Set only costs one extra load later.
package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/ristretto/v2"
)

// Defaults for zero Options fields.
const (
	DefaultTTL          = 5 * time.Minute
	DefaultMaxCost      = 10_000 // entries, with the default cost of 1
	DefaultExpireBuffer = 256
)

// Options configures New. The zero value is usable.
type Options[K ristretto.Key, V any] struct {
	// MaxCost is the capacity in cost units; 0 means DefaultMaxCost.
	MaxCost int64
	// TTL applies to Set; 0 means DefaultTTL.
	TTL time.Duration
	// Cost returns an entry's cost; nil means 1 per entry.
	Cost func(V) int64
	// NumCounters sizes the admission sketch; 0 means 10×MaxCost, capped
	// at 1<<20 (ristretto's advice is 10× the expected number of entries).
	NumCounters int64
	// OnExpire is called with each entry whose TTL ran out. Entries evicted
	// for capacity, deleted, or cleared on Close are not reported. Calls
	// run one at a time on a goroutine owned by the cache, so a slow
	// callback delays later notifications but never blocks the cache.
	// ristretto sweeps expired entries in 5-second buckets, so a call may
	// come up to about 5 s after the TTL.
	OnExpire func(K, V)
	// ExpireBuffer bounds notifications waiting for OnExpire; when it is
	// full further expiries are dropped and counted (ExpiriesDropped).
	// 0 means DefaultExpireBuffer.
	ExpireBuffer int
}

// entry carries the key next to the value because ristretto only hands
// eviction callbacks the key's hash.
type entry[K ristretto.Key, V any] struct {
	key K
	val V
}

// Cache is a TTL cache. It is safe for concurrent use.
type Cache[K ristretto.Key, V any] struct {
	ttl      time.Duration
	cost     func(V) int64
	onExpire func(K, V)

	// mu guards closed: ristretto panics if Set races with Close.
	mu     sync.RWMutex
	closed bool
	rc     *ristretto.Cache[K, entry[K, V]]

	expired chan entry[K, V]
	done    chan struct{}
	wg      sync.WaitGroup
	dropped atomic.Uint64
}

// New returns a started cache; Close stops its goroutines.
func New[K ristretto.Key, V any](opts Options[K, V]) (*Cache[K, V], error) {
	if opts.MaxCost < 0 || opts.TTL < 0 || opts.NumCounters < 0 || opts.ExpireBuffer < 0 {
		return nil, errors.New("cache: new: negative option")
	}
	if opts.MaxCost == 0 {
		opts.MaxCost = DefaultMaxCost
	}
	if opts.TTL == 0 {
		opts.TTL = DefaultTTL
	}
	if opts.Cost == nil {
		opts.Cost = func(V) int64 { return 1 }
	}
	if opts.NumCounters == 0 {
		opts.NumCounters = min(max(10*opts.MaxCost, 100), 1<<20)
	}
	if opts.ExpireBuffer == 0 {
		opts.ExpireBuffer = DefaultExpireBuffer
	}
	c := &Cache[K, V]{
		ttl:      opts.TTL,
		cost:     opts.Cost,
		onExpire: opts.OnExpire,
		expired:  make(chan entry[K, V], opts.ExpireBuffer),
		done:     make(chan struct{}),
	}
	rc, err := ristretto.NewCache(&ristretto.Config[K, entry[K, V]]{
		NumCounters:            opts.NumCounters,
		MaxCost:                opts.MaxCost,
		BufferItems:            64, // ristretto's recommended value
		IgnoreInternalCost:     true,
		TtlTickerDurationInSec: 1,
		OnEvict:                c.evicted,
	})
	if err != nil {
		return nil, fmt.Errorf("cache: new: %w", err)
	}
	c.rc = rc
	if c.onExpire != nil {
		c.wg.Go(c.dispatch)
	}
	return c, nil
}

// isExpiry tells a TTL expiry from a capacity eviction: ristretto's TTL
// sweep passes the stored expiration, capacity victims carry none.
func isExpiry(expiration, now time.Time) bool {
	return !expiration.IsZero() && !expiration.After(now)
}

// evicted runs on ristretto's goroutine and must not block.
func (c *Cache[K, V]) evicted(it *ristretto.Item[entry[K, V]]) {
	if c.onExpire == nil || !isExpiry(it.Expiration, time.Now()) {
		return
	}
	select {
	case <-c.done:
		return
	default:
	}
	select {
	case c.expired <- it.Value:
	default:
		c.dropped.Add(1)
	}
}

func (c *Cache[K, V]) dispatch() {
	for {
		select {
		case <-c.done:
			return
		case e := <-c.expired:
			c.onExpire(e.key, e.val)
		}
	}
}

// Get returns the value for k if it is cached and not expired.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		var zero V
		return zero, false
	}
	e, ok := c.rc.Get(k)
	return e.val, ok
}

// Set caches v under k for the default TTL. It returns false when the write
// was dropped at once; true does not promise that a Get will see it, as the
// admission policy may still reject it. Either way callers just fall
// through to the source on a later miss.
func (c *Cache[K, V]) Set(k K, v V) bool { return c.SetWithTTL(k, v, c.ttl) }

// SetWithTTL is Set with its own TTL; ttl <= 0 means the default TTL.
func (c *Cache[K, V]) SetWithTTL(k K, v V, ttl time.Duration) bool {
	if ttl <= 0 {
		ttl = c.ttl
	}
	// A []byte key is copied so the callback reports what was set even if
	// the caller reuses its buffer.
	if b, ok := any(k).([]byte); ok {
		k = any(bytes.Clone(b)).(K)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return false
	}
	return c.rc.SetWithTTL(k, entry[K, V]{key: k, val: v}, c.cost(v), ttl)
}

// Del removes k. It does not trigger OnExpire.
func (c *Cache[K, V]) Del(k K) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.closed {
		c.rc.Del(k)
	}
}

// Wait blocks until buffered writes are applied. Tests use it; production
// code must not rely on read-after-write anyway.
func (c *Cache[K, V]) Wait() {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.closed {
		c.rc.Wait()
	}
}

// GetOrLoad returns the cached value for k, or calls load, caches its
// result (best effort) and returns it. load's error is returned as is and
// nothing is cached. It works the same when the cache drops every Set, and
// after Close: only the number of load calls changes. Concurrent misses on
// one key each call load.
func (c *Cache[K, V]) GetOrLoad(ctx context.Context, k K, load func(context.Context) (V, error)) (V, error) {
	if v, ok := c.Get(k); ok {
		return v, nil
	}
	v, err := load(ctx)
	if err != nil {
		var zero V
		return zero, err
	}
	c.Set(k, v)
	return v, nil
}

// ExpiriesDropped counts expiry notifications lost because OnExpire fell
// behind by more than ExpireBuffer entries.
func (c *Cache[K, V]) ExpiriesDropped() uint64 { return c.dropped.Load() }

// Close stops the cache's goroutines, waiting for a running OnExpire call
// to return. Later calls are no-ops; Get then misses and Set returns false.
func (c *Cache[K, V]) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	close(c.done) // before rc.Close, whose Clear evicts every entry
	c.rc.Close()
	c.mu.Unlock()
	c.wg.Wait()
}
