package arksave

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxWorkers caps Options.Workers.
const maxWorkers = 256

// Options configure Decode.
type Options struct {
	// Workers caps the decoding goroutines; 0 means GOMAXPROCS (at most 256).
	Workers int
	// SavedAt is the wall-clock time the save was written. Zero means the
	// Source's ModTime (if it implements ModTimer); LastLogin stays zero when
	// neither is known.
	SavedAt time.Time
	// Archives, if set, is searched (root directory only) for standalone
	// *.arkprofile and *.arktribe files, e.g. os.DirFS(saveDir).
	Archives fs.FS
	// Profiles and Tribes are additional standalone archive contents
	// (.arkprofile / .arktribe bytes), e.g. read by the caller over FTP.
	Profiles [][]byte
	Tribes   [][]byte
	// Strict fully validates every game row, including rows whose class is
	// not needed for the domain view; failures are counted in Stats.
	Strict bool
}

// category is what a row is, decided from its class name alone.
type category uint8

const (
	catSkip  category = iota
	catProbe          // class not in the name table: header must be parsed
	catDino
	catStatus
	catPawn
	catStructure
	catCryopod
)

// classify decides from the class path whether a row is needed.
func classify(class string) category {
	switch {
	case strings.Contains(class, "PlayerPawnTest_"):
		return catPawn
	case strings.Contains(class, "CharacterStatusComponent"):
		return catStatus // dino and player status components
	case strings.Contains(class, "_Character_"):
		return catDino
	case strings.Contains(class, "/Structures/") && !strings.Contains(class, "PrimalItem"):
		return catStructure
	case strings.Contains(class, "Cryopod") && strings.Contains(class, "PrimalItem"):
		return catCryopod
	}
	return catSkip
}

// shortClass turns "/Game/.../Rex_Character_BP.Rex_Character_BP_C" into
// "Rex_Character_BP_C".
func shortClass(class string) string {
	if i := strings.LastIndexByte(class, '.'); i >= 0 {
		return class[i+1:]
	}
	return path.Base(class)
}

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

// dinoRow is a character row before the status-component join.
type dinoRow struct {
	d      Dino
	status GUID
	tamed  bool
	fb     [3]float64 // SavedBaseWorldLocation
	hasFB  bool
}

type statusRow struct{ base, extra int32 }

type pawnRow struct {
	dataID   uint64
	eos      string
	platform string
	charName string
	tribeID  int64
	tribe    string
	status   GUID // MyCharacterStatusComponent
	key      GUID
	fb       [3]float64
	hasFB    bool
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
	skipped    int
}

type decoder struct {
	h     *Header
	tbl   *nameTable
	loc   locator
	opts  Options
	types []typeNode // worker-local scratch (one decoder copy per worker)
}

// Decode streams the game rows of src and returns the compact domain view.
// Rows are classified by class name before any property is decoded; needed
// rows are copied into a bounded set of buffers and decoded by at most
// opts.Workers goroutines, so memory does not grow with the save beyond the
// compact result rows. A row that fails to decode is counted in Stats and
// skipped; Decode itself fails only on container-level errors or ctx.
//
// Dino level rule: BaseCharacterLevel + ExtraCharacterLevel from the dino's
// status component (the in-game displayed level); 0 when no status
// component is found.
func Decode(ctx context.Context, src Source, opts Options) (*Save, error) {
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	opts.Workers = min(opts.Workers, maxWorkers)
	hb, err := src.Custom(ctx, "SaveHeader")
	if err != nil {
		return nil, fmt.Errorf("arksave: header: %w", err)
	}
	h, err := ReadHeader(hb)
	if err != nil {
		return nil, err
	}
	hb = nil
	save := &Save{Map: h.Map(), SaveVersion: h.Version, GameTime: h.GameTime, SavedAt: opts.SavedAt}
	if save.SavedAt.IsZero() {
		if mt, ok := src.(ModTimer); ok {
			save.SavedAt = mt.ModTime()
		}
	}
	d := &decoder{h: h, tbl: newNameTable(h.Names), loc: newLocator(h.Map()), opts: opts}

	// The archives are read while the game rows stream. ActorTransforms is
	// read only after the result rows are built (and the per-worker rows
	// dropped), and positions are looked up for the result rows only, so the
	// blob never coexists with the scan's working set.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var side sync.WaitGroup
	var arErr error
	var profiles []*Player
	var tribes []*Tribe
	var arStats Stats
	side.Go(func() {
		profiles, tribes, arErr = d.archives(ctx, src, &arStats)
		if arErr != nil {
			cancel()
		}
	})
	accs, err := d.scan(ctx, src, &save.Stats)
	side.Wait()
	for _, e := range []error{arErr, err} {
		if e != nil {
			return nil, e
		}
	}
	save.Stats.Failed += arStats.Failed
	pawns := d.merge(save, accs, profiles, tribes)
	accs = nil
	for c, n := range arStats.FailedByClass {
		save.Stats.FailedByClass[c] += n
	}
	bad, err := d.applyTransforms(ctx, src, save, pawns)
	if err != nil {
		return nil, fmt.Errorf("arksave: actor transforms: %w", err)
	}
	if bad {
		// positions before the damage are kept
		save.Stats.noteFailure("ActorTransforms")
	}
	return save, nil
}

