package storage_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/arksave/arksavetest"
	"github.com/blissark/bliss/storage"
)

func openSnapDB(tb testing.TB) *storage.DB {
	tb.Helper()
	db, err := storage.Open(context.Background(), filepath.Join(tb.TempDir(), "bliss.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// genSnapshot builds a snapshot from a synthetic save with nBases bases.
func genSnapshot(serverID int64, runID string, c arksavetest.Counts, nBases int) *storage.Snapshot {
	save := arksavetest.Generate(c)
	s := &storage.Snapshot{
		Info: storage.SnapshotInfo{
			ServerID: serverID, RunID: runID, Map: save.Map, SaveVersion: save.SaveVersion,
			SavedAt: save.SavedAt, GameTime: save.GameTime, FileName: "/games/x/" + save.Map + ".ark",
			FileSize: 12345, FileModTime: save.SavedAt, ContentHash: "abc" + runID,
			WildDinos: save.WildDinos, Pawns: save.Pawns, Structures: len(save.Structures),
			RowsTotal: 100, RowsFailed: 2, FailedByClass: map[string]int{"Foo_C": 2},
			StructuresByMaterial: map[string]int{"wood": 3}, Decode: time.Second,
		},
		Players:           save.Players,
		Tribes:            save.Tribes,
		Dinos:             save.Dinos,
		StructuresByTribe: map[int64]int{},
	}
	for _, st := range save.Structures {
		s.StructuresByTribe[st.TribeID]++
	}
	base := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	for i := range nBases {
		s.Bases = append(s.Bases, storage.Base{
			Owner: int64(1000 + i), OwnerName: fmt.Sprintf("Tribe %d", i), Structures: 50 + i,
			ByMaterial: map[string]int{"stone": 40, "wood": 10 + i}, StorageCount: 2, Foundations: 12,
			Center:    arksave.Location{X: float64(i), Y: 2, Z: 3, Lat: 50, Lon: 50, HasLatLon: true},
			DecayTier: "stone", DecayDuration: 12 * 24 * time.Hour, LastRefresh: base, RefreshKnown: true,
			// reverse order so sorting by decay differs from insertion order
			DecaysAt: base.Add(time.Duration(nBases-i) * time.Hour),
		})
	}
	return s
}

func TestSnapshot_ReplaceAndQuery(t *testing.T) {
	t.Parallel()
	db := openSnapDB(t)
	ctx := t.Context()

	if _, err := db.LastSnapshot(ctx, 1); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("LastSnapshot on empty db = %v, want ErrNotFound", err)
	}
	s := genSnapshot(1, "run-1", arksavetest.Counts{Seed: 1, Players: 20, Tribes: 4, TamedDinos: 60, Structures: 100, WildDinos: 7}, 5)
	if err := db.ReplaceSnapshot(ctx, s); err != nil {
		t.Fatal(err)
	}
	// another server must stay separate
	other := genSnapshot(2, "run-x", arksavetest.Counts{Seed: 2, Players: 3, Tribes: 1, TamedDinos: 2}, 1)
	if err := db.ReplaceSnapshot(ctx, other); err != nil {
		t.Fatal(err)
	}

	last, err := db.LastSnapshot(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if last.RunID != "run-1" || last.Players != 20 || last.Tribes != 4 || last.TamedDinos != 60 || last.Bases != 5 ||
		last.WildDinos != 7 || last.Structures != 100 || last.RowsFailed != 2 || last.FailedByClass["Foo_C"] != 2 ||
		last.Decode != time.Second || last.Write <= 0 || last.ContentHash != "abcrun-1" || !last.FileModTime.Equal(s.Info.FileModTime) {
		t.Errorf("LastSnapshot = %+v", last)
	}

	c, err := db.CountSnapshot(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if c.Players != 20 || c.Tribes != 4 || c.Dinos != 60 || c.Bases != 5 || c.RunID != "run-1" {
		t.Errorf("CountSnapshot = %+v", c)
	}

	// Players: case-insensitive substring, pagination, EOS lookup.
	all, err := db.Players(ctx, 1, "", 100, 0)
	if err != nil || len(all) != 20 {
		t.Fatalf("Players all = %d, %v", len(all), err)
	}
	want := s.Players[3]
	got, err := db.Players(ctx, 1, swapCase(want.CharacterName), 10, 0)
	if err != nil || len(got) == 0 {
		t.Fatalf("Players(%q) = %v, %v", swapCase(want.CharacterName), got, err)
	}
	found := false
	for _, p := range got {
		if p.PlayerDataID == want.PlayerDataID && p.EOSID == want.EOSID && p.Level == want.Level &&
			p.TribeID == want.TribeID && p.LastLogin.Equal(want.LastLogin) && (p.Location == nil) == (want.Location == nil) {
			found = true
		}
	}
	if !found {
		t.Errorf("player %+v not round-tripped in %+v", want, got)
	}
	page, err := db.Players(ctx, 1, "", 5, 15)
	if err != nil || len(page) != 5 || page[0].CharacterName != all[15].CharacterName {
		t.Errorf("page = %d %v", len(page), err)
	}
	if p, err := db.PlayerByEOS(ctx, 1, want.EOSID); err != nil || p.PlayerDataID != want.PlayerDataID {
		t.Errorf("PlayerByEOS = %+v, %v", p, err)
	}
	if ps, err := db.PlayerByName(ctx, 1, swapCase(want.CharacterName)); err != nil || len(ps) != 1 || ps[0].PlayerDataID != want.PlayerDataID {
		t.Errorf("PlayerByName = %+v, %v", ps, err)
	}
	if ps, err := db.PlayerByName(ctx, 1, "no such player"); err != nil || len(ps) != 0 {
		t.Errorf("PlayerByName(no such) = %+v, %v", ps, err)
	}
	if _, err := db.PlayerByEOS(ctx, 1, "nope"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("PlayerByEOS(nope) = %v", err)
	}
	if ps, _ := db.Players(ctx, 1, "%", 10, 0); len(ps) != 0 {
		t.Errorf("'%%' must be literal, got %d players", len(ps))
	}

	// Tribes.
	tribes, err := db.Tribes(ctx, 1, "", 10, 0)
	if err != nil || len(tribes) != 4 {
		t.Fatalf("Tribes = %d %v", len(tribes), err)
	}
	for _, tr := range tribes {
		if tr.TamedDinos != 15 || tr.Structures != 25 || len(tr.Members) == 0 || len(tr.MemberIDs) == 0 {
			t.Errorf("tribe %+v", tr)
		}
	}
	if tr, err := db.Tribes(ctx, 1, swapCase(s.Tribes[2].Name), 10, 0); err != nil || len(tr) != 1 || tr[0].ID != s.Tribes[2].ID {
		t.Errorf("Tribes by name = %+v, %v", tr, err)
	}

	// Dinos.
	dinos, err := db.Dinos(ctx, 1, storage.DinoFilter{TribeID: s.Tribes[1].ID, Limit: 100})
	if err != nil || len(dinos) != 15 {
		t.Fatalf("Dinos by tribe = %d %v", len(dinos), err)
	}
	d0 := s.Dinos[0]
	byClass, err := db.Dinos(ctx, 1, storage.DinoFilter{Class: d0.Class[:4], OrderByLevel: true, Limit: 100})
	if err != nil || len(byClass) == 0 {
		t.Fatalf("Dinos by class = %d %v", len(byClass), err)
	}
	for i := 1; i < len(byClass); i++ {
		if byClass[i].Level > byClass[i-1].Level {
			t.Fatalf("not ordered by level")
		}
	}
	var rt *storage.DinoRow
	all2, _ := db.Dinos(ctx, 1, storage.DinoFilter{Limit: 1000})
	for i := range all2 {
		if all2[i].ID == d0.ID {
			rt = &all2[i]
		}
	}
	if rt == nil || rt.DinoID != d0.DinoID || rt.Name != d0.Name || rt.Sex != d0.Sex || rt.Cryopodded != d0.Cryopodded ||
		(rt.Location == nil) != (d0.Location == nil) {
		t.Errorf("dino round trip: got %+v want %+v", rt, d0)
	}

	// Bases.
	bs, err := db.Bases(ctx, 1, true, 10)
	if err != nil || len(bs) != 5 {
		t.Fatalf("Bases = %d %v", len(bs), err)
	}
	for i := 1; i < len(bs); i++ {
		if bs[i].DecaysAt.Before(bs[i-1].DecaysAt) {
			t.Errorf("bases not ordered by decay: %v", bs)
		}
	}
	if bs[0].Owner != 1004 || bs[0].ByMaterial["wood"] != 14 || !bs[0].Center.HasLatLon || bs[0].DecayDuration != 12*24*time.Hour {
		t.Errorf("base[0] = %+v", bs[0])
	}
	big, _ := db.Bases(ctx, 1, false, 1)
	if len(big) != 1 || big[0].Structures != 54 {
		t.Errorf("largest base = %+v", big)
	}

	// Replace with a smaller snapshot: old rows are gone.
	s2 := genSnapshot(1, "run-2", arksavetest.Counts{Seed: 3, Players: 2, Tribes: 1, TamedDinos: 1}, 0)
	if err := db.ReplaceSnapshot(ctx, s2); err != nil {
		t.Fatal(err)
	}
	c, _ = db.CountSnapshot(ctx, 1)
	if c.Players != 2 || c.Tribes != 1 || c.Dinos != 1 || c.Bases != 0 || c.RunID != "run-2" {
		t.Errorf("after replace: %+v", c)
	}
	c, _ = db.CountSnapshot(ctx, 2)
	if c.Players != 3 || c.RunID != "run-x" {
		t.Errorf("other server touched: %+v", c)
	}

	if err := db.DeleteSnapshots(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if c, _ = db.CountSnapshot(ctx, 1); c != (storage.SnapshotCounts{}) {
		t.Errorf("after delete: %+v", c)
	}
	if _, err := db.LastSnapshot(ctx, 1); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("LastSnapshot after delete: %v", err)
	}
	if c, _ = db.CountSnapshot(ctx, 2); c.Players != 3 {
		t.Errorf("delete touched server 2: %+v", c)
	}
}

func swapCase(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			b[i] = c - 32
		case c >= 'A' && c <= 'Z':
			b[i] = c + 32
		}
	}
	return string(b)
}

func TestSnapshot_PruneKeepsLastN(t *testing.T) {
	t.Parallel()
	db := openSnapDB(t)
	ctx := t.Context()
	for i := range 7 {
		s := genSnapshot(9, fmt.Sprintf("run-%d", i), arksavetest.Counts{Seed: uint64(i), Players: 1}, 0)
		s.Keep = 3
		if err := db.ReplaceSnapshot(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	hist, err := db.SnapshotHistory(ctx, 9, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 || hist[0].RunID != "run-6" || hist[2].RunID != "run-4" {
		t.Errorf("history = %d runs, first %q", len(hist), hist[0].RunID)
	}
}

func TestSnapshot_Invalid(t *testing.T) {
	t.Parallel()
	db := openSnapDB(t)
	ctx := t.Context()
	for _, s := range []*storage.Snapshot{nil, {}, {Info: storage.SnapshotInfo{ServerID: 1}}, {Info: storage.SnapshotInfo{ServerID: 1, RunID: "r"}, Keep: -1}} {
		if err := db.ReplaceSnapshot(ctx, s); !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("ReplaceSnapshot(%+v) = %v, want ErrInvalid", s, err)
		}
	}
	// Non-finite floats are stored as NULL/0, not rejected.
	s := genSnapshot(1, "nan", arksavetest.Counts{Seed: 1, Players: 1, TamedDinos: 1}, 1)
	s.Players[0].Location = &arksave.Location{X: nanF(), Y: 1, Z: 1}
	s.Bases[0].Center.X = nanF()
	if err := db.ReplaceSnapshot(ctx, s); err != nil {
		t.Fatalf("NaN coordinates: %v", err)
	}
}

func nanF() float64 { var z float64; return z / z }

// cancelAfter is a context that cancels itself after Done has been asked n
// times, i.e. in the middle of a sequence of statements.
type cancelAfter struct {
	context.Context
	cancel context.CancelFunc
	left   atomic.Int64
}

func newCancelAfter(n int64) *cancelAfter {
	ctx, cancel := context.WithCancel(context.Background())
	c := &cancelAfter{Context: ctx, cancel: cancel}
	c.left.Store(n)
	return c
}

func (c *cancelAfter) Done() <-chan struct{} {
	if c.left.Add(-1) == 0 {
		c.cancel()
	}
	return c.Context.Done()
}

func TestSnapshot_FailureKeepsPrevious(t *testing.T) {
	t.Parallel()
	db := openSnapDB(t)
	ctx := t.Context()
	old := genSnapshot(1, "old", arksavetest.Counts{Seed: 1, Players: 30, Tribes: 3, TamedDinos: 300}, 4)
	if err := db.ReplaceSnapshot(ctx, old); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int64{1, 3, 10, 40} {
		cctx := newCancelAfter(n)
		s := genSnapshot(1, fmt.Sprintf("new-%d", n), arksavetest.Counts{Seed: 2, Players: 500, Tribes: 20, TamedDinos: 5000}, 10)
		err := db.ReplaceSnapshot(cctx, s)
		cctx.cancel()
		if err == nil {
			t.Fatalf("cancel after %d: ReplaceSnapshot succeeded", n)
		}
		if !errors.Is(err, context.Canceled) {
			t.Logf("cancel after %d: %v (not context.Canceled)", n, err)
		}
		c, err := db.CountSnapshot(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if c.RunID != "old" || c.Players != 30 || c.Dinos != 300 || c.Tribes != 3 || c.Bases != 4 {
			t.Fatalf("cancel after %d: previous snapshot damaged: %+v", n, c)
		}
	}
	// The database still takes writes afterwards.
	if err := db.ReplaceSnapshot(ctx, genSnapshot(1, "next", arksavetest.Counts{Seed: 3, Players: 1}, 0)); err != nil {
		t.Fatal(err)
	}
}

// TestSnapshot_ConcurrentReaderSeesWholeSnapshots alternates two snapshot
// sizes while readers count rows: every read must match exactly one of the
// snapshots (players, dinos and the run row all agree).
func TestSnapshot_ConcurrentReaderSeesWholeSnapshots(t *testing.T) {
	t.Parallel()
	db := openSnapDB(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	a := genSnapshot(1, "a", arksavetest.Counts{Seed: 1, Players: 100, Tribes: 10, TamedDinos: 400}, 3)
	b := genSnapshot(1, "b", arksavetest.Counts{Seed: 2, Players: 37, Tribes: 5, TamedDinos: 777}, 8)
	if err := db.ReplaceSnapshot(ctx, a); err != nil {
		t.Fatal(err)
	}
	var reads atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				c, err := db.CountSnapshot(ctx, 1)
				if err != nil {
					if ctx.Err() == nil {
						errc <- err
					}
					return
				}
				reads.Add(1)
				okA := c.Players == 100 && c.Dinos == 400 && c.Tribes == 10 && c.Bases == 3
				okB := c.Players == 37 && c.Dinos == 777 && c.Tribes == 5 && c.Bases == 8
				if !(okA || okB) || c.RunPlayers != c.Players || c.RunDinos != c.Dinos {
					errc <- fmt.Errorf("inconsistent read: %+v", c)
					return
				}
			}
		}()
	}
	for i := range 6 {
		s := a
		if i%2 == 0 {
			s = b
		}
		s.Info.RunID = fmt.Sprintf("run-%d", i)
		if err := db.ReplaceSnapshot(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if reads.Load() < 5 {
		t.Errorf("only %d concurrent reads", reads.Load())
	}
}
