package storage_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blissark/bliss/storage"
)

func credit(t testing.TB, db *storage.DB, guild, account string, kind storage.Currency, n int64, key string) {
	t.Helper()
	if _, _, err := db.LedgerPost(t.Context(), storage.LedgerEntry{GuildID: guild, Account: account, Kind: kind,
		Amount: n, Reason: "give", Key: key}); err != nil {
		t.Fatal(err)
	}
}

func assertConsistent(t testing.TB, db *storage.DB) {
	t.Helper()
	bad, err := db.LedgerAudit(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Fatalf("cached balances differ from the ledger: %v", bad)
	}
}

// 100 concurrent debits against a balance for 3: exactly 3 succeed and the
// balance ends at zero, never below.
func TestLedgerConcurrentSpends(t *testing.T) {
	t.Parallel()
	db := MustOpen(t)
	ctx := t.Context()
	credit(t, db, "g", "u1", storage.AP, 30, "seed")
	var ok, short atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		wg.Go(func() {
			_, _, err := db.LedgerPost(ctx, storage.LedgerEntry{GuildID: "g", Account: "u1", Kind: storage.AP,
				Amount: -10, Reason: "purchase", Key: fmt.Sprintf("buy-%d", i)})
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, storage.ErrInsufficient):
				short.Add(1)
			default:
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if ok.Load() != 3 || short.Load() != 97 {
		t.Fatalf("ok %d, insufficient %d; want 3 and 97", ok.Load(), short.Load())
	}
	if b, err := db.Balance(ctx, "g", storage.AP, "u1"); err != nil || b != 0 {
		t.Fatalf("balance = %d, %v", b, err)
	}
	if _, n, _ := db.LedgerHistory(ctx, "g", storage.AP, "u1", 10, 0); n != 4 {
		t.Fatalf("history has %d entries, want 4", n)
	}
	assertConsistent(t, db)
}

func TestLedgerIdempotentAndIsolated(t *testing.T) {
	t.Parallel()
	db := MustOpen(t)
	ctx := t.Context()
	e := storage.LedgerEntry{GuildID: "g", Account: "u1", Kind: storage.AP, Amount: 5, Reason: "award", Key: "award:u1:p1"}
	first, created, err := db.LedgerPost(ctx, e)
	if err != nil || !created {
		t.Fatal(created, err)
	}
	for range 3 { // retries are harmless
		again, created, err := db.LedgerPost(ctx, e)
		if err != nil || created || again.ID != first.ID {
			t.Fatalf("retry: %+v %v %v", again, created, err)
		}
	}
	// The same key for a different entry is a conflict, not a silent no-op.
	e2 := e
	e2.Amount = 50
	if _, _, err := db.LedgerPost(ctx, e2); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("reused key: %v", err)
	}
	// AP and GP, and guilds, are separate balances.
	credit(t, db, "g", "u1", storage.GP, 7, "gp1")
	credit(t, db, "h", "u1", storage.AP, 9, "h1")
	for _, c := range []struct {
		g    string
		k    storage.Currency
		want int64
	}{{"g", storage.AP, 5}, {"g", storage.GP, 7}, {"h", storage.AP, 9}, {"h", storage.GP, 0}} {
		if b, _ := db.Balance(ctx, c.g, c.k, "u1"); b != c.want {
			t.Errorf("%s/%s = %d, want %d", c.g, c.k, b, c.want)
		}
	}
	// Debits of an unknown account or beyond the balance write nothing.
	if _, _, err := db.LedgerPost(ctx, storage.LedgerEntry{GuildID: "g", Account: "nobody", Kind: storage.AP, Amount: -1, Reason: "take", Key: "t1"}); !errors.Is(err, storage.ErrInsufficient) {
		t.Fatal(err)
	}
	if _, err := db.LedgerByKey(ctx, "t1"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatal("failed debit left an entry")
	}
	for _, bad := range []storage.LedgerEntry{
		{GuildID: "g", Account: "u", Kind: "xp", Amount: 1, Reason: "r", Key: "k"},
		{GuildID: "g", Account: "u", Kind: storage.AP, Amount: 0, Reason: "r", Key: "k"},
		{GuildID: "g", Account: "", Kind: storage.AP, Amount: 1, Reason: "r", Key: "k"},
		{GuildID: "g", Account: "u", Kind: storage.AP, Amount: 1, Reason: "r", Key: ""},
	} {
		if _, _, err := db.LedgerPost(ctx, bad); !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	assertConsistent(t, db)
}

func TestLeaderboardAndHistory(t *testing.T) {
	t.Parallel()
	db := MustOpen(t)
	ctx := t.Context()
	for i := range 25 {
		credit(t, db, "g", fmt.Sprintf("u%02d", i), storage.AP, int64(100+i), fmt.Sprintf("k%d", i))
	}
	top, total, err := db.Leaderboard(ctx, "g", storage.AP, time.Time{}, 10, 0)
	if err != nil || total != 25 || len(top) != 10 || top[0].Account != "u24" || top[0].Points != 124 {
		t.Fatalf("%v %d %v", top, total, err)
	}
	week, total, err := db.Leaderboard(ctx, "g", storage.AP, time.Now().Add(-time.Hour), 5, 20)
	if err != nil || total != 25 || len(week) != 5 {
		t.Fatalf("%v %d %v", week, total, err)
	}
	if none, total, _ := db.Leaderboard(ctx, "g", storage.AP, time.Now().Add(time.Hour), 5, 0); total != 0 || len(none) != 0 {
		t.Fatal(none)
	}
}

func TestAwardBatchCapAndIdempotency(t *testing.T) {
	t.Parallel()
	db := MustOpen(t)
	ctx := t.Context()
	var as []storage.Award
	for p := range 5 {
		as = append(as, storage.Award{GuildID: "g", Account: "u1", Day: "2026-12-03", Points: 10, Key: fmt.Sprintf("aw:u1:%d", p)})
	}
	n, pts, err := db.AwardBatch(ctx, as, 35)
	if err != nil || n != 4 || pts != 35 { // 10+10+10+5, the fifth is capped out
		t.Fatal(n, pts, err)
	}
	n, pts, err = db.AwardBatch(ctx, as, 35) // a re-run awards nothing
	if err != nil || n != 0 || pts != 0 {
		t.Fatal(n, pts, err)
	}
	days, _ := db.AwardDays(ctx, "g", "2026-12-01")
	if days["u1"]["2026-12-03"] != 35 {
		t.Fatal(days)
	}
	if b, _ := db.Balance(ctx, "g", storage.AP, "u1"); b != 35 {
		t.Fatal(b)
	}
	assertConsistent(t, db)
}

// BenchmarkLedgerDebit: one debit per transaction on one SQLite file.
func BenchmarkLedgerDebit(b *testing.B) {
	db := MustOpen(b)
	ctx := b.Context()
	credit(b, db, "g", "u1", storage.AP, 1e11, "seed")
	cpu := processCPU()
	for i := 0; b.Loop(); i++ {
		if _, _, err := db.LedgerPost(ctx, storage.LedgerEntry{GuildID: "g", Account: "u1", Kind: storage.AP,
			Amount: -1, Reason: "purchase", Key: fmt.Sprintf("b%d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "debits/s")
	reportCPU(b, cpu, "debit")
}

// A request that panics inside a grouped transaction fails alone and does
// not wedge later writes.
func TestGroupCommitPanicIsolated(t *testing.T) {
	t.Parallel()
	db := MustOpen(t)
	ctx := t.Context()
	if err := db.TestPanicInGroup(ctx); err == nil {
		t.Fatal("panic not reported")
	}
	credit(t, db, "g", "u1", storage.AP, 1, "after")
}
