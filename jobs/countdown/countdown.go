// Package countdown runs restart/stop/start countdowns: in-game warnings
// at T-60/30/15/10/5/4/3/2/1 minutes, SaveWorld before the action, the
// Nitrado action, then a wait until Nitrado reports the target status. A
// cluster countdown warns every server at once and then handles the
// servers one after the other. Every step is written to the Store before
// the next one, so a countdown survives an appliance restart; a countdown
// whose action was sent before the restart is not sent twice.
//
// The package imports no bot and no storage: app wires Store (SQLite),
// Servers (RCON + Nitrado) and Report (a Discord post plus an audit row).
package countdown

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Countdown is one scheduled action (see storage.Countdown).
type Countdown struct {
	ID        int64
	GuildID   string
	Action    string // ActionRestart, ActionStop or ActionStart
	Servers   []int64
	Step      int
	Sent      bool
	Reason    string
	ActorID   string
	Actor     string
	ChannelID string
	MessageID string    // the announcement in ChannelID ("" none)
	FireAt    time.Time // when the action runs; once Sent, when it was sent
	Warned    int       // last minute mark announced; -1 none
	State     string
	Result    string
}

// Actions and states.
const (
	ActionRestart = "restart"
	ActionStop    = "stop"
	ActionStart   = "start"

	StatePending   = "pending"
	StateRunning   = "running"
	StateDone      = "done"
	StateCancelled = "cancelled"
	StateFailed    = "failed"
)

// Store persists countdowns.
type Store interface {
	AddCountdown(ctx context.Context, c Countdown) (int64, error)
	ActiveCountdowns(ctx context.Context) ([]Countdown, error)
	// UpdateCountdown writes progress; false when the countdown is no
	// longer active (cancelled meanwhile).
	UpdateCountdown(ctx context.Context, c Countdown) (bool, error)
	CancelCountdown(ctx context.Context, guildID string, id int64, result string) (bool, error)
	GetCountdown(ctx context.Context, id int64) (Countdown, error)
	// SetCountdownMessage records the countdown's announcement message.
	SetCountdownMessage(ctx context.Context, guildID string, id int64, messageID string) error
}

// Servers reaches the game servers.
type Servers interface {
	// Chat posts a line in the in-game chat (ServerChat).
	Chat(ctx context.Context, serverID int64, text string) error
	// Save runs SaveWorld.
	Save(ctx context.Context, serverID int64) error
	// Act asks Nitrado to restart, stop or start the server.
	Act(ctx context.Context, action string, serverID int64, reason string) error
	// Status is the gameserver status as Nitrado reports it now.
	Status(ctx context.Context, serverID int64) (string, error)
	// Name is the server's display name.
	Name(serverID int64) string
}

// Report is told the outcome of a countdown (done, failed or cancelled).
// An error (Discord not reachable yet) makes the runner try again on the
// next ticks, up to ReportAttempts times, before the countdown is closed.
type Report func(ctx context.Context, c Countdown, ok bool, summary string) error

// ReportAttempts bounds the retries of a failing Report.
const ReportAttempts = 30

// Options configure a Runner.
type Options struct {
	Store   Store
	Servers Servers
	Report  Report
	Logger  *slog.Logger
	Now     func() time.Time
	// Minute is the length of a countdown minute (time.Minute; the sandbox
	// and tests shorten it). Warnings and Settle scale with it.
	Minute time.Duration
	// Tick is how often countdowns are advanced (default 1 s).
	Tick time.Duration
	// Poll is how often Nitrado is asked for the status after an action
	// (default 10 s).
	Poll time.Duration
	// ActionTimeout bounds the wait for the target status per server
	// (default 10 min).
	ActionTimeout time.Duration
	// Settle: a restart only counts as done on "started" once Nitrado was
	// seen in another state, or Settle after it was sent (default 1 min).
	Settle time.Duration
	// CallTimeout bounds one RCON or Nitrado call (default 15 s).
	CallTimeout time.Duration
}

