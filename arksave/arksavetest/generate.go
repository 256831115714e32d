package arksavetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/blissark/bliss/arksave"
)

// Counts describes a synthetic save for Generate.
type Counts struct {
	Seed       uint64
	Map        string // default "TheIsland_WP"
	Players    int
	Tribes     int
	TamedDinos int
	WildDinos  int
	Structures int
	// Places are tribe base locations: tribe i builds around
	// Places[i%len(Places)]. Empty = random places.
	Places []arksave.Location
}

// DefaultGameTime is the world clock of generated saves.
const DefaultGameTime = 100012345.5

// DefaultSavedAt is the wall-clock save time of generated saves.
var DefaultSavedAt = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

type dinoKind struct {
	path   string
	maxLvl int
}

var dinoKinds = []dinoKind{
	{"/Game/PrimalEarth/Dinos/Rex/Rex_Character_BP.Rex_Character_BP_C", 450},
	{"/Game/PrimalEarth/Dinos/Raptor/Raptor_Character_BP.Raptor_Character_BP_C", 300},
	{"/Game/PrimalEarth/Dinos/Para/Para_Character_BP.Para_Character_BP_C", 200},
	{"/Game/PrimalEarth/Dinos/Trike/Trike_Character_BP.Trike_Character_BP_C", 250},
	{"/Game/PrimalEarth/Dinos/Stego/Stego_Character_BP.Stego_Character_BP_C", 250},
	{"/Game/PrimalEarth/Dinos/Argentavis/Argent_Character_BP.Argent_Character_BP_C", 300},
	{"/Game/PrimalEarth/Dinos/Ankylo/Ankylo_Character_BP.Ankylo_Character_BP_C", 250},
	{"/Game/PrimalEarth/Dinos/Doedicurus/Doed_Character_BP.Doed_Character_BP_C", 250},
}

type structKind struct {
	path       string
	material   string
	maxHealth  float32
	storage    bool
	foundation bool
}

var structKinds = []structKind{
	{"/Game/PrimalEarth/Structures/Thatch/Wall_Thatch.Wall_Thatch_C", "thatch", 300, false, false},
	{"/Game/PrimalEarth/Structures/Thatch/Floor_Thatch.Floor_Thatch_C", "thatch", 300, false, true},
	{"/Game/PrimalEarth/Structures/Wooden/Wall_Wood.Wall_Wood_C", "wood", 4000, false, false},
	{"/Game/PrimalEarth/Structures/Wooden/Floor_Wood.Floor_Wood_C", "wood", 4000, false, true},
	{"/Game/PrimalEarth/Structures/Adobe/Wall_Adobe.Wall_Adobe_C", "adobe", 8000, false, false},
	{"/Game/PrimalEarth/Structures/Stone/Stone_Floor/Floor_Stone.Floor_Stone_C", "stone", 15000, false, true},
	{"/Game/PrimalEarth/Structures/Stone/Wall_Stone.Wall_Stone_C", "stone", 10000, false, false},
	{"/Game/PrimalEarth/Structures/Metal/Foundation_Metal.Foundation_Metal_C", "metal", 40000, false, true},
	{"/Game/PrimalEarth/Structures/Metal/Wall_Metal.Wall_Metal_C", "metal", 25000, false, false},
	{"/Game/PrimalEarth/Structures/Metal/Ceiling_Metal.Ceiling_Metal_C", "metal", 25000, false, true},
	{"/Game/PrimalEarth/Structures/Tek/Foundation_Tek.Foundation_Tek_C", "tek", 50000, false, true},
	{"/Game/PrimalEarth/Structures/Greenhouse/Wall_Greenhouse.Wall_Greenhouse_C", "greenhouse", 1500, false, false},
	{"/Game/PrimalEarth/Structures/StorageBox_Large.StorageBox_Large_C", "other", 1500, true, false},
	{"/Game/PrimalEarth/Structures/StorageBox_Huge.StorageBox_Huge_C", "other", 10000, true, false},
	{"/Game/PrimalEarth/Structures/CampFire.CampFire_C", "other", 500, false, false},
}

// gen produces domain entities deterministically from one seed.
type gen struct {
	rng      *rand.Rand
	mapName  string
	gameTime float64
	savedAt  time.Time
	places   []arksave.Location
}

