package serversync

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/blissark/bliss/jobs"
)

type fakes struct {
	mu      sync.Mutex
	links   []Linked
	listErr error
	tracked map[int64]bool
	jobs    map[string]bool
	deleted []int64
}

func (f *fakes) LinkedServers(context.Context) ([]Linked, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.links), f.listErr
}

func (f *fakes) DeleteSnapshots(_ context.Context, id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, id)
	return nil
}

func (f *fakes) Track(id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tracked[id] = true
	return nil
}
func (f *fakes) Forget(id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.tracked, id)
	return nil
}

func (f *fakes) AddParse(id int64, spec string, _ jobs.Job) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if spec != "" {
		return errors.New("want the staggered default")
	}
	f.jobs[jobs.ParseJobName(id)] = true
	return nil
}

func (f *fakes) Remove(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	ok := f.jobs[name]
	delete(f.jobs, name)
	return ok
}

func TestSync(t *testing.T) {
	f := &fakes{tracked: map[int64]bool{}, jobs: map[string]bool{}}
	s, err := New(Options{Store: f, Tracker: f, Scheduler: f, ParseSpec: "@hourly", Logger: slog.New(slog.DiscardHandler),
		ParseJob: func(int64) jobs.Job { return func(context.Context) error { return nil } }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	// Service 1 linked in two guilds, 2 enabled, 3 disabled.
	f.links = []Linked{{1, true}, {1, false}, {2, true}, {3, false}}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if !f.tracked[1] || !f.tracked[2] || f.tracked[3] || len(f.jobs) != 2 || !f.jobs["parse/1"] || !f.jobs["parse/2"] {
		t.Fatalf("after first sync: tracked %v, jobs %v", f.tracked, f.jobs)
	}
	// 2 disabled (still linked: data kept), 1 unlinked (data deleted).
	f.links = []Linked{{2, false}, {3, true}}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if f.tracked[1] || f.tracked[2] || !f.tracked[3] || len(f.jobs) != 1 || !f.jobs["parse/3"] {
		t.Fatalf("after second sync: tracked %v, jobs %v", f.tracked, f.jobs)
	}
	if !slices.Equal(f.deleted, []int64{1}) {
		t.Errorf("deleted snapshots of %v, want [1]", f.deleted)
	}
	// Preloaded copies of servers without a parse job are forgotten.
	f.tracked[9] = true
	s.ForgetUnwanted([]int64{3, 9})
	if f.tracked[9] || !f.tracked[3] {
		t.Errorf("ForgetUnwanted: tracked %v", f.tracked)
	}
	f.listErr = errors.New("db down")
	if err := s.Sync(ctx); err == nil {
		t.Error("Sync with a failing store succeeded")
	}
	if _, err := New(Options{}); err == nil {
		t.Error("New without dependencies succeeded")
	}
}