// Runner advances countdowns. Run it once; Schedule and Cancel are safe
// for concurrent use.
type Runner struct {
	o    Options
	wake chan struct{}

	mu       sync.Mutex
	lastPoll map[int64]time.Time
	moved    map[int64]bool // saw a non-target status since the action was sent
	reports  map[int64]int  // failed Report attempts
}

// New returns a Runner.
func New(o Options) (*Runner, error) {
	if o.Store == nil || o.Servers == nil {
		return nil, errors.New("countdown: store and servers are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Minute <= 0 {
		o.Minute = time.Minute
	}
	if o.Tick <= 0 {
		o.Tick = time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 10 * time.Second
	}
	if o.ActionTimeout <= 0 {
		o.ActionTimeout = 10 * time.Minute
	}
	if o.Settle <= 0 {
		o.Settle = time.Minute
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 15 * time.Second
	}
	if o.Report == nil {
		o.Report = func(context.Context, Countdown, bool, string) error { return nil }
	}
	return &Runner{o: o, wake: make(chan struct{}, 1), lastPoll: map[int64]time.Time{}, moved: map[int64]bool{},
		reports: map[int64]int{}}, nil
}

// Schedule stores a countdown of minutes for c and returns its id and when
// it fires.
func (r *Runner) Schedule(ctx context.Context, c Countdown, minutes int) (int64, time.Time, error) {
	switch c.Action {
	case ActionRestart, ActionStop, ActionStart:
	default:
		return 0, time.Time{}, fmt.Errorf("countdown: unknown action %q", c.Action)
	}
	if len(c.Servers) == 0 {
		return 0, time.Time{}, errors.New("countdown: no servers")
	}
	o := r.pace()
	c.FireAt = o.Now().Add(time.Duration(max(minutes, 0)) * o.Minute)
	c.State, c.Warned, c.Step, c.Sent = StatePending, -1, 0, false
	id, err := r.o.Store.AddCountdown(ctx, c)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("countdown: %w", err)
	}
	r.poke()
	return id, c.FireAt, nil
}

// Cancel cancels countdown id of guildID and tells the players of the
// servers not yet handled. False when it was not active.
func (r *Runner) Cancel(ctx context.Context, guildID string, id int64, by string) (bool, error) {
	c, err := r.o.Store.GetCountdown(ctx, id)
	if err != nil || c.GuildID != guildID {
		return false, nil //nolint:nilerr // unknown or another guild's: nothing to cancel
	}
	ok, err := r.o.Store.CancelCountdown(ctx, guildID, id, "cancelled by "+by)
	if err != nil || !ok {
		return false, err
	}
	start := c.Step
	if c.Sent {
		start++
	}
	if start < len(c.Servers) {
		r.chatAll(ctx, c.Servers[start:], fmt.Sprintf("The server %s was cancelled.", c.Action))
	}
	c.State, c.Result = StateCancelled, "cancelled by "+by
	if err := r.o.Report(ctx, c, true, c.Result); err != nil {
		r.o.Logger.Warn("countdown: report cancel", "countdown", c.ID, "err", err)
	}
	return true, nil
}

// Attach records the announcement message of countdown id (posted after
// Schedule, with its Cancel button); Report then finds it in
// Countdown.MessageID, also after an appliance restart.
func (r *Runner) Attach(ctx context.Context, guildID string, id int64, messageID string) error {
	if err := r.o.Store.SetCountdownMessage(ctx, guildID, id, messageID); err != nil {
		return fmt.Errorf("countdown: attach: %w", err)
	}
	return nil
}

// Next returns the earliest active restart or stop of serverID scheduled
// by guildID (pending, or running and not past that server); ok false when
// there is none.
func (r *Runner) Next(ctx context.Context, guildID string, serverID int64) (c Countdown, ok bool, err error) {
	cs, err := r.o.Store.ActiveCountdowns(ctx)
	if err != nil {
		return Countdown{}, false, fmt.Errorf("countdown: next: %w", err)
	}
	for _, x := range cs {
		if x.GuildID != guildID || x.Action == ActionStart {
			continue
		}
		at, found := x.FireAt, false
		for i, id := range x.Servers {
			// Servers not yet done: a running cluster countdown has no exact
			// time for the ones ahead, its fire time is the best bound; the
			// one in progress has a FireAt in the past.
			if id == serverID && (x.State == StatePending || i >= x.Step) {
				found = true
			}
		}
		if found && (!ok || at.Before(c.FireAt)) {
			c, ok = x, true
		}
	}
	return c, ok, nil
}

