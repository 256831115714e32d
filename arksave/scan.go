package arksave

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
)

type job struct {
	key  GUID
	info *classInfo // nil for catProbe rows
	buf  []byte
}

// classInfo is everything derived from a class path, computed once per
// distinct class so rows share one copy of each string.
type classInfo struct {
	cat        category
	path       string
	short      string
	material   string
	storage    bool
	foundation bool
}

func newClassInfo(class string) *classInfo {
	ci := &classInfo{cat: classify(class), path: class, short: shortClass(class)}
	if ci.cat == catStructure {
		ci.material, ci.storage, ci.foundation = structureKind(ci.short)
	}
	return ci
}

// chunkLen is the length of one result chunk: workers append to fixed-size
// chunks instead of doubling slices, so no result row is ever copied while
// the scan runs and growth garbage is bounded by one chunk.
const chunkLen = 4096

type chunks[T any] struct{ c [][]T }

func (c *chunks[T]) add(v T) {
	if n := len(c.c); n == 0 || len(c.c[n-1]) == cap(c.c[n-1]) {
		c.c = append(c.c, make([]T, 0, chunkLen))
	}
	last := &c.c[len(c.c)-1]
	*last = append(*last, v)
}

func (c *chunks[T]) len() int {
	n := 0
	for _, x := range c.c {
		n += len(x)
	}
	return n
}

// acc is one worker's private result set, merged after the scan.
type acc struct {
	dinos   chunks[dinoRow]
	status  map[GUID]statusRow
	pawns   []pawnRow
	structs chunks[structRow]
	classes map[string]*classInfo // probe rows' classes
	strs    map[string]string     // interned owner/tribe/dino names
	// structure rows refer to classes and owner names by index (72-byte
	// rows instead of 96)
	classIdx   map[*classInfo]uint32
	classList  []*classInfo
	ownerIdx   map[string]uint32
	ownerList  []string
	wild       int
	decoded    int
	failed     int
	failedBy   map[string]int
	unknown    int
	cryoFailed int
	cryo       int               // tamed dinos decoded from cryopods
	cryoWild   int               // wild dinos decoded from cryopods
	allStructs int               // structure rows, owned or not
	tribeNames map[tribeName]int // (tribe id, name) given by dinos, structures, pawns -> rows
	skipped    int
}

// scan runs the row stream and the worker pool.
func (d *decoder) scan(ctx context.Context, src Source, st *Stats) ([]*acc, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := d.opts.Workers
	nbuf := 4 * n
	jobs := make(chan job, nbuf)
	free := make(chan []byte, nbuf)
	for range nbuf {
		free <- nil
	}
	accs := make([]*acc, n)
	var wg sync.WaitGroup
	for i := range n {
		a := &acc{status: map[GUID]statusRow{}, failedBy: map[string]int{},
			classes: map[string]*classInfo{}, strs: map[string]string{},
			classIdx: map[*classInfo]uint32{}, tribeNames: map[tribeName]int{}, ownerIdx: map[string]uint32{"": 0}, ownerList: []string{""}}
		accs[i] = a
		wd := *d
		wg.Go(func() {
			for j := range jobs {
				if ctx.Err() == nil {
					wd.row(a, &j)
				}
				if cap(j.buf) > 4<<20 {
					j.buf = nil // do not pin huge buffers
				}
				free <- j.buf[:0]
			}
			// sort this worker's structure chunks for the merge, in parallel
			// with the other workers
			if ctx.Err() == nil {
				for _, c := range a.structs.c {
					slices.SortFunc(c, cmpStructRow)
				}
			}
		})
	}
	// class name key -> class info (nil: not in the name table, probe)
	classes := map[uint32]*classInfo{}
	done := ctx.Done()
	scanErr := src.ScanGame(ctx, func(key GUID, value []byte) error {
		select {
		case <-done:
			return ctx.Err()
		default:
		}
		st.Rows++
		st.Bytes += int64(len(value))
		var info *classInfo
		if len(value) >= 8 {
			k := binary.LittleEndian.Uint32(value)
			ci, seen := classes[k]
			if !seen {
				if class, ok := d.tbl.get(k); ok {
					ci = newClassInfo(class)
				}
				classes[k] = ci
			}
			info = ci
		}
		if info != nil && info.cat == catSkip && !d.opts.Strict {
			st.Skipped++
			return nil
		}
		var buf []byte
		select {
		case buf = <-free:
		case <-done:
			return ctx.Err()
		}
		buf = append(buf, value...)
		select {
		case jobs <- job{key: key, info: info, buf: buf}:
		case <-done:
			return ctx.Err()
		}
		return nil
	})
	close(jobs)
	wg.Wait()
	if scanErr != nil {
		return nil, fmt.Errorf("arksave: scan: %w", scanErr)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("arksave: scan: %w", err)
	}
	return accs, nil
}

func (a *acc) fail(class string) {
	a.failed++
	a.failedBy[class]++
}

// rowState collects what one row's properties say, per category.
type rowState struct {
	dr          dinoRow
	sr          statusRow
	pr          pawnRow
	s           structRow
	owner       string // structure: OwnerName, else OwningPlayerName
	tribeName   string // structure: OwnerName only (the tribe's name)
	owned       bool   // structure: has TargetingTeam
	sawHealth   bool
	fallback    [3]float64 // SavedBaseWorldLocation
	hasFallback bool
}

