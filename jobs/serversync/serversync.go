// Package serversync keeps the per-server work in step with the servers
// guilds link: every enabled linked server is tracked by the server-details
// cache and has a save-parse job; a server no longer linked (or disabled)
// loses both, and its save data goes once no guild links it at all. It runs
// as the "servers/sync" job, so /servers add|remove take effect without a
// restart.
//
// Like every job it declares what it needs (Store, Tracker, Scheduler) and
// app wires storage, the details cache and the scheduler.
package serversync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/blissark/bliss/jobs"
)

// Linked is one (guild, server) link as the store reports it.
type Linked struct {
	ServiceID int64
	Enabled   bool
}

// Store lists links and deletes a server's save data.
type Store interface {
	LinkedServers(ctx context.Context) ([]Linked, error)
	DeleteSnapshots(ctx context.Context, serviceID int64) error
}

// Tracker keeps a server's details warm (the server-details cache).
type Tracker interface {
	Track(serviceID int64) error
	Forget(serviceID int64) error
}

// Scheduler is the part of *jobs.Scheduler the syncer uses.
type Scheduler interface {
	AddParse(serviceID int64, spec string, job jobs.Job) error
	Remove(name string) bool
}

// Options configure New. Store, Tracker, Scheduler and ParseJob are
// required.
type Options struct {
	Store     Store
	Tracker   Tracker
	Scheduler Scheduler
	// ParseJob returns the save-parse job of a server.
	ParseJob func(serviceID int64) jobs.Job
	// ParseSpec is the parse schedule; "" or "@hourly" staggers servers
	// across the hour (jobs.Scheduler.AddParse).
	ParseSpec string
	Logger    *slog.Logger // nil: slog.Default()
}

// Syncer reconciles links with the per-server work. Safe for concurrent use.
type Syncer struct {
	opts Options
	spec string
	log  *slog.Logger

	mu      sync.Mutex
	parsing map[int64]bool
}

// New validates opts.
func New(opts Options) (*Syncer, error) {
	if opts.Store == nil || opts.Tracker == nil || opts.Scheduler == nil || opts.ParseJob == nil {
		return nil, errors.New("serversync: new: Store, Tracker, Scheduler and ParseJob are required")
	}
	spec := opts.ParseSpec
	if spec == "@hourly" {
		spec = "" // the scheduler's per-server stagger
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Syncer{opts: opts, spec: spec, log: log, parsing: map[int64]bool{}}, nil
}

// Sync tracks every enabled linked server and gives it a parse job;
// servers no longer wanted are forgotten, and their snapshots deleted when
// no guild links them.
func (s *Syncer) Sync(ctx context.Context) error {
	links, err := s.opts.Store.LinkedServers(ctx)
	if err != nil {
		return fmt.Errorf("sync servers: %w", err)
	}
	want := map[int64]bool{}
	linked := map[int64]bool{}
	for _, l := range links {
		linked[l.ServiceID] = true
		if l.Enabled {
			want[l.ServiceID] = true
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range want {
		if s.parsing[id] {
			continue
		}
		if err := s.opts.Tracker.Track(id); err != nil {
			s.log.Warn("track server", "server", id, "err", err)
		}
		if err := s.opts.Scheduler.AddParse(id, s.spec, s.opts.ParseJob(id)); err != nil {
			return fmt.Errorf("sync servers: %w", err)
		}
		s.parsing[id] = true
	}
	for id := range s.parsing {
		if want[id] {
			continue
		}
		s.opts.Scheduler.Remove(jobs.ParseJobName(id))
		if err := s.opts.Tracker.Forget(id); err != nil {
			s.log.Warn("forget server", "server", id, "err", err)
		}
		if !linked[id] {
			// No guild links the server any more: its save data goes too.
			if err := s.opts.Store.DeleteSnapshots(ctx, id); err != nil {
				s.log.Warn("delete snapshots", "server", id, "err", err)
			}
		}
		delete(s.parsing, id)
	}
	return nil
}

// ForgetUnwanted forgets the given servers (e.g. the details cache's
// preloaded copies) unless Sync gave them a parse job.
func (s *Syncer) ForgetUnwanted(ids []int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if !s.parsing[id] {
			if err := s.opts.Tracker.Forget(id); err != nil {
				s.log.Warn("forget server", "server", id, "err", err)
			}
		}
	}
}
