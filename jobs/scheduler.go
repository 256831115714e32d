package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
)

// Errors returned by Scheduler methods. Test with errors.Is.
var (
	ErrUnknownJob = errors.New("unknown job")
	ErrDuplicate  = errors.New("job already exists")
	ErrRunning    = errors.New("job already running")
	ErrPaused     = errors.New("jobs paused")
	ErrStopped    = errors.New("scheduler stopped")
	// ErrDeadline is the cause of a run's ctx when the run outlived its
	// deadline (JobOptions.Deadline, Options.DefaultDeadline).
	ErrDeadline = errors.New("run exceeded its deadline")
)

// Job is the work a scheduled entry does. ctx is cancelled when the scheduler
// shuts down (and, for Trigger, when the caller's ctx ends).
type Job func(ctx context.Context) error

// Kind labels a job for /status (a save parse, a log poll, ...). It changes
// no behaviour: JobOptions does.
type Kind string

const (
	KindJob   Kind = "job"   // added with Add
	KindParse Kind = "parse" // added with AddParse
)

// DefaultDeadline bounds one run when neither JobOptions.Deadline nor
// Options.DefaultDeadline is set: well above the download and decode of a
// 1 GiB save on a slow link.
const DefaultDeadline = 45 * time.Minute

// JobOptions describe how a job runs. The zero value is an ordinary job:
// no shared slot, not paused, DefaultDeadline.
type JobOptions struct {
	// Kind labels the job in JobState (default KindJob).
	Kind Kind
	// ServiceID is the Nitrado service the job works for (0: none), shown
	// in JobState.
	ServiceID int64
	// SharesSlot makes each run wait for one of the scheduler's shared slots
	// (Options.MaxConcurrentParses): heavy work such as decoding a save never
	// runs more than that many at once, across all jobs that share.
	SharesSlot bool
	// PauseWhenDegraded skips runs while the scheduler is paused (Pause,
	// OnHealthChange: Nitrado degraded), recorded as "paused: <reason>".
	PauseWhenDegraded bool
	// Deadline bounds one run: its ctx ends with cause ErrDeadline and the
	// run fails with a clear error, so the next run starts on time. 0:
	// Options.DefaultDeadline; negative: no deadline.
	Deadline time.Duration
	// Stagger, with an empty spec, runs the job hourly at a minute of its
	// own (see AddParse).
	Stagger bool
}

// ParseOptions are the options of a server's save parse: it shares the
// decode slot, pauses while Nitrado is degraded and is staggered. Jobs
// that read a server over Nitrado (logs, chat, donations) reuse them.
func ParseOptions(serviceID int64) JobOptions {
	return JobOptions{Kind: KindParse, ServiceID: serviceID, SharesSlot: true, PauseWhenDegraded: true, Stagger: true}
}

// Skip reasons recorded in JobState.LastSkip.
const (
	SkipRunning = "already running"
	pausedFmt   = "paused: %s"
)

// DefaultPauseReason is the reason OnHealthChange(false) pauses parses with.
const DefaultPauseReason = "nitrado degraded"

// JobState is the observable state of one job, for /status, /healthz and the
// optional StateStore. Times are wall-clock; zero means never.
//
// It is also the persisted record: the StateStore keeps its JSON (the tags
// below are the bbolt file format) and Restore seeds the last run, error,
// skip and counters from it. The live fields (Running, Queued, Paused,
// NextRun) are not persisted.
type JobState struct {
	Name         string        `json:"name"`
	Kind         Kind          `json:"kind,omitempty"`
	ServiceID    int64         `json:"service_id,omitempty"` // JobOptions.ServiceID (0: none)
	Spec         string        `json:"spec,omitempty"`       // cron spec actually scheduled (after the parse stagger)
	LastRun      time.Time     `json:"last_run"`
	LastDuration time.Duration `json:"last_duration"`
	LastErr      string        `json:"last_err,omitempty"`  // "" when the last run succeeded
	LastSkip     string        `json:"last_skip,omitempty"` // why the most recent invocation was skipped, e.g. "paused: nitrado degraded"
	LastSkipAt   time.Time     `json:"last_skip_at,omitzero"`
	Runs         int64         `json:"runs,omitempty"`     // completed runs (ok or failed)
	Failures     int64         `json:"failures,omitempty"` // runs that returned an error or panicked
	Skips        int64         `json:"skips,omitempty"`
	Running      bool          `json:"-"` // a run is in progress (includes Queued)
	Queued       bool          `json:"-"` // waiting for a shared slot (JobOptions.SharesSlot)
	Paused       bool          `json:"-"` // PauseWhenDegraded job while the scheduler is paused
	NextRun      time.Time     `json:"-"`
}

