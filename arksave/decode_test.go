package arksave_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/blissark/bliss/arksave"
)

func TestDecodeSamples(t *testing.T) {
	for _, s := range samples {
		for _, strict := range []bool{false, true} {
			t.Run(s.path, func(t *testing.T) {
				f := openSample(t, s)
				save, err := arksave.Decode(context.Background(), f, arksave.Options{Strict: strict})
				if err != nil {
					t.Fatal(err)
				}
				st := save.Stats
				if st.Failed != 0 || len(st.FailedByClass) != 0 || st.UnknownNames != 0 {
					t.Errorf("failed %d %v unknown %d", st.Failed, st.FailedByClass, st.UnknownNames)
				}
				if st.Rows != s.rows {
					t.Errorf("rows %d want %d", st.Rows, s.rows)
				}
				if save.Map != s.mapName || save.SaveVersion != s.version {
					t.Errorf("map %q version %d", save.Map, save.SaveVersion)
				}
				if d := save.GameTime - s.gameTime; d > 0.001 || d < -0.001 {
					t.Errorf("game time %f", save.GameTime)
				}
				placed, cryo := 0, 0
				for _, d := range save.Dinos {
					if !d.Cryopodded {
						placed++
						continue
					}
					cryo++
					// the three pods of miragedmuk LostColony hold level-225 Parasaurs
					// (read independently with arkparse 0.5.7)
					if d.Class != "Para_Character_BP_C" || d.Level != 225 || d.TribeID == 0 || d.Location != nil || d.Name == "" {
						t.Errorf("cryopodded dino %+v", d)
					}
				}
				if got := placed + save.WildDinos; got != s.chars {
					t.Errorf("chars %d want %d", got, s.chars)
				}
				if placed != s.tamed || cryo != s.cryo || st.Cryopods != s.cryo || st.CryopodFailed != 0 {
					t.Errorf("tamed %d+%d cryopodded (stats %d, failed %d), want %d+%d", placed, cryo, st.Cryopods, st.CryopodFailed, s.tamed, s.cryo)
				}
				// tribes known only from their rows carry the name the rows give
				archived := map[int64]bool{}
				for _, tr := range save.Tribes {
					archived[tr.ID] = true
				}
				ids := map[int64]bool{}
				for _, x := range save.Structures {
					ids[x.TribeID] = true
				}
				for _, x := range save.Dinos {
					ids[x.TribeID] = true
				}
				for id := range ids {
					if !archived[id] && save.TribeNames[id] == "" {
						t.Errorf("tribe %d has no archive and no name from its rows", id)
					}
				}
				if save.StructureRows < len(save.Structures) {
					t.Errorf("structure rows %d < owned %d", save.StructureRows, len(save.Structures))
				}
				if len(save.Structures) != s.owned {
					t.Errorf("owned structures %d want %d", len(save.Structures), s.owned)
				}
				if len(save.Tribes) != s.storeTribes {
					t.Errorf("tribes %d want %d", len(save.Tribes), s.storeTribes)
				}
				if save.Pawns != s.pawns {
					t.Errorf("pawns %d want %d", save.Pawns, s.pawns)
				}
				for _, p := range save.Players {
					if p.Location == nil && s.pawns > 0 && len(save.Players) == 1 {
						t.Errorf("player without pawn location")
					}
				}
				if len(save.Players) < s.storeProfiles {
					t.Errorf("players %d want >= %d", len(save.Players), s.storeProfiles)
				}
				for _, d := range save.Dinos {
					if d.Level <= 0 || d.Class == "" || d.TribeID == 0 {
						t.Errorf("dino %s level %d tribe %d", d.Class, d.Level, d.TribeID)
					}
					if !d.Cryopodded && (d.Location == nil || (s.mapName != "GreenflatMap" && !d.Location.HasLatLon)) {
						t.Errorf("dino %s location %+v", d.Class, d.Location)
					}
				}
				located := 0
				for _, x := range save.Structures {
					if x.HasLocation {
						located++
					}
					if x.Material == "" || x.Class == "" || x.MaxHealth <= 0 || x.TribeID == 0 {
						t.Errorf("structure %s material %q max health %v", x.Class, x.Material, x.MaxHealth)
					}
				}
				if located < len(save.Structures)*9/10 {
					t.Errorf("only %d of %d structures located", located, len(save.Structures))
				}
			})
		}
	}
}

