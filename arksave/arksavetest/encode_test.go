package arksavetest_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/arksave/arksavetest"
	"github.com/blissark/bliss/storage/savefile"
)

func smallCounts() arksavetest.Counts {
	return arksavetest.Counts{Seed: 7, Players: 6, Tribes: 2, TamedDinos: 9, WildDinos: 5, Structures: 25,
		Places: []arksave.Location{{X: 1000, Y: 2000, Z: 300}, {X: -150000, Y: 90000, Z: 1200}}}
}

// TestBytesFollowSpec writes a save and reads it back with the decoder's
// low-level readers (header, object records, transforms, store, archives),
// checking every domain field the encoder put on disk.
func TestBytesFollowSpec(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	profDir := filepath.Join(dir, "profiles")
	if err := os.Mkdir(profDir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := arksavetest.Generate(smallCounts())
	path := filepath.Join(dir, "x.ark")
	if err := arksavetest.Write(path, s, arksavetest.Options{Seed: 3, FillerRows: 40, BrokenRows: 2, ProfileDir: profDir}); err != nil {
		t.Fatal(err)
	}
	f, err := savefile.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !f.ModTime().Equal(s.SavedAt) {
		t.Errorf("mtime %v, want %v", f.ModTime(), s.SavedAt)
	}
	hb, err := f.Custom(ctx, "SaveHeader")
	if err != nil {
		t.Fatal(err)
	}
	h, err := arksave.ReadHeader(hb)
	if err != nil {
		t.Fatal(err)
	}
	if h.Version != 14 || h.Map() != s.Map || h.GameTime != s.GameTime || len(h.DataFiles) != 3 {
		t.Fatalf("header: v%d map %q time %v files %d", h.Version, h.Map(), h.GameTime, len(h.DataFiles))
	}

	objs := map[arksave.GUID]*arksave.Object{}
	broken := 0
	err = f.ScanGame(ctx, func(key arksave.GUID, value []byte) error {
		o, err := arksave.DecodeObject(h, key, value)
		if err != nil {
			if !strings.Contains(err.Error(), "Wall_Broken") {
				t.Errorf("row %x: %v", key, err)
			}
			broken++
			return nil
		}
		objs[key] = o
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if broken != 2 {
		t.Errorf("broken rows = %d, want 2", broken)
	}
	get := func(o *arksave.Object, name string) arksave.Value {
		t.Helper()
		v, ok := o.Get(name)
		if !ok {
			t.Errorf("%s: no %s", o.Class, name)
		}
		return v
	}

	transforms := map[arksave.GUID]arksave.Transform{}
	tb, err := f.Custom(ctx, "ActorTransforms")
	if err != nil {
		t.Fatal(err)
	}
	if err := arksave.ReadActorTransforms(tb, func(g arksave.GUID, tr arksave.Transform) {
		transforms[g] = tr
		if _, ok := objs[g]; !ok {
			t.Errorf("transform %x has no row", g)
		}
		if q := tr.QX*tr.QX + tr.QY*tr.QY + tr.QZ*tr.QZ + tr.QW*tr.QW; math.Abs(q-1) > 1e-9 {
			t.Errorf("quaternion not unit: %v", q)
		}
	}); err != nil {
		t.Fatal(err)
	}

	// Tamed dinos and their status components.
	for _, d := range s.Dinos {
		o := objs[d.ID]
		if o == nil {
			t.Fatalf("dino %x missing", d.ID)
		}
		if o.Class != d.ClassPath || get(o, "TargetingTeam").Int() != d.TribeID || get(o, "TamingTeamID").Int() != d.TribeID {
			t.Errorf("dino %x: class/team mismatch", d.ID)
		}
		if d.Name != "" && get(o, "TamedName").Str != d.Name {
			t.Errorf("dino name %q", get(o, "TamedName").Str)
		}
		id := uint64(get(o, "DinoID1").Int())<<32 | uint64(get(o, "DinoID2").Int())
		if id != d.DinoID {
			t.Errorf("dino id %x, want %x", id, d.DinoID)
		}
		_, fem := o.Get("bIsFemale")
		if fem != (d.Sex == arksave.Female) {
			t.Errorf("dino sex")
		}
		st := objs[get(o, "MyCharacterStatusComponent").GUID]
		if st == nil {
			t.Fatalf("dino %x: status component missing", d.ID)
		}
		if len(st.Names) != 2 || st.Names[1] != o.Names[0] {
			t.Errorf("status names %v vs %v", st.Names, o.Names)
		}
		lvl := get(st, "BaseCharacterLevel").Int()
		if v, ok := st.Get("ExtraCharacterLevel"); ok {
			lvl += v.Int()
		}
		if int(lvl) != d.Level {
			t.Errorf("dino level %d, want %d", lvl, d.Level)
		}
		tr := transforms[d.ID]
		if tr.X != d.Location.X || tr.Y != d.Location.Y || tr.Z != d.Location.Z {
			t.Errorf("dino location %v vs %v", tr, d.Location)
		}
	}
	for _, st := range s.Structures {
		o := objs[st.ID]
		if o == nil {
			t.Fatalf("structure %x missing", st.ID)
		}
		hp := st.MaxHealth
		if v, ok := o.Get("Health"); ok {
			hp = float32(v.Float())
		}
		if get(o, "TargetingTeam").Int() != st.TribeID || get(o, "OwnerName").Str != st.OwnerName ||
			hp != st.Health || float32(get(o, "MaxHealth").Float()) != st.MaxHealth ||
			get(o, "LastEnterStasisTime").Float() != st.LastStasisTime ||
			get(o, "OriginalCreationTime").Float() != st.CreationTime {
			t.Errorf("structure %x mismatch", st.ID)
		}
		if tr := transforms[st.ID]; tr.X != st.Location.X || tr.Y != st.Location.Y {
			t.Errorf("structure location")
		}
	}
	pawns, wild := 0, 0
	for _, o := range objs {
		switch {
		case strings.Contains(o.Class, "PlayerPawnTest_"):
			pawns++
			id := uint64(get(o, "LinkedPlayerDataID").Int())
			var pl *arksave.Player
			for i := range s.Players {
				if s.Players[i].PlayerDataID == id {
					pl = &s.Players[i]
				}
			}
			if pl == nil {
				t.Fatalf("pawn for unknown player %d", id)
			}
			if get(o, "PlayerName").Str != pl.CharacterName || get(o, "PlatformProfileName").Str != pl.PlatformName ||
				get(o, "PlatformProfileID").NetID() != pl.EOSID {
				t.Errorf("pawn %d mismatch: %q", id, get(o, "PlayerName").Str)
			}
		case strings.Contains(o.Class, "_Character_BP_C"):
			if _, ok := o.Get("TamingTeamID"); !ok {
				wild++
			}
		}
	}
	if pawns != s.Pawns || wild != s.WildDinos {
		t.Errorf("pawns %d wild %d", pawns, wild)
	}

	// Embedded store and standalone archives.
	gb, err := f.Custom(ctx, "GameModeCustomBytes")
	if err != nil {
		t.Fatal(err)
	}
	store, err := arksave.ReadStore(gb)
	if err != nil {
		t.Fatal(err)
	}
	if len(store.Tribes) != len(s.Tribes) || len(store.Profiles) != len(s.Players) {
		t.Fatalf("store: %d tribes %d profiles", len(store.Tribes), len(store.Profiles))
	}
	for i, b := range store.Tribes {
		tr, err := arksave.DecodeTribe(b)
		if err != nil {
			t.Fatal(err)
		}
		want := s.Tribes[i]
		if tr.ID != want.ID || tr.Name != want.Name || tr.OwnerID != want.OwnerID || len(tr.MemberIDs) != len(want.MemberIDs) {
			t.Errorf("tribe %d: %+v", i, tr)
		}
		fb, err := os.ReadFile(filepath.Join(profDir, filepathBase(want.ID)+".arktribe"))
		if err != nil || string(fb) != string(b) {
			t.Errorf("tribe file %d: %v", want.ID, err)
		}
	}
	for i, b := range store.Profiles {
		p, err := arksave.DecodeProfile(b)
		if err != nil {
			t.Fatal(err)
		}
		want := s.Players[i]
		if p.PlayerDataID != want.PlayerDataID || p.EOSID != want.EOSID || p.PlatformName != want.PlatformName ||
			p.Level != want.Level || p.TribeID != want.TribeID || p.LoginGameTime != want.LoginGameTime {
			t.Errorf("profile %d: got %+v", i, p)
		}
		if _, err := os.Stat(filepath.Join(profDir, want.EOSID+".arkprofile")); err != nil {
			t.Error(err)
		}
	}
}

func filepathBase(id int64) string { return strconv.FormatInt(id, 10) }

func TestGenerateDeterministic(t *testing.T) {
	a := arksavetest.Generate(smallCounts())
	b := arksavetest.Generate(smallCounts())
	if len(a.Dinos) != 9 || len(a.Structures) != 25 || len(a.Players) != 6 || len(a.Tribes) != 2 {
		t.Fatalf("counts: %d %d %d %d", len(a.Dinos), len(a.Structures), len(a.Players), len(a.Tribes))
	}
	for i := range a.Dinos {
		if a.Dinos[i].ID != b.Dinos[i].ID || a.Dinos[i].Level != b.Dinos[i].Level {
			t.Fatal("Generate is not deterministic")
		}
	}
}

func TestWriteSized(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sized.ark")
	sum, err := arksavetest.WriteSized(context.Background(), path, 2<<20, arksavetest.Options{Seed: 1, BrokenRows: 1})
	if err != nil {
		t.Fatal(err)
	}
	if sum.GameBytes < 2<<20 || sum.Structures == 0 || sum.Broken != 1 {
		t.Fatalf("summary %+v", sum)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() < sum.GameBytes {
		t.Errorf("file %d bytes < game bytes %d", st.Size(), sum.GameBytes)
	}
	t.Logf("%+v file=%d", sum, st.Size())
}
