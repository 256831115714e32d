package app

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/blissark/bliss/jobs"
	"github.com/blissark/bliss/storage/state"
)

// TestJobStatesSurviveRestart: a parse's last run and error, saved in
// bbolt by one scheduler, are what the next process's scheduler reports
// for the same job before it runs again.
func TestJobStatesSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := state.Open(path, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s1 := jobs.NewScheduler(jobs.Options{Logger: slog.New(slog.DiscardHandler), Store: jobStateStore{st}})
	s1.AddParse(17000001, "@daily", func(context.Context) error { return errors.New("nitrado: boom") })
	s1.AddParse(17000002, "@daily", func(context.Context) error { return nil })
	_ = s1.Trigger(t.Context(), jobs.ParseJobName(17000001))
	if err := s1.Trigger(t.Context(), jobs.ParseJobName(17000002)); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, err = state.Open(path, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s2 := jobs.NewScheduler(jobs.Options{Logger: slog.New(slog.DiscardHandler), Store: jobStateStore{st}})
	restoreJobStates(s2, st, slog.New(slog.DiscardHandler))
	s2.AddParse(17000001, "@daily", func(context.Context) error { return nil })
	s2.AddParse(17000002, "@daily", func(context.Context) error { return nil })
	failed, _ := s2.State(jobs.ParseJobName(17000001))
	ok, _ := s2.State(jobs.ParseJobName(17000002))
	if failed.LastRun.IsZero() || failed.LastErr == "" || time.Since(failed.LastRun) > time.Hour {
		t.Errorf("failed parse after restart: %+v", failed)
	}
	if ok.LastRun.IsZero() || ok.LastErr != "" {
		t.Errorf("good parse after restart: %+v", ok)
	}
	// The whole record survives, not a hand-copied subset of it: counters
	// and the last skip too.
	if failed.Runs != 1 || failed.Failures != 1 || ok.Runs != 1 || ok.Failures != 0 {
		t.Errorf("counters after restart: failed %d runs/%d failures, ok %d runs/%d failures; want 1/1 and 1/0",
			failed.Runs, failed.Failures, ok.Runs, ok.Failures)
	}
	if failed.Kind != jobs.KindParse || failed.ServiceID != 17000001 {
		t.Errorf("restored job is %q for service %d", failed.Kind, failed.ServiceID)
	}
}

// TestJobStatesOldRecordsAndSkips: records written by earlier versions
// (snake_case fields of their own struct) still restore, a skip survives a
// restart, and a record that does not decode is skipped, not fatal.
func TestJobStatesOldRecordsAndSkips(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := state.Open(path, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	old := `{"name":"parse/17000003","last_run":"2026-05-06T07:08:09Z","last_duration":1500000000,"last_err":"nitrado: boom","consecutive_failures":2}`
	if err := st.PutJobState(jobs.ParseJobName(17000003), []byte(old)); err != nil {
		t.Fatal(err)
	}
	if err := st.PutJobState("parse/17000005", []byte(`{"last_run":"not a time"}`)); err != nil {
		t.Fatal(err)
	}
	s1 := jobs.NewScheduler(jobs.Options{Logger: slog.New(slog.DiscardHandler), Store: jobStateStore{st}})
	s1.AddParse(17000004, "@daily", func(context.Context) error { return nil })
	s1.Pause("nitrado degraded")
	_ = s1.Trigger(t.Context(), jobs.ParseJobName(17000004))
	skipped, _ := s1.State(jobs.ParseJobName(17000004))
	if skipped.LastSkip == "" {
		t.Fatalf("a paused trigger recorded no skip: %+v", skipped)
	}

	s2 := jobs.NewScheduler(jobs.Options{Logger: slog.New(slog.DiscardHandler)})
	restoreJobStates(s2, st, slog.New(slog.DiscardHandler))
	s2.AddParse(17000003, "@daily", func(context.Context) error { return nil })
	s2.AddParse(17000004, "@daily", func(context.Context) error { return nil })
	s2.AddParse(17000005, "@daily", func(context.Context) error { return nil })
	o, _ := s2.State(jobs.ParseJobName(17000003))
	want := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	if !o.LastRun.Equal(want) || o.LastDuration != 1500*time.Millisecond || o.LastErr != "nitrado: boom" {
		t.Errorf("old record restored as %+v", o)
	}
	sk, _ := s2.State(jobs.ParseJobName(17000004))
	if sk.LastSkip != skipped.LastSkip || !sk.LastSkipAt.Equal(skipped.LastSkipAt) || sk.Skips != skipped.Skips {
		t.Errorf("skip after restart: %q at %v (%d skips), want %q at %v (%d)", sk.LastSkip, sk.LastSkipAt, sk.Skips,
			skipped.LastSkip, skipped.LastSkipAt, skipped.Skips)
	}
	if bad, _ := s2.State("parse/17000005"); !bad.LastRun.IsZero() {
		t.Errorf("undecodable record restored: %+v", bad)
	}
}