func newGen(seed uint64, mapName string, places []arksave.Location) *gen {
	if mapName == "" {
		mapName = "TheIsland_WP"
	}
	return &gen{
		rng:      rand.New(rand.NewPCG(seed, 0x5eed)),
		mapName:  mapName,
		gameTime: DefaultGameTime,
		savedAt:  DefaultSavedAt,
		places:   places,
	}
}

func (g *gen) guid() arksave.GUID {
	var id arksave.GUID
	for i := range id {
		id[i] = byte(g.rng.Uint32())
	}
	return id
}

func (g *gen) base(i int) arksave.Location {
	if len(g.places) > 0 {
		return g.places[i%len(g.places)]
	}
	r := rand.New(rand.NewPCG(uint64(i), 99))
	return arksave.Location{X: r.Float64()*6e5 - 3e5, Y: r.Float64()*6e5 - 3e5, Z: r.Float64() * 2e4}
}

func (g *gen) near(b arksave.Location, r float64) *arksave.Location {
	return &arksave.Location{
		X: b.X + (g.rng.Float64()*2-1)*r,
		Y: b.Y + (g.rng.Float64()*2-1)*r,
		Z: b.Z + g.rng.Float64()*r/10,
	}
}

func tribeID(i int) int64   { return 1_000_000_000 + int64(i)*7919 }
func playerID(i int) uint64 { return 100_000_000 + uint64(i)*104729 }

func (g *gen) tribe(i int) arksave.Tribe {
	return arksave.Tribe{ID: tribeID(i), Name: "Synthetic Tribe " + strconv.Itoa(i+1)}
}

// player makes player i; tribe (nil = tribeless) gets the player as member.
func (g *gen) player(i int, t *arksave.Tribe, tribeIdx int) arksave.Player {
	id := playerID(i)
	var eos [16]byte
	for j := range eos {
		eos[j] = byte(g.rng.Uint32())
	}
	name := "Survivor " + strconv.Itoa(i+1)
	if i == 1 {
		name = "Überlebende " + strconv.Itoa(i+1) // exercises UTF-16 FStrings
	}
	login := g.gameTime - float64(g.rng.IntN(3*86400))
	p := arksave.Player{
		PlayerDataID:  id,
		EOSID:         fmt.Sprintf("%x", eos),
		PlatformName:  "Platform" + strconv.Itoa(i+1),
		CharacterName: name,
		Level:         1 + g.rng.IntN(105),
		LoginGameTime: login,
		LastLogin:     g.savedAt.Add(time.Duration((login - g.gameTime) * float64(time.Second))),
		Location:      g.near(g.base(tribeIdx), 5000),
	}
	if t != nil {
		p.TribeID, p.TribeName = t.ID, t.Name
		if len(t.MemberIDs) == 0 {
			t.OwnerID = id
		}
		t.MemberIDs = append(t.MemberIDs, id)
		t.Members = append(t.Members, name)
	}
	return p
}

func (g *gen) dino(i int, t arksave.Tribe, tribeIdx int, owner string) arksave.Dino {
	k := dinoKinds[g.rng.IntN(len(dinoKinds))]
	d := arksave.Dino{
		ID:          g.guid(),
		DinoID:      uint64(g.rng.Uint32())<<32 | uint64(g.rng.Uint32()),
		Class:       ShortClass(k.path),
		ClassPath:   k.path,
		Level:       1 + g.rng.IntN(k.maxLvl),
		Sex:         arksave.Sex(i % 2),
		TribeID:     t.ID,
		TribeName:   t.Name,
		OwnerName:   owner,
		Location:    g.near(g.base(tribeIdx), 8000),
		TamedAtGame: g.gameTime - float64(g.rng.IntN(1e6)),
	}
	if i%3 != 2 {
		d.Name = "Dino " + strconv.Itoa(i+1)
	}
	return d
}

