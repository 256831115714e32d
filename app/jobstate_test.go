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
}
