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
	st := &save.Stats
	status := map[GUID]statusRow{}
	nd, ns := 0, 0
	for _, a := range accs {
		st.Decoded += a.decoded
		st.Skipped += a.skipped
		st.UnknownNames += a.unknown
		st.CryopodFailed += a.cryoFailed
		save.WildDinos += a.wild
		for c, n := range a.failedBy {
			if st.FailedByClass == nil {
				st.FailedByClass = map[string]int{}
			}
			st.FailedByClass[c] += n
		}
		st.Failed += a.failed
		for k, v := range a.status {
			status[k] = v
		}
		a.status = nil
		nd += a.dinos.len()
		ns += a.structs.len()
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

	// Structures: the workers sorted each chunk in place; k-way merge the
	// chunks straight into the result slice (each row is copied once, no
	// index of all rows is built). The GUID space is split by first byte into
	// one range per worker, merged concurrently into disjoint parts.
	var all [][]structRow
	var owner []*acc // worker of each chunk
	for _, a := range accs {
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
	all = nil
	if st.FailedByClass == nil {
		st.FailedByClass = map[string]int{}
	}

	tribeByID := map[int64]*Tribe{}
	for _, t := range tribes {
		if _, dup := tribeByID[t.ID]; dup {
			continue
		}
		tribeByID[t.ID] = t
		save.Tribes = append(save.Tribes, *t)
	}
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
		p := &save.Players[i]
		p.Location = d.fallback(pw.fb, pw.hasFB)
		lastPawn[pw.dataID] = pw.key
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
	slices.SortFunc(save.Tribes, func(a, b Tribe) int { return cmp.Compare(uint64(a.ID), uint64(b.ID)) })
	var pawns []pawnLoc
	for i := range save.Players {
		if k, ok := lastPawn[save.Players[i].PlayerDataID]; ok {
			pawns = append(pawns, pawnLoc{key: k, i: i})
		}
	}
	return pawns
}
