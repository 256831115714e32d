// Package jobs runs Bliss's scheduled work with robfig/cron: the hourly save
// parse per server (with bases and decay), chat and log polling, awards and
// donations. Jobs skip when still running, recover from panics, and pause
// while Nitrado is degraded. Like bots, jobs declares the interfaces it needs
// and never imports storage.
//
// # Scheduler
//
//	s := jobs.NewScheduler(jobs.Options{Logger: log, MaxConcurrentParses: 1, Store: state})
//	s.Add("backup", "@daily", backup)            // any job
//	s.AddParse(17000001, "", parse)              // hourly at a per-server minute
//	s.AddJob("chat/17000001", "@every 1m", jobs.JobOptions{ServiceID: 17000001, PauseWhenDegraded: true}, poll)
//	nitrado.OnHealthChange(s.OnHealthChange)     // pause parses while degraded
//	g.Go(func() error { return s.Run(ctx) })     // until ctx ends
//	err := s.Trigger(ctx, jobs.ParseJobName(id)) // on demand, synchronous
//	states := s.States()                         // for /status and /healthz
//
// A job is func(ctx context.Context) error; its ctx is cancelled on shutdown
// and Run waits for running jobs before returning. A job never overlaps
// itself (scheduled or triggered) and every run has a deadline
// (JobOptions.Deadline, default DefaultDeadline): a run past it fails with
// ErrDeadline and the next run starts on time. JobOptions add the rest:
// SharesSlot jobs (save parses) share MaxConcurrentParses slots so one large
// save is decoded at a time, and PauseWhenDegraded jobs are skipped
// (JobState.LastSkip "paused: nitrado degraded") while paused.
//
// The save pipeline (download → decode → bases.Analyze → snapshot) is a
// parse job; bases lives in jobs/bases.
package jobs
