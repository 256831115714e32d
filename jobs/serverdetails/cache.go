package serverdetails

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/blissark/bliss/app/nitrado"
)

// Source is the part of the Nitrado API the cache uses. *nitrado.Client
// satisfies it.
type Source interface {
	Gameserver(ctx context.Context, serviceID int64) (*nitrado.Gameserver, error)
	Ping(ctx context.Context) error
}

// StaleEntry is one persisted last good copy.
type StaleEntry struct {
	Key     string
	Value   []byte
	SavedAt time.Time
}

// StaleStore keeps the last good copy of each server's details without TTL
// (app wires the bbolt state store).
type StaleStore interface {
	PutStale(kind, key string, value []byte, savedAt time.Time) error
	Stale(kind, key string) (StaleEntry, bool, error)
	StaleAll(kind string) ([]StaleEntry, error)
	DeleteStale(kind, key string) error
}

// The Nitrado client satisfies Source directly.
var _ Source = (*nitrado.Client)(nil)

// StaleKind is the stale-store kind the cache writes under; keys are
// decimal service ids.
const StaleKind = "server_details"

// Health states, the same words app uses in /healthz.
const (
	StateOK       = "ok"
	StateDegraded = "degraded"
)

// Defaults for zero Options fields.
const (
	DefaultTTL          = 5 * time.Minute
	DefaultRetryMax     = 4
	DefaultRetryWaitMin = 2 * time.Second
	DefaultRetryWaitMax = time.Minute
	DefaultPingInterval = 5 * time.Minute
	DefaultFetchTimeout = 2 * time.Minute
)

// Options configures New. Source and Stale are required; zero values select
// the defaults.
type Options struct {
	// Source is the Nitrado API, normally the shared *nitrado.Client.
	Source Source
	// Stale is the stale store (bbolt in production).
	Stale StaleStore
	// NewMem builds the in-memory TTL cache (app wires storage/cache over
	// ristretto); onExpire must be called when an entry expires. nil selects
	// a plain map without expiry callbacks (the refresh ticker still keeps
	// entries fresh).
	NewMem func(ttl time.Duration, onExpire func(int64, Details)) (MemCache, error)
	// TTL of a fetched entry in the in-memory cache; DefaultTTL when 0.
	TTL time.Duration
	// RefreshInterval is the period of the cache's own refresh ticker, which
	// refreshes every tracked server whose details are (nearly) TTL old. It
	// backs up the expiry callback: ristretto sweeps expired entries in
	// coarse buckets (a callback may come seconds late), drops expiry
	// notifications when the callback falls behind, and may not have
	// admitted an entry at all (a dropped Set never expires). 0 means TTL.
	RefreshInterval time.Duration
	// RetryMax is the number of retries of a failed background refresh
	// before Nitrado is declared degraded; 0 means DefaultRetryMax, a
	// negative value means no retries.
	RetryMax int
	// RetryWaitMin/Max bound the exponential backoff between retries
	// (min, 2×min, 4×min, ... capped at max). Defaults DefaultRetryWaitMin
	// and DefaultRetryWaitMax.
	RetryWaitMin time.Duration
	RetryWaitMax time.Duration
	// PingInterval is how often GET /ping is polled while degraded;
	// DefaultPingInterval when 0.
	PingInterval time.Duration
	// FetchTimeout bounds one Source call (which may itself retry);
	// DefaultFetchTimeout when 0.
	FetchTimeout time.Duration
	// Now stamps SavedAt and health transitions; nil means time.Now.
	// Timers always use package time (tests run in a synctest bubble).
	Now func() time.Time
	// Logger receives refresh, degradation and recovery records; nil
	// discards. No record carries a token or an RCON password.
	Logger *slog.Logger
}

// MemCache is the in-memory TTL cache (storage/cache over ristretto in
// production).
type MemCache interface {
	Get(k int64) (Details, bool)
	Set(k int64, v Details) bool
	Del(k int64)
	ExpiriesDropped() uint64
	Close()
}

// mapCache is the MemCache used without Options.NewMem: no TTL, no
// expiry callbacks.
type mapCache struct {
	mu sync.Mutex
	m  map[int64]Details
}

func newMapCache(time.Duration, func(int64, Details)) (MemCache, error) {
	return &mapCache{m: map[int64]Details{}}, nil
}

func (c *mapCache) Get(k int64) (Details, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.m[k]
	return d, ok
}

func (c *mapCache) Set(k int64, v Details) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[k] = v
	return true
}

func (c *mapCache) Del(k int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, k)
}