func (r *Runner) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// SetPace changes the length of a countdown minute, the tick, the status
// poll interval and the settle time (the sandbox shortens a running
// appliance's countdowns to seconds). Zero values keep the current ones.
func (r *Runner) SetPace(minute, tick, poll, settle time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range []struct {
		dst *time.Duration
		v   time.Duration
	}{{&r.o.Minute, minute}, {&r.o.Tick, tick}, {&r.o.Poll, poll}, {&r.o.Settle, settle}} {
		if p.v > 0 {
			*p.dst = p.v
		}
	}
}

// pace returns the current options (SetPace may change them).
func (r *Runner) pace() Options {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.o
}

// Run advances countdowns until ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	for {
		r.Step(ctx)
		t := time.NewTimer(r.pace().Tick)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		case <-r.wake:
			t.Stop()
		}
	}
}

// Step advances every active countdown once.
func (r *Runner) Step(ctx context.Context) {
	cs, err := r.o.Store.ActiveCountdowns(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.o.Logger.Warn("countdowns: list", "err", err)
		}
		return
	}
	for _, c := range cs {
		if ctx.Err() != nil {
			return
		}
		r.advance(ctx, c)
	}
}

// marks are the minutes at which players are warned.
var marks = [...]int{60, 30, 15, 10, 5, 4, 3, 2, 1}

func (r *Runner) verb(c Countdown) string {
	switch c.Action {
	case ActionStop:
		return "shutdown"
	case ActionStart:
		return "start"
	}
	return "restart"
}

func (r *Runner) advance(ctx context.Context, c Countdown) {
	o := r.pace()
	now := o.Now()
	if c.State == StatePending {
		left := c.FireAt.Sub(now)
		if left > 0 {
			m := int((left + o.Minute - 1) / o.Minute)
			if c.Action != ActionStart && (c.Warned == -1 || m < c.Warned) && (c.Warned == -1 || isMark(m)) {
				msg := fmt.Sprintf("Server %s in %d minute%s.", r.verb(c), m, plural(m))
				if c.Reason != "" {
					msg += " Reason: " + c.Reason
				}
				r.chatAll(ctx, c.Servers, msg)
				c.Warned = m
				r.update(ctx, c)
			}
			return
		}
		c.State, c.Step, c.Sent = StateRunning, 0, false
		if !r.update(ctx, c) {
			return
		}
	}
	if c.Step >= len(c.Servers) {
		r.finish(ctx, c)
		return
	}
	id := c.Servers[c.Step]
	if !c.Sent {
		if c.Action != ActionStart {
			r.call(ctx, func(ctx context.Context) error {
				return r.o.Servers.Chat(ctx, id, fmt.Sprintf("Server %s now. The world is being saved.", r.verb(c)))
			})
			if err := r.call(ctx, func(ctx context.Context) error { return r.o.Servers.Save(ctx, id) }); err != nil {
				r.o.Logger.Warn("countdown: saveworld failed", "countdown", c.ID, "server", id, "err", err)
			}
		}
		// Record the intent before the call: a restart of the appliance
		// must never send the action twice.
		c.Sent, c.FireAt = true, r.o.Now()
		if !r.update(ctx, c) {
			return
		}
		r.setMoved(c.ID, false)
		if err := r.call(ctx, func(ctx context.Context) error { return r.o.Servers.Act(ctx, c.Action, id, c.Reason) }); err != nil {
			c.Result = appendResult(c.Result, r.o.Servers.Name(id)+": "+c.Action+" failed: "+errText(err))
			c.Step, c.Sent = c.Step+1, false
			r.update(ctx, c)
		}
		return
	}
	// Waiting for Nitrado to report the target status.
	if !r.pollDue(c.ID, now, o.Poll) {
		return
	}
	var st string
	err := r.call(ctx, func(ctx context.Context) error {
		var err error
		st, err = r.o.Servers.Status(ctx, id)
		return err
	})
	target := "started"
	if c.Action == ActionStop {
		target = "stopped"
	}
	switch {
	case err == nil && st == target && (c.Action != ActionRestart || r.wasMoved(c.ID) || now.Sub(c.FireAt) >= o.Settle):
		c.Result = appendResult(c.Result, r.o.Servers.Name(id)+": "+st)
	case now.Sub(c.FireAt) >= r.o.ActionTimeout:
		last := st
		if err != nil {
			last = errText(err)
		}
		c.Result = appendResult(c.Result, fmt.Sprintf("%s: no %q after %s (last: %s)", r.o.Servers.Name(id), target,
			r.o.ActionTimeout.Round(time.Second), last))
	default:
		if err == nil && st != target {
			r.setMoved(c.ID, true)
		}
		return
	}
	c.Step, c.Sent = c.Step+1, false
	if r.update(ctx, c) && c.Step >= len(c.Servers) {
		r.finish(ctx, c)
	}
	r.mu.Lock()
	delete(r.lastPoll, c.ID) // the next server is polled at once
	r.mu.Unlock()
}