// StateStore persists job states (bbolt in production). It is optional.
// PutJobState is called after every run and every skip; errors are logged.
type StateStore interface {
	PutJobState(ctx context.Context, st JobState) error
}

// Options configure a Scheduler. The zero value is usable.
type Options struct {
	Logger *slog.Logger // default slog.Default()
	// MaxConcurrentParses is the number of shared slots: jobs with
	// JobOptions.SharesSlot (save parses) running at once, across scheduled
	// and triggered runs, so two large saves never share memory. Default 1.
	MaxConcurrentParses int
	// DefaultDeadline bounds the runs of jobs without JobOptions.Deadline
	// (0: DefaultDeadline).
	DefaultDeadline time.Duration
	Location        *time.Location   // time zone of cron specs; default time.Local
	Store           StateStore       // optional
	Now             func() time.Time // default time.Now; for timestamps only
}

// Scheduler runs named jobs on cron schedules over robfig/cron v3.
//
// Every job is wrapped in cron.Recover and cron.SkipIfStillRunning (logging
// through slog) for the scheduled path; in addition an internal per-job guard,
// shared by scheduled and Trigger runs, makes sure a job never overlaps itself
// and records skips. Panics inside a job are recovered, logged with a stack and
// recorded as the run's error.
//
// JobOptions add per-job rules: SharesSlot jobs wait for one of the shared
// slots (Options.MaxConcurrentParses), PauseWhenDegraded jobs are skipped
// while the scheduler is paused (Pause, OnHealthChange), and every run has a
// deadline. Save parses (AddParse) use ParseOptions.
//
// All methods are safe for concurrent use. Add, AddParse and Remove work
// before and during Run.
type Scheduler struct {
	log      *slog.Logger
	now      func() time.Time
	deadline time.Duration
	store    StateStore
	cron     *cron.Cron
	sem      chan struct{}

	mu       sync.Mutex
	jobs     map[string]*entry
	restored map[string]JobState
	minutes  map[int]string // stagger minute -> parse job name
	paused   bool
	reason   string
	runCtx   context.Context // set by Run; nil before
	life     context.Context // cancelled when Run's ctx ends
	endLife  context.CancelFunc
	stopped  bool
	started  bool
	inflight sync.WaitGroup
}

type entry struct {
	name    string
	opts    JobOptions
	spec    string
	minute  int // stagger minute, -1 if none
	job     Job
	id      cron.EntryID
	sched   cron.Schedule
	running atomic.Bool

	// guarded by Scheduler.mu
	st JobState
}

// NewScheduler builds a Scheduler; it does no I/O and starts nothing.
func NewScheduler(opts Options) *Scheduler {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "jobs")
	n := opts.MaxConcurrentParses
	if n <= 0 {
		n = 1
	}
	loc := opts.Location
	if loc == nil {
		loc = time.Local
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	cl := cronLogger{log: log}
	life, endLife := context.WithCancel(context.Background())
	s := &Scheduler{
		life:     life,
		endLife:  endLife,
		deadline: cmp.Or(max(opts.DefaultDeadline, 0), DefaultDeadline),
		log:      log,
		now:      now,
		store:    opts.Store,
		sem:      make(chan struct{}, n),
		jobs:     make(map[string]*entry),
		minutes:  make(map[int]string),
		cron: cron.New(
			cron.WithLocation(loc),
			cron.WithLogger(cl),
			cron.WithChain(cron.Recover(cl), cron.SkipIfStillRunning(cl)),
		),
	}
	return s
}

// Add schedules job under a unique name with a standard 5-field cron spec or
// a descriptor ("@hourly", "@every 10m"), with zero JobOptions.
func (s *Scheduler) Add(name, spec string, job Job) error {
	return s.AddJob(name, spec, JobOptions{}, job)
}

