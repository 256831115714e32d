package countdown_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blissark/bliss/jobs/countdown"
)

// memStore is an in-memory countdown.Store (the SQLite one is tested end to
// end in bots/server).
type memStore struct {
	mu   sync.Mutex
	next int64
	cs   map[int64]countdown.Countdown
}

func newMem() *memStore { return &memStore{cs: map[int64]countdown.Countdown{}} }

func (m *memStore) AddCountdown(_ context.Context, c countdown.Countdown) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.next++
	c.ID = m.next
	m.cs[c.ID] = c
	return c.ID, nil
}

func (m *memStore) ActiveCountdowns(context.Context) ([]countdown.Countdown, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []countdown.Countdown
	for _, c := range m.cs {
		if c.State == countdown.StatePending || c.State == countdown.StateRunning {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b countdown.Countdown) int { return int(a.ID - b.ID) })
	return out, nil
}

func (m *memStore) UpdateCountdown(_ context.Context, c countdown.Countdown) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.cs[c.ID]
	if old.State != countdown.StatePending && old.State != countdown.StateRunning {
		return false, nil
	}
	m.cs[c.ID] = c
	return true, nil
}

func (m *memStore) CancelCountdown(_ context.Context, guildID string, id int64, result string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.cs[id]
	if !ok || c.GuildID != guildID || (c.State != countdown.StatePending && c.State != countdown.StateRunning) {
		return false, nil
	}
	c.State, c.Result = countdown.StateCancelled, result
	m.cs[id] = c
	return true, nil
}

func (m *memStore) GetCountdown(_ context.Context, id int64) (countdown.Countdown, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.cs[id]
	if !ok {
		return c, fmt.Errorf("no countdown %d", id)
	}
	return c, nil
}

func (m *memStore) SetCountdownMessage(_ context.Context, guildID string, id int64, msg string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.cs[id]; ok && c.GuildID == guildID {
		c.MessageID = msg
		m.cs[id] = c
	}
	return nil
}

type fakeServers struct {
	mu     sync.Mutex
	log    []string
	status map[int64]string
}

func (f *fakeServers) add(s string) { f.mu.Lock(); f.log = append(f.log, s); f.mu.Unlock() }
func (f *fakeServers) Chat(_ context.Context, id int64, text string) error {
	f.add(fmt.Sprintf("chat %d %s", id, text))
	return nil
}
func (f *fakeServers) Save(_ context.Context, id int64) error {
	f.add(fmt.Sprintf("save %d", id))
	return nil
}
func (f *fakeServers) Act(_ context.Context, action string, id int64, _ string) error {
	f.add(fmt.Sprintf("%s %d", action, id))
	f.mu.Lock()
	f.status[id] = map[string]string{"stop": "stopped"}[action]
	if f.status[id] == "" {
		f.status[id] = "restarting"
	}
	f.mu.Unlock()
	return nil
}
func (f *fakeServers) Status(_ context.Context, id int64) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.status[id]
	if st == "restarting" {
		f.status[id] = "started" // the next poll sees it up
	}
	return st, nil
}
func (f *fakeServers) Name(id int64) string { return fmt.Sprint("s", id) }
func (f *fakeServers) lines() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

