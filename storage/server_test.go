package storage_test

import (
	"errors"
	"math"
	"testing"

	"github.com/blissark/bliss/storage"
)

func TestServers(t *testing.T) {
	t.Parallel()
	db := MustOpen(t)
	ctx := t.Context()
	mustGuild(t, db, "g1")
	mustGuild(t, db, "g2")

	island := &storage.Server{GuildID: "g1", ServiceID: 1001, Name: "Island", Map: "TheIsland_WP", Enabled: true, Cluster: "main"}
	if err := db.AddServer(ctx, island); err != nil {
		t.Fatal(err)
	}
	if island.ID == 0 || island.CreatedAt.IsZero() || island.DecayMultiplier != 1 {
		t.Errorf("AddServer did not fill ID/CreatedAt/default decay: %+v", island)
	}
	for _, s := range []*storage.Server{
		{GuildID: "g1", ServiceID: 1002, Name: "Center", Map: "TheCenter_WP", DecayMultiplier: 2.5},
		{GuildID: "g2", ServiceID: 1001, Name: "Shared", Enabled: true}, // same service, other guild
	} {
		if err := db.AddServer(ctx, s); err != nil {
			t.Fatal(err)
		}
	}

	ss, err := db.ListServers(ctx, "g1")
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 2 || ss[0].Name != "Center" || ss[1].Name != "Island" {
		t.Fatalf("ListServers(g1) = %+v, want Center, Island", ss)
	}
	if got := ss[1]; got.ID != island.ID || got.Map != "TheIsland_WP" || !got.Enabled || got.Cluster != "main" ||
		got.DecayMultiplier != 1 || !got.CreatedAt.Equal(island.CreatedAt) {
		t.Errorf("stored server = %+v, want %+v", got, *island)
	}
	if ss[0].Enabled || ss[0].DecayMultiplier != 2.5 {
		t.Errorf("Center = %+v, want disabled with decay 2.5", ss[0])
	}
	if all, err := db.AllServers(ctx); err != nil || len(all) != 3 {
		t.Errorf("AllServers = %d servers, %v; want 3", len(all), err)
	}
	if none, err := db.ListServers(ctx, "unknown"); err != nil || len(none) != 0 {
		t.Errorf("ListServers(unknown) = %v, %v; want empty", none, err)
	}

	// Update and fetch one.
	island.Enabled = false
	island.DecayMultiplier = 0.5
	if err := db.UpdateServer(ctx, island); err != nil {
		t.Fatal(err)
	}
	got, err := db.Server(ctx, "g1", 1001)
	if err != nil {
		t.Fatal(err)
	}
	if got.Enabled || got.DecayMultiplier != 0.5 {
		t.Errorf("after update = %+v", got)
	}

	// Remove.
	if err := db.RemoveServer(ctx, "g1", 1001); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Server(ctx, "g1", 1001); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Server after remove = %v, want ErrNotFound", err)
	}
	if _, err := db.Server(ctx, "g2", 1001); err != nil {
		t.Errorf("the other guild's link must survive: %v", err)
	}
}

func TestServers_Errors(t *testing.T) {
	t.Parallel()
	db := MustOpen(t)
	ctx := t.Context()
	mustGuild(t, db, "g")
	if err := db.AddServer(ctx, &storage.Server{GuildID: "g", ServiceID: 7}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		err  error
		want error
	}{
		{"duplicate", db.AddServer(ctx, &storage.Server{GuildID: "g", ServiceID: 7}), storage.ErrConflict},
		{"unknown guild", db.AddServer(ctx, &storage.Server{GuildID: "nope", ServiceID: 8}), storage.ErrNotFound},
		{"nil", db.AddServer(ctx, nil), storage.ErrInvalid},
		{"zero service", db.AddServer(ctx, &storage.Server{GuildID: "g"}), storage.ErrInvalid},
		{"negative decay", db.AddServer(ctx, &storage.Server{GuildID: "g", ServiceID: 9, DecayMultiplier: -1}), storage.ErrInvalid},
		{"NaN decay", db.AddServer(ctx, &storage.Server{GuildID: "g", ServiceID: 9, DecayMultiplier: math.NaN()}), storage.ErrInvalid},
		{"empty guild", db.AddServer(ctx, &storage.Server{ServiceID: 9}), storage.ErrInvalid},
		{"remove missing", db.RemoveServer(ctx, "g", 999), storage.ErrNotFound},
		{"update missing", db.UpdateServer(ctx, &storage.Server{GuildID: "g", ServiceID: 999}), storage.ErrNotFound},
		{"update nil", db.UpdateServer(ctx, nil), storage.ErrInvalid},
	} {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, tt.err, tt.want)
		}
		if tt.err != nil && tt.err.Error()[:9] != "storage: " {
			t.Errorf("%s: err = %q, want storage: prefix", tt.name, tt.err)
		}
	}
}