// AddJob schedules job under a unique name with opts. With opts.Stagger and
// an empty spec the job runs hourly at a minute of its own (see AddParse).
func (s *Scheduler) AddJob(name, spec string, opts JobOptions, job Job) error {
	if opts.Kind == "" {
		opts.Kind = KindJob
	}
	e := &entry{name: name, opts: opts, spec: spec, minute: -1, job: job}
	if spec == "" && opts.Stagger {
		key := name
		if opts.ServiceID != 0 {
			key = strconv.FormatInt(opts.ServiceID, 10)
		}
		s.mu.Lock()
		e.minute = pickMinute(key, s.minutes)
		s.mu.Unlock()
		e.spec = fmt.Sprintf("%d * * * *", e.minute)
	}
	return s.add(e)
}

// ParseJobName is the name AddParse registers a server's parse under.
func ParseJobName(serviceID int64) string { return "parse/" + strconv.FormatInt(serviceID, 10) }

// AddParse schedules the save parse of one server under
// ParseJobName(serviceID) with ParseOptions(serviceID).
//
// With an empty spec the parse runs hourly at a per-server minute, "M * * * *":
// M starts at FNV-1a(decimal service id) mod 60, so a server keeps its minute
// across restarts, and on a clash with another staggered job of this scheduler
// moves in steps of 23 minutes (coprime with 60, so all 60 minutes are tried
// and neighbours end up far apart). Past 60 servers minutes are shared; the
// shared slots still serialise them. A non-empty spec (e.g. "@every 1h") is
// used as is.
func (s *Scheduler) AddParse(serviceID int64, spec string, job Job) error {
	if serviceID <= 0 {
		return fmt.Errorf("jobs: add parse: invalid service id %d", serviceID)
	}
	return s.AddJob(ParseJobName(serviceID), spec, ParseOptions(serviceID), job)
}

// pickMinute implements the stagger documented on AddParse.
func pickMinute(key string, taken map[int]string) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	base := int(h.Sum32() % 60)
	for k := range 60 {
		m := (base + 23*k) % 60
		if _, ok := taken[m]; !ok {
			return m
		}
	}
	return base
}

func (s *Scheduler) add(e *entry) error {
	if e.name == "" {
		return errors.New("jobs: add: empty name")
	}
	if e.job == nil {
		return fmt.Errorf("jobs: add %s: nil job", e.name)
	}
	sched, err := cron.ParseStandard(e.spec)
	if err != nil {
		return fmt.Errorf("jobs: add %s: spec %q: %w", e.name, e.spec, err)
	}
	e.sched = sched

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return fmt.Errorf("jobs: add %s: %w", e.name, ErrStopped)
	}
	if _, ok := s.jobs[e.name]; ok {
		return fmt.Errorf("jobs: add %s: %w", e.name, ErrDuplicate)
	}
	e.st = JobState{Name: e.name, Kind: e.opts.Kind, ServiceID: e.opts.ServiceID, Spec: e.spec}
	if old, ok := s.restored[e.name]; ok {
		e.st.LastRun, e.st.LastDuration, e.st.LastErr = old.LastRun, old.LastDuration, old.LastErr
		e.st.LastSkip, e.st.LastSkipAt = old.LastSkip, old.LastSkipAt
		e.st.Runs, e.st.Failures, e.st.Skips = old.Runs, old.Failures, old.Skips
	}
	s.jobs[e.name] = e
	if e.minute >= 0 {
		s.minutes[e.minute] = e.name
	}
	// cron.Schedule may block on the running cron loop; it never calls back
	// into s, so holding s.mu here is safe and keeps Add/Remove ordered.
	e.id = s.cron.Schedule(sched, cron.FuncJob(func() { s.scheduled(e) }))
	return nil
}

// Remove unschedules a job. A run in progress finishes undisturbed.
// It reports whether the job existed.
func (s *Scheduler) Remove(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.jobs[name]
	if !ok {
		return false
	}
	delete(s.jobs, name)
	if e.minute >= 0 && s.minutes[e.minute] == name {
		delete(s.minutes, e.minute)
	}
	s.cron.Remove(e.id)
	return true
}

// Restore seeds the persisted fields (last run, error, counters) of jobs added
// later under the same names, e.g. from the StateStore at startup.
func (s *Scheduler) Restore(states []JobState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.restored == nil {
		s.restored = make(map[string]JobState, len(states))
	}
	for _, st := range states {
		s.restored[st.Name] = st
	}
}