// guidIndex is an open-addressing hash set of indexes into a slice of rows
// keyed by GUID (GUIDs are random, so their first 8 bytes are the hash). It
// costs 4 bytes per slot instead of a map's ~40 bytes per entry.
type guidIndex struct {
	slots []uint32 // row index + 1; 0 = empty
	shift uint
}

func newGUIDIndex(n int, id func(i int) *GUID) guidIndex {
	bits := uint(4)
	for 1<<bits < 2*n {
		bits++
	}
	x := guidIndex{slots: make([]uint32, 1<<bits), shift: 64 - bits}
	mask := uint64(len(x.slots) - 1)
	for i := range n {
		for h := x.hash(id(i)); ; h = (h + 1) & mask {
			if x.slots[h] == 0 {
				x.slots[h] = uint32(i + 1)
				break
			}
		}
	}
	return x
}

func (x *guidIndex) hash(g *GUID) uint64 {
	return (binary.LittleEndian.Uint64(g[:]) ^ binary.LittleEndian.Uint64(g[8:])) * 0x9E3779B97F4A7C15 >> x.shift
}

// each calls fn for every row index whose id is g.
func (x *guidIndex) each(g *GUID, id func(i int) *GUID, fn func(i int)) {
	if len(x.slots) == 0 {
		return
	}
	mask := uint64(len(x.slots) - 1)
	for h := x.hash(g); ; h = (h + 1) & mask {
		v := x.slots[h]
		if v == 0 {
			return
		}
		if *id(int(v - 1)) == *g {
			fn(int(v - 1))
		}
	}
}

// applyTransforms sets the ActorTransforms positions of the result rows
// (tamed dinos, structures, pawns), streaming the blob when src allows it.
// bad reports a damaged blob; records before the damage are still used.
func (d *decoder) applyTransforms(ctx context.Context, src Source, save *Save, pawns []pawnLoc) (bad bool, err error) {
	ss, ds := save.Structures, save.Dinos
	sid := func(i int) *GUID { return &ss[i].ID }
	did := func(i int) *GUID { return &ds[i].ID }
	sx := newGUIDIndex(len(ss), sid)
	dx := newGUIDIndex(len(ds), did)
	px := make(map[GUID][]int, len(pawns))
	for i, p := range pawns {
		px[p.key] = append(px[p.key], i)
	}
	apply := func(rec []byte) {
		g := (*GUID)(rec[:16])
		f := func(i int) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(rec[16+8*i:])) }
		x, y, z := f(0), f(1), f(2)
		sx.each(g, sid, func(i int) {
			ss[i].Location, ss[i].HasLocation = d.loc.at(x, y, z), true
		})
		dx.each(g, did, func(i int) {
			if !ds[i].Cryopodded {
				l := d.loc.at(x, y, z)
				ds[i].Location = &l
			}
		})
		for _, i := range px[*g] {
			l := d.loc.at(x, y, z)
			save.Players[pawns[i].i].Location = &l
		}
	}
	// The lookups (cache misses in large result slices) are spread over
	// the workers by GUID hash, so each GUID is handled by one goroutine, in
	// blob order, and the goroutines write disjoint rows.
	par := newXfPar(max(1, min(d.opts.Workers, 8)), apply)
	x := xfStream{fn: par.add}
	defer par.close()
	if cs, ok := src.(CustomStreamer); ok {
		err = cs.StreamCustom(ctx, "ActorTransforms", func(p []byte) error {
			x.write(p)
			return nil
		})
	} else {
		var b []byte
		if b, err = src.Custom(ctx, "ActorTransforms"); err == nil {
			x.write(b)
		}
	}
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	par.close()
	if err != nil {
		return false, err
	}
	return !x.close(), nil
}

