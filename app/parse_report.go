package app

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/arksave/species"
	"github.com/blissark/bliss/jobs/bases"
)

// parseReport is the --json document (see parseSchema) and the source of
// the text summary.
type parseReport struct {
	Schema          string         `json:"schema"`
	File            string         `json:"file"`
	Map             string         `json:"map"`
	SaveVersion     int            `json:"save_version"`
	GameTime        float64        `json:"game_time"`
	SavedAt         string         `json:"saved_at"`
	SavedAtSource   string         `json:"saved_at_source"`
	Gzipped         bool           `json:"gzipped"`
	HasStore        bool           `json:"has_store"`
	DecayMultiplier float64        `json:"decay_multiplier"`
	Counts          reportCounts   `json:"counts"`
	Rows            reportRows     `json:"rows"`
	Tribes          []reportTribe  `json:"tribes"`
	Players         []reportPlayer `json:"players"`
	ByMaterial      map[string]int `json:"structures_by_material"`
	Bases           []reportBase   `json:"bases"`
	TamedTotal      int            `json:"tamed_dinos_total"`
	TamedDinos      []reportDino   `json:"tamed_dinos"`

	unzipped int64            // decompressed bytes of a .ark.gz (text only)
	labels   map[int64]string // tribe id → reportTribe.Label (text only)
}

type reportCounts struct {
	Players         int `json:"players"`
	Tribes          int `json:"tribes"`
	TamedDinos      int `json:"tamed_dinos"`
	WildDinos       int `json:"wild_dinos"`
	Structures      int `json:"structures"`
	OwnedStructures int `json:"owned_structures"`
	AllStructures   int `json:"all_structures"`
	Bases           int `json:"bases"`
}

type reportRows struct {
	Total         int            `json:"total"`
	Decoded       int            `json:"decoded"`
	Skipped       int            `json:"skipped"`
	Failed        int            `json:"failed"`
	UnknownNames  int            `json:"unknown_names"`
	Bytes         int64          `json:"bytes"`
	FailedByClass map[string]int `json:"failed_by_class"`
	Cryopods      int            `json:"cryopods"`
	CryopodFailed int            `json:"cryopod_failed"`
	CryopodWild   int            `json:"cryopod_wild"`
}

type reportTribe struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Label      string `json:"label"`
	Archived   bool   `json:"archived"`
	Tribeless  bool   `json:"tribeless"`
	Members    int    `json:"members"`
	Structures int    `json:"structures"`
	TamedDinos int    `json:"tamed_dinos"`
}

type reportLocation struct {
	X         float64 `json:"x"`
	Y         float64 `json:"y"`
	Z         float64 `json:"z"`
	Lat       float64 `json:"lat"`
	Lon       float64 `json:"lon"`
	HasLatLon bool    `json:"has_lat_lon"`
}

type reportPlayer struct {
	PlayerDataID  uint64          `json:"player_data_id"`
	EOSID         string          `json:"eos_id"`
	PlatformName  string          `json:"platform_name"`
	CharacterName string          `json:"character_name"`
	Level         int             `json:"level"`
	TribeID       int64           `json:"tribe_id"`
	TribeName     string          `json:"tribe_name"`
	LastLogin     string          `json:"last_login"`
	LoginGameTime float64         `json:"login_game_time"`
	Location      *reportLocation `json:"location"`
}

type reportBase struct {
	Owner        int64          `json:"owner"`
	OwnerLabel   string         `json:"owner_label"`
	Structures   int            `json:"structures"`
	Storage      int            `json:"storage"`
	Foundations  int            `json:"foundations"`
	TamedDinos   int            `json:"tamed_dinos"`
	Tier         string         `json:"tier"`
	DecaySeconds float64        `json:"decay_seconds"`
	LastRefresh  string         `json:"last_refresh"`
	RefreshKnown bool           `json:"refresh_known"`
	DecaysAt     string         `json:"decays_at"`
	Center       reportLocation `json:"center"`

	decaysAt time.Time
}

