package storage_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/blissark/bliss/storage"
)

func openSessionsDB(t *testing.T) (*storage.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bliss.db")
	db, err := storage.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

const (
	eosA = "0002c0ffee11d00d4242beef00c0ffee"
	eosB = "000283de23c04f9f81016833cce8691d"
)

func TestSessionsJoinLeaveRoster(t *testing.T) {
	db, path := openSessionsDB(t)
	ctx := context.Background()
	t0 := time.Date(2026, 9, 13, 18, 0, 0, 0, time.UTC)
	min := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

	// A joins by log line, B appears in a roster poll.
	if err := db.SessionJoin(ctx, 7, "0002C0FFEE11D00D4242BEEF00C0FFEE", "Survivor42", min(0), storage.SessionSourceLog); err != nil {
		t.Fatal(err)
	}
	if err := db.SessionsRoster(ctx, 7, []storage.OnlinePlayer{{EOSID: eosA, Name: "Survivor42"}, {EOSID: eosB, Name: "Smokey"}}, min(5)); err != nil {
		t.Fatal(err)
	}
	on, err := db.OnlineNow(ctx, []int64{7})
	if err != nil || len(on) != 2 {
		t.Fatalf("online %+v %v", on, err)
	}
	if on[0].EOSID != eosA || !on[0].Joined.Equal(min(0)) || on[0].Source != storage.SessionSourceLog || !on[1].Joined.Equal(min(5)) {
		t.Fatalf("online rows %+v", on)
	}
	// A second join line while open does not open a second session.
	if err := db.SessionJoin(ctx, 7, eosA, "Survivor42", min(6), storage.SessionSourceLog); err != nil {
		t.Fatal(err)
	}
	// B disappears from the roster at 20: closed at 10, the last poll that saw B.
	if err := db.SessionsRoster(ctx, 7, []storage.OnlinePlayer{{EOSID: eosA, Name: "Survivor42"}, {EOSID: eosB, Name: "Smokey"}}, min(10)); err != nil {
		t.Fatal(err)
	}
	if err := db.SessionsRoster(ctx, 7, []storage.OnlinePlayer{{EOSID: eosA}}, min(20)); err != nil {
		t.Fatal(err)
	}
	if err := db.SessionsGone(ctx, 7, []string{eosB}); err != nil {
		t.Fatal(err)
	}
	ss, err := db.PlaySessions(ctx, []int64{7}, eosB, time.Time{})
	if err != nil || len(ss) != 1 || !ss[0].Left.Equal(min(10)) {
		t.Fatalf("B sessions %+v %v", ss, err)
	}
	// A leaves by log line at 30.
	if err := db.SessionLeave(ctx, 7, eosA, min(30)); err != nil {
		t.Fatal(err)
	}
	d, n, err := db.Playtime(ctx, []int64{7}, eosA, time.Time{})
	if err != nil || n != 1 || d != 30*time.Minute {
		t.Fatalf("A playtime %v over %d sessions, %v", d, n, err)
	}
	// Clipped to since.
	if d, _, _ := db.Playtime(ctx, []int64{7}, eosA, min(25)); d != 5*time.Minute {
		t.Fatalf("clipped playtime %v", d)
	}
	// Another server is out of scope.
	if on, _ := db.OnlineNow(ctx, []int64{8}); len(on) != 0 {
		t.Fatalf("scope leak %+v", on)
	}
	if id, err := db.SessionPlayerByName(ctx, []int64{7}, "survivor42"); err != nil || id != eosA {
		t.Fatalf("by name %q %v", id, err)
	}

	// Restart: A rejoins at 40, is last seen at 50, then the appliance
	// restarts (reopen the file) at 90: the session closes at 50, not 90.
	if err := db.SessionJoin(ctx, 7, eosA, "Survivor42", min(40), storage.SessionSourceLog); err != nil {
		t.Fatal(err)
	}
	if err := db.SessionsRoster(ctx, 7, []storage.OnlinePlayer{{EOSID: eosA}}, min(50)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db2, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if n, err := db2.SessionsCloseOpen(ctx, 0); err != nil || n != 1 {
		t.Fatalf("close open: %d %v", n, err)
	}
	d, n, err = db2.Playtime(ctx, []int64{7}, eosA, time.Time{})
	if err != nil || n != 2 || d != 40*time.Minute {
		t.Fatalf("playtime after restart %v over %d, %v", d, n, err)
	}
}

func TestSessionsRosterThenEarlierJoin(t *testing.T) {
	db, _ := openSessionsDB(t)
	ctx := context.Background()
	t0 := time.Date(2026, 9, 13, 18, 0, 0, 0, time.UTC)
	// The roster lists the player first; the join line says they came earlier.
	if err := db.SessionsRoster(ctx, 3, []storage.OnlinePlayer{{EOSID: eosA, Name: "A"}}, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := db.SessionJoin(ctx, 3, eosA, "A", t0, storage.SessionSourceLog); err != nil {
		t.Fatal(err)
	}
	if err := db.SessionLeave(ctx, 3, eosA, t0.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if d, n, _ := db.Playtime(ctx, []int64{3}, eosA, time.Time{}); d != 10*time.Minute || n != 1 {
		t.Fatalf("playtime %v over %d", d, n)
	}
}

func TestSessionsCloseBeforeGameRestart(t *testing.T) {
	db, _ := openSessionsDB(t)
	ctx := context.Background()
	t0 := time.Date(2026, 9, 13, 18, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	const eosB = "0002c0ffee11d00d4242beef00c0ff02"
	const eosC = "0002c0ffee11d00d4242beef00c0ff03"
	// A: online 10..30 before the restart at 50. B: online from 10, seen
	// again at 55 (the roster after the restart). C: back after the restart.
	for _, j := range []struct {
		eos      string
		from, to int
	}{{eosA, 10, 30}, {eosB, 10, 55}, {eosC, 52, 58}} {
		if err := db.SessionJoin(ctx, 4, j.eos, "p", at(j.from), storage.SessionSourceLog); err != nil {
			t.Fatal(err)
		}
		if err := db.SessionsRoster(ctx, 4, []storage.OnlinePlayer{{EOSID: j.eos}}, at(j.to)); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := db.SessionsCloseBefore(ctx, 4, at(50)); err != nil || n != 2 {
		t.Fatalf("closed %d, %v", n, err)
	}
	for _, c := range []struct {
		eos  string
		want time.Duration
		open bool
	}{{eosA, 20 * time.Minute, false}, {eosB, 40 * time.Minute, false}, {eosC, 0, true}} {
		d, _, err := db.Playtime(ctx, []int64{4}, c.eos, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if !c.open && d != c.want {
			t.Errorf("%s: playtime %v, want %v", c.eos, d, c.want)
		}
	}
	if _, err := db.SessionsCloseBefore(ctx, 0, at(50)); err == nil {
		t.Fatal("service 0 accepted")
	}
}

func TestSessionsInvalid(t *testing.T) {
	db, _ := openSessionsDB(t)
	ctx := context.Background()
	if err := db.SessionJoin(ctx, 0, eosA, "x", time.Now(), "log"); err == nil {
		t.Fatal("service 0 accepted")
	}
	if err := db.SessionJoin(ctx, 1, "", "x", time.Now(), "log"); err == nil {
		t.Fatal("empty eos accepted")
	}
	if _, err := db.OnlineNow(ctx, nil); err == nil {
		t.Fatal("empty scope accepted")
	}
	// A leave without a join and a leave before the join are harmless.
	if err := db.SessionLeave(ctx, 1, eosA, time.Now()); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	_ = db.SessionJoin(ctx, 1, eosA, "x", t0, "log")
	if err := db.SessionLeave(ctx, 1, eosA, t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if d, _, _ := db.Playtime(ctx, []int64{1}, eosA, time.Time{}); d != 0 {
		t.Fatalf("negative session counted %v", d)
	}
}
