package serverdetails

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/blissark/bliss/app/nitrado"
)

// Run owns the cache's goroutines until ctx ends: the in-memory TTL cache
// (with its expiry dispatcher) and the refresh worker, which is Run's own
// goroutine. It refreshes tracked servers when their entries expire and on
// its own ticker, declares Nitrado degraded after a refresh fails
// RetryMax+1 times, then polls /ping every PingInterval and, on the first
// good answer, refreshes every tracked server and reports ok again.
//
// Run returns nil when ctx is cancelled, and an error if the cache is
// already running or the TTL cache cannot be built. A Cache may be Run
// again after Run returned.
func (c *Cache) Run(ctx context.Context) error {
	c.mu.Lock()
	if c.running {
		c.mu.Unlock()
		return errors.New("serverdetails: run: already running")
	}
	c.running = true
	c.mu.Unlock()

	mem, err := c.newMem(c.ttl, c.onExpire)
	if err != nil {
		c.mu.Lock()
		c.running = false
		c.mu.Unlock()
		return fmt.Errorf("serverdetails: run: %w", err)
	}
	c.mu.Lock()
	c.mem = mem
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.mem = nil
		c.running = false
		c.mu.Unlock()
		mem.Close()
		c.expiriesDropped.Add(mem.ExpiriesDropped())
	}()

	// The ticker backs up the expiry callback; see Options.RefreshInterval.
	tick := time.NewTicker(c.refreshEvery)
	defer tick.Stop()
	var ping *time.Timer
	defer func() {
		if ping != nil {
			ping.Stop()
		}
	}()

	c.requestDue() // warm up: whatever Track loaded old or not at all
	for {
		healthy := c.isHealthy()
		if !healthy && ping == nil {
			ping = time.NewTimer(c.pingEvery)
		}
		var pingC <-chan time.Time
		if ping != nil {
			pingC = ping.C
		}
		select {
		case <-ctx.Done():
			return nil
		case <-c.wake:
			if healthy {
				c.drain(ctx)
			} else {
				c.clearPending() // recovery refreshes everything anyway
			}
		case <-tick.C:
			if healthy {
				c.tickRequests.Add(uint64(c.requestDue()))
			}
		case <-pingC:
			if c.probe(ctx) {
				ping = nil
			} else {
				ping.Reset(c.pingEvery)
			}
		}
	}
}

func (c *Cache) isHealthy() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.healthy
}

func (c *Cache) clearPending() {
	c.mu.Lock()
	clear(c.pending)
	c.mu.Unlock()
}

// requestDue queues every tracked server whose details are due and
// returns how many.
func (c *Cache) requestDue() int {
	c.mu.Lock()
	n := 0
	for id := range c.tracked {
		if c.dueLocked(id) {
			if _, queued := c.pending[id]; !queued {
				c.pending[id] = false
			}
			n++
		}
	}
	c.mu.Unlock()
	if n > 0 {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	return n
}

// dueLocked reports whether id's copy, or the last background attempt to
// refresh it, is at least dueAge old.
func (c *Cache) dueLocked(id int64) bool {
	ref, ok := c.tried[id]
	if d, have := c.last[id]; have && d.SavedAt.After(ref) {
		ref, ok = d.SavedAt, true
	}
	return !ok || c.now().Sub(ref) >= c.dueAge
}

// takePending returns the queued ids that still need a refresh, in order.
func (c *Cache) takePending() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ids []int64
	for id, force := range c.pending {
		if c.tracked[id] && (force || c.dueLocked(id)) {
			ids = append(ids, id)
		}
	}
	clear(c.pending)
	slices.Sort(ids)
	return ids
}

// drain refreshes queued servers until the queue is empty, ctx ends or a
// refresh fails for good, which degrades the cache.
func (c *Cache) drain(ctx context.Context) {
	for {
		ids := c.takePending()
		if len(ids) == 0 {
			return
		}
		for _, id := range ids {
			err := c.refresh(ctx, id)
			switch {
			case ctx.Err() != nil:
				return
			case err == nil:
			case errors.Is(err, nitrado.ErrNotFound):
				// One service is gone (or not a gameserver); Nitrado itself
				// works. Keep the last copy; the app decides to Forget it.
				c.log.Warn("nitrado: service not found; keeping last known details",
					slog.Int64("service_id", id), slog.String("err", err.Error()))
			default:
				c.degrade(err.Error())
				c.clearPending()
				return
			}
		}
	}
}