func TestDecodeLastLogin(t *testing.T) {
	s := samples[2]
	f := openSample(t, s)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	save, err := arksave.Decode(context.Background(), f, arksave.Options{SavedAt: at, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(save.Players) == 0 {
		t.Fatal("no players")
	}
	for _, p := range save.Players {
		if p.LoginGameTime == 0 {
			continue
		}
		want := at.Add(time.Duration((p.LoginGameTime - save.GameTime) * float64(time.Second)))
		if !p.LastLogin.Equal(want) || p.LastLogin.After(at) {
			t.Errorf("last login %v want %v", p.LastLogin, want)
		}
		if len(p.EOSID) != 32 || p.Level < 1 || p.PlayerDataID == 0 {
			t.Errorf("player eos len %d level %d", len(p.EOSID), p.Level)
		}
	}
}

func TestDecodeCancel(t *testing.T) {
	f := openSample(t, samples[2])
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := arksave.Decode(ctx, f, arksave.Options{}); err == nil {
		t.Fatal("want error on cancelled context")
	}
}

func TestStandaloneArchives(t *testing.T) {
	dir := filepath.Join(sampleDir(t), "miragedmuk-v14")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	np, nt := 0, 0
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(e.Name()) {
		case ".arkprofile":
			p, err := arksave.DecodeProfile(b)
			if err != nil {
				t.Errorf("profile %d: %v", np, err)
				continue
			}
			np++
			if len(p.EOSID) != 32 || p.PlayerDataID == 0 || p.Level < 1 || p.LoginGameTime <= 0 || p.CharacterName == "" || p.PlatformName == "" {
				t.Errorf("profile %d: eos len %d id %d level %d", np, len(p.EOSID), p.PlayerDataID, p.Level)
			}
			if e.Name() != p.EOSID+".arkprofile" {
				t.Errorf("profile %d: EOS id does not match file name", np)
			}
		case ".arktribe":
			tr, err := arksave.DecodeTribe(b)
			if err != nil {
				t.Errorf("tribe %d: %v", nt, err)
				continue
			}
			nt++
			if e.Name() != itoa(tr.ID)+".arktribe" || len(tr.MemberIDs) == 0 {
				t.Errorf("tribe %d: id %d members %d", nt, tr.ID, len(tr.MemberIDs))
			}
		}
	}
	b, err := os.ReadFile(filepath.Join(sampleDir(t), "hallipr-v14", "LocalPlayer.arkprofile"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := arksave.DecodeProfile(b); err != nil {
		t.Errorf("LocalPlayer: %v", err)
	} else {
		np++
	}
	if np != 10 || nt != 6 {
		t.Fatalf("profiles %d tribes %d", np, nt)
	}
	// Decode with the directory as archive source: store 1+1 plus files.
	f := openSample(t, samples[3])
	save, err := arksave.Decode(context.Background(), f, arksave.Options{Archives: os.DirFS(dir)})
	if err != nil {
		t.Fatal(err)
	}
	if save.Stats.Failed != 0 || len(save.Tribes) < 6 || len(save.Players) < 9 {
		t.Fatalf("failed %d tribes %d players %d", save.Stats.Failed, len(save.Tribes), len(save.Players))
	}
}

func itoa(i int64) string {
	return time.Duration(i).String()[:0] + formatInt(i)
}

func formatInt(i int64) string {
	if i == 0 {
		return "0"
	}
	neg := i < 0
	if neg {
		i = -i
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		n--
		b[n] = '-'
	}
	return string(b[n:])
}
