package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func newTestScheduler(t *testing.T, opts Options) *Scheduler {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	return NewScheduler(opts)
}

// start runs s in the test's bubble and returns a stop func that cancels and
// waits for Run to return.
func start(t *testing.T, s *Scheduler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	synctest.Wait()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

func TestScheduledRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newTestScheduler(t, Options{})
		var n atomic.Int32
		if err := s.Add("tick", "@every 1h", func(ctx context.Context) error { n.Add(1); return nil }); err != nil {
			t.Fatal(err)
		}
		stop := start(t, s)
		defer stop()

		time.Sleep(59 * time.Minute)
		synctest.Wait()
		if got := n.Load(); got != 0 {
			t.Fatalf("runs after 59m = %d, want 0", got)
		}
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		if got := n.Load(); got != 1 {
			t.Fatalf("runs after 61m = %d, want 1", got)
		}
		time.Sleep(3 * time.Hour)
		synctest.Wait()
		if got := n.Load(); got != 4 {
			t.Fatalf("runs after 4h1m = %d, want 4", got)
		}
		st, _ := s.State("tick")
		if st.Runs != 4 || st.LastErr != "" || st.Running {
			t.Fatalf("state = %+v", st)
		}
		if want := time.Now().Truncate(time.Hour).Add(time.Hour); !st.NextRun.Equal(want) {
			t.Fatalf("NextRun = %v, want %v", st.NextRun, want)
		}
	})
}

func TestScheduledSkipIfStillRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newTestScheduler(t, Options{})
		release := make(chan struct{})
		var n atomic.Int32
		s.Add("slow", "@every 1m", func(ctx context.Context) error {
			n.Add(1)
			<-release
			return nil
		})
		stop := start(t, s)
		defer stop()
		time.Sleep(5*time.Minute + time.Second) // ticks at 1..5m; first blocks
		synctest.Wait()
		if got := n.Load(); got != 1 {
			t.Fatalf("concurrent runs = %d, want 1", got)
		}
		// Trigger honours the same guard.
		if err := s.Trigger(t.Context(), "slow"); !errors.Is(err, ErrRunning) {
			t.Fatalf("Trigger while running = %v, want ErrRunning", err)
		}
		st, _ := s.State("slow")
		if !st.Running || st.LastSkip != SkipRunning || st.Skips < 1 {
			t.Fatalf("state = %+v", st)
		}
		close(release)
		synctest.Wait()
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := n.Load(); got != 2 {
			t.Fatalf("runs after release = %d, want 2", got)
		}
	})
}

func TestTrigger(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newTestScheduler(t, Options{})
		boom := errors.New("boom")
		s.Add("ok", "@daily", func(ctx context.Context) error {
			time.Sleep(3 * time.Second)
			return nil
		})
		s.Add("fail", "@daily", func(ctx context.Context) error { return boom })
		s.Add("panic", "@daily", func(ctx context.Context) error { panic("kaboom") })

		// Before Run: allowed, uses the caller's ctx.
		if err := s.Trigger(t.Context(), "ok"); err != nil {
			t.Fatal(err)
		}
		stop := start(t, s)
		defer stop()

		if err := s.Trigger(t.Context(), "fail"); !errors.Is(err, boom) {
			t.Fatalf("Trigger(fail) = %v, want wrapping boom", err)
		}
		if err := s.Trigger(t.Context(), "panic"); err == nil || !strings.Contains(err.Error(), "panic: kaboom") {
			t.Fatalf("Trigger(panic) = %v", err)
		}
		if err := s.Trigger(t.Context(), "nope"); !errors.Is(err, ErrUnknownJob) {
			t.Fatalf("Trigger(nope) = %v", err)
		}
		// The scheduler survived the panic.
		if err := s.Trigger(t.Context(), "ok"); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name     string
			runs     int64
			failures int64
			lastErr  string
			dur      time.Duration
		}{
			{"fail", 1, 1, "boom", 0},
			{"ok", 2, 0, "", 3 * time.Second},
			{"panic", 1, 1, "panic: kaboom", 0},
		}
		states := s.States()
		if len(states) != len(tests) {
			t.Fatalf("States() has %d jobs", len(states))
		}
		for i, tt := range tests {
			st := states[i]
			if st.Name != tt.name || st.Runs != tt.runs || st.Failures != tt.failures ||
				st.LastErr != tt.lastErr || st.LastDuration != tt.dur || st.LastRun.IsZero() {
				t.Errorf("state %d = %+v, want %+v", i, st, tt)
			}
		}
	})
}

