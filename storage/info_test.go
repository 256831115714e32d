package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/storage"
)

// infoSnapshot is a small hand-made snapshot with accented names.
func infoSnapshot(serverID int64, run string, at time.Time) *storage.Snapshot {
	s := &storage.Snapshot{Info: storage.SnapshotInfo{ServerID: serverID, RunID: run, SavedAt: at}}
	names := []string{"José", "JOSEPHINE", "Zoë", "Åsa", "Bob"}
	for i, n := range names {
		s.Players = append(s.Players, arksave.Player{PlayerDataID: uint64(100 + i), EOSID: fmt.Sprintf("%032x", serverID*100+int64(i)),
			PlatformName: "plat" + n, CharacterName: n, Level: 10 + i, TribeID: 1000 + int64(i%2), TribeName: []string{"Les Éclairs", "Rex Riders"}[i%2]})
	}
	s.Tribes = []arksave.Tribe{{ID: 1000, Name: "Les Éclairs", Members: []string{"José", "Zoë", "Bob"}}, {ID: 1001, Name: "Rex Riders", Members: []string{"JOSEPHINE", "Åsa"}}}
	for i := range 30 {
		s.Dinos = append(s.Dinos, arksave.Dino{DinoID: uint64(i + 1), Class: []string{"Rex_Character_BP_C", "Raptor_Character_BP_C"}[i%2],
			Name: fmt.Sprintf("Dino %d", i), Level: 100 + i, TribeID: 1000 + int64(i%2), TribeName: "t"})
		s.Dinos[i].ID[0] = byte(i)
	}
	for i := range 3 {
		s.Bases = append(s.Bases, storage.Base{Owner: 1000 + int64(i%2), OwnerName: "Les Éclairs", Structures: 10 * (i + 1),
			ByMaterial: map[string]int{"stone": 5}, DecaysAt: at.Add(time.Duration(i*20) * time.Hour)})
	}
	return s
}

func TestInfoQueries(t *testing.T) {
	ctx := context.Background()
	db := openSnapDB(t)
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, id := range []int64{11, 22} {
		if err := db.ReplaceSnapshot(ctx, infoSnapshot(id, "r1", at)); err != nil {
			t.Fatal(err)
		}
	}
	one := []int64{11}
	ps, total, err := db.InfoPlayers(ctx, one, "jose", 10, 0)
	if err != nil || total != 2 || len(ps) != 2 || ps[0].CharacterName != "José" || ps[0].ServerID != 11 {
		t.Fatalf("accent-insensitive players: %d %+v %v", total, ps, err)
	}
	if ps, total, _ = db.InfoPlayers(ctx, one, "ZOE", 10, 0); total != 1 || ps[0].CharacterName != "Zoë" {
		t.Fatalf("zoe: %d %+v", total, ps)
	}
	if _, total, _ = db.InfoPlayers(ctx, []int64{11, 22}, "", 2, 0); total != 10 {
		t.Fatalf("two servers: %d", total)
	}
	if ps, total, _ = db.InfoPlayers(ctx, []int64{11, 22}, "", 3, 9); total != 10 || len(ps) != 1 {
		t.Fatalf("last page: %d %d", total, len(ps))
	}
	if _, _, err := db.InfoPlayers(ctx, nil, "", 3, 0); err == nil {
		t.Fatal("empty scope accepted")
	}
	if ps, _ := db.FindPlayers(ctx, one, "asa", 5); len(ps) != 1 || ps[0].CharacterName != "Åsa" {
		t.Fatalf("find asa: %+v", ps)
	}
	ts, _ := db.FindTribes(ctx, one, "eclairs", 5)
	if len(ts) != 1 || ts[0].Name != "Les Éclairs" {
		t.Fatalf("tribe: %+v", ts)
	}
	ref := storage.TribeRef{ServerID: 11, TribeID: ts[0].ID}
	ds, total, err := db.InfoDinos(ctx, one, storage.InfoDinoFilter{Class: "rex", Tribes: []storage.TribeRef{ref}, MinLevel: 110, Limit: 3})
	if err != nil || total != 10 || len(ds) != 3 || ds[0].Level != 128 {
		t.Fatalf("dinos: %d %+v %v", total, ds, err)
	}
	sp, err := db.TribeSpecies(ctx, ref, 5)
	if err != nil || len(sp) != 1 || sp[0].Count != 15 {
		t.Fatalf("species: %+v %v", sp, err)
	}
	bs, total, err := db.InfoBases(ctx, one, storage.InfoBaseFilter{OrderByDecay: true, DecaysBefore: at.Add(24 * time.Hour)})
	if err != nil || total != 2 || bs[0].DecaysAt != at {
		t.Fatalf("decay: %d %+v %v", total, bs, err)
	}
	st, err := db.SnapshotTimes(ctx, []int64{11, 22, 33})
	if err != nil || len(st) != 2 || !st[0].At.Equal(at) || st[0].RunID != "r1" {
		t.Fatalf("times: %+v %v", st, err)
	}
}

