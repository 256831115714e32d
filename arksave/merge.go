package arksave

import (
	"bytes"
	"cmp"
	"slices"
	"sort"
	"sync"
	"time"
)

// merge joins worker results, status components, profiles and tribes. Worker
// chunks are released as they are copied into the result slices, which are
// allocated once at their final size.
func (d *decoder) merge(save *Save, accs []*acc, profiles []*Player, tribes []*Tribe) []pawnLoc {
	status := mergeCounts(save, accs)
	d.mergeDinos(save, accs, status)
	d.mergeStructures(save, accs)
	tribeByID := mergeTribes(save, accs, tribes)
	return d.mergePlayers(save, accs, profiles, tribeByID, status)
}

// mergeCounts sums the workers' counters and joins their status components.
func mergeCounts(save *Save, accs []*acc) map[GUID]statusRow {
	st := &save.Stats
	if st.FailedByClass == nil {
		st.FailedByClass = map[string]int{}
	}
	status := map[GUID]statusRow{}
	for _, a := range accs {
		st.Decoded += a.decoded
		st.Skipped += a.skipped
		st.UnknownNames += a.unknown
		st.CryopodFailed += a.cryoFailed
		st.Cryopods += a.cryo
		st.CryopodWild += a.cryoWild
		save.WildDinos += a.wild
		save.StructureRows += a.allStructs
		for c, n := range a.failedBy {
			st.FailedByClass[c] += n
		}
		st.Failed += a.failed
		for k, v := range a.status {
			status[k] = v
		}
		a.status = nil
	}
	return status
}

// mergeDinos joins tamed dinos with their status components (level) and
// sorts them by id.
func (d *decoder) mergeDinos(save *Save, accs []*acc, status map[GUID]statusRow) {
	nd := 0
	for _, a := range accs {
		nd += a.dinos.len()
	}
	save.Dinos = make([]Dino, 0, nd)
	for _, a := range accs {
		for k, c := range a.dinos.c {
			for _, dr := range c {
				if s, ok := status[dr.status]; ok && dr.status != (GUID{}) && !dr.d.Cryopodded {
					dr.d.Level = int(s.base + s.extra)
				}
				if !dr.d.Cryopodded {
					dr.d.Location = d.fallback(dr.fb, dr.hasFB)
				}
				save.Dinos = append(save.Dinos, dr.d)
			}
			a.dinos.c[k] = nil
		}
	}
	slices.SortFunc(save.Dinos, func(a, b Dino) int {
		if c := bytes.Compare(a.ID[:], b.ID[:]); c != 0 {
			return c
		}
		return cmp.Compare(a.DinoID, b.DinoID)
	})
}

// mergeStructures k-way merges the workers' sorted chunks straight into the
// result slice (each row is copied once, no index of all rows is built). The
// GUID space is split by first byte into one range per worker, merged
// concurrently into disjoint parts.
func (d *decoder) mergeStructures(save *Save, accs []*acc) {
	var all [][]structRow
	var owner []*acc // worker of each chunk
	ns := 0
	for _, a := range accs {
		ns += a.structs.len()
		all = append(all, a.structs.c...)
		for range a.structs.c {
			owner = append(owner, a)
		}
		a.structs.c = nil
	}
	save.Structures = make([]Structure, ns)
	parts := max(1, min(d.opts.Workers, 16))
	if ns < 1<<12 {
		parts = 1
	}
	var mg sync.WaitGroup
	off := 0
	for p := range parts {
		lo, hi := p*256/parts, (p+1)*256/parts
		sub := make([][]structRow, len(all))
		n := 0
		for k, c := range all {
			i := sort.Search(len(c), func(i int) bool { return int(c[i].id[0]) >= lo })
			j := sort.Search(len(c), func(i int) bool { return int(c[i].id[0]) >= hi })
			sub[k] = c[i:j]
			n += j - i
		}
		dst := save.Structures[off : off+n]
		off += n
		mg.Go(func() { mergeStructs(dst, sub, owner) })
	}
	mg.Wait()
}