func wildDino(rng *rand.Rand, id arksave.GUID) arksave.Dino {
	k := dinoKinds[rng.IntN(len(dinoKinds))]
	return arksave.Dino{
		ID:        id,
		DinoID:    uint64(rng.Uint32())<<32 | uint64(rng.Uint32()),
		Class:     ShortClass(k.path),
		ClassPath: k.path,
		Level:     1 + rng.IntN(150),
		Sex:       arksave.Sex(rng.IntN(2)),
		TribeID:   int64(1 + rng.IntN(30)),
		Location:  &arksave.Location{X: rng.Float64()*6e5 - 3e5, Y: rng.Float64()*6e5 - 3e5, Z: rng.Float64() * 1e4},
	}
}

func (g *gen) structure(t arksave.Tribe, tribeIdx int) arksave.Structure {
	k := structKinds[g.rng.IntN(len(structKinds))]
	loc := g.near(g.base(tribeIdx), 3000)
	s := arksave.Structure{
		ID:             g.guid(),
		Class:          ShortClass(k.path),
		ClassPath:      k.path,
		Material:       k.material,
		TribeID:        t.ID,
		OwnerName:      t.Name,
		OwningPlayerID: int64(t.OwnerID),
		Location:       *loc,
		HasLocation:    true,
		Health:         k.maxHealth,
		MaxHealth:      k.maxHealth,
		LastStasisTime: g.gameTime - float64(g.rng.IntN(2e6)),
		CreationTime:   g.gameTime - float64(3e6+g.rng.IntN(1e6)),
		IsStorage:      k.storage,
		IsFoundation:   k.foundation,
	}
	if g.rng.IntN(4) == 0 {
		s.Health = k.maxHealth * float32(1+g.rng.IntN(99)) / 100
	}
	if g.rng.IntN(5) == 0 {
		s.LastAllyInRange = g.gameTime - float64(g.rng.IntN(1e5))
	}
	return s
}

// Generate builds a deterministic synthetic save. Every fifth player is
// tribeless; with 4 or more players the last one has no pawn (profile only); tribe i owns dinos and structures j with j%Tribes == i. With
// Tribes == 0, dinos and structures are owned by the first players instead.
func Generate(c Counts) arksave.Save {
	g := newGen(c.Seed, c.Map, c.Places)
	s := arksave.Save{
		Map:         g.mapName,
		SaveVersion: 14,
		GameTime:    g.gameTime,
		SavedAt:     g.savedAt,
		WildDinos:   c.WildDinos,
	}
	for i := 0; i < c.Tribes; i++ {
		s.Tribes = append(s.Tribes, g.tribe(i))
	}
	for i := 0; i < c.Players; i++ {
		if len(s.Tribes) > 0 && i%5 != 4 {
			ti := i % len(s.Tribes)
			s.Players = append(s.Players, g.player(i, &s.Tribes[ti], ti))
		} else {
			s.Players = append(s.Players, g.player(i, nil, i))
		}
	}
	if n := len(s.Players); n >= 4 {
		s.Players[n-1].Location = nil // profile only: no pawn in the world
	}
	for _, p := range s.Players {
		if p.Location != nil {
			s.Pawns++
		}
	}
	owner := func(i int) (arksave.Tribe, int, string) {
		if len(s.Tribes) > 0 {
			ti := i % len(s.Tribes)
			t := s.Tribes[ti]
			name := ""
			if len(t.Members) > 0 {
				name = t.Members[0]
			}
			return t, ti, name
		}
		if len(s.Players) > 0 {
			p := s.Players[i%len(s.Players)]
			return arksave.Tribe{ID: int64(uint32(p.PlayerDataID)), Name: "", OwnerID: p.PlayerDataID}, i % len(s.Players), p.CharacterName
		}
		return arksave.Tribe{ID: 1234567}, 0, ""
	}
	for i := 0; i < c.TamedDinos; i++ {
		t, ti, name := owner(i)
		s.Dinos = append(s.Dinos, g.dino(i, t, ti, name))
	}
	for i := 0; i < c.Structures; i++ {
		t, ti, _ := owner(i)
		s.Structures = append(s.Structures, g.structure(t, ti))
	}
	s.StructureRows = len(s.Structures)
	s.TribeNames = TribeNames(&s)
	return s
}

