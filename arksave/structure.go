package arksave

import (
	"bytes"
	"strings"
)

// structRow is a structure as a worker keeps it: strings are shared (class
// info, interned owner names), the location is filled in after the scan.
type structRow struct {
	id             GUID
	class          uint32 // index in the worker's acc.classList
	owner          uint32 // index in the worker's acc.ownerList
	tribeID        int64
	owningPlayerID int64
	health         float32
	maxHealth      float32
	stasis         float64
	ally           float64
	creation       float64
}

// structProp reads one structure property into rs.
func (d *decoder) structProp(r *reader, t *tag, rs *rowState) {
	s := &rs.s
	switch t.name {
	case "TargetingTeam":
		s.tribeID = r.topValue(t, true).Int()
		rs.owned = true
	case "OwnerName":
		rs.owner = r.topValue(t, true).Str
		rs.tribeName = rs.owner
	case "OwningPlayerName":
		if v := r.topValue(t, true).Str; rs.owner == "" {
			rs.owner = v
		}
	case "OwningPlayerID":
		s.owningPlayerID = r.topValue(t, true).Int()
	case "Health":
		rs.sawHealth = true
		s.health = float32(r.topValue(t, true).Float())
	case "MaxHealth":
		s.maxHealth = float32(r.topValue(t, true).Float())
	case "LastEnterStasisTime":
		s.stasis = r.topValue(t, true).Float()
	case "LastInAllyRangeSerialized", "LastInAllyRangeTimeSerialized":
		s.ally = r.topValue(t, true).Float()
	case "OriginalCreationTime":
		s.creation = r.topValue(t, true).Float()
	}
}

func (a *acc) classIndex(ci *classInfo) uint32 {
	i, ok := a.classIdx[ci]
	if !ok {
		i = uint32(len(a.classList))
		a.classIdx[ci] = i
		a.classList = append(a.classList, ci)
	}
	return i
}

func (a *acc) ownerIndex(s string) uint32 {
	i, ok := a.ownerIdx[s]
	if !ok {
		i = uint32(len(a.ownerList))
		a.ownerIdx[s] = i
		a.ownerList = append(a.ownerList, s)
	}
	return i
}

// short class name.
func structureKind(class string) (material string, storage, foundation bool) {
	l := strings.ToLower(class)
	switch {
	case strings.Contains(l, "greenhouse"):
		material = "greenhouse"
	case strings.Contains(l, "tek"):
		material = "tek"
	case strings.Contains(l, "metal"):
		material = "metal"
	case strings.Contains(l, "stone"):
		material = "stone"
	case strings.Contains(l, "adobe"):
		material = "adobe"
	case strings.Contains(l, "wood"):
		material = "wood"
	case strings.Contains(l, "thatch"):
		material = "thatch"
	default:
		material = "other"
	}
	for _, w := range []string{"storagebox", "dedicatedstorage", "vault", "fridge", "icebox", "locker", "cabinet", "bookshelf", "chest"} {
		if strings.Contains(l, w) {
			storage = true
			break
		}
	}
	if strings.Contains(l, "generator") || strings.Contains(l, "grinder") {
		storage = false
	}
	foundation = strings.Contains(l, "floor") || strings.Contains(l, "ceiling") || strings.Contains(l, "foundation")
	return material, storage, foundation
}

func cmpStructRow(a, b structRow) int { return bytes.Compare(a.id[:], b.id[:]) }

// mergeStructs k-way merges sorted chunks into dst (len(dst) == total rows).
func mergeStructs(dst []Structure, all [][]structRow, owner []*acc) {
	h := structHeap{all: all}
	for i := range all {
		if len(all[i]) > 0 {
			h.idx = append(h.idx, i)
		}
	}
	for i := len(h.idx)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
	for n := 0; len(h.idx) > 0; n++ {
		k := h.idx[0]
		sr := &all[k][0]
		w := owner[k]
		ci := w.classList[sr.class]
		dst[n] = Structure{
			ID:              sr.id,
			Class:           ci.short,
			ClassPath:       ci.path,
			Material:        ci.material,
			TribeID:         sr.tribeID,
			OwnerName:       w.ownerList[sr.owner],
			OwningPlayerID:  sr.owningPlayerID,
			Health:          sr.health,
			MaxHealth:       sr.maxHealth,
			LastStasisTime:  sr.stasis,
			LastAllyInRange: sr.ally,
			CreationTime:    sr.creation,
			IsStorage:       ci.storage,
			IsFoundation:    ci.foundation,
		}
		all[k] = all[k][1:]
		if len(all[k]) == 0 {
			last := len(h.idx) - 1
			h.idx[0] = h.idx[last]
			h.idx = h.idx[:last]
		}
		h.down(0)
	}
}

// structHeap is a min-heap of sorted chunks keyed by their first row's ID
// (ties: lower chunk index, i.e. scan order per worker).
type structHeap struct {
	all [][]structRow
	idx []int
}

func (h *structHeap) less(i, j int) bool {
	a, b := h.idx[i], h.idx[j]
	if c := bytes.Compare(h.all[a][0].id[:], h.all[b][0].id[:]); c != 0 {
		return c < 0
	}
	return a < b
}

func (h *structHeap) down(i int) {
	n := len(h.idx)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h.idx[i], h.idx[m] = h.idx[m], h.idx[i]
		i = m
	}
}