type reportDino struct {
	ID         string          `json:"id"`
	DinoID     uint64          `json:"dino_id"`
	Class      string          `json:"class"`
	Species    string          `json:"species"`
	Name       string          `json:"name"`
	Level      int             `json:"level"`
	Sex        string          `json:"sex"`
	TribeID    int64           `json:"tribe_id"`
	TribeName  string          `json:"tribe_name"`
	OwnerName  string          `json:"owner_name"`
	Cryopodded bool            `json:"cryopodded"`
	Location   *reportLocation `json:"location"`
}

func toLocation(l *arksave.Location) *reportLocation {
	if l == nil {
		return nil
	}
	return &reportLocation{X: l.X, Y: l.Y, Z: l.Z, Lat: l.Lat, Lon: l.Lon, HasLatLon: l.HasLatLon}
}

func timeString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

type reportOptions struct {
	top        int     // dinos listed (0 = all)
	multiplier float64 // decay multiplier for bases
}

// buildReport turns a decoded save into the stable report.
func buildReport(file string, in *openedSave, o reportOptions) *parseReport {
	s := in.save
	r := &parseReport{
		Schema:          parseSchema,
		File:            file,
		Map:             s.Map,
		SaveVersion:     s.SaveVersion,
		GameTime:        s.GameTime,
		SavedAt:         timeString(s.SavedAt),
		SavedAtSource:   in.savedAtSource,
		Gzipped:         in.gzipped,
		HasStore:        s.Stats.HasStore,
		DecayMultiplier: o.multiplier,
		Counts: reportCounts{
			Players: len(s.Players), TamedDinos: len(s.Dinos), WildDinos: s.WildDinos,
			Structures: len(s.Structures), OwnedStructures: len(s.Structures), AllStructures: s.StructureRows,
		},
		Rows: reportRows{
			Total: s.Stats.Rows, Decoded: s.Stats.Decoded, Skipped: s.Stats.Skipped, Failed: s.Stats.Failed,
			UnknownNames: s.Stats.UnknownNames, Bytes: s.Stats.Bytes, FailedByClass: map[string]int{},
			Cryopods: s.Stats.Cryopods, CryopodFailed: s.Stats.CryopodFailed, CryopodWild: s.Stats.CryopodWild,
		},
		ByMaterial: map[string]int{},
		TamedTotal: len(s.Dinos),
		Players:    []reportPlayer{},
		TamedDinos: []reportDino{},
		unzipped:   in.unzippedBytes,
	}
	if in.savedAtSource == "" {
		r.SavedAtSource = savedAtFileTime
	}
	for c, n := range s.Stats.FailedByClass {
		r.Rows.FailedByClass[c] = n
	}
	for _, st := range s.Structures {
		r.ByMaterial[st.Material]++
	}
	r.Tribes = reportTribes(s)
	r.Counts.Tribes = len(r.Tribes)
	labels := make(map[int64]string, len(r.Tribes))
	for _, t := range r.Tribes {
		labels[t.ID] = t.Label
	}
	r.labels = labels
	r.Players = reportPlayers(s, labels)
	r.Bases = reportBases(s, o.multiplier, labels)
	r.Counts.Bases = len(r.Bases)
	r.TamedDinos = reportDinos(s.Dinos, o.top)
	return r
}

