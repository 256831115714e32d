package serverdetails

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blissark/bliss/app/nitrado"
	"github.com/blissark/bliss/app/nitrado/nitradotest"
)

// Against the real client and the nitradotest fake over real HTTP (outside
// synctest, tiny intervals): the happy path, then 503 → degraded → failed
// pings → recovery. Waits are for listener events, never fixed sleeps.
func TestAgainstNitradoFake(t *testing.T) {
	const id = 17000001
	srv := nitradotest.New(t)
	srv.AddService(nitradotest.Service{ID: id, Name: "Bliss Island", Map: "TheIsland_WP", RCONPassword: testPassword,
		PlayerCurrent: 5})
	log, logs := newLogger()
	client, err := nitrado.New(nitrado.Options{Token: srv.Token(), BaseURL: srv.URL(), RateLimit: -1, RetryMax: -1, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	st := tempStore(t)
	c := mustNew(t, Options{
		Source: client, Stale: st, Logger: log,
		TTL: 200 * time.Millisecond, RefreshInterval: 20 * time.Millisecond,
		RetryMax: 2, RetryWaitMin: time.Millisecond, RetryWaitMax: 4 * time.Millisecond,
		PingInterval: 10 * time.Millisecond, FetchTimeout: 10 * time.Second,
	})
	events := make(chan healthEvent, 16)
	release := make(chan struct{})
	releaseRun := sync.OnceFunc(func() { close(release) })
	c.OnHealthChange(func(healthy bool, reason string) {
		events <- healthEvent{healthy, reason}
		if !healthy {
			<-release // holds Run (and so the pings) until the test looked
		}
	})
	next := func(want bool) healthEvent {
		t.Helper()
		select {
		case ev := <-events:
			if ev.healthy != want {
				t.Fatalf("health event %+v, want healthy=%v", ev, want)
			}
			return ev
		case <-time.After(20 * time.Second):
			t.Fatalf("no health event healthy=%v within 20s", want)
		}
		panic("unreachable")
	}
	if err := c.Track(id); err != nil {
		t.Fatal(err)
	}
	stop := start(t, c)
	defer func() {
		if stop != nil {
			_ = stop()
		}
	}()
	defer releaseRun() // first, on a failed test: unblock Run before stopping it

	// Happy path.
	d, err := c.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "Bliss Island" || d.Map != "TheIsland_WP" || d.RCONAddr() != "127.0.0.1:27020" || d.Stale ||
		d.RCONPassword.Reveal() != testPassword || d.PlayerCurrent != 5 || d.Status != "started" || d.GamePath == "" {
		t.Fatalf("Get = %+v", d)
	}
	if _, ok, err := st.Stale(StaleKind, "17000001"); !ok || err != nil {
		t.Fatalf("not persisted: %v %v", ok, err)
	}

	// Outage: the next refresh gets three 503s (1 + RetryMax attempts).
	srv.Fail(nitradotest.Fault{Method: http.MethodGet, Path: "/services/*/gameservers", Status: http.StatusServiceUnavailable, Count: 3})
	srv.Fail(nitradotest.Fault{Method: http.MethodGet, Path: "/ping", Status: http.StatusServiceUnavailable, Count: 2})
	ev := next(false)
	if !strings.Contains(ev.reason, "503") || !strings.Contains(ev.reason, "3 attempts") {
		t.Errorf("reason = %q", ev.reason)
	}
	// The last good entry may still be inside its TTL (and so fresh);
	// drop it to read the fallback.
	c.Invalidate(id)
	d, err = c.Get(t.Context(), id)
	if err != nil || !d.Stale || d.Name != "Bliss Island" || d.RCONPassword.Reveal() != testPassword {
		t.Errorf("Get while degraded = %+v, %v; want the stale copy", d, err)
	}
	releaseRun()

	// Two pings fail, the third succeeds, the refresh works: ok again.
	next(true)
	if got := srv.CountCalls(http.MethodGet, "/ping"); got != 3 {
		t.Errorf("pings = %d, want 3", got)
	}
	m := c.Metrics()
	if m.PingFailures != 2 || m.DegradedTransitions != 1 || m.RefreshFailures != 1 {
		t.Errorf("metrics = %+v", m)
	}
	d, err = c.Get(t.Context(), id)
	if err != nil || d.Stale {
		t.Errorf("Get after recovery = %+v, %v", d, err)
	}
	if s, _, _ := c.Health(); s != StateOK {
		t.Errorf("health = %s", s)
	}

	err = stop()
	stop = nil
	if err != nil {
		t.Errorf("Run = %v", err)
	}
	for _, call := range srv.Calls() {
		if !call.Authorized {
			t.Errorf("unauthorized call %s %s", call.Method, call.Path)
		}
	}
	out := logs.String()
	assertNoSecret(t, "logs", out, srv.Token())
	assertNoSecret(t, "reason", ev.reason, srv.Token())
	if !strings.Contains(out, "nitrado degraded") || !strings.Contains(out, "nitrado recovered") {
		t.Errorf("logs lack degraded/recovered records:\n%s", out)
	}
}
