package rcon

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/blissark/bliss/app/rcon/rcontest"
)

// targets is a mutable resolver for tests.
type targets struct {
	mu sync.Mutex
	m  map[int64]Target
}

func (ts *targets) set(id int64, t Target) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.m[id] = t
}

func (ts *targets) resolve(_ context.Context, id int64) (Target, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t, ok := ts.m[id]
	if !ok {
		return Target{}, fmt.Errorf("unknown server %d", id)
	}
	return t, nil
}

func TestPool(t *testing.T) {
	a := newFake(t, rcontest.Options{})
	a.Handle("Who", func(string) string { return "A" })
	b := newFake(t, rcontest.Options{Password: "other-pass"})
	b.Handle("Who", func(string) string { return "B" })

	ts := &targets{m: map[int64]Target{
		1: {Name: "Island", Addr: a.Addr(), Password: testPassword},
		2: {Name: "Scorched", Addr: b.Addr(), Password: "other-pass"},
	}}
	p := NewPool(ts.resolve, Options{})
	defer p.Close()
	ctx := ctxT(t)

	for id, want := range map[int64]string{1: "A", 2: "B"} {
		got, err := p.Exec(ctx, id, "Who")
		if err != nil || got != want {
			t.Fatalf("server %d: %q, %v; want %q", id, got, err, want)
		}
	}
	c1, err := p.Client(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Same target → same client.
	if again, _ := p.Client(ctx, 1); again != c1 {
		t.Fatal("client replaced although the target did not change")
	}
	// Address and password of server 1 change → old client closed, new one used.
	ts.set(1, Target{Name: "Island", Addr: b.Addr(), Password: "other-pass"})
	got, err := p.Exec(ctx, 1, "Who")
	if err != nil || got != "B" {
		t.Fatalf("after change: %q, %v", got, err)
	}
	if _, err := c1.Exec(ctx, "Who"); !errors.Is(err, ErrClosed) {
		t.Fatalf("old client err = %v, want ErrClosed", err)
	}
	// Unknown server → resolve error, wrapped.
	if _, err := p.Exec(ctx, 99, "Who"); err == nil || !strings.Contains(err.Error(), "resolve server 99") {
		t.Fatalf("err = %v", err)
	}
	p.Forget(2)
	if got, err := p.Exec(ctx, 2, "Who"); err != nil || got != "B" {
		t.Fatalf("after forget: %q, %v", got, err)
	}
	_ = p.Close()
	if _, err := p.Exec(ctx, 1, "Who"); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed pool err = %v", err)
	}
}

func TestPoolConcurrentWithTargetChanges(t *testing.T) {
	a := newFake(t, rcontest.Options{})
	a.Handle("Echo", func(s string) string { return s })
	ts := &targets{m: map[int64]Target{1: {Name: "Island", Addr: a.Addr(), Password: testPassword}}}
	p := NewPool(ts.resolve, Options{})
	defer p.Close()
	ctx := ctxT(t)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			if i%10 == 0 {
				// Flip the name: a different target forces a replacement.
				ts.set(1, Target{Name: fmt.Sprintf("Island-%d", i), Addr: a.Addr(), Password: testPassword})
			}
			tok := fmt.Sprintf("t%d", i)
			got, err := p.Exec(ctx, 1, "Echo "+tok)
			// A command on a client replaced mid-flight may fail with
			// ErrClosed; it must never return someone else's answer.
			if err == nil && got != tok {
				t.Errorf("got %q, want %q", got, tok)
			}
			if err != nil && !errors.Is(err, ErrClosed) {
				t.Errorf("unexpected err %v", err)
			}
		})
	}
	wg.Wait()
}