func TestParseSemaphore(t *testing.T) {
	for _, max := range []int{0, 1, 2} {
		t.Run(fmt.Sprint("max", max), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newTestScheduler(t, Options{MaxConcurrentParses: max})
				var cur, peak atomic.Int32
				for i := range 4 {
					s.AddParse(int64(1000+i), "@daily", func(ctx context.Context) error {
						c := cur.Add(1)
						for {
							p := peak.Load()
							if c <= p || peak.CompareAndSwap(p, c) {
								break
							}
						}
						time.Sleep(time.Minute)
						cur.Add(-1)
						return nil
					})
				}
				stop := start(t, s)
				defer stop()
				var wg sync.WaitGroup
				for i := range 4 {
					wg.Go(func() {
						if err := s.Trigger(t.Context(), ParseJobName(int64(1000+i))); err != nil {
							t.Error(err)
						}
					})
				}
				synctest.Wait()
				want := max
				if want == 0 {
					want = 1
				}
				queued := 0
				for _, st := range s.States() {
					if st.Queued {
						queued++
					}
					if !st.Running {
						t.Errorf("%s not running/queued", st.Name)
					}
				}
				if queued != 4-want {
					t.Errorf("queued = %d, want %d", queued, 4-want)
				}
				wg.Wait()
				if got := peak.Load(); int(got) != want {
					t.Fatalf("peak concurrent parses = %d, want %d", got, want)
				}
			})
		})
	}
}

func TestPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &memStore{}
		s := newTestScheduler(t, Options{Store: store})
		var parses, others atomic.Int32
		s.AddParse(7, "@every 1h", func(ctx context.Context) error { parses.Add(1); return nil })
		s.Add("awards", "@every 1h", func(ctx context.Context) error { others.Add(1); return nil })
		stop := start(t, s)
		defer stop()

		s.OnHealthChange(false)
		if p, r := s.Paused(); !p || r != DefaultPauseReason {
			t.Fatalf("Paused() = %v %q", p, r)
		}
		time.Sleep(time.Hour + time.Second)
		synctest.Wait()
		if parses.Load() != 0 || others.Load() != 1 {
			t.Fatalf("paused: parses=%d others=%d", parses.Load(), others.Load())
		}
		err := s.Trigger(t.Context(), ParseJobName(7))
		if !errors.Is(err, ErrPaused) {
			t.Fatalf("Trigger while paused = %v", err)
		}
		st, _ := s.State(ParseJobName(7))
		if !st.Paused || st.LastSkip != "paused: nitrado degraded" || st.Skips != 2 || st.Runs != 0 {
			t.Fatalf("paused state = %+v", st)
		}
		if last, ok := store.last(ParseJobName(7)); !ok || last.LastSkip != "paused: nitrado degraded" {
			t.Fatalf("store has %+v", last)
		}

		s.OnHealthChange(true)
		time.Sleep(time.Hour)
		synctest.Wait()
		if parses.Load() != 1 {
			t.Fatalf("after resume parses = %d", parses.Load())
		}
		st, _ = s.State(ParseJobName(7))
		if st.Paused || st.Runs != 1 {
			t.Fatalf("resumed state = %+v", st)
		}
	})
}