// xfPar fans batches of 72-byte transform records out to n goroutines, each
// applying the records whose GUID hashes to it.
type xfPar struct {
	n     int
	apply func([]byte)
	cur   *xfBatch
	free  chan *xfBatch
	work  []chan *xfBatch
	wg    sync.WaitGroup
	done  bool
}

type xfBatch struct {
	recs []byte
	left atomic.Int32
}

const xfBatchRecs = 2048

func newXfPar(n int, apply func([]byte)) *xfPar {
	p := &xfPar{n: n, apply: apply}
	if n == 1 {
		return p
	}
	p.free = make(chan *xfBatch, 4)
	for range 4 {
		p.free <- &xfBatch{recs: make([]byte, 0, 72*xfBatchRecs)}
	}
	p.cur = <-p.free
	for w := range n {
		ch := make(chan *xfBatch, 4)
		p.work = append(p.work, ch)
		p.wg.Go(func() {
			for b := range ch {
				for r := b.recs; len(r) >= 72; r = r[72:] {
					if xfShard(r, n) == w {
						apply(r[:72])
					}
				}
				if b.left.Add(-1) == 0 {
					b.recs = b.recs[:0]
					p.free <- b
				}
			}
		})
	}
	return p
}

func xfShard(rec []byte, n int) int {
	return int(uint64(binary.LittleEndian.Uint32(rec[4:])) * uint64(n) >> 32)
}

func (p *xfPar) add(rec []byte) {
	if p.n == 1 {
		p.apply(rec)
		return
	}
	p.cur.recs = append(p.cur.recs, rec...)
	if len(p.cur.recs) == cap(p.cur.recs) {
		p.flush()
		p.cur = <-p.free
	}
}

func (p *xfPar) flush() {
	p.cur.left.Store(int32(p.n))
	for _, ch := range p.work {
		ch <- p.cur
	}
	p.cur = nil
}

// close applies the last batch and waits; safe to call twice.
func (p *xfPar) close() {
	if p.n == 1 || p.done {
		return
	}
	p.done = true
	if p.cur != nil && len(p.cur.recs) > 0 {
		p.flush()
	}
	for _, ch := range p.work {
		close(ch)
	}
	p.wg.Wait()
}

// xfStream parses ActorTransforms records (16-byte GUID + 7 float64, ended
// by a zero GUID) fed in pieces of any size, with the rules of
// ReadActorTransforms.
type xfStream struct {
	carry [72]byte
	n     int
	total int
	done  bool
	fn    func(rec []byte) // one 72-byte record with a non-zero GUID
}

func (x *xfStream) write(p []byte) {
	x.total += len(p)
	for len(p) > 0 && !x.done {
		if x.n == 0 && len(p) >= 72 {
			x.record(p)
			p = p[72:]
			continue
		}
		k := copy(x.carry[x.n:], p)
		x.n += k
		p = p[k:]
		if x.n >= 16 && GUID(x.carry[:16]) == (GUID{}) {
			x.done = true
		} else if x.n == 72 {
			x.record(x.carry[:])
			x.n = 0
		}
	}
}

func (x *xfStream) record(b []byte) {
	if GUID(b[:16]) == (GUID{}) {
		x.done = true
		return
	}
	x.fn(b[:72])
}

// close reports whether the stream ended properly (at a zero GUID, or
// empty).
func (x *xfStream) close() bool { return x.done || x.total == 0 }

