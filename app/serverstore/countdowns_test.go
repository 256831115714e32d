package serverstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/blissark/bliss/app/serverstore"
	"github.com/blissark/bliss/jobs/countdown"
	"github.com/blissark/bliss/storage"
	"github.com/blissark/bliss/storage/state"
)

func openState(t *testing.T, dir string) *state.Store {
	t.Helper()
	st, err := state.Open(filepath.Join(dir, "state.db"), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// The countdown store over the state file keeps what the runner relies
// on: active countdowns soonest first, progress written only while active,
// an ended or cancelled countdown gone, and guilds kept apart.
func TestCountdownsStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := serverstore.Countdowns{State: openState(t, t.TempDir())}
	fire := time.Date(2026, 12, 3, 20, 0, 0, 0, time.UTC)
	add := func(guild string, at time.Time) int64 {
		t.Helper()
		id, err := s.AddCountdown(ctx, countdown.Countdown{GuildID: guild, Action: countdown.ActionRestart, Servers: []int64{1, 2},
			FireAt: at, Warned: -1, State: countdown.StatePending, Reason: "mods"})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	late, early, other := add("g1", fire.Add(time.Minute)), add("g1", fire), add("g2", fire.Add(-time.Minute))
	if _, err := s.AddCountdown(ctx, countdown.Countdown{GuildID: "g1"}); err == nil {
		t.Fatal("a countdown without servers was stored")
	}
	cs, err := s.ActiveCountdowns(ctx)
	if err != nil || len(cs) != 3 || cs[0].ID != other || cs[1].ID != early || cs[2].ID != late {
		t.Fatalf("active: %+v %v", cs, err)
	}
	if c := cs[1]; c.GuildID != "g1" || len(c.Servers) != 2 || !c.FireAt.Equal(fire) || c.Warned != -1 || c.Reason != "mods" {
		t.Fatalf("stored countdown: %+v", c)
	}

	c := cs[1]
	c.Step, c.Sent, c.Warned, c.State = 1, true, 2, countdown.StateRunning
	if ok, err := s.UpdateCountdown(ctx, c); !ok || err != nil {
		t.Fatalf("progress: %v %v", ok, err)
	}
	if got, err := s.GetCountdown(ctx, early); err != nil || got.Step != 1 || !got.Sent || got.Warned != 2 || got.State != countdown.StateRunning {
		t.Fatalf("after progress: %+v %v", got, err)
	}
	// The message is recorded for its own guild only.
	if err := s.SetCountdownMessage(ctx, "g2", early, "m-other"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetCountdownMessage(ctx, "g1", early, "m1"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetCountdown(ctx, early); got.MessageID != "m1" {
		t.Fatalf("message %q", got.MessageID)
	}
	// Finishing deletes it.
	c.State, c.Result = countdown.StateDone, "restarted"
	if ok, err := s.UpdateCountdown(ctx, c); !ok || err != nil {
		t.Fatalf("finish: %v %v", ok, err)
	}
	if _, err := s.GetCountdown(ctx, early); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("finished countdown still stored: %v", err)
	}
	if ok, _ := s.UpdateCountdown(ctx, c); ok {
		t.Fatal("a finished countdown was updated")
	}
	// Another guild cannot cancel; its own can, once.
	if ok, _ := s.CancelCountdown(ctx, "g2", late, "x"); ok {
		t.Fatal("another guild cancelled it")
	}
	if ok, err := s.CancelCountdown(ctx, "g1", late, "by admin"); !ok || err != nil {
		t.Fatalf("cancel: %v %v", ok, err)
	}
	if ok, _ := s.CancelCountdown(ctx, "g1", late, "again"); ok {
		t.Fatal("cancelled twice")
	}
	lc := cs[2]
	lc.Warned = 1
	if ok, _ := s.UpdateCountdown(ctx, lc); ok {
		t.Fatal("a cancelled countdown was updated")
	}
	if cs, _ := s.ActiveCountdowns(ctx); len(cs) != 1 || cs[0].ID != other {
		t.Fatalf("active at the end: %+v", cs)
	}
}

// Countdowns an older release kept in SQLite move to the state file once,
// with their ids, progress and message; new ids come after every old one.
func TestMoveCountdowns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := storage.Open(ctx, filepath.Join(dir, "bliss.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st := openState(t, dir)
	fire := time.Date(2026, 12, 3, 20, 0, 0, 0, time.UTC)
	var ids []int64
	for _, state := range []string{"running", "pending", "done"} {
		id, err := db.AddLegacyCountdown(ctx, storage.Countdown{GuildID: "g1", Action: "stop", Servers: []int64{5, 6}, Step: 1,
			Sent: state == "running", Reason: "night", ActorID: "u1", Actor: "Admin", ChannelID: "c1", MessageID: "m" + state,
			FireAt: fire, Warned: 4, State: state})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for range 2 { // a second start finds nothing left to move
		if _, err := serverstore.MoveCountdowns(ctx, db, st); err != nil {
			t.Fatal(err)
		}
	}
	s := serverstore.Countdowns{State: st}
	cs, err := s.ActiveCountdowns(ctx)
	if err != nil || len(cs) != 2 {
		t.Fatalf("moved: %+v %v", cs, err)
	}
	c, err := s.GetCountdown(ctx, ids[0])
	if err != nil || c.Action != "stop" || len(c.Servers) != 2 || c.Step != 1 || !c.Sent || c.Reason != "night" || c.ActorID != "u1" ||
		c.Actor != "Admin" || c.ChannelID != "c1" || c.MessageID != "mrunning" || !c.FireAt.Equal(fire) || c.Warned != 4 ||
		c.State != countdown.StateRunning {
		t.Fatalf("moved countdown: %+v %v", c, err)
	}
	if left, _, _ := db.LegacyCountdowns(ctx); len(left) != 0 {
		t.Fatalf("left in SQLite: %+v", left)
	}
	id, err := s.AddCountdown(ctx, countdown.Countdown{GuildID: "g1", Action: "restart", Servers: []int64{5}, State: countdown.StatePending})
	if err != nil || id <= ids[2] {
		t.Fatalf("new id %d after old ids %v: %v", id, ids, err)
	}
}