// mergeTribes keeps the first archive of each tribe id and collects the
// names the world rows give tribe ids (Save.TribeNames): per id the most
// frequent name, ties broken by the smaller string, so the result does not
// depend on which worker saw which row.
func mergeTribes(save *Save, accs []*acc, tribes []*Tribe) map[int64]*Tribe {
	tribeByID := map[int64]*Tribe{}
	for _, t := range tribes {
		if _, dup := tribeByID[t.ID]; dup {
			continue
		}
		tribeByID[t.ID] = t
		save.Tribes = append(save.Tribes, *t)
	}
	slices.SortFunc(save.Tribes, func(a, b Tribe) int { return cmp.Compare(uint64(a.ID), uint64(b.ID)) })
	type idName struct {
		id   int64
		name string
	}
	votes := map[idName]int{}
	for _, a := range accs {
		for k, n := range a.tribeNames {
			votes[idName{k.id, k.name}] += n
		}
		a.tribeNames = nil
	}
	best := map[int64]idName{}
	for k, n := range votes {
		b, ok := best[k.id]
		if !ok || n > votes[b] || (n == votes[b] && k.name < b.name) {
			best[k.id] = k
		}
	}
	save.TribeNames = make(map[int64]string, len(best))
	for id, k := range best {
		save.TribeNames[id] = k.name
	}
	return tribeByID
}

// mergePlayers joins profiles with world pawns (by PlayerDataID) and
// returns the pawn that decides each player's location.
func (d *decoder) mergePlayers(save *Save, accs []*acc, profiles []*Player, tribeByID map[int64]*Tribe, status map[GUID]statusRow) []pawnLoc {
	byID := map[uint64]int{}
	for _, p := range profiles {
		if i, dup := byID[p.PlayerDataID]; dup {
			if p.LoginGameTime > save.Players[i].LoginGameTime {
				save.Players[i] = *p
			}
			continue
		}
		byID[p.PlayerDataID] = len(save.Players)
		save.Players = append(save.Players, *p)
	}
	lastPawn := map[uint64]GUID{} // PlayerDataID -> the pawn that sets Location
	// Workers finish in any order; visit pawns by GUID so a player with two
	// pawns gets the same location and names on every decode.
	var allPawns []pawnRow
	for _, a := range accs {
		save.Pawns += len(a.pawns)
		allPawns = append(allPawns, a.pawns...)
		a.pawns = nil
	}
	slices.SortFunc(allPawns, func(a, b pawnRow) int { return bytes.Compare(a.key[:], b.key[:]) })
	for _, pw := range allPawns {
		i, ok := byID[pw.dataID]
		if !ok {
			byID[pw.dataID] = len(save.Players)
			save.Players = append(save.Players, Player{PlayerDataID: pw.dataID, Level: 0})
			i = len(save.Players) - 1
		}
		lastPawn[pw.dataID] = pw.key
		d.applyPawn(&save.Players[i], &pw, status)
	}
	for i := range save.Players {
		p := &save.Players[i]
		if t, ok := tribeByID[p.TribeID]; ok && p.TribeID != 0 {
			p.TribeName = t.Name
		}
		if p.LoginGameTime > 0 && !save.SavedAt.IsZero() {
			p.LastLogin = save.SavedAt.Add(time.Duration((p.LoginGameTime - save.GameTime) * float64(time.Second)))
		}
	}
	slices.SortFunc(save.Players, func(a, b Player) int { return cmp.Compare(a.PlayerDataID, b.PlayerDataID) })
	var pawns []pawnLoc
	for i := range save.Players {
		if k, ok := lastPawn[save.Players[i].PlayerDataID]; ok {
			pawns = append(pawns, pawnLoc{key: k, i: i})
		}
	}
	return pawns
}

// applyPawn fills what a profile does not say from the player's pawn. A
// pawn at exactly the world origin has no real position (nothing is placed
// at 0,0,0): its location stays unknown.
func (d *decoder) applyPawn(p *Player, pw *pawnRow, status map[GUID]statusRow) {
	p.Location = nil
	if pw.hasFB && pw.fb != ([3]float64{}) {
		p.Location = d.fallback(pw.fb, pw.hasFB)
	}
	if s, ok := status[pw.status]; ok && p.Level == 0 && pw.status != (GUID{}) {
		// no profile: the pawn's status component (base level 1 + extra)
		p.Level = int(max(s.base, 1) + s.extra)
	}
	if p.EOSID == "" {
		p.EOSID = pw.eos
	}
	if p.PlatformName == "" {
		p.PlatformName = pw.platform
	}
	if p.CharacterName == "" {
		p.CharacterName = pw.charName
	}
	if p.TribeID == 0 && pw.tribe != "" {
		p.TribeID = pw.tribeID
	}
	if p.TribeName == "" {
		p.TribeName = pw.tribe
	}
}
