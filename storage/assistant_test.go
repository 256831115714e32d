package storage_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/arksave/arksavetest"
	"github.com/blissark/bliss/storage"
	"github.com/blissark/bliss/storage/savefile"
)

func TestUserTimezone(t *testing.T) {
	db := openSnapDB(t)
	ctx := context.Background()
	if z, err := db.UserTimezone(ctx, "1"); err != nil || z != "" {
		t.Fatalf("unset: %q %v", z, err)
	}
	for _, z := range []string{"Europe/Berlin", "America/New_York"} {
		if err := db.SetUserTimezone(ctx, "1", z); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.UserTimezone(ctx, "1"); got != z {
			t.Fatalf("got %q want %q", got, z)
		}
	}
	if err := db.SetUserTimezone(ctx, "1", ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.UserTimezone(ctx, "1"); got != "" {
		t.Fatalf("cleared: %q", got)
	}
	if err := db.SetUserTimezone(ctx, "", "UTC"); err == nil {
		t.Fatal("empty user accepted")
	}
}

func TestTeleportPoints(t *testing.T) {
	db := openSnapDB(t)
	ctx := context.Background()
	p := storage.TeleportPoint{GuildID: "g", Map: "theisland", Name: "Hub", X: 1, Y: 2, Z: 3, Public: true, CreatedBy: "u"}
	if created, err := db.AddTeleportPoint(ctx, p); err != nil || !created {
		t.Fatalf("add: %v %v", created, err)
	}
	p.X, p.Name = 10, "hub" // same name, other case: replaced
	if created, err := db.AddTeleportPoint(ctx, p); err != nil || created {
		t.Fatalf("replace: %v %v", created, err)
	}
	if _, err := db.AddTeleportPoint(ctx, storage.TeleportPoint{GuildID: "g", Map: "ragnarok", Name: "Tribe spot", TribeID: 7}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddTeleportPoint(ctx, storage.TeleportPoint{GuildID: "other", Map: "theisland", Name: "Hub"}); err != nil {
		t.Fatal(err)
	}
	ps, err := db.TeleportPoints(ctx, "g", "theisland")
	if err != nil || len(ps) != 1 || ps[0].X != 10 || !ps[0].Public {
		t.Fatalf("list: %+v %v", ps, err)
	}
	if all, _ := db.TeleportPoints(ctx, "g", ""); len(all) != 2 || all[0].Map != "ragnarok" || all[0].Public || all[0].TribeID != 7 {
		t.Fatalf("all maps: %+v", all)
	}
	if ok, err := db.RemoveTeleportPoint(ctx, "g", "theisland", "HUB"); err != nil || !ok {
		t.Fatalf("remove: %v %v", ok, err)
	}
	if ok, _ := db.RemoveTeleportPoint(ctx, "g", "theisland", "HUB"); ok {
		t.Fatal("removed twice")
	}
	if _, err := db.AddTeleportPoint(ctx, storage.TeleportPoint{GuildID: "g", Map: "x"}); err == nil {
		t.Fatal("empty name accepted")
	}
}

// TestSaveTeleportersFromEncodedSave writes a save with the project's
// encoder, decodes it as the pipeline does and stores its teleporters.
func TestSaveTeleportersFromEncodedSave(t *testing.T) {
	save := arksavetest.Generate(arksavetest.Counts{Seed: 3, Map: "Ragnarok_WP", Players: 4, Tribes: 2, Structures: 40})
	tele := func(id byte, tribe arksave.Tribe, x, y float64) arksave.Structure {
		path := "/Game/PrimalEarth/Structures/TekTeleporter/BP_TekTeleporter.BP_TekTeleporter_C"
		return arksave.Structure{ID: arksave.GUID{0xee, id}, Class: arksavetest.ShortClass(path), ClassPath: path, Material: "tek",
			TribeID: tribe.ID, OwnerName: tribe.Name, Location: arksave.Location{X: x, Y: y, Z: 100}, HasLocation: true,
			Health: 5000, MaxHealth: 5000}
	}
	save.Structures = append(save.Structures, tele(1, save.Tribes[0], 131000, 0), tele(2, save.Tribes[1], -65500, 65500))
	path := filepath.Join(t.TempDir(), "Ragnarok_WP.ark")
	if err := arksavetest.Write(path, save, arksavetest.Options{Seed: 3}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	f, err := savefile.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec, err := arksave.Decode(ctx, f, arksave.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db := openSnapDB(t)
	if err := db.ReplaceSaveTeleporters(ctx, 42, dec.Map, dec.Structures); err != nil {
		t.Fatal(err)
	}
	got, err := db.SaveTeleporters(ctx, 42)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("teleporters %+v (of %d structures)", got, len(dec.Structures))
	}
	byTribe := map[int64]storage.TeleportPoint{}
	for _, p := range got {
		byTribe[p.TribeID] = p
	}
	a, b := byTribe[save.Tribes[0].ID], byTribe[save.Tribes[1].ID]
	if a.X != 131000 || a.Y != 0 || a.Map != "Ragnarok_WP" || a.TribeName != save.Tribes[0].Name || !storage.IsTeleporterClass(a.Class) {
		t.Fatalf("first: %+v", a)
	}
	if b.X != -65500 || b.Y != 65500 {
		t.Fatalf("second: %+v", b)
	}
	// The next save without teleporters empties the table.
	if err := db.ReplaceSaveTeleporters(ctx, 42, dec.Map, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.SaveTeleporters(ctx, 42); len(got) != 0 {
		t.Fatalf("not replaced: %+v", got)
	}
}

func TestTribeOfLinkedUser(t *testing.T) {
	db := openSnapDB(t)
	ctx := context.Background()
	s := genSnapshot(77, "r1", arksavetest.Counts{Seed: 5, Map: "TheIsland_WP", Players: 5, Tribes: 2}, 0)
	if err := db.ReplaceSnapshot(ctx, s); err != nil {
		t.Fatal(err)
	}
	var pl arksave.Player
	for _, p := range s.Players {
		if p.TribeID != 0 && p.EOSID != "" {
			pl = p
			break
		}
	}
	if pl.EOSID == "" {
		t.Fatal("no tribe member in the synthetic save")
	}
	if _, ok, err := db.TribeOfLinkedUser(ctx, "g", "d1", 77); err != nil || ok {
		t.Fatalf("unlinked: %v %v", ok, err)
	}
	if err := db.PutLink(ctx, storage.Link{GuildID: "g", DiscordID: "d1", EOSID: pl.EOSID, Name: "x"}); err != nil {
		t.Fatal(err)
	}
	if id, ok, err := db.TribeOfLinkedUser(ctx, "g", "d1", 77); err != nil || !ok || id != pl.TribeID {
		t.Fatalf("linked: %v %v %v want %v", id, ok, err, pl.TribeID)
	}
}
