package storage_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/storage"
)

// bigInfoSnapshot is one server with 5k players, 1k tribes, 20k tamed
// dinos and 2k bases holding 100k structures.
func bigInfoSnapshot(serverID int64, now time.Time) *storage.Snapshot {
	return sizedInfoSnapshot(serverID, now, 1, infoSizes{tribes: 1000, players: 5000, dinos: 20000, bases: 2000})
}

// infoSizes are the row counts of sizedInfoSnapshot; varied gives the
// bases different sizes and some no decay time.
type infoSizes struct {
	tribes, players, dinos, bases int
	varied                        bool
}

// sizedInfoSnapshot is a random snapshot with accented names (the same for
// the same seed and sizes).
func sizedInfoSnapshot(serverID int64, now time.Time, seed uint64, n infoSizes) *storage.Snapshot {
	r := rand.New(rand.NewPCG(seed, 2))
	s := &storage.Snapshot{Info: storage.SnapshotInfo{ServerID: serverID, RunID: "big", SavedAt: now}}
	syll := []string{"ka", "ré", "mo", "zö", "li", "an", "th", "ur", "el", "ça"}
	name := func() string {
		n := ""
		for range 2 + r.IntN(3) {
			n += syll[r.IntN(len(syll))]
		}
		return n
	}
	for i := range n.tribes {
		s.Tribes = append(s.Tribes, arksave.Tribe{ID: int64(10000 + i), Name: "Tribe " + name(), Members: []string{name(), name()}})
	}
	for i := range n.players {
		t := s.Tribes[i%n.tribes]
		s.Players = append(s.Players, arksave.Player{PlayerDataID: uint64(i + 1), EOSID: fmt.Sprintf("%032x", i+1),
			PlatformName: name(), CharacterName: name() + " " + name(), Level: 1 + r.IntN(150), TribeID: t.ID, TribeName: t.Name})
	}
	classes := []string{"Rex_Character_BP_C", "Raptor_Character_BP_C", "Argent_Character_BP_C", "Stego_Character_BP_C", "Ankylo_Character_BP_C"}
	for i := range n.dinos {
		t := s.Tribes[i%n.tribes]
		d := arksave.Dino{DinoID: uint64(i + 1), Class: classes[r.IntN(len(classes))], Name: name(), Level: 1 + r.IntN(450),
			TribeID: t.ID, TribeName: t.Name}
		d.ID[0], d.ID[1], d.ID[2] = byte(i), byte(i>>8), byte(i>>16)
		s.Dinos = append(s.Dinos, d)
	}
	for i := range n.bases {
		t := s.Tribes[i%n.tribes]
		b := storage.Base{Owner: t.ID, OwnerName: t.Name, Structures: 50,
			ByMaterial: map[string]int{"stone": 30, "metal": 20}, DecayTier: "stone",
			DecaysAt: now.Add(time.Duration(r.IntN(30*24)) * time.Hour)}
		if n.varied {
			b.Structures = 1 + r.IntN(5)
			if r.IntN(4) == 0 {
				b.DecaysAt = time.Time{}
			}
		}
		s.Bases = append(s.Bases, b)
	}
	return s
}

// infoCPU is the CPU time (user + system) the process has used.
func infoCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkInfoPages times the /info page queries on a 100k-structure /
// 20k-dino / 5k-player snapshot, scoped to a 10-server guild, and reports
// the p99 of each.
func BenchmarkInfoPages(b *testing.B) {
	ctx := context.Background()
	db := openSnapDB(b)
	now := time.Now()
	if err := db.ReplaceSnapshot(ctx, bigInfoSnapshot(1, now)); err != nil {
		b.Fatal(err)
	}
	scope := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	tribes, _ := db.FindTribes(ctx, scope, "tribe ka", 400)
	refs := make([]storage.TribeRef, 0, len(tribes))
	for _, t := range tribes {
		refs = append(refs, storage.TribeRef{ServerID: t.ServerID, TribeID: t.ID})
	}
	cases := []struct {
		name string
		run  func(page int) error
	}{
		{"players", func(p int) error { _, _, err := db.InfoPlayers(ctx, scope, "", 10, p*10); return err }},
		{"players_search", func(p int) error { _, _, err := db.InfoPlayers(ctx, scope, "ZO", 10, p*10); return err }},
		{"player_find", func(int) error { _, err := db.FindPlayers(ctx, scope, "karemo", 5); return err }},
		{"tribes", func(p int) error { _, _, err := db.InfoTribes(ctx, scope, "", 10, p*10); return err }},
		{"tribes_search", func(p int) error { _, _, err := db.InfoTribes(ctx, scope, "ré", 10, p*10); return err }},
		{"dinos_all", func(p int) error {
			_, _, err := db.InfoDinos(ctx, scope, storage.InfoDinoFilter{Limit: 10, Offset: p * 10})
			return err
		}},
		{"dinos_species_level", func(p int) error {
			_, _, err := db.InfoDinos(ctx, scope, storage.InfoDinoFilter{Class: "rex", MinLevel: 200, Limit: 10, Offset: p * 10})
			return err
		}},
		{"dinos_tribe", func(p int) error {
			_, _, err := db.InfoDinos(ctx, scope, storage.InfoDinoFilter{Tribes: refs, Limit: 10, Offset: p * 10})
			return err
		}},
		{"bases", func(p int) error {
			_, _, err := db.InfoBases(ctx, scope, storage.InfoBaseFilter{Limit: 10, Offset: p * 10})
			return err
		}},
		{"decay_72h", func(p int) error {
			_, _, err := db.InfoBases(ctx, scope, storage.InfoBaseFilter{OrderByDecay: true, DecaysBefore: now.Add(72 * time.Hour), Limit: 10, Offset: p * 10})
			return err
		}},
		{"snapshot_times", func(int) error { _, err := db.SnapshotTimes(ctx, scope); return err }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			durs := make([]time.Duration, 0, b.N)
			i := 0
			cpu := infoCPU()
			for b.Loop() {
				start := time.Now()
				if err := c.run(i % 50); err != nil {
					b.Fatal(err)
				}
				durs = append(durs, time.Since(start))
				i++
			}
			cpu = infoCPU() - cpu
			slices.Sort(durs)
			b.ReportMetric(float64(durs[len(durs)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "p50-ms")
			// CPU time per page varies much less than wall time on a
			// shared machine.
			b.ReportMetric(float64(cpu.Microseconds())/float64(i), "cpu-µs/op")
		})
	}
}