// Pause makes PauseWhenDegraded jobs skip (recorded as "paused: <reason>")
// until Resume. Runs already in progress finish. Other jobs are not affected.
func (s *Scheduler) Pause(reason string) {
	if reason == "" {
		reason = DefaultPauseReason
	}
	s.mu.Lock()
	was := s.paused
	s.paused, s.reason = true, reason
	s.mu.Unlock()
	if !was {
		s.log.Warn("jobs paused", "reason", reason)
	}
}

// Resume lifts Pause.
func (s *Scheduler) Resume() {
	s.mu.Lock()
	was := s.paused
	s.paused, s.reason = false, ""
	s.mu.Unlock()
	if was {
		s.log.Info("jobs resumed")
	}
}

// OnHealthChange is meant to be registered as the Nitrado health listener:
// unhealthy pauses PauseWhenDegraded jobs with DefaultPauseReason, healthy
// resumes them.
func (s *Scheduler) OnHealthChange(healthy bool) {
	if healthy {
		s.Resume()
	} else {
		s.Pause(DefaultPauseReason)
	}
}

// Paused reports whether PauseWhenDegraded jobs are paused and why.
func (s *Scheduler) Paused() (bool, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paused, s.reason
}

// Run starts the cron loop and blocks until ctx is cancelled; then it stops
// scheduling, and waits for running jobs (whose ctx is ctx, so they see the
// cancellation) before returning nil. A Scheduler runs once.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("jobs: run: already started")
	}
	s.started = true
	s.runCtx = ctx
	s.mu.Unlock()

	s.cron.Start()
	s.log.Info("scheduler started")
	<-ctx.Done()

	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	s.endLife()            // triggered runs, even those started before Run
	<-s.cron.Stop().Done() // scheduled runs
	s.inflight.Wait()      // triggered runs
	s.log.Info("scheduler stopped")
	return nil
}

// Trigger runs the named job now, in the caller's goroutine, and returns its
// error. It honours the same rules as scheduled runs: ErrRunning when the job
// is already running, ErrPaused for a paused PauseWhenDegraded job, a
// SharesSlot job waits for a shared slot, and the run has its deadline. The job's ctx ends when ctx ends or the
// scheduler shuts down. Trigger also works before Run.
func (s *Scheduler) Trigger(ctx context.Context, name string) error {
	s.mu.Lock()
	e, ok := s.jobs[name]
	stopped := s.stopped
	if ok && !stopped {
		s.inflight.Add(1)
	}
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("jobs: trigger %s: %w", name, ErrUnknownJob)
	}
	if stopped {
		return fmt.Errorf("jobs: trigger %s: %w", name, ErrStopped)
	}
	defer s.inflight.Done()

	jctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopAfter := context.AfterFunc(s.life, cancel)
	defer stopAfter()
	return s.invoke(jctx, e, "trigger")
}

// scheduled is what cron runs (inside its Recover/SkipIfStillRunning chain).
func (s *Scheduler) scheduled(e *entry) {
	s.mu.Lock()
	ctx := s.runCtx
	s.mu.Unlock()
	if ctx == nil {
		ctx = context.Background() // unreachable: cron only ticks after Run
	}
	_ = s.invoke(ctx, e, "schedule")
}

// invoke applies the guard, the pause gate, the shared slot and the
// deadline, runs the job and records the outcome.
func (s *Scheduler) invoke(ctx context.Context, e *entry, via string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("jobs: %s: %w", e.name, err)
	}
	if !e.running.CompareAndSwap(false, true) {
		s.skip(ctx, e, SkipRunning)
		return fmt.Errorf("jobs: %s: %w", e.name, ErrRunning)
	}
	defer e.running.Store(false)

	if err := s.gate(ctx, e); err != nil {
		return err
	}
	if e.opts.SharesSlot {
		s.setQueued(e, true)
		select {
		case s.sem <- struct{}{}:
		case <-ctx.Done():
			s.setQueued(e, false)
			return fmt.Errorf("jobs: %s: waiting for a shared slot: %w", e.name, ctx.Err())
		}
		defer func() { <-s.sem }()
		s.setQueued(e, false)
		// Health may have changed while queued.
		if err := s.gate(ctx, e); err != nil {
			return err
		}
	}

	start := s.now()
	s.mu.Lock()
	e.st.Running = true
	e.st.LastRun = start
	s.mu.Unlock()
	s.log.Debug("job start", "job", e.name, "via", via)

	err := s.callWithDeadline(ctx, e)
	dur := s.now().Sub(start)

	s.mu.Lock()
	e.st.Running = false
	e.st.LastDuration = dur
	e.st.Runs++
	e.st.LastErr = ""
	if err != nil {
		e.st.Failures++
		e.st.LastErr = err.Error()
	}
	st := e.st
	s.mu.Unlock()

	if err != nil {
		s.log.Error("job failed", "job", e.name, "via", via, "duration", dur, "err", err)
	} else {
		s.log.Info("job done", "job", e.name, "via", via, "duration", dur)
	}
	s.persist(ctx, st)
	if err != nil {
		return fmt.Errorf("jobs: %s: %w", e.name, err)
	}
	return nil
}

