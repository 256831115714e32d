package assistantstore

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/bots/assistant"
	"github.com/blissark/bliss/storage"
)

func TestStore(t *testing.T) {
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "bliss.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := New(db)
	if err := s.SetUserTimezone(ctx, "u1", "Asia/Tokyo"); err != nil {
		t.Fatal(err)
	}
	if z, err := s.UserTimezone(ctx, "u1"); err != nil || z != "Asia/Tokyo" {
		t.Fatalf("zone %q %v", z, err)
	}
	p := assistant.TeleportPoint{Map: "ragnarok", Name: "Hub", X: 1, Y: 2, Z: 3, TribeID: 9, Note: "n", CreatedBy: "u1"}
	if created, err := s.AddTeleportPoint(ctx, "g1", p); err != nil || !created {
		t.Fatalf("add: %v %v", created, err)
	}
	ps, err := s.TeleportPoints(ctx, "g1", "ragnarok")
	if err != nil || len(ps) != 1 || ps[0] != p {
		t.Fatalf("points: %+v %v", ps, err)
	}
	if ps, _ := s.TeleportPoints(ctx, "g2", "ragnarok"); len(ps) != 0 {
		t.Fatal("another guild's points")
	}
	if ok, err := s.RemoveTeleportPoint(ctx, "g1", "ragnarok", "hub"); err != nil || !ok {
		t.Fatalf("remove: %v %v", ok, err)
	}
	// No snapshot yet: no map, no bases, no teleporters, no tribe.
	if m, err := s.ServerMap(ctx, 5); err != nil || m != "" {
		t.Fatalf("map %q %v", m, err)
	}
	if bs, err := s.Bases(ctx, 5); err != nil || len(bs) != 0 {
		t.Fatalf("bases %v %v", bs, err)
	}
	if _, ok, err := s.TribeOf(ctx, "g1", "u1", 5); err != nil || ok {
		t.Fatalf("tribe %v %v", ok, err)
	}
	if err := db.ReplaceSnapshot(ctx, &storage.Snapshot{Info: storage.SnapshotInfo{ServerID: 5, RunID: "r", Map: "Ragnarok_WP"},
		Bases: []storage.Base{{Owner: 9, OwnerName: "T", Structures: 3, Center: arksave.Location{X: 10, Y: 20}, Min: arksave.Location{X: 5, Y: 15}, Max: arksave.Location{X: 15, Y: 25}}}}); err != nil {
		t.Fatal(err)
	}
	if err := db.ReplaceSaveTeleporters(ctx, 5, "Ragnarok_WP", []arksave.Structure{
		{Class: "TekTeleporter_C", TribeID: 9, OwnerName: "T", Location: arksave.Location{X: 1, Y: 2, Z: 3}, HasLocation: true},
		{Class: "Wall_Wood_C", TribeID: 9, Location: arksave.Location{X: 1, Y: 2, Z: 3}, HasLocation: true},
	}); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.ServerMap(ctx, 5); m != "Ragnarok_WP" {
		t.Fatalf("map %q", m)
	}
	bs, err := s.Bases(ctx, 5)
	if err != nil || len(bs) != 1 || bs[0].OwnerName != "T" || bs[0].MinX != 5 || bs[0].MaxY != 25 || bs[0].X != 10 {
		t.Fatalf("bases %+v %v", bs, err)
	}
	tps, err := s.SaveTeleporters(ctx, 5)
	if err != nil || len(tps) != 1 || tps[0].TribeID != 9 || tps[0].TribeName != "T" || tps[0].Class != "TekTeleporter_C" || tps[0].Z != 3 {
		t.Fatalf("teleporters %+v %v", tps, err)
	}
}
