package storage_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/storage"
)

func TestCursorsWithPrefix(t *testing.T) {
	t.Parallel()
	db := MustOpen(t)
	ctx := t.Context()
	for k, v := range map[string]string{"feed/thread/g1/tribe:A/1": "t1", "feed/thread/g1/tribe:B/2": "t2",
		"feed/thread/g1/tribe;x": "no", "feed/thread/g1/trib": "no", "feed/thread/g10/tribe:A/1": "no", "feed/thread/g1/join/1": "no"} {
		if err := db.SetCursor(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.CursorsWithPrefix(ctx, "feed/thread/g1/tribe:")
	if err != nil || len(got) != 2 || got["feed/thread/g1/tribe:A/1"] != "t1" || got["feed/thread/g1/tribe:B/2"] != "t2" {
		t.Fatalf("%v %v", got, err)
	}
	if got, err := db.CursorsWithPrefix(ctx, "zzz\xff"); err != nil || len(got) != 0 {
		t.Fatalf("0xff prefix: %v %v", got, err)
	}
	if _, err := db.CursorsWithPrefix(ctx, ""); !errors.Is(err, storage.ErrInvalid) {
		t.Fatalf("empty prefix: %v", err)
	}
}

func TestTribePlayers(t *testing.T) {
	t.Parallel()
	db := MustOpen(t)
	ctx := t.Context()
	const a, b, c = "000000000000000000000000000000aa", "000000000000000000000000000000bb", "000000000000000000000000000000cc"
	for _, l := range []storage.Link{{GuildID: "g1", DiscordID: "d1", EOSID: a}, {GuildID: "g1", DiscordID: "d2", EOSID: b},
		{GuildID: "g2", DiscordID: "d3", EOSID: c}, {GuildID: "g1", DiscordID: "d4", EOSID: "000000000000000000000000000000dd"}} {
		if err := db.PutLink(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	// a: upper-case EOS id in the save, tribe name on the player; b: the
	// name only on the tribe row; c: linked in g2; d4's player is not saved.
	snap := &storage.Snapshot{Info: storage.SnapshotInfo{ServerID: 7, RunID: "r1"},
		Players: []arksave.Player{{PlayerDataID: 1, EOSID: "000000000000000000000000000000AA", TribeID: 5, TribeName: "Guppy"},
			{PlayerDataID: 2, EOSID: b, TribeID: 6}, {PlayerDataID: 3, EOSID: c, TribeID: 5, TribeName: "Guppy"}},
		Tribes: []arksave.Tribe{{ID: 5, Name: "Guppy"}, {ID: 6, Name: "Sharks"}}}
	if err := db.ReplaceSnapshot(ctx, snap); err != nil {
		t.Fatal(err)
	}
	snap.Info.ServerID, snap.Info.RunID = 8, "r1"
	snap.Players = []arksave.Player{{PlayerDataID: 1, EOSID: a}} // tribeless on 8
	if err := db.ReplaceSnapshot(ctx, snap); err != nil {
		t.Fatal(err)
	}
	got, err := db.TribePlayers(ctx, "g1", []int64{7, 8})
	if err != nil {
		t.Fatal(err)
	}
	want := []storage.TribePlayer{{DiscordID: "d1", EOSID: a, ServerID: 7, TribeID: 5, TribeName: "Guppy"},
		{DiscordID: "d2", EOSID: b, ServerID: 7, TribeID: 6, TribeName: "Sharks"}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if got, err := db.TribePlayers(ctx, "g2", []int64{8}); err != nil || len(got) != 0 {
		t.Fatalf("g2 on 8: %v %v", got, err)
	}
	if _, err := db.TribePlayers(ctx, "g1", nil); !errors.Is(err, storage.ErrInvalid) {
		t.Fatalf("no servers: %v", err)
	}
}

func TestTribeThreadMemberRows(t *testing.T) {
	t.Parallel()
	db := MustOpen(t)
	ctx := t.Context()
	next := time.Date(2026, 12, 3, 13, 0, 0, 0, time.UTC)
	rows := []storage.TribeThreadMember{{GuildID: "g1", ThreadID: "t1", DiscordID: "d1", State: storage.ThreadMemberAdded},
		{GuildID: "g1", ThreadID: "t1", DiscordID: "d2", State: storage.ThreadMemberFailed, Attempts: 2, NextAt: next, LastError: "Unknown Member"},
		{GuildID: "g2", ThreadID: "t9", DiscordID: "d1", State: storage.ThreadMemberAdded}}
	for _, r := range rows {
		if err := db.PutTribeThreadMember(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.PutTribeThreadMember(ctx, storage.TribeThreadMember{GuildID: "g1", ThreadID: "t1", DiscordID: "d3", State: "maybe"}); !errors.Is(err, storage.ErrInvalid) {
		t.Fatalf("bad state: %v", err)
	}
	got, err := db.TribeThreadMembers(ctx, "t1")
	if err != nil || len(got) != 2 || got[0].DiscordID != "d1" || got[0].State != storage.ThreadMemberAdded ||
		got[1].Attempts != 2 || !got[1].NextAt.Equal(next) || got[1].LastError != "Unknown Member" {
		t.Fatalf("%+v %v", got, err)
	}
	rows[1].State, rows[1].Attempts, rows[1].NextAt = storage.ThreadMemberAdded, 0, time.Time{}
	if err := db.PutTribeThreadMember(ctx, rows[1]); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteTribeThreadMember(ctx, "t1", "d1"); err != nil {
		t.Fatal(err)
	}
	got, err = db.TribeThreadMembers(ctx, "t1")
	if err != nil || len(got) != 1 || got[0].DiscordID != "d2" || got[0].State != storage.ThreadMemberAdded || !got[0].NextAt.IsZero() {
		t.Fatalf("after update and delete: %+v %v", got, err)
	}
}