func (c *mapCache) ExpiriesDropped() uint64 { return 0 }
func (c *mapCache) Close()                  {}

// Cache keeps Nitrado server details warm. Create it with New, register
// listeners and Track the configured servers, then Run it. All methods are
// safe for concurrent use.
type Cache struct {
	src          Source
	stale        StaleStore
	log          *slog.Logger
	now          func() time.Time
	ttl          time.Duration
	dueAge       time.Duration
	refreshEvery time.Duration
	retryMax     int
	waitMin      time.Duration
	waitMax      time.Duration
	pingEvery    time.Duration
	fetchTimeout time.Duration
	newMem       func(time.Duration, func(int64, Details)) (MemCache, error)

	wake chan struct{} // capacity 1: "pending has work"
	sf   singleflight.Group

	mu            sync.Mutex
	running       bool
	mem           MemCache // nil unless Run is running
	tracked       map[int64]bool
	last          map[int64]Details   // last good copy (Stale false)
	pending       map[int64]bool      // refresh requests; true = regardless of age
	tried         map[int64]time.Time // start of the last background refresh
	healthy       bool
	reason        string
	since         time.Time
	degradedTotal time.Duration
	listeners     []func(healthy bool, reason string)

	hits, loads, fetches, fetchFailures atomic.Uint64
	refreshes, refreshFailures          atomic.Uint64
	staleServed, persistFailures        atomic.Uint64
	pings, pingFailures                 atomic.Uint64
	expiryRequests, tickRequests        atomic.Uint64
	degradedTransitions                 atomic.Uint64
	expiriesDropped                     atomic.Uint64 // of TTL caches of earlier Runs
}

