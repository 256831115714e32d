package state_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/blissark/bliss/storage/state"
)

// Countdowns get increasing ids, survive a reopen, and are changed only
// through UpdateCountdown's read-modify-write.
func TestCountdownsLifecycle(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := state.Open(path, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		id, err := s.AddCountdown(func(id int64) ([]byte, error) { return fmt.Appendf(nil, `{"ID":%d,"n":%d}`, id, i), nil })
		if err != nil || id != int64(i+1) {
			t.Fatalf("add %d: id %d, %v", i, id, err)
		}
	}
	if _, err := s.AddCountdown(func(int64) ([]byte, error) { return []byte("not json"), nil }); !errors.Is(err, state.ErrInvalid) {
		t.Fatalf("non-JSON value: %v", err)
	}
	boom := errors.New("boom")
	if _, err := s.AddCountdown(func(int64) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("encode error: %v", err)
	}
	found, err := s.UpdateCountdown(2, func(old []byte) ([]byte, state.CountdownChange, error) {
		if string(old) != `{"ID":2,"n":1}` {
			t.Errorf("old value %s", old)
		}
		return []byte(`{"ID":2,"n":"two"}`), state.CountdownWrite, nil
	})
	if !found || err != nil {
		t.Fatal(found, err)
	}
	if found, err := s.UpdateCountdown(1, func([]byte) ([]byte, state.CountdownChange, error) {
		return nil, state.CountdownDelete, nil
	}); !found || err != nil {
		t.Fatal(found, err)
	}
	if found, err := s.UpdateCountdown(3, func([]byte) ([]byte, state.CountdownChange, error) {
		return nil, state.CountdownWrite, boom // a failing callback changes nothing
	}); !found || !errors.Is(err, boom) {
		t.Fatal(found, err)
	}
	if found, _ := s.UpdateCountdown(99, func([]byte) ([]byte, state.CountdownChange, error) {
		t.Error("called for a missing id")
		return nil, state.CountdownKeep, nil
	}); found {
		t.Fatal("missing id found")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = state.Open(path, state.Options{}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	es, err := s.Countdowns()
	if err != nil || len(es) != 2 || es[0].ID != 2 || string(es[0].Value) != `{"ID":2,"n":"two"}` || es[1].ID != 3 ||
		string(es[1].Value) != `{"ID":3,"n":2}` {
		t.Fatalf("after reopen: %+v %v", es, err)
	}
	if v, ok, err := s.Countdown(1); ok || v != nil || err != nil {
		t.Fatalf("deleted countdown: %s %v %v", v, ok, err)
	}
	// A deleted id is never given again.
	if id, _ := s.AddCountdown(func(id int64) ([]byte, error) { return []byte(`{}`), nil }); id != 4 {
		t.Fatalf("next id %d", id)
	}
}

// PutCountdown and ReserveCountdownIDs keep ids of an older store: later
// ids are larger.
func TestCountdownsKeepMovedIDs(t *testing.T) {
	t.Parallel()
	s := MustOpen(t)
	if err := s.ReserveCountdownIDs(40); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCountdown(7, []byte(`{"ID":7}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCountdown(7, []byte(`{"ID":7,"again":true}`)); err != nil { // idempotent
		t.Fatal(err)
	}
	if id, _ := s.AddCountdown(func(int64) ([]byte, error) { return []byte(`{}`), nil }); id != 41 {
		t.Fatalf("next id %d, want 41", id)
	}
	if err := s.PutCountdown(50, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if id, _ := s.AddCountdown(func(int64) ([]byte, error) { return []byte(`{}`), nil }); id != 51 {
		t.Fatalf("next id %d, want 51", id)
	}
	if v, ok, _ := s.Countdown(7); !ok || string(v) != `{"ID":7,"again":true}` {
		t.Fatalf("moved countdown: %s", v)
	}
	for _, bad := range []struct {
		id int64
		v  string
	}{{0, `{}`}, {-1, `{}`}, {3, `{`}} {
		if err := s.PutCountdown(bad.id, []byte(bad.v)); !errors.Is(err, state.ErrInvalid) {
			t.Errorf("put %d %q: %v", bad.id, bad.v, err)
		}
	}
}

// Concurrent read-modify-writes of one countdown serialise: none is lost.
func TestCountdownUpdatesSerialise(t *testing.T) {
	t.Parallel()
	s := MustOpen(t)
	id, err := s.AddCountdown(func(int64) ([]byte, error) { return []byte(`0`), nil })
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			_, err := s.UpdateCountdown(id, func(old []byte) ([]byte, state.CountdownChange, error) {
				var n int
				fmt.Sscan(string(old), &n)
				return fmt.Append(nil, n+1), state.CountdownWrite, nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if v, _, _ := s.Countdown(id); string(v) != "20" {
		t.Fatalf("value %s after 20 increments", v)
	}
}