func TestPauseWhileQueued(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newTestScheduler(t, Options{})
		release := make(chan struct{})
		var second atomic.Bool
		s.AddParse(1, "@daily", func(ctx context.Context) error { <-release; return nil })
		s.AddParse(2, "@daily", func(ctx context.Context) error { second.Store(true); return nil })
		errA, errB := make(chan error, 1), make(chan error, 1)
		go func() { errA <- s.Trigger(t.Context(), ParseJobName(1)) }()
		synctest.Wait()
		go func() { errB <- s.Trigger(t.Context(), ParseJobName(2)) }()
		synctest.Wait()
		if st := mustState(t, s, ParseJobName(2)); !st.Queued {
			t.Fatalf("b not queued: %+v", st)
		}
		s.Pause("maintenance")
		close(release)
		if err := <-errA; err != nil {
			t.Fatal(err)
		}
		if err := <-errB; !errors.Is(err, ErrPaused) || second.Load() {
			t.Fatalf("queued parse after pause: err=%v ran=%v", err, second.Load())
		}
		if st := mustState(t, s, ParseJobName(2)); st.LastSkip != "paused: maintenance" || st.Running || st.Queued {
			t.Fatalf("b state = %+v", st)
		}
	})
}

func TestShutdownCancelsAndWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newTestScheduler(t, Options{})
		var sawCancel, finished atomic.Bool
		s.Add("long", "@every 1m", func(ctx context.Context) error {
			<-ctx.Done()
			sawCancel.Store(true)
			time.Sleep(10 * time.Second) // cleanup after cancel
			finished.Store(true)
			return ctx.Err()
		})
		var trigCancel atomic.Bool
		s.Add("manual", "@yearly", func(ctx context.Context) error {
			<-ctx.Done()
			trigCancel.Store(true)
			return ctx.Err()
		})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		trig := make(chan error, 1)
		go func() { trig <- s.Trigger(context.Background(), "manual") }()
		time.Sleep(time.Minute + time.Second)
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if !sawCancel.Load() || !finished.Load() || !trigCancel.Load() {
			t.Fatalf("Run returned before jobs finished: cancel=%v finished=%v trig=%v",
				sawCancel.Load(), finished.Load(), trigCancel.Load())
		}
		if err := <-trig; !errors.Is(err, context.Canceled) {
			t.Fatalf("triggered job err = %v", err)
		}
		if err := s.Trigger(t.Context(), "long"); !errors.Is(err, ErrStopped) {
			t.Fatalf("Trigger after stop = %v", err)
		}
		if err := s.Add("late", "@daily", func(context.Context) error { return nil }); !errors.Is(err, ErrStopped) {
			t.Fatalf("Add after stop = %v", err)
		}
		if err := s.Run(t.Context()); err == nil {
			t.Fatal("second Run succeeded")
		}
	})
}

func TestAddErrorsAndRemove(t *testing.T) {
	s := newTestScheduler(t, Options{})
	nop := func(context.Context) error { return nil }
	if err := s.Add("a", "@every 1h", nop); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, spec string
		job        Job
		want       error
	}{
		{"a", "@daily", nop, ErrDuplicate},
		{"b", "not a spec", nop, nil},
		{"c", "* * * * * * *", nop, nil},
		{"", "@daily", nop, nil},
		{"d", "@daily", nil, nil},
	} {
		err := s.Add(tc.name, tc.spec, tc.job)
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("Add(%q, %q) = %v, want error %v", tc.name, tc.spec, err, tc.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "jobs: ") {
			t.Errorf("error %q lacks prefix", err)
		}
	}
	if err := s.AddParse(0, "", nop); err == nil {
		t.Error("AddParse with empty server id succeeded")
	}
	if !s.Remove("a") || s.Remove("a") {
		t.Error("Remove")
	}
	if len(s.States()) != 0 {
		t.Errorf("States after remove = %+v", s.States())
	}
	if err := s.Add("a", "@daily", nop); err != nil {
		t.Errorf("re-add after remove: %v", err)
	}
}

