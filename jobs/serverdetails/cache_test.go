package serverdetails

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/blissark/bliss/app/nitrado"
)

// A Set the TTL cache drops only costs a fall-through to Nitrado, and the
// backup ticker still refreshes the server (no expiry callback ever comes
// for an entry that was never admitted).
func TestDroppedSetFallsThrough(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := newFakeSource()
		src.add(gameserver(1, "Island", testPassword))
		c := mustNew(t, Options{Source: src, Stale: tempStore(t), TTL: time.Minute})
		c.newMem = func(time.Duration, func(int64, Details)) (MemCache, error) { return dropCache{}, nil }
		if err := c.Track(1); err != nil {
			t.Fatal(err)
		}
		stop := start(t, c)
		synctest.Wait()
		for range 3 {
			d, err := c.Get(t.Context(), 1)
			if err != nil || d.Name != "Island" || d.Stale {
				t.Fatalf("Get = %+v, %v", d, err)
			}
		}
		if got := src.calls(1); got != 4 {
			t.Errorf("fetches = %d, want 4 (warm-up + 3 fall-throughs)", got)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		m := c.Metrics()
		if got := src.calls(1); got != 5 {
			t.Errorf("fetches after a TTL = %d, want 5 (ticker refresh)", got)
		}
		if m.Hits != 0 || m.Loads != 3 || m.ExpiryRequests != 0 || m.TickRequests == 0 || m.Refreshes != 2 {
			t.Errorf("metrics = %+v", m)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

// The real TTL cache's expiry callback triggers the refresh on its own,
// without help from the ticker.
func TestExpiryCallbackRefreshes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := newFakeSource()
		src.add(gameserver(1, "Island", testPassword))
		c := mustNew(t, Options{Source: src, Stale: tempStore(t), TTL: time.Minute, RefreshInterval: 24 * time.Hour})
		if err := c.Track(1); err != nil {
			t.Fatal(err)
		}
		stop := start(t, c)
		synctest.Wait()
		if _, err := c.Get(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
		if m := c.Metrics(); m.Hits != 1 {
			t.Fatalf("hits = %d, want 1", m.Hits)
		}
		// ristretto sweeps in 5 s buckets: allow 10 s.
		time.Sleep(time.Minute + 10*time.Second)
		synctest.Wait()
		m := c.Metrics()
		if got := src.calls(1); got != 2 {
			t.Errorf("fetches = %d, want 2", got)
		}
		if m.ExpiryRequests == 0 || m.TickRequests != 0 {
			t.Errorf("expiry requests %d, tick requests %d; want >0 and 0", m.ExpiryRequests, m.TickRequests)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

// A deleted service is one server's problem, not an outage: no retries, no
// degradation, the last copy is kept.
func TestNotFoundDoesNotDegrade(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := newFakeSource()
		src.add(gameserver(1, "Island", testPassword))
		src.add(gameserver(2, "Gone", testPassword2))
		c := mustNew(t, Options{Source: src, Stale: tempStore(t), TTL: time.Minute})
		var events eventLog
		c.OnHealthChange(events.record)
		for _, id := range []int64{1, 2} {
			if err := c.Track(id); err != nil {
				t.Fatal(err)
			}
		}
		stop := start(t, c)
		synctest.Wait()
		src.failGameserver(2, &nitrado.APIError{Status: http.StatusNotFound, Message: "Service not found"})
		time.Sleep(time.Minute + 10*time.Second)
		synctest.Wait()
		if got := src.calls(2); got != 2 {
			t.Errorf("fetches of server 2 = %d, want 2 (no retry of a 404)", got)
		}
		if got := src.calls(1); got != 2 {
			t.Errorf("fetches of server 1 = %d, want 2", got)
		}
		if s, _, _ := c.Health(); s != StateOK || len(events.events()) != 0 {
			t.Errorf("health %s, events %v; want ok and none", s, events.events())
		}
		d, err := c.Get(t.Context(), 2)
		if err != nil || !d.Stale || d.Name != "Gone" {
			t.Errorf("Get(2) = %+v, %v; want the stale copy", d, err)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

// An invalid token is not retried (it cannot heal by itself) but degrades;
// a good ping alone does not recover while the refresh still fails.
func TestInvalidTokenDegradesWithoutRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := newFakeSource()
		src.add(gameserver(1, "Island", testPassword))
		c := mustNew(t, Options{Source: src, Stale: tempStore(t), TTL: time.Minute, PingInterval: time.Minute})
		if err := c.Track(1); err != nil {
			t.Fatal(err)
		}
		stop := start(t, c)
		synctest.Wait()
		src.failGameserver(1, &nitrado.APIError{Status: http.StatusUnauthorized, Message: "Token invalid"})
		time.Sleep(time.Minute + 10*time.Second)
		synctest.Wait()
		if got := src.calls(1); got != 2 {
			t.Errorf("fetches = %d, want 2 (401 not retried)", got)
		}
		if s, reason, _ := c.Health(); s != StateDegraded || !strings.Contains(reason, "401") {
			t.Errorf("health = %s %q", s, reason)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		s, reason, _ := c.Health()
		if s != StateDegraded || !strings.HasPrefix(reason, "ping ok but ") || src.pings() != 1 {
			t.Errorf("after a good ping: %s %q, pings %d", s, reason, src.pings())
		}
		if m := c.Metrics(); m.DegradedTransitions != 1 {
			t.Errorf("transitions = %d, want 1", m.DegradedTransitions)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRunTwiceAndRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := newFakeSource()
		c := mustNew(t, Options{Source: src, Stale: tempStore(t)})
		stop := start(t, c)
		synctest.Wait()
		if err := c.Run(t.Context()); err == nil || !strings.HasPrefix(err.Error(), "serverdetails: run: ") {
			t.Errorf("second Run = %v, want an error", err)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		stop = start(t, c)
		synctest.Wait()
		if err := stop(); err != nil {
			t.Errorf("Run after Run = %v", err)
		}
	})
}

func TestTrackForgetServers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := newFakeSource()
		src.add(gameserver(3, "C", testPassword))
		src.add(gameserver(1, "A", testPassword))
		st := tempStore(t)
		c := mustNew(t, Options{Source: src, Stale: st})
		for _, id := range []int64{3, 1, 3} {
			if err := c.Track(id); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Track(0); err == nil {
			t.Error("Track(0) succeeded")
		}
		if got := c.Servers(); len(got) != 2 || got[0] != 1 || got[1] != 3 {
			t.Errorf("Servers = %v, want [1 3]", got)
		}
		stop := start(t, c)
		synctest.Wait()
		if es, _ := st.StaleAll(StaleKind); len(es) != 2 {
			t.Fatalf("persisted %d entries, want 2", len(es))
		}
		if err := c.Forget(3); err != nil {
			t.Fatal(err)
		}
		if got := c.Servers(); len(got) != 1 || got[0] != 1 {
			t.Errorf("Servers = %v, want [1]", got)
		}
		if _, ok, _ := st.Stale(StaleKind, "3"); ok {
			t.Error("Forget kept the persisted entry")
		}
		if _, ok := c.Peek(3); ok {
			t.Error("Forget kept the in-memory copy")
		}
		if m := c.Metrics(); m.Tracked != 1 {
			t.Errorf("Tracked = %d", m.Tracked)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestGetErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := newFakeSource()
		c := mustNew(t, Options{Source: src, Stale: tempStore(t)})
		if _, err := c.Get(t.Context(), -1); err == nil {
			t.Error("Get(-1) succeeded")
		}
		_, err := c.Get(t.Context(), 5)
		if !errors.Is(err, nitrado.ErrNotFound) {
			t.Errorf("Get(5) = %v, want not found", err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := c.Get(ctx, 5); !errors.Is(err, context.Canceled) {
			t.Errorf("Get with cancelled ctx = %v", err)
		}
	})
}

func TestNewValidates(t *testing.T) {
	src, st := newFakeSource(), tempStore(t)
	for _, o := range []Options{
		{Stale: st},
		{Source: src},
		{Source: src, Stale: st, TTL: -1},
		{Source: src, Stale: st, PingInterval: -time.Second},
	} {
		if _, err := New(o); err == nil || !strings.HasPrefix(err.Error(), "serverdetails: new: ") {
			t.Errorf("New(%+v) = %v, want an error", o, err)
		}
	}
	c := mustNew(t, Options{Source: src, Stale: st, RetryMax: -1, RetryWaitMin: time.Minute, RetryWaitMax: time.Second})
	if c.retryMax != 0 || c.waitMax != time.Minute || c.refreshEvery != DefaultTTL || c.pingEvery != DefaultPingInterval {
		t.Errorf("defaults: retryMax %d waitMax %v refresh %v ping %v", c.retryMax, c.waitMax, c.refreshEvery, c.pingEvery)
	}
	if s, reason, _ := c.Health(); s != StateOK || reason != "" {
		t.Errorf("initial health = %s %q", s, reason)
	}
}

func TestBackoff(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := mustNew(t, Options{Source: newFakeSource(), Stale: tempStore(t), RetryWaitMin: time.Second,
		RetryWaitMax: 10 * time.Second, Now: func() time.Time { return now }})
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second,
		4: 8 * time.Second, 5: 10 * time.Second, 80: 10 * time.Second} {
		if got := c.backoff(attempt, errBoom); got != want {
			t.Errorf("backoff(%d) = %v, want %v", attempt, got, want)
		}
	}
	rl := fmt.Errorf("wrapped: %w", &nitrado.RateLimitError{Reset: now.Add(5 * time.Second), Remaining: 0})
	if got := c.backoff(1, rl); got != 5*time.Second {
		t.Errorf("backoff until rate-limit reset = %v, want 5s", got)
	}
	rl = &nitrado.RateLimitError{Reset: now.Add(time.Hour)}
	if got := c.backoff(1, rl); got != 10*time.Second {
		t.Errorf("backoff for a far reset = %v, want the 10s cap", got)
	}
}

// Many Gets race with refreshes (run with -race).
func TestConcurrentGets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := newFakeSource()
		for id := int64(1); id <= 4; id++ {
			src.add(gameserver(id, fmt.Sprint("S", id), testPassword))
		}
		c := mustNew(t, Options{Source: src, Stale: tempStore(t), TTL: time.Minute, RetryWaitMin: time.Second})
		for id := int64(1); id <= 4; id++ {
			if err := c.Track(id); err != nil {
				t.Fatal(err)
			}
		}
		stop := start(t, c)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 50 {
					id := int64((g+i)%4 + 1)
					d, err := c.Get(t.Context(), id)
					if err != nil || d.ServiceID != id {
						t.Errorf("Get(%d) = %+v, %v", id, d, err)
						return
					}
					if i%10 == 0 {
						time.Sleep(7 * time.Second)
					}
				}
			})
		}
		wg.Wait()
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDetailsRedaction(t *testing.T) {
	d := FromGameserver(7, gameserver(0, "Island", testPassword), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if d.ServiceID != 7 || d.RCONPassword.Reveal() != testPassword || d.Addr() != "10.0.0.1:7777" || !d.Online() ||
		d.LogsPath() != "/games/ni1_1/ftproot/arksa/ShooterGame/Saved/Logs" {
		t.Fatalf("FromGameserver = %+v", d)
	}
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		assertNoSecret(t, f, fmt.Sprintf(f, d))
	}
	var b strings.Builder
	for _, h := range []slog.Handler{slog.NewTextHandler(&b, nil), slog.NewJSONHandler(&b, nil)} {
		slog.New(h).Info("details", "d", d, "p", d.RCONPassword)
	}
	assertNoSecret(t, "slog", b.String())
	if !strings.Contains(b.String(), "rcon_addr=10.0.0.1:27020") {
		t.Errorf("slog output lacks rcon_addr: %s", b.String())
	}

	raw, err := encodeRecord(d)
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeRecord(raw, d.SavedAt)
	if err != nil || back != d {
		t.Errorf("round trip = %+v, %v; want %+v", back, err, d)
	}
	for _, bad := range [][]byte{raw[:len(raw)-3], []byte(`{"v":1,"rcon_password":7}`), []byte(`{"v":9}`)} {
		_, err := decodeRecord(bad, d.SavedAt)
		if err == nil {
			t.Errorf("decodeRecord(%d bytes) succeeded", len(bad))
			continue
		}
		assertNoSecret(t, "decode error", err.Error())
	}
	if (Details{}).RCONAddr() != "" || (Details{}).LogsPath() != "" || (Details{}).Addr() != "" {
		t.Error("empty Details has addresses")
	}
	var js map[string]any
	if err := json.Unmarshal(raw, &js); err != nil || js["v"] != float64(1) {
		t.Errorf("record json = %s", raw)
	}
}

// A corrupt persisted entry is reported without its bytes and is not served.
func TestCorruptStaleEntry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := tempStore(t)
		if err := st.PutStale(StaleKind, "1", []byte(`{"v":1,"rcon_password":"`+testPassword), time.Now()); err != nil {
			t.Fatal(err)
		}
		src := newFakeSource()
		src.failGameserver(0, maintenance())
		log, logs := newLogger()
		c := mustNew(t, Options{Source: src, Stale: st, Logger: log})
		if err := st.PutStale(StaleKind, "not-a-number", []byte(`{}`), time.Now()); err != nil {
			t.Fatal(err)
		}
		if ids, err := c.Preload(); err != nil || len(ids) != 0 {
			t.Errorf("Preload = %v, %v; want nothing readable", ids, err)
		}
		err := c.Track(1)
		if err == nil {
			t.Fatal("Track of a corrupt entry succeeded")
		}
		assertNoSecret(t, "track error", err.Error())
		if _, err := c.Get(t.Context(), 1); !errors.Is(err, nitrado.ErrMaintenance) {
			t.Errorf("Get = %v, want maintenance", err)
		}
		assertNoSecret(t, "logs", logs.String())
		if got := c.Servers(); len(got) != 1 {
			t.Errorf("Servers = %v, want [1] despite the store error", got)
		}
	})
}

// A panicking listener does not take Run down; Invalidate forces the next
// Get to Nitrado.
func TestListenerPanicAndInvalidate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := newFakeSource()
		src.add(gameserver(1, "Island", testPassword))
		log, logs := newLogger()
		c := mustNew(t, Options{Source: src, Stale: tempStore(t), Logger: log, TTL: time.Minute, RetryMax: -1})
		var events eventLog
		c.OnHealthChange(func(bool, string) { panic("listener bug") })
		c.OnHealthChange(events.record)
		if err := c.Track(1); err != nil {
			t.Fatal(err)
		}
		stop := start(t, c)
		synctest.Wait()
		if _, err := c.Get(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
		c.Invalidate(1)
		src.rename(1, "Island v2")
		if d, err := c.Get(t.Context(), 1); err != nil || d.Name != "Island v2" {
			t.Errorf("Get after Invalidate = %+v, %v", d, err)
		}
		src.failGameserver(0, maintenance())
		time.Sleep(time.Minute + 10*time.Second)
		synctest.Wait()
		if ev := events.events(); len(ev) != 1 || ev[0].healthy {
			t.Errorf("events = %+v; the second listener must still be told", ev)
		}
		if !strings.Contains(logs.String(), "listener panicked") {
			t.Error("panic not logged")
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}