// fallback returns the SavedBaseWorldLocation, nil when absent.
func (d *decoder) fallback(fb [3]float64, hasFB bool) *Location {
	if hasFB {
		l := d.loc.at(fb[0], fb[1], fb[2])
		return &l
	}
	return nil
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
			classIdx: map[*classInfo]uint32{}, ownerIdx: map[string]uint32{"": 0}, ownerList: []string{""}}
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
	cat := info.cat
	if cat == catSkip {
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
	var dr dinoRow
	var sr statusRow
	var pr pawnRow
	var s structRow
	var owner string
	owned, sawHealth := false, false
	var fallback [3]float64
	hasFallback := false
	if !hd.noProps {
		var t tag
		for r.err == nil {
			mark := len(r.types)
			if !r.readTag(&t) {
				break
			}
			end := r.off + t.size
			switch cat {
			case catDino:
				d.dinoProp(&r, &t, &dr, &fallback, &hasFallback)
			case catStatus:
				switch t.name {
				case "BaseCharacterLevel":
					sr.base = int32(r.topValue(&t, true).Int())
				case "ExtraCharacterLevel":
					sr.extra = int32(r.topValue(&t, true).Int())
				}
			case catPawn:
				d.pawnProp(&r, &t, &pr, &fallback, &hasFallback)
			case catStructure:
				if t.name == "Health" {
					sawHealth = true
				}
				if d.structProp(&r, &t, &s, &owner) {
					owned = true
				}
			case catCryopod:
				if t.name == "CustomItemDatas" {
					v := r.topValue(&t, true)
					if r.err == nil {
						ds, failed := cryoDinos(v)
						a.cryoFailed += failed
						for _, cd := range ds {
							if cd.ID == (GUID{}) {
								cd.ID = j.key
							}
							cd.Name, cd.TribeName, cd.OwnerName = a.intern(cd.Name), a.intern(cd.TribeName), a.intern(cd.OwnerName)
							a.dinos.add(dinoRow{d: cd, tamed: true})
						}
					}
				}
			}
			r.types = r.types[:mark]
			if r.err != nil {
				break
			}
			r.off = end
		}
	}
	if !d.opts.Strict {
		a.unknown += r.unknown
	}
	if r.err != nil {
		a.fail(hd.class)
		return
	}
	a.decoded++
	switch cat {
	case catDino:
		if !dr.tamed {
			a.wild++
			return
		}
		dr.d.ID = j.key
		dr.d.ClassPath = info.path
		dr.d.Class = info.short
		dr.fb, dr.hasFB = fallback, hasFallback
		a.dinos.add(dr)
	case catStatus:
		a.status[j.key] = sr
	case catPawn:
		pr.key, pr.fb, pr.hasFB = j.key, fallback, hasFallback
		a.pawns = append(a.pawns, pr)
	case catStructure:
		if !owned {
			return
		}
		s.id = j.key
		s.class, s.owner = a.classIndex(info), a.ownerIndex(owner)
		if !sawHealth {
			s.health = s.maxHealth
		}
		a.structs.add(s)
	}
}

func (d *decoder) dinoProp(r *reader, t *tag, dr *dinoRow, fb *[3]float64, hasFB *bool) {
	switch t.name {
	case "TamedName":
		dr.d.Name = r.topValue(t, true).Str
	case "TargetingTeam":
		dr.d.TribeID = r.topValue(t, true).Int()
	case "TamingTeamID":
		r.topValue(t, true)
		dr.tamed = true
	case "TamedTimeStamp":
		r.topValue(t, true)
		dr.tamed = true
	case "TribeName":
		dr.d.TribeName = r.topValue(t, true).Str
	case "OwningPlayerName":
		dr.d.OwnerName = r.topValue(t, true).Str
	case "TamerString":
		if s := r.topValue(t, true).Str; dr.d.OwnerName == "" {
			dr.d.OwnerName = s
		}
	case "DinoID1":
		dr.d.DinoID = dr.d.DinoID&0xFFFFFFFF | uint64(uint32(r.topValue(t, true).Int()))<<32
	case "DinoID2":
		dr.d.DinoID = dr.d.DinoID&^0xFFFFFFFF | uint64(uint32(r.topValue(t, true).Int()))
	case "bIsFemale":
		if r.topValue(t, true).Bool() {
			dr.d.Sex = Female
		}
	case "MyCharacterStatusComponent":
		dr.status = r.topValue(t, true).GUID
	case "SavedBaseWorldLocation":
		if x, y, z, ok := r.topValue(t, true).Vector(); ok {
			*fb, *hasFB = [3]float64{x, y, z}, true
		}
	case "TamedAtTime":
		dr.d.TamedAtGame = r.topValue(t, true).Float()
	}
}

