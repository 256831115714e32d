package cache_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blissark/bliss/storage/cache"
)

func mustNew[K string | int64, V any](tb testing.TB, opts cache.Options[K, V]) *cache.Cache[K, V] {
	tb.Helper()
	c, err := cache.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}

// ristretto sweeps expired entries in 5 s buckets; allow generous slack
// for -race on a loaded machine. The test ends as soon as the call comes.
const expiryDeadline = 20 * time.Second

func TestOnExpire(t *testing.T) {
	t.Parallel()
	type hit struct {
		k string
		v int
	}
	got := make(chan hit, 10)
	c := mustNew(t, cache.Options[string, int]{
		TTL:      50 * time.Millisecond,
		OnExpire: func(k string, v int) { got <- hit{k, v} },
	})
	if !c.Set("server/1001", 7) {
		t.Fatal("Set dropped on an idle cache")
	}
	c.Set("forever", 1) // default TTL is 50ms here too; checked below
	c.Wait()

	timeout := time.NewTimer(expiryDeadline)
	defer timeout.Stop()
	seen := map[string]int{}
	for len(seen) < 2 {
		select {
		case h := <-got:
			seen[h.k] = h.v
		case <-timeout.C:
			t.Fatalf("OnExpire calls after %s: %v, want server/1001 and forever", expiryDeadline, seen)
		}
	}
	if seen["server/1001"] != 7 || seen["forever"] != 1 {
		t.Errorf("OnExpire reported %v", seen)
	}
	if _, ok := c.Get("server/1001"); ok {
		t.Error("Get returned an expired entry")
	}
}

func TestOnExpire_NotForDeleteOrShortTTLOverride(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	got := make(chan string, 10)
	c := mustNew(t, cache.Options[string, int]{
		TTL: time.Hour,
		OnExpire: func(k string, _ int) {
			calls.Add(1)
			got <- k
		},
	})
	c.SetWithTTL("short", 1, 20*time.Millisecond)
	c.Set("long", 2)
	c.SetWithTTL("deleted", 3, 20*time.Millisecond)
	c.Wait()
	c.Del("deleted")
	select {
	case k := <-got:
		if k != "short" {
			t.Errorf("OnExpire(%q), want short", k)
		}
	case <-time.After(expiryDeadline):
		t.Fatal("no OnExpire for the short TTL")
	}
	if v, ok := c.Get("long"); !ok || v != 2 {
		t.Errorf("Get(long) = %d, %v; want 2, true", v, ok)
	}
	c.Close()
	if n := calls.Load(); n != 1 {
		t.Errorf("OnExpire called %d times, want 1 (deleted and closed entries are not expiries)", n)
	}
}

func TestGetOrLoad(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var loads atomic.Int32
	load := func(context.Context) (string, error) {
		loads.Add(1)
		return "details", nil
	}
	c := mustNew(t, cache.Options[int64, string]{})
	for range 3 {
		v, err := c.GetOrLoad(ctx, 1001, load)
		if err != nil || v != "details" {
			t.Fatalf("GetOrLoad = %q, %v", v, err)
		}
		c.Wait()
	}
	if n := loads.Load(); n != 1 {
		t.Errorf("load called %d times, want 1 once the first Set is applied", n)
	}

	boom := errors.New("nitrado down")
	_, err := c.GetOrLoad(ctx, 2002, func(context.Context) (string, error) { return "", boom })
	if !errors.Is(err, boom) {
		t.Errorf("GetOrLoad error = %v, want the loader's", err)
	}
	c.Wait()
	if _, ok := c.Get(2002); ok {
		t.Error("a failed load was cached")
	}
}

// Every Set is rejected (each entry costs more than the whole cache): reads
// still work, they just load every time.
func TestGetOrLoad_DroppedSets(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := mustNew(t, cache.Options[string, int]{
		MaxCost: 1,
		Cost:    func(int) int64 { return 2 },
	})
	var loads atomic.Int32
	for i := range 5 {
		v, err := c.GetOrLoad(ctx, "k", func(context.Context) (int, error) {
			return int(loads.Add(1)), nil
		})
		if err != nil || v != i+1 {
			t.Fatalf("GetOrLoad #%d = %d, %v; want %d", i, v, err, i+1)
		}
		c.Wait()
		if _, ok := c.Get("k"); ok {
			t.Fatal("rejected entry is readable")
		}
	}
}

func TestClose(t *testing.T) {
	// Not parallel: it counts this package's goroutines.
	before := cacheGoroutines()
	c, err := cache.New(cache.Options[string, int]{OnExpire: func(string, int) {}})
	if err != nil {
		t.Fatal(err)
	}
	c.Set("a", 1)
	c.Wait()
	if n := cacheGoroutines(); n <= before {
		t.Fatalf("%d cache goroutines after New, want more than %d", n, before)
	}
	c.Close()
	c.Close() // idempotent

	deadline := time.Now().Add(5 * time.Second)
	for n := cacheGoroutines(); n != before; n = cacheGoroutines() {
		if time.Now().After(deadline) {
			t.Fatalf("%d cache goroutines after Close, want %d", n, before)
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}

	// Use after Close is safe and degrades to fall-through.
	if c.Set("b", 2) {
		t.Error("Set after Close returned true")
	}
	if _, ok := c.Get("a"); ok {
		t.Error("Get after Close hit")
	}
	c.Del("a")
	c.Wait()
	v, err := c.GetOrLoad(t.Context(), "a", func(context.Context) (int, error) { return 3, nil })
	if err != nil || v != 3 {
		t.Errorf("GetOrLoad after Close = %d, %v", v, err)
	}
}

// cacheGoroutines counts goroutines running ristretto or this package.
func cacheGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, "dgraph-io/ristretto") || strings.Contains(g, "storage/cache.(*Cache") {
			n++
		}
	}
	return n
}

func TestNew_BadOptions(t *testing.T) {
	t.Parallel()
	if _, err := cache.New(cache.Options[string, int]{MaxCost: -1}); err == nil {
		t.Error("negative MaxCost accepted")
	}
}
