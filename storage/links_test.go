package storage_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/blissark/bliss/storage"
)

func TestLinkCodes(t *testing.T) {
	t.Parallel()
	db := MustOpen(t)
	ctx := t.Context()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	code, err := db.NewLinkCode(ctx, "g", "d1", storage.CodeGame, "Bob", 10*time.Minute)
	if err != nil || len(code) != 9 || !strings.HasPrefix(code, "BL-") {
		t.Fatal(code, err)
	}
	if _, err := db.RedeemGameCode(ctx, "other", code, "0002aa", []string{"Bob"}, 0); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("code used in another guild: %v", err)
	}
	if _, err := db.RedeemGameCode(ctx, "g", code, "0002ee", []string{"Eve", "eve_pc"}, 0); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("code said by another player: %v", err)
	}
	l, err := db.RedeemGameCode(ctx, "g", code, "0002AA", []string{"bob_pc", "bob"}, 42)
	if err != nil || l.DiscordID != "d1" || l.EOSID != "0002aa" {
		t.Fatal(l, err)
	}
	if _, err := db.RedeemGameCode(ctx, "g", code, "0002aa", []string{"Bob"}, 0); !errors.Is(err, storage.ErrExpired) {
		t.Fatalf("reused code: %v", err)
	}
	c2, _ := db.NewLinkCode(ctx, "g", "d2", storage.CodeGame, "", 10*time.Minute)
	if _, err := db.RedeemGameCode(ctx, "g", c2, "0002aa", nil, 0); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("eos of another account: %v", err)
	}
	c3, _ := db.NewLinkCode(ctx, "g", "d2", storage.CodeGame, "", 10*time.Minute)
	now = now.Add(11 * time.Minute)
	if _, err := db.RedeemGameCode(ctx, "g", c3, "0002bb", nil, 0); !errors.Is(err, storage.ErrExpired) {
		t.Fatalf("expired code: %v", err)
	}
	if got, err := db.LinkByEOS(ctx, "g", "0002AA"); err != nil || got.PlayerID != 42 {
		t.Fatal(got, err)
	}
	if ok, _ := db.Unlink(ctx, "g", "d1"); !ok {
		t.Fatal("unlink")
	}
	if _, err := db.LinkByDiscord(ctx, "g", "d1"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatal(err)
	}
}

// Boosts recorded before the donor links are credited once on link; a
// re-read history adds nothing; a boost after the link is credited at once.
func TestBoostsRetroCredit(t *testing.T) {
	t.Parallel()
	db := MustOpen(t)
	ctx := t.Context()
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	bs := []storage.Boost{
		{ServiceID: 1, BoostID: 1, GuildID: "g", Username: "Donor", GP: 10, BoostedAt: at},
		{ServiceID: 1, BoostID: 2, GuildID: "g", Username: "donor", GP: 20, BoostedAt: at.Add(time.Hour)},
		{ServiceID: 1, BoostID: 3, GuildID: "g", Username: "donor", AmountRaw: "€1,00", Flags: []string{"amount"}, BoostedAt: at.Add(2 * time.Hour)},
	}
	got, err := db.RecordBoosts(ctx, "boosts:1", "3", bs, nil)
	if err != nil || len(got) != 3 {
		t.Fatal(got, err)
	}
	if got, _ := db.RecordBoosts(ctx, "boosts:1", "3", bs, nil); len(got) != 0 {
		t.Fatalf("re-read recorded %d", len(got))
	}
	if v, _ := db.Cursor(ctx, "boosts:1"); v != "3" {
		t.Fatal(v)
	}
	for range 2 {
		n, err := db.LinkDonor(ctx, "g", "DONOR", "d1", "staff")
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := db.Balance(ctx, "g", storage.GP, "d1"); b != 30 {
			t.Fatalf("balance %d after link (credited %d)", b, n)
		}
	}
	got, _ = db.RecordBoosts(ctx, "", "", []storage.Boost{{ServiceID: 1, BoostID: 4, GuildID: "g", Username: "donor", GP: 5}}, nil)
	if len(got) != 1 || !got[0].Credited {
		t.Fatal(got)
	}
	list, total, _, err := db.Boosts(ctx, storage.BoostFilter{GuildID: "g", Usernames: []string{"donor"}}, 10, 0)
	if err != nil || total != 4 || len(list) != 4 {
		t.Fatal(total, err)
	}
	// A donor code links and credits too.
	code, _ := db.NewLinkCode(ctx, "g", "d2", storage.CodeNitrado, "other", time.Hour)
	db.RecordBoosts(ctx, "", "", []storage.Boost{{ServiceID: 1, BoostID: 5, GuildID: "g", Username: "Other", GP: 7, Message: "thanks " + code}}, nil)
	who, n, err := db.RedeemDonorCode(ctx, "g", code, "other")
	if err != nil || who != "d2" || n != 7 {
		t.Fatal(who, n, err)
	}
	assertConsistent(t, db)
}
