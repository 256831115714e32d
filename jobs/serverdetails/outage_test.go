package serverdetails

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/blissark/bliss/app/nitrado"
)

// TestOutageStory walks the whole outage: ok → Nitrado answers 503 →
// retries with backoff → degraded, stale data served, listeners told →
// pings fail → a ping succeeds → everything refreshed → ok, listeners told.
func TestOutageStory(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := newFakeSource()
		src.add(gameserver(1, "Island", testPassword))
		src.add(gameserver(2, "Astraeos", testPassword2))
		st := tempStore(t)
		log, logs := newLogger()
		c := mustNew(t, Options{
			Source: src, Stale: st, Logger: log,
			TTL: 5 * time.Minute, RetryMax: 4, RetryWaitMin: time.Second, RetryWaitMax: 8 * time.Second,
			PingInterval: 5 * time.Minute,
		})
		var events eventLog
		c.OnHealthChange(events.record)
		var errs []string // every error and reason the test sees

		t0 := time.Now()
		for _, id := range []int64{1, 2} {
			if err := c.Track(id); err != nil {
				t.Fatal(err)
			}
		}
		stop := start(t, c)
		synctest.Wait()

		// ok: both servers fetched once, persisted, served from the cache.
		if got := []int{src.calls(1), src.calls(2)}; got[0] != 1 || got[1] != 1 {
			t.Fatalf("warm-up fetches = %v, want [1 1]", got)
		}
		d, err := c.Get(t.Context(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if d.Name != "Island" || d.Map != "TheIsland_WP" || d.Stale || d.RCONAddr() != "10.0.0.1:27020" ||
			d.RCONPassword.Reveal() != testPassword || d.GamePath != "/games/ni1_1/ftproot/arksa" || !d.SavedAt.Equal(t0) {
			t.Fatalf("Get(1) = %+v", d)
		}
		if m := c.Metrics(); m.Hits != 1 || m.Fetches != 2 {
			t.Fatalf("after warm-up: hits %d fetches %d, want 1 and 2", m.Hits, m.Fetches)
		}
		if s, _, _ := c.Health(); s != StateOK {
			t.Fatalf("health = %s, want ok", s)
		}

		// Nitrado goes down. At the next refresh (5 min) server 1 is tried
		// 1+4 times with 1, 2, 4 and 8 s between attempts; then the cache
		// degrades and does not hammer Nitrado for server 2.
		src.failGameserver(0, maintenance())
		src.failPing(maintenance())
		time.Sleep(5*time.Minute + 30*time.Second)
		synctest.Wait()
		degradedAt := t0.Add(5*time.Minute + 15*time.Second)
		if got := src.calls(1) - 1; got != 5 {
			t.Errorf("refresh attempts for server 1 = %d, want 5", got)
		}
		if got := src.calls(2) - 1; got != 0 {
			t.Errorf("refresh attempts for server 2 after degrading = %d, want 0", got)
		}
		state, reason, since := c.Health()
		errs = append(errs, reason)
		if state != StateDegraded || !strings.Contains(reason, "503") || !strings.Contains(reason, "5 attempts") {
			t.Errorf("health = %q %q, want degraded after 5 attempts with http 503", state, reason)
		}
		if !since.Equal(degradedAt) {
			t.Errorf("degraded since %v, want %v", since, degradedAt)
		}
		if ev := events.events(); len(ev) != 1 || ev[0].healthy || ev[0].reason != reason {
			t.Errorf("listener events = %+v, want one (false, %q)", ev, reason)
		}

		// Degraded: Get serves the last known copies at once, without
		// waiting for Nitrado.
		before := src.calls(1) + src.calls(2)
		for _, id := range []int64{1, 2} {
			d, err := c.Get(t.Context(), id)
			if err != nil {
				t.Fatalf("Get(%d) while degraded: %v", id, err)
			}
			if !d.Stale || !d.SavedAt.Equal(t0) || d.RCONAddr() != "10.0.0.1:27020" {
				t.Errorf("Get(%d) while degraded = %+v, want stale copy saved at %v", id, d, t0)
			}
		}
		if after := src.calls(1) + src.calls(2); after != before {
			t.Errorf("Get while degraded called Nitrado %d times", after-before)
		}
		if d, _ := c.Get(t.Context(), 2); d.RCONPassword.Reveal() != testPassword2 {
			t.Error("stale copy lost the RCON password")
		}

		// Pings fail twice: still degraded, no new listener call.
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if got := src.pings(); got != 2 {
			t.Errorf("pings = %d, want 2", got)
		}
		if s, _, _ := c.Health(); s != StateDegraded {
			t.Errorf("health after failed pings = %s, want degraded", s)
		}
		if n := len(events.events()); n != 1 {
			t.Errorf("listener calls after failed pings = %d, want 1", n)
		}

		// Nitrado is back: the next ping succeeds, everything is refreshed,
		// health is ok and listeners are told.
		src.failPing(nil)
		src.failGameserver(0, nil)
		src.rename(1, "Island v2")
		time.Sleep(5 * time.Minute)
		synctest.Wait()
		recoveredAt := degradedAt.Add(15 * time.Minute)
		if got := src.pings(); got != 3 {
			t.Errorf("pings = %d, want 3", got)
		}
		state, reason, since = c.Health()
		if state != StateOK || reason != "" || !since.Equal(recoveredAt) {
			t.Errorf("health = %q %q since %v, want ok since %v", state, reason, since, recoveredAt)
		}
		if ev := events.events(); len(ev) != 2 || !ev[1].healthy || ev[1].reason != "" {
			t.Errorf("listener events = %+v, want (false, …) then (true, \"\")", ev)
		}
		if src.calls(2) != 2 {
			t.Errorf("server 2 fetches = %d, want 2 (warm-up and recovery)", src.calls(2))
		}
		d, err = c.Get(t.Context(), 1)
		if err != nil || d.Stale || d.Name != "Island v2" || !d.SavedAt.Equal(recoveredAt) {
			t.Errorf("Get(1) after recovery = %+v, %v; want fresh \"Island v2\"", d, err)
		}
		e, ok, err := st.Stale(StaleKind, "1")
		if err != nil || !ok {
			t.Fatalf("persisted entry: %v %v", ok, err)
		}
		if p, err := decodeRecord(e.Value, e.SavedAt); err != nil || p.Name != "Island v2" || !e.SavedAt.Equal(recoveredAt) {
			t.Errorf("persisted entry = %+v, %v", p, err)
		}

		m := c.Metrics()
		if m.DegradedTransitions != 1 || m.DegradedSeconds != (15*time.Minute).Seconds() || m.Degraded {
			t.Errorf("metrics degraded: %d transitions, %v s, now %v; want 1, 900, false",
				m.DegradedTransitions, m.DegradedSeconds, m.Degraded)
		}
		if m.StaleServed != 3 || m.RefreshFailures != 1 || m.Pings != 3 || m.PingFailures != 2 || m.Refreshes != 4 {
			t.Errorf("metrics = %+v", m)
		}

		if err := stop(); err != nil {
			t.Errorf("Run = %v, want nil on cancel", err)
		}
		for _, e := range errs {
			assertNoSecret(t, "reason", e)
		}
		out := logs.String()
		assertNoSecret(t, "logs", out)
		for _, want := range []string{"nitrado degraded", "ping failed", "nitrado recovered"} {
			if !strings.Contains(out, want) {
				t.Errorf("logs lack %q:\n%s", want, out)
			}
		}
	})
}