// refresh fetches id, retrying with exponential backoff.
func (c *Cache) refresh(ctx context.Context, id int64) error {
	c.mu.Lock()
	c.tried[id] = c.now()
	c.mu.Unlock()
	var err error
	attempts := 0
	for attempt := 0; attempt <= c.retryMax; attempt++ {
		if attempt > 0 {
			wait := c.backoff(attempt, err)
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		attempts++
		if _, err = c.fetch(ctx, id, true); err == nil {
			c.refreshes.Add(1)
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.log.Warn("nitrado: refreshing server details failed", slog.Int64("service_id", id),
			slog.Int("attempt", attempts), slog.Int("max_attempts", c.retryMax+1), slog.String("err", err.Error()))
		if !retryable(err) {
			break
		}
	}
	c.refreshFailures.Add(1)
	return fmt.Errorf("refresh %d failed after %d attempts: %w", id, attempts, err)
}

// retryable reports whether trying again may help.
func retryable(err error) bool {
	return !errors.Is(err, nitrado.ErrNotFound) && !errors.Is(err, nitrado.ErrInvalidToken)
}

// backoff is RetryWaitMin·2^(attempt-1) capped at RetryWaitMax, and at
// least until a rate-limit window resets (still capped).
func (c *Cache) backoff(attempt int, err error) time.Duration {
	d := c.waitMax
	if attempt-1 < 32 {
		if v := c.waitMin << (attempt - 1); v > 0 && v < c.waitMax {
			d = v
		}
	}
	var rl *nitrado.RateLimitError
	if errors.As(err, &rl) && !rl.Reset.IsZero() {
		if until := rl.Reset.Sub(c.now()); until > d {
			d = min(until, c.waitMax)
		}
	}
	return d
}

// probe polls /ping; on success it refreshes every tracked server and, if
// all of them succeed, reports recovery. It returns whether it recovered.
func (c *Cache) probe(ctx context.Context) bool {
	pctx, cancel := context.WithTimeout(ctx, c.fetchTimeout)
	c.pings.Add(1)
	err := c.src.Ping(pctx)
	cancel()
	if ctx.Err() != nil {
		return false
	}
	if err != nil {
		c.pingFailures.Add(1)
		c.log.Warn("nitrado: ping failed; still serving last known server details",
			slog.String("err", err.Error()), slog.Duration("next_ping_in", c.pingEvery))
		return false
	}
	c.log.Info("nitrado: ping ok; refreshing all server details")
	c.clearPending()
	for _, id := range c.Servers() {
		err := c.refresh(ctx, id)
		switch {
		case ctx.Err() != nil:
			return false
		case err == nil, errors.Is(err, nitrado.ErrNotFound):
		default:
			c.degrade("ping ok but " + err.Error())
			return false
		}
	}
	c.restore()
	return true
}

// degrade moves to (or stays in) the degraded state with reason.
func (c *Cache) degrade(reason string) {
	c.mu.Lock()
	was := c.healthy
	c.healthy, c.reason = false, reason
	var ls []func(bool, string)
	if was {
		c.since = c.now()
		ls = slices.Clone(c.listeners)
	}
	c.mu.Unlock()
	if !was {
		return
	}
	c.degradedTransitions.Add(1)
	c.log.Error("nitrado degraded: serving last known server details", slog.String("reason", reason),
		slog.Duration("ping_every", c.pingEvery))
	for _, fn := range ls {
		c.tell(fn, false, reason)
	}
}

// tell calls one listener; a panicking listener is logged, not fatal.
func (c *Cache) tell(fn func(bool, string), healthy bool, reason string) {
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("serverdetails: health listener panicked", slog.Any("panic", p), slog.Bool("healthy", healthy))
		}
	}()
	fn(healthy, reason)
}

// restore moves from degraded to ok.
func (c *Cache) restore() {
	c.mu.Lock()
	if c.healthy {
		c.mu.Unlock()
		return
	}
	now := c.now()
	down := now.Sub(c.since)
	c.healthy, c.reason, c.since = true, "", now
	c.degradedTotal += down
	ls := slices.Clone(c.listeners)
	c.mu.Unlock()
	c.log.Info("nitrado recovered: server details refreshed", slog.Duration("degraded_for", down))
	for _, fn := range ls {
		c.tell(fn, true, "")
	}
}

// Metrics are cumulative counters for /metrics.
type Metrics struct {
	Tracked             int     // servers kept warm
	Degraded            bool    // current state
	Hits                uint64  // Get answered from the TTL cache
	Loads               uint64  // Get misses that asked Nitrado
	Fetches             uint64  // Nitrado gameserver calls (every attempt)
	FetchFailures       uint64  // failed gameserver calls
	Refreshes           uint64  // successful background refreshes
	RefreshFailures     uint64  // background refreshes failed after all retries
	StaleServed         uint64  // Get answers from the last known copy
	PersistFailures     uint64  // failed writes to the stale store
	Pings               uint64  // /ping calls while degraded
	PingFailures        uint64  // failed /ping calls
	ExpiryRequests      uint64  // refreshes requested by the expiry callback
	TickRequests        uint64  // refreshes requested by the backup ticker
	ExpiriesDropped     uint64  // expiry notifications the TTL cache dropped
	DegradedTransitions uint64  // ok → degraded transitions
	DegradedSeconds     float64 // total time degraded, the current spell included
}

// Metrics returns a snapshot of the counters.
func (c *Cache) Metrics() Metrics {
	c.mu.Lock()
	m := Metrics{Tracked: len(c.tracked), Degraded: !c.healthy}
	down := c.degradedTotal
	if !c.healthy {
		down += c.now().Sub(c.since)
	}
	mem := c.mem
	c.mu.Unlock()
	m.DegradedSeconds = down.Seconds()
	m.Hits, m.Loads = c.hits.Load(), c.loads.Load()
	m.Fetches, m.FetchFailures = c.fetches.Load(), c.fetchFailures.Load()
	m.Refreshes, m.RefreshFailures = c.refreshes.Load(), c.refreshFailures.Load()
	m.StaleServed, m.PersistFailures = c.staleServed.Load(), c.persistFailures.Load()
	m.Pings, m.PingFailures = c.pings.Load(), c.pingFailures.Load()
	m.ExpiryRequests, m.TickRequests = c.expiryRequests.Load(), c.tickRequests.Load()
	m.DegradedTransitions = c.degradedTransitions.Load()
	m.ExpiriesDropped = c.expiriesDropped.Load()
	if mem != nil {
		m.ExpiriesDropped += mem.ExpiriesDropped()
	}
	return m
}
