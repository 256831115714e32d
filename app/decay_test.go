package app

import (
	"path/filepath"
	"testing"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/storage"
)

func TestDecayMultiplierChoice(t *testing.T) {
	for _, tc := range []struct{ override, nitrado, want float64 }{
		{0, 0, 0},     // neither: the default (1) applies in bases
		{0, 2.5, 2.5}, // the server's Nitrado setting
		{3, 2.5, 3},   // staff override wins
	} {
		if got := decayMultiplier(tc.override, tc.nitrado); got != tc.want {
			t.Errorf("decayMultiplier(%v, %v) = %v, want %v", tc.override, tc.nitrado, got, tc.want)
		}
	}
}

// TestDecayOverrideFromServers: the override staff give on /servers add
// (bots.GameServer.DecayMultiplier through the SQLite guild store) is what
// the parse of that server uses; re-adding with 1 clears it, so the server's
// own Nitrado setting applies again.
func TestDecayOverrideFromServers(t *testing.T) {
	ctx := t.Context()
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "bliss.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	gs := &guildStore{db: db}
	a := &appliance{db: db}
	const id = 17000001
	if err := gs.AddServer(ctx, bots.GameServer{GuildID: "g1", ServiceID: id, Name: "Island"}); err != nil {
		t.Fatal(err)
	}
	if got := decayMultiplier(a.decayOverride(ctx, id), 2.5); got != 2.5 {
		t.Errorf("no override: multiplier %v, want Nitrado's 2.5", got)
	}
	if err := gs.AddServer(ctx, bots.GameServer{GuildID: "g1", ServiceID: id, Name: "Island", DecayMultiplier: 4}); err != nil {
		t.Fatal(err)
	}
	if got := decayMultiplier(a.decayOverride(ctx, id), 2.5); got != 4 {
		t.Errorf("override 4: multiplier %v", got)
	}
	list, err := gs.Servers(ctx, "g1")
	if err != nil || len(list) != 1 || list[0].DecayMultiplier != 4 {
		t.Errorf("Servers = %+v, %v; want the override 4", list, err)
	}
	if err := gs.AddServer(ctx, bots.GameServer{GuildID: "g1", ServiceID: id, Name: "Island", DecayMultiplier: 1}); err != nil {
		t.Fatal(err)
	}
	if got := decayMultiplier(a.decayOverride(ctx, id), 2.5); got != 2.5 {
		t.Errorf("cleared override: multiplier %v, want Nitrado's 2.5", got)
	}
}