// TestRestartDuringOutage: a new Cache over the same bbolt file serves the
// persisted copy while Nitrado is down, then degrades.
func TestRestartDuringOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "state.db")
		src := newFakeSource()
		src.add(gameserver(1, "Island", testPassword))
		log, logs := newLogger()
		opts := Options{Source: src, Logger: log, RetryWaitMin: time.Second, RetryWaitMax: time.Second}

		// First process: fetch and persist, then shut down.
		st := openStore(t, path)
		opts.Stale = st
		c := mustNew(t, opts)
		if err := c.Track(1); err != nil {
			t.Fatal(err)
		}
		stop := start(t, c)
		synctest.Wait()
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		savedAt := time.Now()

		// An hour later Nitrado is down and the process restarts.
		time.Sleep(time.Hour)
		src.failGameserver(0, maintenance())
		src.failPing(maintenance())
		st = openStore(t, path)
		defer st.Close()
		opts.Stale = st
		c = mustNew(t, opts)
		var events eventLog
		c.OnHealthChange(events.record)
		if ids, err := c.Preload(); err != nil || len(ids) != 1 || ids[0] != 1 {
			t.Fatalf("Preload = %v, %v; want [1]", ids, err)
		}
		if err := c.Track(1); err != nil {
			t.Fatal(err)
		}
		if d, ok := c.Peek(1); !ok || !d.Stale || d.Name != "Island" {
			t.Errorf("Peek(1) after Track = %+v %v, want the stale copy", d, ok)
		}

		// Before Run, Get falls back to the persisted copy.
		d, err := c.Get(t.Context(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Stale || !d.SavedAt.Equal(savedAt) || d.Name != "Island" || d.RCONPassword.Reveal() != testPassword ||
			d.RCONAddr() != "10.0.0.1:27020" {
			t.Errorf("Get(1) after restart = %+v, want the persisted copy", d)
		}

		// A server never seen has nothing to fall back to.
		_, err = c.Get(t.Context(), 99)
		if !errors.Is(err, nitrado.ErrMaintenance) || !strings.HasPrefix(err.Error(), "serverdetails: get 99: ") {
			t.Errorf("Get(99) = %v, want a wrapped maintenance error", err)
		}
		assertNoSecret(t, "error", err.Error())

		// Running: the refresh fails 1+4 times and the cache degrades.
		stop = start(t, c)
		time.Sleep(time.Minute)
		synctest.Wait()
		if s, reason, _ := c.Health(); s != StateDegraded {
			t.Errorf("health = %s %q, want degraded", s, reason)
		}
		if got := src.calls(1); got != 1+1+5 {
			t.Errorf("fetches of server 1 = %d, want 7 (first process, Get, 5 refresh attempts)", got)
		}
		if ev := events.events(); len(ev) != 1 || ev[0].healthy {
			t.Errorf("events = %+v, want one unhealthy", ev)
		}
		if d, err := c.Get(t.Context(), 1); err != nil || !d.Stale || !d.SavedAt.Equal(savedAt) {
			t.Errorf("Get(1) while degraded = %+v, %v", d, err)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		assertNoSecret(t, "logs", logs.String())
	})
}
