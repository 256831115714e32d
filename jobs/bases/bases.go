// Package bases groups a save's structures into bases and computes when each
// base decays.
//
// A base is a connected group of structures of one owner (Structure.TribeID:
// the tribe id, or the player id for tribeless players) in which every
// structure is within Options.LinkDistance (3D) of another. Small groups are
// dropped: a base needs MinStructures structures, or MinWithStorage when it
// holds at least one storage structure (box, vault, fridge …).
//
// Decay: the weakest tier material among the base's foundations, ceilings
// and floors decides the timer (DefaultTimers); tamed dinos of the owner
// inside the base keep it at least at the dino timer; the timer is scaled by
// the server's PvEStructureDecayPeriodMultiplier (Options.Multiplier). The
// base was last refreshed at the latest LastAllyInRange/LastStasisTime of its
// structures, converted to wall-clock with GameToWall; it decays at
// LastRefresh + timer.
package bases

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/blissark/bliss/arksave"
)

// Defaults for Options.
const (
	DefaultLinkDistance   = 2500 // UE units (≈ 8 foundations)
	DefaultMinStructures  = 50
	DefaultMinWithStorage = 20
)

// Options tune Analyze. The zero value means all defaults.
type Options struct {
	LinkDistance   float64 // ≤ 0: DefaultLinkDistance
	MinStructures  int     // ≤ 0: DefaultMinStructures; 1 keeps every group
	MinWithStorage int     // ≤ 0: DefaultMinWithStorage
	// Multiplier is the server's PvEStructureDecayPeriodMultiplier (≤ 0: 1).
	// It scales every timer, the dino timer included.
	Multiplier float64
	// Timers overrides entries of DefaultTimers by material key (Thatch …
	// Tek, Other, DinoTimer); non-positive values are ignored.
	Timers map[string]time.Duration
	// Mapper converts x/y to lat/lon; nil uses MapperFor(save.Map).
	Mapper Mapper
}

// Base is one cluster of structures.
type Base struct {
	Owner        int64  // TribeID of the structures (player id when tribeless)
	OwnerName    string // tribe name from the save's tribes, else from the structures
	Structures   int
	ByMaterial   map[string]int
	StorageCount int
	Foundations  int // foundations, ceilings and floors
	TamedDinos   int // owner's tamed dinos within Min/Max widened by the link distance

	Center   arksave.Location // mean position, with lat/lon when the map is known
	Min, Max arksave.Location // bounding box corners

	DecayTier     string        // material that decides the timer
	DecayDuration time.Duration // timer × multiplier (dino floor applied)
	// LastRefresh is the wall-clock time of the latest LastAllyInRange or
	// LastStasisTime of the structures, capped at SavedAt. When no structure
	// has either, it is SavedAt and RefreshKnown is false.
	LastRefresh  time.Time
	RefreshKnown bool
	DecaysAt     time.Time // LastRefresh + DecayDuration
}