// New validates opts and returns a Cache. It starts nothing; Run does.
func New(opts Options) (*Cache, error) {
	if opts.Source == nil {
		return nil, errors.New("serverdetails: new: source is required")
	}
	if opts.Stale == nil {
		return nil, errors.New("serverdetails: new: stale store is required")
	}
	if opts.TTL < 0 || opts.RefreshInterval < 0 || opts.RetryWaitMin < 0 || opts.RetryWaitMax < 0 ||
		opts.PingInterval < 0 || opts.FetchTimeout < 0 {
		return nil, errors.New("serverdetails: new: negative duration")
	}
	c := &Cache{
		src:          opts.Source,
		stale:        opts.Stale,
		log:          opts.Logger,
		now:          opts.Now,
		ttl:          orDefault(opts.TTL, DefaultTTL),
		retryMax:     opts.RetryMax,
		waitMin:      orDefault(opts.RetryWaitMin, DefaultRetryWaitMin),
		waitMax:      orDefault(opts.RetryWaitMax, DefaultRetryWaitMax),
		pingEvery:    orDefault(opts.PingInterval, DefaultPingInterval),
		fetchTimeout: orDefault(opts.FetchTimeout, DefaultFetchTimeout),
		newMem:       opts.NewMem,
		wake:         make(chan struct{}, 1),
		tracked:      map[int64]bool{},
		last:         map[int64]Details{},
		pending:      map[int64]bool{},
		tried:        map[int64]time.Time{},
		healthy:      true,
	}
	if c.newMem == nil {
		c.newMem = newMapCache
	}
	c.refreshEvery = orDefault(opts.RefreshInterval, c.ttl)
	// An entry is due for a background refresh at 90% of its TTL, so the
	// ticker and a slightly early or late expiry callback never refresh the
	// same entry twice in a row.
	c.dueAge = c.ttl - c.ttl/10
	if c.waitMax < c.waitMin {
		c.waitMax = c.waitMin
	}
	switch {
	case c.retryMax == 0:
		c.retryMax = DefaultRetryMax
	case c.retryMax < 0:
		c.retryMax = 0
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.since = c.now()
	return c, nil
}

func orDefault(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

func key(id int64) string { return strconv.FormatInt(id, 10) }

// OnHealthChange registers fn to be told about every transition between ok
// (healthy true, reason "") and degraded (healthy false, with the reason).
// Listeners run on Run's goroutine, in registration order, and must not
// block (the save-parse scheduler's Pause/Resume are fine). fn is not
// called for the current state; read Health for that.
func (c *Cache) OnHealthChange(fn func(healthy bool, reason string)) {
	if fn == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.listeners = append(c.listeners, fn)
}

// Health reports StateOK or StateDegraded, why it is degraded, and since
// when the current state holds.
func (c *Cache) Health() (state, reason string, since time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.healthy {
		return StateOK, "", c.since
	}
	return StateDegraded, c.reason, c.since
}

// Servers lists the tracked service ids in ascending order.
func (c *Cache) Servers() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]int64, 0, len(c.tracked))
	for id := range c.tracked {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Track keeps id warm: its details are refreshed in the background from now
// on. If there is no copy in memory yet, the last persisted copy is loaded
// from the stale store first, so a restart during a Nitrado outage still
// serves last-known data. A store error is returned, but id stays tracked.
func (c *Cache) Track(id int64) error {
	if id <= 0 {
		return fmt.Errorf("serverdetails: track %d: invalid service id", id)
	}
	c.mu.Lock()
	_, have := c.last[id]
	c.tracked[id] = true
	c.mu.Unlock()
	if !have {
		d, ok, err := c.loadStale(id)
		if err != nil {
			c.request(id, false)
			return fmt.Errorf("serverdetails: track %d: %w", id, err)
		}
		if ok {
			c.mu.Lock()
			if _, have := c.last[id]; !have {
				c.last[id] = d
			}
			c.mu.Unlock()
		}
	}
	c.request(id, false)
	return nil
}

// Preload reads every persisted copy into memory in one pass (copies
// already in memory win) and returns their service ids in order. The app
// calls it once at start, before Track; persisted ids that are no longer
// configured may be passed to Forget. Unreadable entries are skipped with a
// warning.
func (c *Cache) Preload() ([]int64, error) {
	es, err := c.stale.StaleAll(StaleKind)
	if err != nil {
		return nil, fmt.Errorf("serverdetails: preload: %w", err)
	}
	ids := make([]int64, 0, len(es))
	for _, e := range es {
		id, err := strconv.ParseInt(e.Key, 10, 64)
		if err != nil || id <= 0 {
			c.log.Warn("skipping stale server details with a bad key", slog.String("key", e.Key))
			continue
		}
		d, err := decodeRecord(e.Value, e.SavedAt)
		if err != nil {
			c.log.Warn("skipping unreadable stale server details", slog.Int64("service_id", id), slog.String("err", err.Error()))
			continue
		}
		d.ServiceID = id
		c.mu.Lock()
		if _, have := c.last[id]; !have {
			c.last[id] = d
		}
		c.mu.Unlock()
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// Forget stops tracking id and drops every copy of its details, including
// the persisted one (the server was removed from the configuration).
func (c *Cache) Forget(id int64) error {
	c.mu.Lock()
	delete(c.tracked, id)
	delete(c.last, id)
	delete(c.pending, id)
	delete(c.tried, id)
	mem := c.mem
	c.mu.Unlock()
	if mem != nil {
		mem.Del(id)
	}
	if id <= 0 {
		return nil
	}
	if err := c.stale.DeleteStale(StaleKind, key(id)); err != nil {
		return fmt.Errorf("serverdetails: forget %d: %w", id, err)
	}
	return nil
}

// Invalidate drops id's entry from the TTL cache, so the next Get asks
// Nitrado (e.g. right after a restart command changed the status). The last
// known copy is kept for the stale fallback.
func (c *Cache) Invalidate(id int64) {
	c.mu.Lock()
	mem := c.mem
	c.mu.Unlock()
	if mem != nil {
		mem.Del(id)
	}
}

// Peek returns the last known details of id without any I/O: the in-memory
// copy, marked Stale when it is older than the TTL or Nitrado is degraded.
func (c *Cache) Peek(id int64) (Details, bool) {
	c.mu.Lock()
	d, ok := c.last[id]
	healthy := c.healthy
	c.mu.Unlock()
	if ok && (!healthy || c.now().Sub(d.SavedAt) >= c.ttl) {
		d.Stale = true
	}
	return d, ok
}

// Get returns the details of service id: from the TTL cache when fresh,
// otherwise from Nitrado (then cached and persisted). When Nitrado fails and
// a last-known copy exists (in memory or in the stale store), that copy is
// returned with Stale set instead of an error. While degraded, Get does not
// wait for Nitrado when a last-known copy exists. Before Run starts (and
// after it returns) there is no TTL cache and every Get asks Nitrado.
func (c *Cache) Get(ctx context.Context, id int64) (Details, error) {
	if id <= 0 {
		return Details{}, fmt.Errorf("serverdetails: get %d: invalid service id", id)
	}
	c.mu.Lock()
	mem, healthy := c.mem, c.healthy
	c.mu.Unlock()
	if mem != nil {
		if d, ok := mem.Get(id); ok {
			c.hits.Add(1)
			return d, nil
		}
	}
	if !healthy {
		if d, ok := c.lastKnown(id); ok {
			return c.serveStale(d, nil), nil
		}
	}
	c.loads.Add(1)
	d, err := c.load(ctx, id)
	if err == nil {
		return d, nil
	}
	if ctx.Err() == nil {
		if sd, ok := c.lastKnown(id); ok {
			c.request(id, true)
			return c.serveStale(sd, err), nil
		}
	}
	return Details{}, fmt.Errorf("serverdetails: get %d: %w", id, err)
}

func (c *Cache) serveStale(d Details, cause error) Details {
	c.staleServed.Add(1)
	d.Stale = true
	attrs := []slog.Attr{slog.Int64("service_id", d.ServiceID), slog.Time("saved_at", d.SavedAt)}
	if cause != nil {
		attrs = append(attrs, slog.String("err", cause.Error()))
	}
	c.log.LogAttrs(context.Background(), slog.LevelDebug, "serving stale server details", attrs...)
	return d
}

// load fetches id once, sharing the call between concurrent misses.
func (c *Cache) load(ctx context.Context, id int64) (Details, error) {
	v, err, _ := c.sf.Do(key(id), func() (any, error) { return c.fetch(ctx, id, false) })
	if err != nil && isCtxErr(err) && ctx.Err() == nil {
		// The shared call ran on another caller's context, which ended.
		return c.fetch(ctx, id, false)
	}
	if err != nil {
		return Details{}, err
	}
	return v.(Details), nil
}

func isCtxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// lastKnown returns the last good copy from memory or the stale store.
func (c *Cache) lastKnown(id int64) (Details, bool) {
	c.mu.Lock()
	d, ok := c.last[id]
	c.mu.Unlock()
	if ok {
		return d, true
	}
	d, ok, err := c.loadStale(id)
	if err != nil {
		c.log.Warn("cannot read stale server details", slog.Int64("service_id", id), slog.String("err", err.Error()))
		return Details{}, false
	}
	if ok {
		c.mu.Lock()
		if _, have := c.last[id]; !have {
			c.last[id] = d
		}
		c.mu.Unlock()
	}
	return d, ok
}

func (c *Cache) loadStale(id int64) (Details, bool, error) {
	e, ok, err := c.stale.Stale(StaleKind, key(id))
	if err != nil || !ok {
		return Details{}, false, err
	}
	d, err := decodeRecord(e.Value, e.SavedAt)
	if err != nil {
		return Details{}, false, fmt.Errorf("stale %d: %w", id, err)
	}
	d.ServiceID = id
	return d, true, nil
}

// fetch asks Nitrado once and stores a good answer. background fetches of
// a server forgotten meanwhile are not stored.
func (c *Cache) fetch(ctx context.Context, id int64, background bool) (Details, error) {
	ctx, cancel := context.WithTimeout(ctx, c.fetchTimeout)
	defer cancel()
	c.fetches.Add(1)
	gs, err := c.src.Gameserver(ctx, id)
	if err == nil && gs == nil {
		err = errors.New("empty gameserver answer")
	}
	if err != nil {
		c.fetchFailures.Add(1)
		return Details{}, err
	}
	d := FromGameserver(id, gs, c.now())
	d.ServiceID = id
	c.store(d, background)
	return d, nil
}

func (c *Cache) store(d Details, background bool) {
	c.mu.Lock()
	if background && !c.tracked[d.ServiceID] {
		c.mu.Unlock()
		return
	}
	c.last[d.ServiceID] = d
	mem := c.mem
	c.mu.Unlock()
	if mem != nil {
		mem.Set(d.ServiceID, d) // best effort: a dropped Set costs one load later
	}
	b, err := encodeRecord(d)
	if err == nil {
		err = c.stale.PutStale(StaleKind, key(d.ServiceID), b, d.SavedAt)
	}
	if err != nil {
		c.persistFailures.Add(1)
		c.log.Warn("cannot persist server details", slog.Int64("service_id", d.ServiceID), slog.String("err", err.Error()))
	}
}

// request queues a background refresh of a tracked id; force skips the age
// check. It never blocks, so the expiry callback may call it.
func (c *Cache) request(id int64, force bool) {
	c.mu.Lock()
	if !c.tracked[id] {
		c.mu.Unlock()
		return
	}
	c.pending[id] = c.pending[id] || force
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// onExpire is the TTL cache's expiry callback. It only queues a refresh;
// Run's goroutine does the work.
func (c *Cache) onExpire(id int64, _ Details) {
	c.expiryRequests.Add(1)
	c.request(id, false)
}