func TestParseStagger(t *testing.T) {
	s := newTestScheduler(t, Options{})
	nop := func(context.Context) error { return nil }
	seen := map[string]bool{}
	for i := range 60 {
		if err := s.AddParse(int64(17000000+i), "", nop); err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range s.States() {
		if seen[st.Spec] {
			t.Errorf("minute spec %q used twice", st.Spec)
		}
		seen[st.Spec] = true
		if !strings.HasSuffix(st.Spec, " * * * *") || st.Kind != KindParse || st.ServiceID == 0 {
			t.Errorf("state %+v", st)
		}
	}
	// Deterministic: the first server gets its hash minute, on every restart.
	s2 := newTestScheduler(t, Options{})
	s2.AddParse(17000000, "", nop)
	if a, b := mustState(t, s, ParseJobName(17000000)), mustState(t, s2, ParseJobName(17000000)); a.Spec != b.Spec {
		t.Errorf("stagger not deterministic: %q vs %q", a.Spec, b.Spec)
	}
	// An explicit spec is kept; removing frees the minute.
	s.AddParse(9, "@every 1h", nop)
	if st, _ := s.State(ParseJobName(9)); st.Spec != "@every 1h" {
		t.Errorf("explicit spec = %q", st.Spec)
	}
	if got := pickMinute("17000000", map[int]string{}); fmt.Sprintf("%d * * * *", got) != mustState(t, s, ParseJobName(17000000)).Spec {
		t.Errorf("first server did not get its hash minute %d", got)
	}
}

func mustState(t *testing.T, s *Scheduler, name string) JobState {
	t.Helper()
	st, ok := s.State(name)
	if !ok {
		t.Fatalf("no state for %s", name)
	}
	return st
}

func TestNextRunBeforeStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newTestScheduler(t, Options{})
		s.Add("h", "30 * * * *", func(context.Context) error { return nil })
		now := time.Now().UTC()
		want := now.Truncate(time.Hour).Add(30 * time.Minute)
		if !want.After(now) {
			want = want.Add(time.Hour)
		}
		if got := mustState(t, s, "h").NextRun; !got.Equal(want) {
			t.Fatalf("NextRun = %v, want %v", got, want)
		}
	})
}

func TestRestoreAndStore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &memStore{failFirst: true}
		s := newTestScheduler(t, Options{Store: store})
		old := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		s.Restore([]JobState{{Name: "backup", LastRun: old, LastErr: "disk full", Runs: 9, Failures: 1}})
		s.Add("backup", "@daily", func(context.Context) error { return nil })
		st := mustState(t, s, "backup")
		if !st.LastRun.Equal(old) || st.LastErr != "disk full" || st.Runs != 9 {
			t.Fatalf("restored = %+v", st)
		}
		s.Trigger(t.Context(), "backup") // store fails: logged, not fatal
		s.Trigger(t.Context(), "backup")
		last, ok := store.last("backup")
		if !ok || last.Runs != 11 || last.LastErr != "" {
			t.Fatalf("stored = %+v", last)
		}
	})
}

func TestCronLogger(t *testing.T) {
	var buf bytes.Buffer
	l := cronLogger{log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	l.Info("wake", "now", 1)
	l.Error(errors.New("bad"), "panic", "stack", "x")
	out := buf.String()
	for _, want := range []string{"level=DEBUG msg=\"cron: wake\" now=1", "level=ERROR msg=\"cron: panic\" err=bad stack=x"} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %q", out, want)
		}
	}
}

// TestNoForbiddenImports keeps jobs (and its subpackages) away from storage,
// bots and app: they declare the interfaces they need. The protocol clients
// app/nitrado and app/rcon are leaves every job may use (not their fakes).
func TestNoForbiddenImports(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go tool not in PATH")
	}
	out, err := exec.Command("go", "list", "-deps", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		client := false
		for _, c := range []string{"github.com/blissark/bliss/app/nitrado", "github.com/blissark/bliss/app/rcon"} {
			client = client || (dep == c || strings.HasPrefix(dep, c+"/")) && !strings.HasSuffix(dep, "test")
		}
		for _, bad := range []string{"github.com/blissark/bliss/storage", "github.com/blissark/bliss/app", "github.com/blissark/bliss/bots"} {
			if (dep == bad || strings.HasPrefix(dep, bad+"/")) && !client {
				t.Errorf("jobs depends on %s", dep)
			}
		}
	}
}

type memStore struct {
	mu        sync.Mutex
	failFirst bool
	states    map[string]JobState
}

func (m *memStore) PutJobState(ctx context.Context, st JobState) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failFirst {
		m.failFirst = false
		return errors.New("store down")
	}
	if m.states == nil {
		m.states = map[string]JobState{}
	}
	m.states[st.Name] = st
	return nil
}

func (m *memStore) last(name string) (JobState, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, ok := m.states[name]
	return st, ok
}