// finish reports the outcome, then closes the countdown. While the report
// fails the countdown stays running (all servers handled) and finish runs
// again on the next tick, also after an appliance restart.
func (r *Runner) finish(ctx context.Context, c Countdown) {
	c.State = StateDone
	if strings.Contains(c.Result, " failed: ") || strings.Contains(c.Result, ": no \"") {
		c.State = StateFailed
	}
	if err := r.o.Report(ctx, c, c.State == StateDone, c.Result); err != nil {
		r.mu.Lock()
		r.reports[c.ID]++
		n := r.reports[c.ID]
		r.mu.Unlock()
		if n < ReportAttempts {
			return
		}
		r.o.Logger.Warn("countdown: result not reported", "countdown", c.ID, "err", err)
	}
	r.update(ctx, c)
	r.mu.Lock()
	delete(r.lastPoll, c.ID)
	delete(r.moved, c.ID)
	delete(r.reports, c.ID)
	r.mu.Unlock()
}

func appendResult(res, line string) string {
	if res == "" {
		return line
	}
	return res + "\n" + line
}

func errText(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

func isMark(m int) bool {
	for _, x := range marks {
		if x == m {
			return true
		}
	}
	return false
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func (r *Runner) update(ctx context.Context, c Countdown) bool {
	ok, err := r.o.Store.UpdateCountdown(ctx, c)
	if err != nil {
		if ctx.Err() == nil {
			r.o.Logger.Warn("countdown: update", "countdown", c.ID, "err", err)
		}
		return false
	}
	return ok
}

func (r *Runner) call(ctx context.Context, f func(context.Context) error) error {
	cctx, cancel := context.WithTimeout(ctx, r.o.CallTimeout)
	defer cancel()
	return f(cctx)
}

func (r *Runner) chatAll(ctx context.Context, ids []int64, text string) {
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() { // owned: chatAll waits
			defer wg.Done()
			if err := r.call(ctx, func(ctx context.Context) error { return r.o.Servers.Chat(ctx, id, text) }); err != nil {
				r.o.Logger.Debug("countdown: chat failed", "server", id, "err", err)
			}
		}()
	}
	wg.Wait()
}

func (r *Runner) pollDue(id int64, now time.Time, poll time.Duration) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if last, ok := r.lastPoll[id]; ok && now.Sub(last) < poll {
		return false
	}
	r.lastPoll[id] = now
	return true
}

func (r *Runner) setMoved(id int64, v bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.moved[id] = v
}

func (r *Runner) wasMoved(id int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.moved[id]
}