// TribeNames returns what a decoder reads into Save.TribeNames from the rows
// Write writes for s: the names pawns (TribeName), tamed dinos (TribeName)
// and structures (OwnerName) give their TargetingTeam; per id the most
// frequent name, ties broken by the smaller string.
func TribeNames(s *arksave.Save) map[int64]string {
	type idName struct {
		id   int64
		name string
	}
	votes := map[idName]int{}
	note := func(id int64, name string) {
		if id != 0 && name != "" {
			votes[idName{id, name}]++
		}
	}
	for _, p := range s.Players {
		if p.Location != nil {
			team := p.TribeID
			if team == 0 {
				team = int64(int32(uint32(p.PlayerDataID)))
			}
			note(team, p.TribeName)
		}
	}
	for _, d := range s.Dinos {
		note(d.TribeID, d.TribeName)
	}
	for _, st := range s.Structures {
		note(st.TribeID, st.OwnerName)
	}
	best := map[int64]idName{}
	for k, n := range votes {
		b, ok := best[k.id]
		if !ok || n > votes[b] || (n == votes[b] && k.name < b.name) {
			best[k.id] = k
		}
	}
	out := make(map[int64]string, len(best))
	for id, k := range best {
		out[id] = k.name
	}
	return out
}

// Summary is what WriteSized wrote.
type Summary struct {
	Rows, Players, Tribes, TamedDinos, WildDinos, Structures, Broken int
	GameBytes                                                        int64 // total game.value bytes
}

// WriteSized streams a synthetic v14 save whose game blobs total at least
// targetBytes to path, without holding the save in memory (only tribes,
// players and the 72-byte ActorTransforms entries are kept). The mix per tribe
// is 2 players, 40 tamed dinos, 60 wild dinos, 600 structures and filler
// rows (items, inventories, zone volumes, foliage) — roughly a busy server.
// opts.BrokenRows corrupt rows are spread over the file.
func WriteSized(ctx context.Context, path string, targetBytes int64, opts Options) (Summary, error) {
	var sum Summary
	sink, err := openSink(ctx, path)
	if err != nil {
		return sum, err
	}
	w := newWorld(opts.Seed, func(k arksave.GUID, v []byte) error { return sink.put(ctx, k, v) })
	g := newGen(opts.Seed, "TheIsland_WP", nil)
	s := arksave.Save{Map: g.mapName, GameTime: g.gameTime}
	fail := func(err error) (Summary, error) {
		sink.abort()
		return sum, err
	}
	brokenLeft := opts.BrokenRows
	for ti := 0; w.bytes < targetBytes; ti++ {
		if err := ctx.Err(); err != nil {
			return fail(fmt.Errorf("arksavetest: %w", err))
		}
		s.Tribes = append(s.Tribes, g.tribe(ti))
		t := &s.Tribes[ti]
		for j := 0; j < 2; j++ {
			pl := g.player(2*ti+j, t, ti)
			s.Players = append(s.Players, pl)
			if err := w.pawn(pl, j == 1, g.gameTime); err != nil {
				return fail(err)
			}
		}
		for j := 0; j < 40; j++ {
			if err := w.dino(g.dino(j, *t, ti, t.Members[0]), true, j%2 == 0); err != nil {
				return fail(err)
			}
		}
		sum.TamedDinos += 40
		for j := 0; j < 60; j++ {
			if err := w.dino(wildDino(w.rng, w.guid()), false, j%2 == 0); err != nil {
				return fail(err)
			}
		}
		sum.WildDinos += 60
		var prev []arksave.GUID
		for j := 0; j < 600; j++ {
			st := g.structure(*t, ti)
			if err := w.structure(st, prev); err != nil {
				return fail(err)
			}
			prev = []arksave.GUID{st.ID}
			if j%2 == 0 {
				if _, err := w.filler(); err != nil {
					return fail(err)
				}
			}
		}
		sum.Structures += 600
		if brokenLeft > 0 {
			if err := w.broken(); err != nil {
				return fail(err)
			}
			brokenLeft--
			sum.Broken++
		}
	}
	custom, err := finishCustom(w, s, opts)
	if err != nil {
		return fail(err)
	}
	if err := sink.finish(ctx, custom); err != nil {
		return sum, err
	}
	sum.Rows, sum.GameBytes = w.rows, w.bytes
	sum.Players, sum.Tribes = len(s.Players), len(s.Tribes)
	return sum, nil
}
