package storage_test

import (
	"errors"
	"testing"
	"time"

	"github.com/blissark/bliss/storage"
)

func TestGuilds(t *testing.T) {
	t.Parallel()
	db := MustOpen(t)
	ctx := t.Context()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	db.Now = func() time.Time { return t0 }

	g := &storage.Guild{ID: "100", Name: "Alpha"}
	if err := db.UpsertGuild(ctx, g); err != nil {
		t.Fatal(err)
	}
	if !g.CreatedAt.Equal(t0) {
		t.Errorf("CreatedAt = %v, want %v", g.CreatedAt, t0)
	}

	// Upsert renames and keeps the creation time.
	db.Now = func() time.Time { return t0.Add(time.Hour) }
	g2 := &storage.Guild{ID: "100", Name: "Alpha 2"}
	if err := db.UpsertGuild(ctx, g2); err != nil {
		t.Fatal(err)
	}
	if !g2.CreatedAt.Equal(t0) {
		t.Errorf("CreatedAt after upsert = %v, want %v", g2.CreatedAt, t0)
	}
	got, err := db.Guild(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Alpha 2" || !got.CreatedAt.Equal(t0) {
		t.Errorf("Guild = %+v, want Alpha 2 created %v", got, t0)
	}

	mustGuild(t, db, "050")
	gs, err := db.Guilds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 2 || gs[0].ID != "050" || gs[1].ID != "100" {
		t.Errorf("Guilds = %+v, want 050, 100", gs)
	}

	if _, err := db.Guild(ctx, "nope"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Guild(nope) = %v, want ErrNotFound", err)
	}
	if err := db.UpsertGuild(ctx, &storage.Guild{}); !errors.Is(err, storage.ErrInvalid) {
		t.Errorf("UpsertGuild(empty) = %v, want ErrInvalid", err)
	}
	if err := db.UpsertGuild(ctx, nil); !errors.Is(err, storage.ErrInvalid) {
		t.Errorf("UpsertGuild(nil) = %v, want ErrInvalid", err)
	}
}

func TestDeleteGuild_Cascades(t *testing.T) {
	t.Parallel()
	db := MustOpen(t)
	ctx := t.Context()
	mustGuild(t, db, "g")
	if err := db.AddServer(ctx, &storage.Server{GuildID: "g", ServiceID: 1}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetSetting(ctx, "g", "ticket_category", "123"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteGuild(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	if ss, err := db.AllServers(ctx); err != nil || len(ss) != 0 {
		t.Errorf("AllServers after delete = %v, %v; want none", ss, err)
	}
	if m, err := db.Settings(ctx, "g"); err != nil || len(m) != 0 {
		t.Errorf("Settings after delete = %v, %v; want none", m, err)
	}
	if err := db.DeleteGuild(ctx, "g"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("second DeleteGuild = %v, want ErrNotFound", err)
	}
}
