package state_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blissark/bliss/storage/state"
)

// MustOpen opens a store in a temp dir, closed when the test ends.
func MustOpen(tb testing.TB) *state.Store {
	tb.Helper()
	s, err := state.Open(filepath.Join(tb.TempDir(), "state.db"), state.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}

func TestReopenKeepsEverything(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := state.Open(path, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	saved := time.Date(2026, 5, 6, 7, 8, 9, 10, time.UTC)
	js := []byte(`{"name":"parse/1001","last_run":"2026-05-06T07:08:09.00000001Z","last_err":"boom","runs":3}`)
	for _, err := range []error{
		s.SetCursor("chat/1001", 42),
		s.SetByteCursor("log/1001", []byte("2026.05.06_07.08.09: joined")),
		s.PutStale("server_details", "1001", []byte(`{"name":"Island"}`), saved),
		s.PutJobState("parse/1001", js),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = state.Open(path, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, ok, err := s.Cursor("chat/1001"); err != nil || !ok || v != 42 {
		t.Errorf("Cursor = %d, %v, %v; want 42", v, ok, err)
	}
	if v, ok, err := s.ByteCursor("log/1001"); err != nil || !ok || string(v) != "2026.05.06_07.08.09: joined" {
		t.Errorf("ByteCursor = %q, %v, %v", v, ok, err)
	}
	e, ok, err := s.Stale("server_details", "1001")
	if err != nil || !ok || string(e.Value) != `{"name":"Island"}` || !e.SavedAt.Equal(saved) || e.Key != "1001" {
		t.Errorf("Stale = %+v, %v, %v", e, ok, err)
	}
	got, ok, err := s.JobState("parse/1001")
	if err != nil || !ok || !bytes.Equal(got, js) {
		t.Errorf("JobState = %s, %v, %v; want %s", got, ok, err, js)
	}
}

func TestCursors(t *testing.T) {
	t.Parallel()
	s := MustOpen(t)
	if _, ok, err := s.Cursor("x"); ok || err != nil {
		t.Errorf("unset Cursor: ok=%v err=%v", ok, err)
	}
	if _, ok, err := s.ByteCursor("x"); ok || err != nil {
		t.Errorf("unset ByteCursor: ok=%v err=%v", ok, err)
	}
	for _, v := range []uint64{0, 1, 1 << 63, ^uint64(0)} {
		if err := s.SetCursor("x", v); err != nil {
			t.Fatal(err)
		}
		if got, ok, err := s.Cursor("x"); got != v || !ok || err != nil {
			t.Errorf("Cursor = %d, %v, %v; want %d", got, ok, err, v)
		}
	}
	// Set-but-empty differs from unset.
	if err := s.SetByteCursor("x", nil); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := s.ByteCursor("x"); !ok || len(v) != 0 || err != nil {
		t.Errorf("empty ByteCursor = %q, %v, %v; want set and empty", v, ok, err)
	}
	// Returned slices do not alias bbolt memory.
	if err := s.SetByteCursor("x", []byte("abc")); err != nil {
		t.Fatal(err)
	}
	v, _, _ := s.ByteCursor("x")
	v[0] = 'z'
	if again, _, _ := s.ByteCursor("x"); !bytes.Equal(again, []byte("abc")) {
		t.Errorf("ByteCursor after caller mutation = %q", again)
	}
	if err := s.DeleteCursor("x"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Cursor("x"); ok {
		t.Error("Cursor set after DeleteCursor")
	}
	for _, err := range []error{s.SetCursor("", 1), s.SetByteCursor("", nil), s.DeleteCursor("")} {
		if !errors.Is(err, state.ErrInvalid) {
			t.Errorf("empty name: err = %v, want ErrInvalid", err)
		}
	}
	if _, _, err := s.Cursor(strings.Repeat("k", 40000)); !errors.Is(err, state.ErrInvalid) {
		t.Errorf("huge name: err = %v, want ErrInvalid", err)
	}
}

func TestStale(t *testing.T) {
	t.Parallel()
	s := MustOpen(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("X", 3600))
	for _, k := range []string{"b", "a", "c"} {
		if err := s.PutStale("server_details", k, []byte(k+"!"), now); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutStale("other", "a", []byte("other"), now); err != nil {
		t.Fatal(err)
	}
	if err := s.PutStale("server_details", "b", []byte("b2"), now.Add(time.Minute)); err != nil { // replace
		t.Fatal(err)
	}
	es, err := s.StaleAll("server_details")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, e := range es {
		keys = append(keys, e.Key+"="+string(e.Value))
	}
	if got, want := strings.Join(keys, ","), "a=a!,b=b2,c=c!"; got != want {
		t.Errorf("StaleAll = %s, want %s", got, want)
	}
	if !es[1].SavedAt.Equal(now.Add(time.Minute)) {
		t.Errorf("SavedAt = %v", es[1].SavedAt)
	}
	if err := s.DeleteStale("server_details", "a"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Stale("server_details", "a"); ok || err != nil {
		t.Errorf("Stale after delete: ok=%v err=%v", ok, err)
	}
	for _, err := range []error{s.DeleteStale("server_details", "missing"), s.DeleteStale("nokind", "x")} {
		if err != nil {
			t.Errorf("deleting a missing entry: %v", err)
		}
	}
	if es, err := s.StaleAll("nokind"); err != nil || len(es) != 0 {
		t.Errorf("StaleAll(unknown kind) = %v, %v", es, err)
	}
	if _, ok, err := s.Stale("nokind", "x"); ok || err != nil {
		t.Errorf("Stale(unknown kind): ok=%v err=%v", ok, err)
	}
	if err := s.PutStale("", "k", nil, now); !errors.Is(err, state.ErrInvalid) {
		t.Errorf("empty kind: %v", err)
	}
	if err := s.PutStale("k", "", nil, now); !errors.Is(err, state.ErrInvalid) {
		t.Errorf("empty key: %v", err)
	}
}

func TestJobStates(t *testing.T) {
	t.Parallel()
	s := MustOpen(t)
	if jss, err := s.JobStates(); err != nil || len(jss) != 0 {
		t.Errorf("JobStates on empty store = %v, %v", jss, err)
	}
	for _, name := range []string{"saves", "ap_awards", "backup"} {
		if err := s.PutJobState(name, []byte(`{"job":"`+name+`"}`)); err != nil {
			t.Fatal(err)
		}
	}
	jss, err := s.JobStates()
	if err != nil {
		t.Fatal(err)
	}
	if len(jss) != 3 || jss[0].Name != "ap_awards" || jss[2].Name != "saves" || string(jss[1].Value) != `{"job":"backup"}` {
		t.Errorf("JobStates = %+v", jss)
	}
	if _, ok, err := s.JobState("never"); ok || err != nil {
		t.Errorf("JobState(never): ok=%v err=%v", ok, err)
	}
	if err := s.PutJobState("bad", []byte("not json")); !errors.Is(err, state.ErrInvalid) {
		t.Errorf("PutJobState(not JSON) = %v, want ErrInvalid", err)
	}
	if err := s.PutJobState("", []byte("{}")); err == nil {
		t.Error("PutJobState with an empty name succeeded")
	}
}

func TestOpen_SecondOpenTimesOut(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := state.Open(path, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	// flock is per open file, so a second Open in this process contends
	// exactly like a second process would.
	_, err = state.Open(path, state.Options{Timeout: 100 * time.Millisecond})
	if !errors.Is(err, state.ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	want := "state: open " + path + ": locked by another process (timeout 100ms)"
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestOpen_Errors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, bytes.Repeat([]byte("not a bolt file "), 1024), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, path, want string }{
		{"missing dir", filepath.Join(dir, "nope", "state.db"), "no such file or directory"},
		{"garbage", garbage, "invalid"},
		{"empty path", "", "empty path"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := state.Open(tt.path, state.Options{})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "state: open") || !strings.Contains(msg, tt.want) || (tt.path != "" && strings.Count(msg, tt.path) != 1) {
				t.Errorf("error = %q, want state: open prefix, %q, path once", msg, tt.want)
			}
		})
	}
}