// row decodes one needed row into a.
func (d *decoder) row(a *acc, j *job) {
	if d.opts.Strict {
		class, unk, err := validateRow(d.h, d.tbl, j.buf)
		a.unknown += unk
		if err != nil {
			a.fail(class)
			return
		}
	}
	r := newRowReader(d.h, j.buf)
	r.tbl = d.tbl
	r.intern = a.strs
	r.types = d.types[:0]
	defer func() { d.types = r.types[:0] }()
	hd := r.head(d.h.Version, nil)
	info := j.info
	if info == nil {
		info = a.classes[hd.class]
		if info == nil {
			info = newClassInfo(hd.class)
			a.classes[hd.class] = info
		}
	}
	if info.cat == catSkip {
		if !d.opts.Strict {
			a.unknown += r.unknown
		}
		a.skipped++
		return
	}
	if r.err != nil {
		a.unknown += r.unknown
		a.fail(hd.class)
		return
	}
	var rs rowState
	if !hd.noProps {
		d.rowProps(&r, a, j, info, &rs)
	}
	if !d.opts.Strict {
		a.unknown += r.unknown
	}
	if r.err != nil {
		a.fail(hd.class)
		return
	}
	a.decoded++
	d.keep(a, j, info, &rs)
}

// rowProps walks the top-level properties of a row, decoding those its
// category needs.
func (d *decoder) rowProps(r *reader, a *acc, j *job, info *classInfo, rs *rowState) {
	r.walkTop(func(t *tag) {
		switch info.cat {
		case catDino:
			d.dinoProp(r, t, &rs.dr, &rs.fallback, &rs.hasFallback)
		case catStatus:
			switch t.name {
			case "BaseCharacterLevel":
				rs.sr.base = int32(r.topValue(t, true).Int())
			case "ExtraCharacterLevel":
				rs.sr.extra = int32(r.topValue(t, true).Int())
			}
		case catPawn:
			d.pawnProp(r, t, &rs.pr, &rs.fallback, &rs.hasFallback)
		case catStructure:
			d.structProp(r, t, rs)
		case catCryopod:
			if t.name == "CustomItemDatas" {
				if v := r.topValue(t, true); r.err == nil {
					a.cryopod(j, info, v, d.inflight)
				}
			}
		}
	})
}

// cryopod keeps the dinos of a cryopod item; a pod whose dino cannot be
// decoded counts as a failure (Stats.Failed and Stats.CryopodFailed).
func (a *acc) cryopod(j *job, info *classInfo, v Value, b *budget) {
	ds, wild, failed := cryoDinos(v, b)
	a.cryoFailed += failed
	a.cryoWild += wild
	for range failed {
		a.fail("cryopod dino in " + info.short)
	}
	for _, cd := range ds {
		if cd.ID == (GUID{}) {
			cd.ID = j.key
		}
		cd.Name, cd.TribeName, cd.OwnerName = a.intern(cd.Name), a.intern(cd.TribeName), a.intern(cd.OwnerName)
		a.cryo++
		a.noteTribe(cd.TribeID, cd.TribeName)
		a.dinos.add(dinoRow{d: cd, tamed: true})
	}
}

// keep stores the decoded row in the worker's result set.
func (d *decoder) keep(a *acc, j *job, info *classInfo, rs *rowState) {
	switch info.cat {
	case catDino:
		dr := &rs.dr
		if !dr.tamed {
			a.wild++
			return
		}
		dr.d.ID = j.key
		dr.d.ClassPath = info.path
		dr.d.Class = info.short
		dr.fb, dr.hasFB = rs.fallback, rs.hasFallback
		a.noteTribe(dr.d.TribeID, dr.d.TribeName)
		a.dinos.add(*dr)
	case catStatus:
		a.status[j.key] = rs.sr
	case catPawn:
		pr := &rs.pr
		pr.key, pr.fb, pr.hasFB = j.key, rs.fallback, rs.hasFallback
		a.noteTribe(pr.tribeID, pr.tribe)
		a.pawns = append(a.pawns, *pr)
	case catStructure:
		a.allStructs++
		if !rs.owned {
			return
		}
		s := &rs.s
		s.id = j.key
		s.class, s.owner = a.classIndex(info), a.ownerIndex(rs.owner)
		if !rs.sawHealth {
			s.health = s.maxHealth
		}
		a.noteTribe(s.tribeID, rs.tribeName)
		a.structs.add(*s)
	}
}

// tribeName is a name a row gives a tribe id.
type tribeName struct {
	id   int64
	name string
}

// noteTribe counts a name a row gives a tribe id.
func (a *acc) noteTribe(id int64, name string) {
	if id != 0 && name != "" {
		a.tribeNames[tribeName{id, a.intern(name)}]++
	}
}

// intern returns one shared copy of each distinct string a worker keeps.
func (a *acc) intern(v string) string {
	if v == "" {
		return ""
	}
	if s, ok := a.strs[v]; ok {
		return s
	}
	a.strs[v] = v
	return v
}

// structureKind derives material, storage and foundation flags from the