func (d *decoder) pawnProp(r *reader, t *tag, pr *pawnRow, fb *[3]float64, hasFB *bool) {
	switch t.name {
	case "PlayerName":
		pr.charName = r.topValue(t, true).Str
	case "PlatformProfileName":
		pr.platform = r.topValue(t, true).Str
	case "PlatformProfileID":
		pr.eos = r.topValue(t, true).NetID()
	case "MyCharacterStatusComponent":
		pr.status = r.topValue(t, true).GUID
	case "LinkedPlayerDataID":
		pr.dataID = uint64(r.topValue(t, true).Int())
	case "TargetingTeam":
		pr.tribeID = r.topValue(t, true).Int()
	case "TribeName":
		pr.tribe = r.topValue(t, true).Str
	case "SavedBaseWorldLocation":
		if x, y, z, ok := r.topValue(t, true).Vector(); ok {
			*fb, *hasFB = [3]float64{x, y, z}, true
		}
	}
}

// structProp reads one structure property; it reports TargetingTeam (owned).
func (d *decoder) structProp(r *reader, t *tag, s *structRow, owner *string) bool {
	switch t.name {
	case "TargetingTeam":
		s.tribeID = r.topValue(t, true).Int()
		return true
	case "OwnerName":
		*owner = r.topValue(t, true).Str
	case "OwningPlayerName":
		if v := r.topValue(t, true).Str; *owner == "" {
			*owner = v
		}
	case "OwningPlayerID":
		s.owningPlayerID = r.topValue(t, true).Int()
	case "Health":
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
	return false
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

// archives loads the embedded store and the optional standalone files.
func (d *decoder) archives(ctx context.Context, src Source, st *Stats) ([]*Player, []*Tribe, error) {
	var profiles []*Player
	var tribes []*Tribe
	gb, err := src.Custom(ctx, "GameModeCustomBytes")
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, nil, fmt.Errorf("arksave: game mode: %w", err)
	}
	if err == nil {
		store, err := ReadStore(gb)
		if err != nil {
			st.noteFailure("GameModeCustomBytes")
		} else {
			for _, b := range store.Profiles {
				if p, err := DecodeProfile(b); err == nil {
					profiles = append(profiles, p)
				} else {
					st.noteFailure("store profile")
				}
			}
			for _, b := range store.Tribes {
				if t, err := DecodeTribe(b); err == nil {
					tribes = append(tribes, t)
				} else {
					st.noteFailure("store tribe")
				}
			}
		}
	}
	for _, b := range d.opts.Profiles {
		if p, err := DecodeProfile(b); err == nil {
			profiles = append(profiles, p)
		} else {
			st.noteFailure(".arkprofile")
		}
	}
	for _, b := range d.opts.Tribes {
		if t, err := DecodeTribe(b); err == nil {
			tribes = append(tribes, t)
		} else {
			st.noteFailure(".arktribe")
		}
	}
	if d.opts.Archives != nil {
		ents, err := fs.ReadDir(d.opts.Archives, ".")
		if err != nil {
			return nil, nil, fmt.Errorf("arksave: archives: %w", err)
		}
		for _, e := range ents {
			if err := ctx.Err(); err != nil {
				return nil, nil, fmt.Errorf("arksave: archives: %w", err)
			}
			name := e.Name()
			isP, isT := strings.HasSuffix(name, ".arkprofile"), strings.HasSuffix(name, ".arktribe")
			if e.IsDir() || (!isP && !isT) {
				continue
			}
			b, err := readFileCapped(d.opts.Archives, name)
			if err != nil {
				st.noteFailure(path.Ext(name))
				continue
			}
			if isP {
				if p, err := DecodeProfile(b); err == nil {
					profiles = append(profiles, p)
				} else {
					st.noteFailure(".arkprofile")
				}
			} else {
				if t, err := DecodeTribe(b); err == nil {
					tribes = append(tribes, t)
				} else {
					st.noteFailure(".arktribe")
				}
			}
		}
	}
	return profiles, tribes, nil
}

func readFileCapped(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAllCapped(f)
}

func (st *Stats) noteFailure(class string) {
	st.Failed++
	if st.FailedByClass == nil {
		st.FailedByClass = map[string]int{}
	}
	st.FailedByClass[class]++
}

// pawnLoc is the pawn that decides a player's location: the player's last
// pawn, located by ActorTransforms after the merge.
type pawnLoc struct {
	key GUID
	i   int // index in Save.Players
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
