package arksavetest_test

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/arksave/arksavetest"
	"github.com/blissark/bliss/storage/savefile"
)

func decodeFile(t testing.TB, path string, opts arksave.Options) *arksave.Save {
	t.Helper()
	f, err := savefile.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := arksave.Decode(context.Background(), f, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// normalize sorts a save's slices and drops what the encoder cannot predict
// (lat/lon depend on the decoder's map table, Stats on its bookkeeping).
func normalize(s *arksave.Save) {
	s.Stats = arksave.Stats{}
	slices.SortFunc(s.Players, func(a, b arksave.Player) int { return cmp.Compare(a.PlayerDataID, b.PlayerDataID) })
	slices.SortFunc(s.Tribes, func(a, b arksave.Tribe) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(s.Dinos, func(a, b arksave.Dino) int { return slices.Compare(a.ID[:], b.ID[:]) })
	slices.SortFunc(s.Structures, func(a, b arksave.Structure) int { return slices.Compare(a.ID[:], b.ID[:]) })
	strip := func(l *arksave.Location) {
		if l != nil {
			l.Lat, l.Lon, l.HasLatLon = 0, 0, false
		}
	}
	for i := range s.Players {
		strip(s.Players[i].Location)
		// Wall-clock conversion goes through float seconds: keep ms.
		s.Players[i].LastLogin = s.Players[i].LastLogin.Round(time.Millisecond).UTC()
	}
	for i := range s.Dinos {
		strip(s.Dinos[i].Location)
	}
	for i := range s.Structures {
		strip(&s.Structures[i].Location)
	}
	s.SavedAt = s.SavedAt.UTC()
}

func diffSave(t *testing.T, got, want *arksave.Save) {
	t.Helper()
	normalize(got)
	normalize(want)
	gv, wv := reflect.ValueOf(*got), reflect.ValueOf(*want)
	for i := 0; i < gv.NumField(); i++ {
		name := gv.Type().Field(i).Name
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		if reflect.DeepEqual(g, w) {
			continue
		}
		if gs, ok := g.([]arksave.Player); ok {
			diffSlice(t, name, gs, w.([]arksave.Player))
			continue
		}
		if gs, ok := g.([]arksave.Dino); ok {
			diffSlice(t, name, gs, w.([]arksave.Dino))
			continue
		}
		if gs, ok := g.([]arksave.Structure); ok {
			diffSlice(t, name, gs, w.([]arksave.Structure))
			continue
		}
		if gs, ok := g.([]arksave.Tribe); ok {
			diffSlice(t, name, gs, w.([]arksave.Tribe))
			continue
		}
		t.Errorf("%s: got %v, want %v", name, g, w)
	}
}

func diffSlice[T any](t *testing.T, name string, got, want []T) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d decoded, want %d", name, len(got), len(want))
		return
	}
	shown := 0
	for i := range got {
		if reflect.DeepEqual(got[i], want[i]) {
			continue
		}
		if shown < 3 {
			t.Errorf("%s[%d]:\n got  %s\n want %s", name, i, show(got[i]), show(want[i]))
		}
		shown++
	}
	if shown > 3 {
		t.Errorf("%s: %d elements differ", name, shown)
	}
}

func show(v any) string {
	rv := reflect.ValueOf(v)
	s := "{"
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Field(i)
		val := f.Interface()
		if f.Kind() == reflect.Pointer && !f.IsNil() {
			val = f.Elem().Interface()
		}
		s += fmt.Sprintf("%s:%v ", rv.Type().Field(i).Name, val)
	}
	return s + "}"
}

// TestRoundTrip checks Decode(Write(x)) == x for every domain field the
// decoder fills, with the store embedded and with standalone archives.
func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name    string
		noStore bool
	}{{"store", false}, {"profiles-dir", true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			prof := filepath.Join(dir, "profiles")
			if err := os.Mkdir(prof, 0o755); err != nil {
				t.Fatal(err)
			}
			want := arksavetest.Generate(smallCounts())
			path := filepath.Join(dir, "rt.ark")
			opts := arksavetest.Options{Seed: 11, FillerRows: 60, BrokenRows: 3, NoStore: tc.noStore}
			if tc.noStore {
				opts.ProfileDir = prof
			}
			if err := arksavetest.Write(path, want, opts); err != nil {
				t.Fatal(err)
			}
			dopts := arksave.Options{Workers: 3}
			if tc.noStore {
				dopts.Archives = os.DirFS(prof)
			}
			got := decodeFile(t, path, dopts)
			if got.Stats.Failed != 3 || got.Stats.FailedByClass[arksavetest.ClassBroken] != 3 {
				t.Errorf("failed rows: %d %v", got.Stats.Failed, got.Stats.FailedByClass)
			}
			diffSave(t, got, &want)
		})
	}
}

// TestPawnAtOrigin: a pawn whose position is the world origin (ActorTransforms
// and SavedBaseWorldLocation 0,0,0) has no location, so no lat/lon is
// reported for it.
func TestPawnAtOrigin(t *testing.T) {
	s := arksavetest.Generate(smallCounts())
	s.Players[0].Location = &arksave.Location{}
	path := filepath.Join(t.TempDir(), "origin.ark")
	if err := arksavetest.Write(path, s, arksavetest.Options{Seed: 3}); err != nil {
		t.Fatal(err)
	}
	got := decodeFile(t, path, arksave.Options{Workers: 2})
	want := map[uint64]bool{} // has a location
	for i, p := range s.Players {
		want[p.PlayerDataID] = i > 0 && p.Location != nil
	}
	for _, p := range got.Players {
		if (p.Location != nil) != want[p.PlayerDataID] {
			t.Errorf("player %d: location %v, want one: %v", p.PlayerDataID, p.Location, want[p.PlayerDataID])
		}
	}
	if len(got.Players) != len(s.Players) || got.Pawns != s.Pawns {
		t.Fatalf("players %d pawns %d, want %d %d", len(got.Players), got.Pawns, len(s.Players), s.Pawns)
	}
}