func count(lines []string, prefix string) int {
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// A clock the test moves by hand; Step advances countdowns deterministically.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }
func newRunner(t *testing.T, st countdown.Store, srv countdown.Servers, clk *clock, reports *[]string) *countdown.Runner {
	r, err := countdown.New(countdown.Options{Store: st, Servers: srv, Now: clk.Now, Poll: time.Nanosecond, Settle: time.Hour,
		Report: func(_ context.Context, c countdown.Countdown, ok bool, s string) error {
			*reports = append(*reports, fmt.Sprintf("%d %s %v %s", c.ID, c.State, ok, s))
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCountdownWarnsSavesActsOnce(t *testing.T) {
	ctx := context.Background()
	st, srv := newMem(), &fakeServers{status: map[int64]string{1: "started", 2: "started"}}
	clk := &clock{now: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	var reports []string
	r := newRunner(t, st, srv, clk, &reports)
	id, fire, err := r.Schedule(ctx, countdown.Countdown{GuildID: "g", Action: countdown.ActionRestart, Servers: []int64{1, 2}, Reason: "update"}, 10)
	if err != nil || !fire.Equal(clk.Now().Add(10*time.Minute)) {
		t.Fatal(id, fire, err)
	}
	for range 10 {
		r.Step(ctx)
		clk.Add(time.Minute)
	}
	l := srv.lines()
	for _, m := range []string{"10 minutes", "5 minutes", "4 minutes", "3 minutes", "2 minutes", "1 minute."} {
		if count(l, "chat 1 Server restart in "+m) != 1 || count(l, "chat 2 Server restart in "+m) != 1 {
			t.Fatalf("warning %q: %q", m, l)
		}
	}
	if count(l, "chat 1 Server restart in 9 minutes") != 0 {
		t.Fatalf("warned off the marks: %q", l)
	}
	// Fire: server 1 is saved and restarted; a "restarted" runner (same
	// store, new Runner) does not send it again.
	r.Step(ctx)
	r2 := newRunner(t, st, srv, clk, &reports)
	for range 8 {
		clk.Add(time.Second)
		r2.Step(ctx)
	}
	l = srv.lines()
	if count(l, "restart 1") != 1 || count(l, "restart 2") != 1 || count(l, "save 1") != 1 {
		t.Fatalf("actions: %q", l)
	}
	if slices.Index(l, "restart 2") < slices.Index(l, "restart 1") {
		t.Fatalf("order: %q", l)
	}
	if len(reports) != 1 || !strings.Contains(reports[0], "done true") || !strings.Contains(reports[0], "s2: started") {
		t.Fatalf("reports: %q", reports)
	}
}

func TestCountdownCancel(t *testing.T) {
	ctx := context.Background()
	st, srv := newMem(), &fakeServers{status: map[int64]string{1: "started"}}
	clk := &clock{now: time.Now()}
	var reports []string
	r := newRunner(t, st, srv, clk, &reports)
	id, _, _ := r.Schedule(ctx, countdown.Countdown{GuildID: "g", Action: countdown.ActionStop, Servers: []int64{1}}, 5)
	r.Step(ctx)
	if ok, _ := r.Cancel(ctx, "other", id, "x"); ok {
		t.Fatal("another guild cancelled")
	}
	if ok, err := r.Cancel(ctx, "g", id, "mod"); !ok || err != nil {
		t.Fatal(ok, err)
	}
	clk.Add(10 * time.Minute)
	r.Step(ctx)
	l := srv.lines()
	if count(l, "stop 1") != 0 || count(l, "chat 1 The server stop was cancelled") != 1 {
		t.Fatalf("%q", l)
	}
	if _, _, err := r.Schedule(ctx, countdown.Countdown{GuildID: "g", Action: "explode", Servers: []int64{1}}, 1); err == nil {
		t.Fatal("unknown action accepted")
	}
}

// TestNextAndAttach: Next is the soonest active restart or stop of a server
// for its guild (not a start, not another guild's, not a server the
// cluster countdown is past); Attach stores the announcement for Report.
func TestNextAndAttach(t *testing.T) {
	ctx := context.Background()
	st, srv := newMem(), &fakeServers{status: map[int64]string{1: "started", 2: "started", 3: "stopped"}}
	clk := &clock{now: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	var reports []string
	r := newRunner(t, st, srv, clk, &reports)
	late, _, _ := r.Schedule(ctx, countdown.Countdown{GuildID: "g", Action: countdown.ActionRestart, Servers: []int64{1, 2}}, 30)
	soon, _, _ := r.Schedule(ctx, countdown.Countdown{GuildID: "g", Action: countdown.ActionStop, Servers: []int64{1}}, 10)
	_, _, _ = r.Schedule(ctx, countdown.Countdown{GuildID: "g", Action: countdown.ActionStart, Servers: []int64{3}}, 0)
	_, _, _ = r.Schedule(ctx, countdown.Countdown{GuildID: "other", Action: countdown.ActionRestart, Servers: []int64{2}}, 1)
	for _, c := range []struct {
		server int64
		want   int64
	}{{1, soon}, {2, late}, {3, 0}} {
		got, ok, err := r.Next(ctx, "g", c.server)
		if err != nil || ok != (c.want != 0) || got.ID != c.want {
			t.Errorf("next for %d: %+v %v %v, want #%d", c.server, got, ok, err, c.want)
		}
	}
	if _, ok, _ := r.Next(ctx, "nobody", 1); ok {
		t.Fatal("another guild's countdown")
	}
	if err := r.Attach(ctx, "g", late, "m1"); err != nil {
		t.Fatal(err)
	}
	if c, _ := st.GetCountdown(ctx, late); c.MessageID != "m1" {
		t.Fatalf("attach: %+v", c)
	}
	if err := r.Attach(ctx, "other", late, "m2"); err != nil {
		t.Fatal(err)
	}
	if c, _ := st.GetCountdown(ctx, late); c.MessageID != "m1" {
		t.Fatalf("another guild attached: %+v", c)
	}
}