// gate skips a PauseWhenDegraded job while the scheduler is paused.
func (s *Scheduler) gate(ctx context.Context, e *entry) error {
	if !e.opts.PauseWhenDegraded {
		return nil
	}
	if paused, reason := s.Paused(); paused {
		s.skip(ctx, e, fmt.Sprintf(pausedFmt, reason))
		return fmt.Errorf("jobs: %s: %w: %s", e.name, ErrPaused, reason)
	}
	return nil
}

// callWithDeadline runs the job under its deadline. A run that outlives it
// sees its ctx end with cause ErrDeadline, and its error says so.
func (s *Scheduler) callWithDeadline(ctx context.Context, e *entry) error {
	d := e.opts.Deadline
	if d == 0 {
		d = s.deadline
	}
	if d < 0 {
		return s.call(ctx, e)
	}
	jctx, cancel := context.WithTimeoutCause(ctx, d, ErrDeadline)
	defer cancel()
	err := s.call(jctx, e)
	if context.Cause(jctx) == ErrDeadline && ctx.Err() == nil {
		if err == nil {
			err = ErrDeadline
		}
		if !errors.Is(err, ErrDeadline) {
			err = fmt.Errorf("%w (%s): %w", ErrDeadline, d, err)
		} else {
			err = fmt.Errorf("%w (%s)", err, d)
		}
	}
	return err
}

// call runs the job and turns a panic into an error.
func (s *Scheduler) call(ctx context.Context, e *entry) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("job panicked", "job", e.name, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return e.job(ctx)
}

func (s *Scheduler) setQueued(e *entry, q bool) {
	s.mu.Lock()
	e.st.Queued = q
	e.st.Running = q
	s.mu.Unlock()
}

func (s *Scheduler) skip(ctx context.Context, e *entry, reason string) {
	s.mu.Lock()
	e.st.Skips++
	e.st.LastSkip = reason
	e.st.LastSkipAt = s.now()
	st := e.st
	s.mu.Unlock()
	s.log.Info("job skipped", "job", e.name, "reason", reason)
	s.persist(ctx, st)
}

// persist writes st to the optional store; shutdown does not abort the write.
func (s *Scheduler) persist(ctx context.Context, st JobState) {
	if s.store == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.store.PutJobState(ctx, st); err != nil {
		s.log.Warn("persist job state", "job", st.Name, "err", err)
	}
}

// States returns a snapshot of every job, sorted by name. NextRun comes from
// the cron loop once running, or is computed from the spec before Run.
func (s *Scheduler) States() []JobState {
	next := make(map[cron.EntryID]time.Time)
	for _, ce := range s.cron.Entries() {
		next[ce.ID] = ce.Next
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]JobState, 0, len(s.jobs))
	for _, e := range s.jobs {
		st := e.st
		st.Paused = e.opts.PauseWhenDegraded && s.paused
		if t := next[e.id]; !t.IsZero() {
			st.NextRun = t
		} else if !s.stopped {
			st.NextRun = e.sched.Next(now)
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b JobState) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// State returns one job's state.
func (s *Scheduler) State(name string) (JobState, bool) {
	for _, st := range s.States() {
		if st.Name == name {
			return st, true
		}
	}
	return JobState{}, false
}

// cronLogger adapts slog to cron.Logger. cron's Info messages (start, wake,
// run, schedule, skip) are chatty and go to Debug; errors (recovered panics)
// go to Error.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) {
	l.log.Debug("cron: "+msg, kv...)
}

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append([]any{"err", err}, kv...)...)
}