// reportTribes lists every owner team the save mentions: tribe archives,
// the teams of structures and tamed dinos, and the players' tribes.
func reportTribes(s *arksave.Save) []reportTribe {
	tribes := map[int64]*reportTribe{}
	tribe := func(id int64) *reportTribe {
		t, ok := tribes[id]
		if !ok {
			t = &reportTribe{ID: id, Name: s.TribeNames[id]}
			tribes[id] = t
		}
		return t
	}
	for _, t := range s.Tribes {
		rt := tribe(t.ID)
		rt.Archived = true
		rt.Name = cmp.Or(t.Name, rt.Name)
		rt.Members = max(len(t.MemberIDs), len(t.Members))
	}
	for _, st := range s.Structures {
		tribe(st.TribeID).Structures++
	}
	for _, d := range s.Dinos {
		tribe(d.TribeID).TamedDinos++
	}
	players := make(map[int64]*arksave.Player, len(s.Players))
	for i := range s.Players {
		p := &s.Players[i]
		players[int64(p.PlayerDataID)] = p
		if p.TribeID != 0 {
			t := tribe(p.TribeID)
			t.Name = cmp.Or(t.Name, p.TribeName)
		}
	}
	out := make([]reportTribe, 0, len(tribes))
	for _, t := range tribes {
		p, isPlayer := players[t.ID]
		switch {
		case !t.Archived && isPlayer:
			t.Tribeless = true
			t.Members = 1
			who := cmp.Or(p.CharacterName, p.PlatformName, t.Name, "player "+strconv.FormatInt(t.ID, 10))
			if p.TribeID == 0 {
				t.Label = who + " (player, no tribe)"
			} else { // built before joining a tribe, or left it
				t.Label = who + " (player's own, outside a tribe)"
			}
		case t.Name != "":
			t.Label = t.Name
		default:
			t.Label = "unnamed tribe " + strconv.FormatInt(t.ID, 10)
		}
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b reportTribe) int {
		if a.Structures != b.Structures {
			return b.Structures - a.Structures
		}
		if a.TamedDinos != b.TamedDinos {
			return b.TamedDinos - a.TamedDinos
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

func reportPlayers(s *arksave.Save, labels map[int64]string) []reportPlayer {
	out := make([]reportPlayer, 0, len(s.Players))
	for _, p := range s.Players {
		tn := p.TribeName
		if tn == "" && p.TribeID != 0 {
			tn = labels[p.TribeID]
		}
		out = append(out, reportPlayer{
			PlayerDataID: p.PlayerDataID, EOSID: p.EOSID, PlatformName: p.PlatformName,
			CharacterName: p.CharacterName, Level: p.Level, TribeID: p.TribeID, TribeName: tn,
			LastLogin: timeString(p.LastLogin), LoginGameTime: p.LoginGameTime, Location: toLocation(p.Location),
		})
	}
	slices.SortFunc(out, func(a, b reportPlayer) int { return cmp.Compare(a.PlayerDataID, b.PlayerDataID) })
	return out
}

// reportBases runs the pipeline's base analysis (jobs/bases, its default
// clustering) with the given decay multiplier.
func reportBases(s *arksave.Save, mult float64, labels map[int64]string) []reportBase {
	bs := bases.Analyze(s, bases.Options{Multiplier: mult})
	out := make([]reportBase, 0, len(bs))
	for _, b := range bs {
		label := labels[b.Owner]
		if label == "" {
			label = cmp.Or(b.OwnerName, "unnamed tribe "+strconv.FormatInt(b.Owner, 10))
		}
		c := b.Center
		out = append(out, reportBase{
			Owner: b.Owner, OwnerLabel: label, Structures: b.Structures, Storage: b.StorageCount,
			Foundations: b.Foundations, TamedDinos: b.TamedDinos, Tier: b.DecayTier,
			DecaySeconds: b.DecayDuration.Seconds(), LastRefresh: timeString(b.LastRefresh),
			RefreshKnown: b.RefreshKnown, DecaysAt: timeString(b.DecaysAt),
			Center:   reportLocation{X: c.X, Y: c.Y, Z: c.Z, Lat: c.Lat, Lon: c.Lon, HasLatLon: c.HasLatLon},
			decaysAt: b.DecaysAt,
		})
	}
	return out
}

func reportDinos(all []arksave.Dino, top int) []reportDino {
	dinos := slices.Clone(all)
	slices.SortFunc(dinos, func(a, b arksave.Dino) int {
		if a.Level != b.Level {
			return b.Level - a.Level
		}
		if c := strings.Compare(a.Class, b.Class); c != 0 {
			return c
		}
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(string(a.ID[:]), string(b.ID[:]))
	})
	if top > 0 && len(dinos) > top {
		dinos = dinos[:top]
	}
	out := make([]reportDino, 0, len(dinos))
	for _, d := range dinos {
		sex := "male"
		if d.Sex == arksave.Female {
			sex = "female"
		}
		out = append(out, reportDino{
			ID: fmt.Sprintf("%x", d.ID[:]), DinoID: d.DinoID, Class: d.Class, Species: species.Name(d.Class),
			Name: d.Name, Level: d.Level, Sex: sex, TribeID: d.TribeID, TribeName: d.TribeName, OwnerName: d.OwnerName,
			Cryopodded: d.Cryopodded, Location: toLocation(d.Location),
		})
	}
	return out
}
