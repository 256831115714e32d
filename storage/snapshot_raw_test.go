package storage

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/arksave/arksavetest"
)

// TestSnapshotDinosOverwrite checks the in-place dino write: successive
// snapshots with other dinos, changed classes (the replace path), shrinking
// and vanishing tribes (the tail delete) leave exactly the new rows, with
// the raw sqlite3 writer and with the driver.Stmt fallback.
func TestSnapshotDinosOverwrite(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		t.Run(fmt.Sprintf("fallback=%v", fallback), func(t *testing.T) {
			forceDriverWriter = fallback
			defer func() { forceDriverWriter = false }()
			ctx := t.Context()
			db, err := Open(ctx, filepath.Join(t.TempDir(), "bliss.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()

			a := arksavetest.Generate(arksavetest.Counts{Seed: 1, Players: 20, Tribes: 6, TamedDinos: 400})
			b := arksavetest.Generate(arksavetest.Counts{Seed: 2, Players: 10, Tribes: 4, TamedDinos: 250})
			// c: a with some classes changed, some dinos dropped (shrinking
			// tribes) and one tribe gone entirely.
			var c []arksave.Dino
			gone := a.Dinos[0].TribeID
			for i, d := range a.Dinos {
				switch {
				case d.TribeID == gone, i%7 == 3:
					continue
				case i%5 == 1:
					d.Class = "Changed_" + d.Class
				}
				c = append(c, d)
			}
			// upper: a with some classes changed in case only, at the same
			// keys (the class column is NOCASE; the new case must be kept).
			upper := slices.Clone(a.Dinos)
			for i := range upper {
				if i%3 == 0 {
					upper[i].Class = strings.ToUpper(upper[i].Class)
				}
			}
			// Players: the same kinds of change.
			pUpper := slices.Clone(a.Players)
			for i := range pUpper {
				switch i % 3 {
				case 0:
					pUpper[i].CharacterName = strings.ToUpper(pUpper[i].CharacterName)
				case 1:
					pUpper[i].EOSID = strings.ToUpper(pUpper[i].EOSID)
					pUpper[i].Level++
				}
			}
			players := [][]arksave.Player{a.Players, b.Players, a.Players, a.Players[3:], a.Players, pUpper, nil, b.Players}
			for step, dinos := range [][]arksave.Dino{a.Dinos, b.Dinos, a.Dinos, c, a.Dinos, upper, nil, b.Dinos} {
				s := &Snapshot{Info: SnapshotInfo{ServerID: 1, RunID: fmt.Sprint("run", step)}, Dinos: dinos, Players: players[step]}
				if err := db.ReplaceSnapshot(ctx, s); err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
				// Another server's rows must not be touched.
				other := &Snapshot{Info: SnapshotInfo{ServerID: 2, RunID: fmt.Sprint("run", step)}, Dinos: b.Dinos}
				if step == 0 {
					if err := db.ReplaceSnapshot(ctx, other); err != nil {
						t.Fatal(err)
					}
				}
				checkDinos(t, db, 1, dinos, step)
				checkPlayers(t, db, 1, players[step], step)
				checkDinos(t, db, 2, b.Dinos, step)
			}
		})
	}
}

type dinoKey struct {
	id              uint64
	class, name, tn string
	level           int
	tribe           int64
	guid            [16]byte
	hasLoc, cryo    bool
	x               float64
}

func keyOf(d arksave.Dino) dinoKey {
	k := dinoKey{id: d.DinoID, class: d.Class, name: d.Name, tn: d.TribeName, level: d.Level, tribe: d.TribeID,
		hasLoc: d.Location != nil, cryo: d.Cryopodded}
	copy(k.guid[:], d.ID[:])
	if d.Location != nil {
		k.x = d.Location.X
	}
	return k
}

func checkDinos(t *testing.T, db *DB, sid int64, want []arksave.Dino, step int) {
	t.Helper()
	got, err := db.Dinos(t.Context(), sid, DinoFilter{Limit: 100_000})
	if err != nil {
		t.Fatal(err)
	}
	var g, w []dinoKey
	for _, d := range got {
		g = append(g, keyOf(d.Dino))
	}
	for _, d := range want {
		w = append(w, keyOf(d))
	}
	order := func(a, b dinoKey) int {
		return cmp.Or(cmp.Compare(a.tribe, b.tribe), cmp.Compare(a.id, b.id), cmp.Compare(a.class, b.class), cmp.Compare(a.name, b.name))
	}
	slices.SortFunc(g, order)
	slices.SortFunc(w, order)
	if !slices.Equal(g, w) {
		t.Fatalf("server %d step %d: stored dinos differ: got %d, want %d", sid, step, len(g), len(w))
	}
}

func checkPlayers(t *testing.T, db *DB, sid int64, want []arksave.Player, step int) {
	t.Helper()
	got, err := db.Players(t.Context(), sid, "", 100_000, 0)
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		id                      uint64
		eos, platform, charName string
		level                   int
		tribe                   int64
	}
	var g, w []key
	for _, p := range got {
		g = append(g, key{p.PlayerDataID, p.EOSID, p.PlatformName, p.CharacterName, p.Level, p.TribeID})
	}
	for _, p := range want {
		w = append(w, key{p.PlayerDataID, p.EOSID, p.PlatformName, p.CharacterName, p.Level, p.TribeID})
	}
	order := func(a, b key) int {
		return cmp.Or(cmp.Compare(a.id, b.id), cmp.Compare(a.charName, b.charName), cmp.Compare(a.eos, b.eos))
	}
	slices.SortFunc(g, order)
	slices.SortFunc(w, order)
	if !slices.Equal(g, w) {
		t.Fatalf("server %d step %d: stored players differ: got %d %v, want %d %v", sid, step, len(g), g, len(w), w)
	}
}
