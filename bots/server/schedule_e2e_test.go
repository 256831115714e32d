package server_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blissark/bliss/app/nitrado/nitradotest"
	"github.com/blissark/bliss/bots/bottest"
	"github.com/blissark/bliss/bots/discordtest"
	"github.com/blissark/bliss/bots/embed"
	"github.com/blissark/bliss/bots/server"
)

// pendingCountdowns is a Countdowns whose next pending countdown per
// server the test sets, so /server info's comparison with Nitrado's
// schedule does not race a running countdown.
type pendingCountdowns struct {
	mu   sync.Mutex
	next map[int64]server.Pending
}

func (p *pendingCountdowns) set(id int64, pd *server.Pending) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pd == nil {
		delete(p.next, id)
		return
	}
	p.next[id] = *pd
}

func (p *pendingCountdowns) Schedule(context.Context, server.CountdownRequest) (int64, time.Time, error) {
	return 0, time.Time{}, fmt.Errorf("pendingCountdowns: schedule not supported")
}

func (p *pendingCountdowns) Cancel(context.Context, string, int64, string) (bool, error) {
	return false, nil
}

func (p *pendingCountdowns) Attach(context.Context, string, int64, string) error { return nil }

func (p *pendingCountdowns) Next(_ context.Context, _ string, id int64) (server.Pending, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pd, ok := p.next[id]
	return pd, ok, nil
}

// nextRestartField is the "Next scheduled restart" field of a /server info
// answer; it fails the test when the answer is an error embed.
func nextRestartField(t *testing.T, r discordtest.Response) string {
	t.Helper()
	if len(r.Data.Embeds) != 1 {
		t.Fatalf("embeds: %s", bottest.Text(r))
	}
	e := r.Data.Embeds[0]
	if e.Color == embed.ColorError || !strings.Contains(e.Title, "Island") {
		t.Fatalf("not the server's details: %s", bottest.Text(r))
	}
	for _, f := range e.Fields {
		if f.Name == "Next scheduled restart" {
			return f.Value
		}
	}
	t.Fatalf("no next restart field: %s", bottest.Text(r))
	return ""
}

// TestE2EServerInfoNitradoSchedule: /server info shows the earlier of
// Bliss's next countdown and the next enabled restart task of Nitrado's
// own schedule (read over HTTP from the fake), and still answers, naming
// the cause, when the tasks cannot be read (403 for a token lacking the
// role, 503, a timeout).
func TestE2EServerInfoNitradoSchedule(t *testing.T) {
	w := newWorld(t)
	w.addServer(w.guildA.ID, 101, "Island", "pvp")
	w.addServer(w.guildB.ID, 201, "B-Island", "")
	cds := &pendingCountdowns{next: map[int64]server.Pending{}}
	w.cdOverride = cds
	w.start()
	info := func() string {
		t.Helper()
		return nextRestartField(t, w.cmd(staffA, "server", discordtest.SubCommand("info", str("server", "101"))))
	}
	expect := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
		}
	}
	stamp := func(at time.Time) string { return fmt.Sprintf("<t:%d:R>", at.Unix()) }

	now := time.Now().Truncate(time.Second)
	cdAt := now.Add(time.Hour)
	cds.set(101, &server.Pending{ID: 3, Action: "restart", At: cdAt})

	// No Nitrado tasks: the countdown.
	expect("no tasks", info(), stamp(cdAt)+" (countdown #3)")

	// A Nitrado restart earlier than the countdown wins; disabled tasks,
	// other actions and past runs do not count, nor another guild's
	// server's tasks.
	early := now.Add(20 * time.Minute)
	w.nit.SetTasks(101,
		nitradotest.Task{NextRun: now.Add(2 * time.Minute), Status: "disabled"},
		nitradotest.Task{NextRun: now.Add(3 * time.Minute), ActionMethod: "game_server_stop"},
		// A past next_run falls back to the cron fields: 31 February never comes.
		nitradotest.Task{NextRun: now.Add(-time.Hour), LastRun: now.Add(-25 * time.Hour), Day: "31", Month: "2"},
		nitradotest.Task{NextRun: early, Timezone: "America/Los_Angeles", Status: "error"},
		nitradotest.Task{NextRun: now.Add(40 * time.Minute)})
	w.nit.SetTasks(201, nitradotest.Task{NextRun: now.Add(5 * time.Minute)})
	expect("nitrado earlier", info(), stamp(early)+" (Nitrado schedule)")

	// A Nitrado restart later than the countdown: the countdown (unix-second
	// times this time).
	w.nit.SetTasks(101, nitradotest.Task{NextRun: now.Add(3 * time.Hour), UnixTimes: true})
	expect("nitrado later", info(), stamp(cdAt)+" (countdown #3)")
	cds.set(101, nil)
	expect("only nitrado", info(), stamp(now.Add(3*time.Hour))+" (Nitrado schedule)")

	// Without next_run, the next minute the cron fields match: every minute
	// here, so the next minute after the command ran.
	w.nit.SetTasks(101, nitradotest.Task{Minute: "*", Hour: "*"})
	before := time.Now()
	got := info()
	after := time.Now()
	if a, b := stamp(before.Truncate(time.Minute).Add(time.Minute))+" (Nitrado schedule)",
		stamp(after.Truncate(time.Minute).Add(time.Minute))+" (Nitrado schedule)"; got != a && got != b {
		t.Fatalf("cron fallback: got %q, want %q or %q", got, a, b)
	}
	w.nit.SetTasks(101, nitradotest.Task{NextRun: now.Add(3 * time.Hour), UnixTimes: true})

	// A guest token lacking ROLE_WEBINTERFACE_SCHEDULED_RESTART_READ: 403 on
	// the tasks, the details are still shown with the Bliss part.
	w.nit.SetRoles(101, nitradotest.RoleGeneralControl)
	const denied = "Nitrado schedule unavailable (token lacks the scheduled-restart read permission)"
	expect("403 without countdown", info(), "no countdown · "+denied)
	cds.set(101, &server.Pending{ID: 3, Action: "restart", At: cdAt})
	expect("403 with countdown", info(), stamp(cdAt)+" (countdown #3) · "+denied)
	if n := w.nit.CountCalls("GET", "/services/101/tasks"); n < 6 {
		t.Fatalf("tasks read %d times", n)
	}

	// Nitrado in maintenance for the tasks only.
	w.nit.SetRoles(101, nitradotest.RoleOwner)
	w.nit.Fail(nitradotest.Fault{Method: "GET", Path: "/services/101/tasks", Status: 503, Count: 1})
	expect("503", info(), stamp(cdAt)+" (countdown #3) · Nitrado schedule unavailable (Nitrado is unavailable (HTTP 503, maintenance))")

	// Tasks slower than the Nitrado timeout (3 s here): the answer comes
	// once the shared timeout is over, with the details.
	w.nit.Fail(nitradotest.Fault{Method: "GET", Path: "/services/101/tasks", Latency: time.Minute, Count: 1})
	expect("timeout", info(), stamp(cdAt)+" (countdown #3) · Nitrado schedule unavailable (Nitrado did not answer in time)")

	// No tasks and no countdown.
	w.nit.SetTasks(101)
	cds.set(101, nil)
	expect("nothing", info(), "none scheduled")

	// Guild B sees its own server's schedule.
	r := w.cmdIn(w.guildB.ID, adminB, "server", discordtest.SubCommand("info", str("server", "201")))
	expect("guild B", nextRestartField(t, r), stamp(now.Add(5*time.Minute))+" (Nitrado schedule)")
}
