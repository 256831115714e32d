package jobs

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestDeadline: a run that outlives its deadline fails with ErrDeadline and
// a message naming the deadline, and the next scheduled run starts on time.
func TestDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newTestScheduler(t, Options{DefaultDeadline: 10 * time.Minute})
		var runs atomic.Int32
		stall := func(ctx context.Context) error {
			if runs.Add(1) == 1 {
				<-ctx.Done() // a stalled download that honours ctx
				return ctx.Err()
			}
			return nil
		}
		if err := s.Add("stall", "@every 1h", stall); err != nil {
			t.Fatal(err)
		}
		stop := start(t, s)
		defer stop()

		time.Sleep(time.Hour + 10*time.Minute + time.Second)
		synctest.Wait()
		st, _ := s.State("stall")
		if st.Running || st.Failures != 1 || !strings.Contains(st.LastErr, "run exceeded its deadline (10m0s)") {
			t.Fatalf("after the deadline: %+v", st)
		}
		time.Sleep(50 * time.Minute)
		synctest.Wait()
		st, _ = s.State("stall")
		if runs.Load() != 2 || st.LastErr != "" || st.Runs != 2 {
			t.Fatalf("next run: runs=%d state %+v", runs.Load(), st)
		}
	})
}

// TestDeadlinePerJob: JobOptions.Deadline overrides the default, and a
// negative deadline means none.
func TestDeadlinePerJob(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newTestScheduler(t, Options{})
		wait := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
		s.AddJob("short", "@daily", JobOptions{Deadline: time.Second}, wait)
		err := s.Trigger(t.Context(), "short")
		if !errors.Is(err, ErrDeadline) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Trigger = %v, want ErrDeadline wrapping the ctx error", err)
		}
		s.AddJob("forever", "@daily", JobOptions{Deadline: -1}, func(ctx context.Context) error {
			if _, ok := ctx.Deadline(); ok {
				return errors.New("has a deadline")
			}
			return nil
		})
		if err := s.Trigger(t.Context(), "forever"); err != nil {
			t.Fatal(err)
		}
		s.Add("default", "@daily", func(ctx context.Context) error {
			if d, ok := ctx.Deadline(); !ok || time.Until(d) != DefaultDeadline {
				return errors.New("want DefaultDeadline")
			}
			return nil
		})
		if err := s.Trigger(t.Context(), "default"); err != nil {
			t.Fatal(err)
		}
	})
}

// TestJobOptionsGates: a non-parse job can share the slot and pause while
// degraded (the coming chat/log/donation jobs), and a job with neither
// ignores both.
func TestJobOptionsGates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newTestScheduler(t, Options{MaxConcurrentParses: 1})
		release := make(chan struct{})
		s.AddParse(1, "@daily", func(ctx context.Context) error { <-release; return nil })
		var logs, free atomic.Int32
		s.AddJob("logs/1", "@daily", JobOptions{ServiceID: 1, SharesSlot: true, PauseWhenDegraded: true},
			func(ctx context.Context) error { logs.Add(1); return nil })
		s.Add("free", "@daily", func(ctx context.Context) error { free.Add(1); return nil })

		go s.Trigger(t.Context(), ParseJobName(1))
		synctest.Wait()
		errc := make(chan error, 1)
		go func() { errc <- s.Trigger(t.Context(), "logs/1") }()
		synctest.Wait()
		if st, _ := s.State("logs/1"); !st.Queued || st.ServiceID != 1 || st.Kind != KindJob {
			t.Fatalf("logs job while the slot is taken: %+v", st)
		}
		if err := s.Trigger(t.Context(), "free"); err != nil || free.Load() != 1 {
			t.Fatalf("free job = %v (%d runs)", err, free.Load())
		}
		s.Pause("maintenance")
		close(release)
		if err := <-errc; !errors.Is(err, ErrPaused) || logs.Load() != 0 {
			t.Fatalf("logs job after pause while queued = %v (%d runs)", err, logs.Load())
		}
		if err := s.Trigger(t.Context(), "free"); err != nil {
			t.Fatalf("free job while paused = %v", err)
		}
	})
}
