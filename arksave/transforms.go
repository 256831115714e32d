package arksave

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"sync"
	"sync/atomic"
)

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
			if x == 0 && y == 0 && z == 0 {
				continue // no real position (see applyPawn)
			}
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