func TestAuditAndDecayMarks(t *testing.T) {
	ctx := context.Background()
	db := openSnapDB(t)
	for _, g := range []string{"g1", "g2"} {
		if _, err := db.AddAudit(ctx, storage.AuditRecord{GuildID: g, Action: "kick", Target: "x", OK: true}); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := db.AuditLog(ctx, "g1", 10, 0)
	if err != nil || len(rs) != 1 || rs[0].GuildID != "g1" || !rs[0].OK {
		t.Fatalf("audit: %+v %v", rs, err)
	}
	if _, err := db.AddAudit(ctx, storage.AuditRecord{Action: "x"}); err == nil {
		t.Fatal("audit without guild accepted")
	}
	ok, _ := db.MarkDecayPosted(ctx, "g1", 11, "r1")
	again, _ := db.MarkDecayPosted(ctx, "g1", 11, "r1")
	if !ok || again {
		t.Fatalf("marks: %v %v", ok, again)
	}
}

func TestCountdownLifecycle(t *testing.T) {
	ctx := context.Background()
	db := openSnapDB(t)
	fire := time.Now().Add(time.Minute).UTC().Truncate(time.Microsecond)
	id, err := db.AddCountdown(ctx, storage.Countdown{GuildID: "g1", Action: "restart", Servers: []int64{1, 2}, FireAt: fire, Reason: "update"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.GetCountdown(ctx, id)
	if err != nil || c.State != storage.CountdownPending || len(c.Servers) != 2 || !c.FireAt.Equal(fire) || c.Warned != -1 {
		t.Fatalf("get: %+v %v", c, err)
	}
	c.Step, c.Sent, c.State = 1, true, storage.CountdownRunning
	if ok, err := db.UpdateCountdown(ctx, c); !ok || err != nil {
		t.Fatalf("update: %v %v", ok, err)
	}
	if ok, _ := db.CancelCountdown(ctx, "g2", id, "x"); ok {
		t.Fatal("another guild cancelled it")
	}
	if ok, _ := db.CancelCountdown(ctx, "g1", id, "by admin"); !ok {
		t.Fatal("not cancelled")
	}
	if ok, _ := db.UpdateCountdown(ctx, c); ok {
		t.Fatal("cancelled countdown updated")
	}
	if as, _ := db.ActiveCountdowns(ctx); len(as) != 0 {
		t.Fatalf("active: %+v", as)
	}
}

func TestFoldText(t *testing.T) {
	for in, want := range map[string]string{"Ärger": "arger", "ŁÓDŹ": "lodz", "Straße": "strasse", "abc": "abc", "Кот": "кот", "": ""} {
		if got := storage.FoldText(in); got != want {
			t.Errorf("FoldText(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMapBasesAndSessions: the base map reads only located bases of one
// server (largest first, optionally by owner); the chart reads the
// sessions overlapping a window; the countdown keeps its announcement.
func TestMapBasesAndSessions(t *testing.T) {
	ctx := context.Background()
	db := openSnapDB(t)
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s := infoSnapshot(11, "r1", at)
	s.Info.Map = "Ragnarok_WP"
	for i := range s.Bases[:2] {
		s.Bases[i].Center = arksave.Location{Lat: 10 + float64(i), Lon: 20, HasLatLon: true}
	}
	if err := db.ReplaceSnapshot(ctx, s); err != nil {
		t.Fatal(err)
	}
	bs, err := db.MapBases(ctx, 11, nil)
	if err != nil || len(bs) != 2 || bs[0].Structures != 20 || bs[0].Lat != 11 || bs[1].DecaysAt.IsZero() {
		t.Fatalf("map bases: %+v %v", bs, err)
	}
	if bs, _ := db.MapBases(ctx, 11, []storage.TribeRef{{ServerID: 11, TribeID: 1000}}); len(bs) != 1 || bs[0].Owner != 1000 {
		t.Fatalf("by owner: %+v", bs)
	}
	if bs, _ := db.MapBases(ctx, 11, []storage.TribeRef{{ServerID: 22, TribeID: 1000}}); len(bs) != 0 {
		t.Fatalf("another server's tribe: %+v", bs)
	}
	if bs, _ := db.MapBases(ctx, 22, nil); len(bs) != 0 {
		t.Fatalf("server without snapshot: %+v", bs)
	}
	if m, err := db.SnapshotMap(ctx, 11); err != nil || m != "Ragnarok_WP" {
		t.Fatalf("map %q %v", m, err)
	}
	if m, err := db.SnapshotMap(ctx, 99); err != nil || m != "" {
		t.Fatalf("no snapshot: %q %v", m, err)
	}

	eosA, eosB := fmt.Sprintf("%032x", 1), fmt.Sprintf("%032x", 2)
	if err := db.SessionJoin(ctx, 11, eosA, "A", at, storage.SessionSourceLog); err != nil {
		t.Fatal(err)
	}
	if err := db.SessionLeave(ctx, 11, eosA, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.SessionJoin(ctx, 22, eosB, "B", at.Add(3*time.Hour), storage.SessionSourceLog); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		from, to time.Time
		servers  []int64
		want     int
	}{
		{at.Add(-time.Hour), at.Add(5 * time.Hour), []int64{11, 22}, 2},
		{at.Add(2 * time.Hour), at.Add(5 * time.Hour), []int64{11, 22}, 1}, // A left before the window
		{at.Add(-time.Hour), at.Add(5 * time.Hour), []int64{11}, 1},
		{at.Add(-3 * time.Hour), at.Add(-time.Hour), []int64{11, 22}, 0},
	} {
		ss, err := db.SessionsBetween(ctx, c.servers, c.from, c.to)
		if err != nil || len(ss) != c.want {
			t.Errorf("sessions %v–%v on %v: %d %v, want %d", c.from, c.to, c.servers, len(ss), err, c.want)
		}
	}
	if _, err := db.SessionsBetween(ctx, nil, at, at); err == nil {
		t.Fatal("empty scope accepted")
	}

	id, err := db.AddCountdown(ctx, storage.Countdown{GuildID: "g1", Action: "restart", Servers: []int64{11}, FireAt: at})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetCountdownMessage(ctx, "g2", id, "m-other"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetCountdownMessage(ctx, "g1", id, "m1"); err != nil {
		t.Fatal(err)
	}
	if c, err := db.GetCountdown(ctx, id); err != nil || c.MessageID != "m1" {
		t.Fatalf("countdown message: %+v %v", c, err)
	}
}