// Analyze clusters save.Structures into bases and computes their decay, sorted
// by DecaysAt (soonest first), then owner. Structures without a location are
// ignored. It never modifies save.
func Analyze(save *arksave.Save, opts Options) []Base {
	if save == nil || len(save.Structures) == 0 {
		return nil
	}
	link := opts.LinkDistance
	if link <= 0 || math.IsNaN(link) || math.IsInf(link, 0) {
		link = DefaultLinkDistance
	}
	minAll := cmp.Or(max(opts.MinStructures, 0), DefaultMinStructures)
	minStorage := cmp.Or(max(opts.MinWithStorage, 0), DefaultMinWithStorage)
	tm := newTimers(opts.Timers, opts.Multiplier)
	mapper := opts.Mapper
	if mapper == nil {
		mapper = MapperFor(save.Map)
	}

	structs := save.Structures
	in := make([]clusterInput, 0, len(structs))
	src := make([]int32, 0, len(structs)) // in[i] is structs[src[i]]
	for i := range structs {
		s := &structs[i]
		p := vec{s.Location.X, s.Location.Y, s.Location.Z}
		if !s.HasLocation || !finite(p.x) || !finite(p.y) || !finite(p.z) {
			continue
		}
		in = append(in, clusterInput{owner: s.TribeID, pos: p})
		src = append(src, int32(i))
	}
	cl := cluster(in, link)
	if cl.n == 0 {
		return nil
	}

	// Pass 1: sizes and storage, to filter before building anything bigger.
	count := make([]int32, cl.n)
	storage := make([]int32, cl.n)
	for i, pt := range cl.points {
		l := cl.label[i]
		count[l]++
		if structs[src[pt.idx]].IsStorage {
			storage[l]++
		}
	}
	keep := make([]int32, cl.n) // label -> index in out, or -1
	var out []Base
	for l := range cl.n {
		keep[l] = -1
		if int(count[l]) >= minAll || storage[l] > 0 && int(count[l]) >= minStorage {
			keep[l] = int32(len(out))
			out = append(out, Base{Structures: int(count[l]), StorageCount: int(storage[l])})
		}
	}
	if len(out) == 0 {
		return nil
	}

	// Pass 2: aggregates of kept bases.
	type agg struct {
		sum      vec
		box      bbox
		refresh  float64
		tier     int // weakest foundation tier rank, -1 none
		anyTier  int // weakest tier of any structure, -1 none
		material []int32
	}
	var matNames []string
	matIndex := map[string]int{}
	aggs := make([]agg, len(out))
	for i := range aggs {
		aggs[i] = agg{tier: -1, anyTier: -1, box: bbox{
			min: vec{math.Inf(1), math.Inf(1), math.Inf(1)},
			max: vec{math.Inf(-1), math.Inf(-1), math.Inf(-1)},
		}}
	}
	for i, pt := range cl.points {
		b := keep[cl.label[i]]
		if b < 0 {
			continue
		}
		s := &structs[src[pt.idx]]
		a := &aggs[b]
		p := cl.pos[i]
		a.sum.x, a.sum.y, a.sum.z = a.sum.x+p.x, a.sum.y+p.y, a.sum.z+p.z
		a.box.add(p)
		// Plain comparisons: NaN never wins (max would propagate it).
		if s.LastAllyInRange > a.refresh {
			a.refresh = s.LastAllyInRange
		}
		if s.LastStasisTime > a.refresh {
			a.refresh = s.LastStasisTime
		}
		mi, ok := matIndex[s.Material]
		if !ok {
			mi = len(matNames)
			matIndex[s.Material] = mi
			matNames = append(matNames, s.Material)
		}
		if mi >= len(a.material) {
			a.material = append(a.material, make([]int32, mi+1-len(a.material))...)
		}
		a.material[mi]++
		if r := tierRank(s.Material); r >= 0 {
			if a.anyTier < 0 || r < a.anyTier {
				a.anyTier = r
			}
			if s.IsFoundation && (a.tier < 0 || r < a.tier) {
				a.tier = r
			}
		}
		if s.IsFoundation {
			out[b].Foundations++
		}
		out[b].Owner = s.TribeID
		if out[b].OwnerName == "" {
			out[b].OwnerName = s.OwnerName
		}
	}

	tribeNames := make(map[int64]string, len(save.Tribes))
	for _, t := range save.Tribes {
		if t.Name != "" {
			tribeNames[t.ID] = t.Name
		}
	}
	boxes := make([]bbox, len(aggs))
	for i := range aggs {
		boxes[i] = aggs[i].box
	}
	countDinos(save.Dinos, out, boxes, link)

	for i := range out {
		b, a := &out[i], &aggs[i]
		if name, ok := tribeNames[b.Owner]; ok {
			b.OwnerName = name
		}
		n := float64(b.Structures)
		b.Center = location(vec{a.sum.x / n, a.sum.y / n, a.sum.z / n}, mapper)
		b.Min = location(a.box.min, mapper)
		b.Max = location(a.box.max, mapper)
		b.ByMaterial = make(map[string]int, len(a.material))
		for mi, c := range a.material {
			if c > 0 {
				b.ByMaterial[matNames[mi]] = int(c)
			}
		}
		switch {
		case a.tier >= 0:
			b.DecayTier = tierOrder[a.tier]
		case a.anyTier >= 0:
			b.DecayTier = tierOrder[a.anyTier]
		default:
			b.DecayTier = Other
		}
		b.DecayDuration = tm.decay(b.DecayTier, b.TamedDinos > 0)
		b.LastRefresh, b.RefreshKnown = save.SavedAt, false
		if a.refresh > 0 {
			b.LastRefresh, b.RefreshKnown = GameToWall(save.SavedAt, save.GameTime, a.refresh), true
			if !save.SavedAt.IsZero() && b.LastRefresh.After(save.SavedAt) {
				b.LastRefresh = save.SavedAt
			}
		}
		b.DecaysAt = b.LastRefresh.Add(b.DecayDuration)
	}

	slices.SortStableFunc(out, func(x, y Base) int {
		return cmp.Or(
			x.DecaysAt.Compare(y.DecaysAt),
			cmp.Compare(x.Owner, y.Owner),
			cmp.Compare(y.Structures, x.Structures),
			cmp.Compare(x.Center.X, y.Center.X),
			cmp.Compare(x.Center.Y, y.Center.Y),
		)
	})
	return out
}

// countDinos counts, per base, the owner's located tamed dinos inside the
// base's box widened by link.
func countDinos(dinos []arksave.Dino, out []Base, boxes []bbox, link float64) {
	byOwner := make(map[int64][]int, len(out))
	for i := range out {
		byOwner[out[i].Owner] = append(byOwner[out[i].Owner], i)
	}
	for i := range dinos {
		d := &dinos[i]
		if d.Location == nil || d.Cryopodded {
			continue
		}
		p := vec{d.Location.X, d.Location.Y, d.Location.Z}
		for _, b := range byOwner[d.TribeID] {
			bx := &boxes[b]
			if p.x >= bx.min.x-link && p.x <= bx.max.x+link &&
				p.y >= bx.min.y-link && p.y <= bx.max.y+link &&
				p.z >= bx.min.z-link && p.z <= bx.max.z+link {
				out[b].TamedDinos++
			}
		}
	}
}

func location(p vec, m Mapper) arksave.Location {
	loc := arksave.Location{X: p.x, Y: p.y, Z: p.z}
	if m != nil {
		loc.Lat, loc.Lon, loc.HasLatLon = m(p.x, p.y)
	}
	return loc
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
