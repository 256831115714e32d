// Package btree is a minimal read-only reader of SQLite 3 table b-trees for
// ASA world saves (used by storage/savefile). It lives in its own package so
// its fuzz target is not slowed down by coverage counters of the SQLite
// driver.
package btree

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/blissark/bliss/arksave"
)

// A minimal read-only reader of SQLite 3 table b-trees: exactly what an ASA
// save needs (a full rowid-order scan of table game, key lookups in table
// custom). It reads pages with ReadAt (safe for concurrent calls), returns
// local payloads without copying and reassembles overflow chains into one
// reusable buffer. Every offset, count and page number is checked; each
// call visits every page at most once (a bitmap), so corrupt files give an
// error, never a panic, a loop or an allocation beyond the file size.
//
// File format: https://www.sqlite.org/fileformat2.html (100-byte header,
// table b-tree interior 0x05 / leaf 0x0D pages, varints, records, overflow
// chains).

// ErrUnsupported marks files the native reader declines (Open then falls
// back to the SQLite driver); anything else is corruption.
var ErrUnsupported = errors.New("unsupported database")

// Errors that classify bad files for people (wrapped with details):
// ErrNotSQLite for files that are not SQLite databases at all, ErrTruncated
// for files shorter than their header says, ErrCorrupt for everything else
// that does not hold together (page size, page numbers, cells, cycles).
var (
	ErrNotSQLite = errors.New("not an ARK save (not a SQLite database)")
	ErrTruncated = errors.New("the file is truncated or not a complete save")
	ErrCorrupt   = errors.New("the save is corrupt")
)

// Tree is an open database. Its methods are safe for concurrent use.
type Tree struct {
	ra       io.ReaderAt
	size     int64
	pageSize int
	usable   int
	npages   uint32
	game     uint32 // root pages
	custom   uint32
}

// Open reads the header and schema of the database in ra (size bytes). It
// fails with ErrUnsupported for files that are not plain ASA saves.
func Open(ra io.ReaderAt, size int64) (*Tree, error) {
	var h [100]byte
	if size < 16 {
		return nil, fmt.Errorf("%w: %d bytes", ErrNotSQLite, size)
	}
	if _, err := ra.ReadAt(h[:16], 0); err != nil {
		return nil, err
	}
	if string(h[:16]) != "SQLite format 3\x00" {
		return nil, ErrNotSQLite
	}
	if size < 100 {
		return nil, fmt.Errorf("%w: %d bytes", ErrTruncated, size)
	}
	if _, err := ra.ReadAt(h[:], 0); err != nil {
		return nil, err
	}
	ps := int(binary.BigEndian.Uint16(h[16:]))
	if ps == 1 {
		ps = 65536
	}
	if ps < 512 || ps > 65536 || ps&(ps-1) != 0 {
		return nil, fmt.Errorf("%w: page size %d in the header", ErrCorrupt, ps)
	}
	n, err := pageCount(h[:], ps, size)
	if err != nil {
		return nil, err
	}
	// WAL mode (bytes 18/19 == 2) needs nothing: SQLite opened immutable
	// ignores a -wal file as well, both read the main file only.
	usable := ps - int(h[20])
	if usable < 480 {
		return nil, fmt.Errorf("%w: usable page size %d", ErrUnsupported, usable)
	}
	if enc := binary.BigEndian.Uint32(h[56:]); enc != 0 && enc != 1 {
		return nil, fmt.Errorf("%w: text encoding %d", ErrUnsupported, enc)
	}
	t := &Tree{ra: ra, size: size, pageSize: ps, usable: usable, npages: uint32(n)}
	if err := t.schema(); err != nil {
		return nil, err
	}
	return t, nil
}

// pageCount returns the number of pages of the database. When the header's
// page count is valid (its version-valid-for number equals the change
// counter, as every SQLite since 3.7.0 writes), the file must hold that many
// pages of the header's page size: fewer bytes mean a truncated file, unless
// the bytes fit that count at another page size (the header's page size is
// wrong: corrupt). Without a valid count the file size decides.
func pageCount(h []byte, ps int, size int64) (uint32, error) {
	hdrPages := int64(binary.BigEndian.Uint32(h[28:]))
	valid := hdrPages > 0 && binary.BigEndian.Uint32(h[92:]) == binary.BigEndian.Uint32(h[24:])
	if !valid {
		n := size / int64(ps)
		if size%int64(ps) != 0 {
			return 0, fmt.Errorf("%w: %d bytes is not a whole number of %d-byte pages", ErrTruncated, size, ps)
		}
		return uint32(min(n, 1<<31)), nil
	}
	if hdrPages > 1<<31 {
		return 0, fmt.Errorf("%w: %d pages in the header", ErrCorrupt, hdrPages)
	}
	if want := hdrPages * int64(ps); size != want {
		for p := int64(512); p <= 65536; p *= 2 {
			if p != int64(ps) && hdrPages*p == size {
				return 0, fmt.Errorf("%w: the header says %d-byte pages, the file holds %d pages of %d bytes", ErrCorrupt, ps, hdrPages, p)
			}
		}
		if size < want {
			return 0, fmt.Errorf("%w: %d of %d bytes", ErrTruncated, size, want)
		}
	}
	return uint32(hdrPages), nil
}

// schema finds the root pages of game and custom in sqlite_master and checks
// that they are the plain rowid tables ASA writes.
func (t *Tree) schema() error {
	want := map[string]string{
		"game":   "CREATE TABLE game (key BLOB primary key not null, value blob not null)",
		"custom": "CREATE TABLE custom (key VARCHAR(64) primary key not null, value blob not null)",
	}
	c := t.newCursor()
	err := c.scan(context.Background(), 1, func(p *payload) error {
		cols, err := p.columns(5)
		if err != nil {
			return err
		}
		if len(cols) < 5 || string(cols[0].v) != "table" {
			return nil
		}
		name := string(cols[1].v)
		sql, ok := want[name]
		if !ok {
			return nil
		}
		if !strings.EqualFold(strings.Join(strings.Fields(string(cols[4].v)), " "), sql) {
			return fmt.Errorf("%w: table %s: unexpected schema %q", ErrUnsupported, name, cols[4].v)
		}
		root, ok := cols[3].int()
		if !ok || root < 2 || root > int64(t.npages) {
			return fmt.Errorf("%w: table %s: bad root page", ErrCorrupt, name)
		}
		if name == "game" {
			t.game = uint32(root)
		} else {
			t.custom = uint32(root)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if t.game == 0 || t.custom == 0 {
		return fmt.Errorf("%w: not an ASA save (missing game/custom tables)", ErrCorrupt)
	}
	return nil
}

// cursor is the per-call state: page buffers, the visited bitmap and the
// overflow reassembly buffer.
type cursor struct {
	t       *Tree
	seen    []uint64
	pages   [][]byte // one buffer per tree depth
	ovf     []byte   // overflow page buffer
	payload []byte   // reassembled payload
	cur     payload  // the cell being visited (reused: no allocation per row)
}

func (t *Tree) newCursor() *cursor {
	return &cursor{t: t, seen: make([]uint64, (t.npages+64)/64), ovf: make([]byte, t.pageSize)}
}

// visit marks pgno as read; it fails on an out-of-range or repeated page
// (a cycle or a page shared by two chains).
func (c *cursor) visit(pgno uint32) error {
	if pgno < 1 || pgno > c.t.npages {
		return fmt.Errorf("%w: page %d out of range (1..%d)", ErrCorrupt, pgno, c.t.npages)
	}
	w, b := pgno/64, uint64(1)<<(pgno%64)
	if c.seen[w]&b != 0 {
		return fmt.Errorf("%w: page %d referenced twice (cycle)", ErrCorrupt, pgno)
	}
	c.seen[w] |= b
	return nil
}

func (c *cursor) read(buf []byte, pgno uint32) error {
	if err := c.visit(pgno); err != nil {
		return err
	}
	_, err := c.t.ra.ReadAt(buf, int64(pgno-1)*int64(c.t.pageSize))
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: page %d: %w", ErrTruncated, pgno, err)
	}
	if err != nil {
		return fmt.Errorf("page %d: %w", pgno, err)
	}
	return nil
}

// payload is one leaf cell's record, with its local part and the overflow
// chain still unread.
type payload struct {
	c     *cursor
	rowid int64
	size  int    // total payload bytes
	local []byte // bytes stored on the leaf page
	first uint32 // first overflow page, 0 if none
	full  []byte // whole payload once loaded
}

const maxDepth = 40 // a table b-tree of 2^31 pages is far shallower

// scan walks the table b-tree rooted at root in rowid order.
func (c *cursor) scan(ctx context.Context, root uint32, fn func(*payload) error) error {
	return c.walk(ctx, root, 0, fn)
}

func (c *cursor) walk(ctx context.Context, pgno uint32, depth int, fn func(*payload) error) error {
	if depth >= maxDepth {
		return corruptf("page %d: b-tree deeper than %d", pgno, maxDepth)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for len(c.pages) <= depth {
		c.pages = append(c.pages, make([]byte, c.t.pageSize))
	}
	pg := c.pages[depth]
	if err := c.read(pg, pgno); err != nil {
		return err
	}
	hdr := 0
	if pgno == 1 {
		hdr = 100
	}
	if len(pg) < hdr+12 {
		return corruptf("page %d: too small", pgno)
	}
	typ := pg[hdr]
	ncell := int(binary.BigEndian.Uint16(pg[hdr+3:]))
	var ptrs int
	switch typ {
	case 0x05:
		ptrs = hdr + 12
	case 0x0D:
		ptrs = hdr + 8
	default:
		return corruptf("page %d: type 0x%02x is not a table b-tree page", pgno, typ)
	}
	if ptrs+2*ncell > c.t.usable {
		return corruptf("page %d: %d cells overflow the page", pgno, ncell)
	}
	usable := pg[:c.t.usable]
	for i := range ncell {
		off := int(binary.BigEndian.Uint16(pg[ptrs+2*i:]))
		if off < ptrs+2*ncell || off >= len(usable) {
			return corruptf("page %d: cell %d offset %d out of range", pgno, i, off)
		}
		cell := usable[off:]
		if typ == 0x05 {
			if len(cell) < 4 {
				return corruptf("page %d: truncated interior cell", pgno)
			}
			if err := c.walk(ctx, binary.BigEndian.Uint32(cell), depth+1, fn); err != nil {
				return err
			}
			continue
		}
		if err := c.leafCell(cell, &c.cur); err != nil {
			return fmt.Errorf("page %d cell %d: %w", pgno, i, err)
		}
		if err := fn(&c.cur); err != nil {
			return err
		}
	}
	if typ == 0x05 {
		return c.walk(ctx, binary.BigEndian.Uint32(pg[hdr+8:]), depth+1, fn)
	}
	return nil
}

func (c *cursor) leafCell(cell []byte, p *payload) error {
	size, n := varint(cell)
	if n == 0 || size > uint64(c.t.size) {
		return corruptf("bad payload size")
	}
	cell = cell[n:]
	rowid, n := varint(cell)
	if n == 0 {
		return corruptf("bad rowid")
	}
	cell = cell[n:]
	*p = payload{c: c, rowid: int64(rowid), size: int(size)}
	u := c.t.usable
	x := u - 35
	local := p.size
	if p.size > x {
		m := (u-12)*32/255 - 23
		k := m + (p.size-m)%(u-4)
		local = m
		if k <= x {
			local = k
		}
	}
	if local > len(cell) {
		return corruptf("payload overflows the page")
	}
	p.local = cell[:local]
	if local < p.size {
		if len(cell) < local+4 {
			return corruptf("missing overflow pointer")
		}
		p.first = binary.BigEndian.Uint32(cell[local:])
	}
	return nil
}

// stream feeds the payload bytes from offset skip on, in page-sized pieces.
func (p *payload) stream(skip int, fn func([]byte) error) error {
	if p.full != nil {
		return fn(p.full[min(skip, len(p.full)):])
	}
	c := p.c
	left := p.size
	emit := func(b []byte) error {
		if skip >= len(b) {
			skip -= len(b)
			return nil
		}
		b, skip = b[skip:], 0
		return fn(b)
	}
	if err := emit(p.local); err != nil {
		return err
	}
	left -= len(p.local)
	for next := p.first; left > 0; {
		if next == 0 {
			return corruptf("overflow chain ends early")
		}
		if err := c.read(c.ovf, next); err != nil {
			return fmt.Errorf("overflow: %w", err)
		}
		next = binary.BigEndian.Uint32(c.ovf)
		n := min(left, c.t.usable-4)
		if err := emit(c.ovf[4 : 4+n]); err != nil {
			return err
		}
		left -= n
	}
	return nil
}

// load returns the whole payload (the local slice when it has no overflow;
// else the cursor's reassembly buffer). Valid until the next load.
func (p *payload) load() ([]byte, error) {
	if p.full != nil {
		return p.full, nil
	}
	if p.first == 0 {
		p.full = p.local
		return p.full, nil
	}
	buf := p.c.payload[:0]
	err := p.stream(0, func(b []byte) error {
		buf = append(buf, b...)
		return nil
	})
	if cap(buf) <= 16<<20 {
		p.c.payload = buf[:0]
	} else {
		p.c.payload = nil // do not pin a huge buffer
	}
	if err != nil {
		return nil, err
	}
	p.full = buf
	return buf, nil
}

// column is one value of a record: v holds blob/text bytes, or the integer
// in n.
type column struct {
	typ uint64 // serial type
	v   []byte
	off int // offset of v in the payload
	n   int64
}

func (c column) int() (int64, bool) {
	return c.n, c.typ >= 1 && c.typ <= 9 && c.typ != 7
}

// header parses the record header (which must lie in the local part, as
// SQLite always keeps it there for these tables) and returns the serial
// types and the body offset.
func (p *payload) header(maxCols int) ([]uint64, int, error) {
	b := p.local
	hs, n := varint(b)
	if n == 0 || hs > uint64(len(b)) || int(hs) < n {
		return nil, 0, corruptf("bad record header")
	}
	var types []uint64
	for off := n; off < int(hs); {
		st, m := varint(b[off:hs])
		if m == 0 {
			return nil, 0, corruptf("bad serial type")
		}
		if st == 10 || st == 11 {
			return nil, 0, corruptf("reserved serial type")
		}
		off += m
		if len(types) == maxCols {
			return nil, 0, corruptf("too many columns")
		}
		types = append(types, st)
	}
	return types, int(hs), nil
}

func serialLen(st uint64) int {
	switch {
	case st <= 4:
		return int(st)
	case st == 5:
		return 6
	case st == 6 || st == 7:
		return 8
	case st < 12:
		return 0
	}
	return int((st - 12) / 2)
}

// columns decodes up to maxCols columns of a payload, loading overflow
// pages if needed (used for small records: the schema and custom keys).
func (p *payload) columns(maxCols int) ([]column, error) {
	types, off, err := p.header(maxCols)
	if err != nil {
		return nil, err
	}
	body, err := p.load()
	if err != nil {
		return nil, err
	}
	cols := make([]column, len(types))
	for i, st := range types {
		l := serialLen(st)
		if l > len(body)-off || off > len(body) {
			return nil, corruptf("record body truncated")
		}
		col := column{typ: st, v: body[off : off+l], off: off}
		switch {
		case st >= 1 && st <= 6:
			var x int64
			for _, c := range col.v {
				x = x<<8 | int64(c)
			}
			shift := 64 - 8*uint(l)
			col.n = x << shift >> shift // sign-extend
		case st == 8:
			col.n = 0
		case st == 9:
			col.n = 1
		}
		cols[i] = col
		off += l
	}
	return cols, nil
}

// keyValue splits a two-column (blob/text key, blob value) record without
// loading the value: it returns the key bytes (from the local part) and the
// value's offset and length in the payload.
func (p *payload) keyValue() (key []byte, voff, vlen int, err error) {
	b := p.local
	hs, n := varint(b)
	if n == 0 || hs > uint64(len(b)) || int(hs) < n {
		return nil, 0, 0, corruptf("bad record header")
	}
	kt, m := varint(b[n:hs])
	if m == 0 {
		return nil, 0, 0, corruptf("bad serial type")
	}
	vt, m2 := varint(b[n+m : hs])
	if m2 == 0 || n+m+m2 != int(hs) || kt < 12 || vt < 12 || vt%2 != 0 {
		return nil, 0, 0, corruptf("record is not (key, blob value)")
	}
	off := int(hs)
	kl := serialLen(kt)
	vl := serialLen(vt)
	if kl > len(p.local)-off {
		return nil, 0, 0, corruptf("key not in the local payload")
	}
	key = p.local[off : off+kl]
	voff = off + kl
	if vl != p.size-voff {
		return nil, 0, 0, corruptf("record size mismatch")
	}
	return key, voff, vl, nil
}

// varint decodes an SQLite varint; n == 0 on truncation.
func varint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < 8; i++ {
		if i >= len(b) {
			return 0, 0
		}
		v = v<<7 | uint64(b[i]&0x7f)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	if len(b) < 9 {
		return 0, 0
	}
	return v<<8 | uint64(b[8]), 9
}

// ScanGame streams (key, value) of every game row in rowid order (the order
// of SELECT key, value FROM game); value is valid only during fn.
func (t *Tree) ScanGame(ctx context.Context, fn func(key arksave.GUID, value []byte) error) error {
	c := t.newCursor()
	var n int
	return c.scan(ctx, t.game, func(p *payload) error {
		if n++; n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		key, voff, _, err := p.keyValue()
		if err != nil {
			return fmt.Errorf("game row %d: %w", p.rowid, err)
		}
		var g arksave.GUID
		if len(key) != len(g) {
			return fmt.Errorf("game row %d: key of %d bytes", p.rowid, len(key))
		}
		copy(g[:], key)
		b, err := p.load()
		if err != nil {
			return fmt.Errorf("game row %d: %w", p.rowid, err)
		}
		return fn(g, b[voff:])
	})
}

var errStop = errors.New("stop")

// StreamCustom feeds the value of custom row key in pieces (valid only
// during fn); found reports whether the key exists.
func (t *Tree) StreamCustom(ctx context.Context, key string, fn func([]byte) error) (found bool, err error) {
	return t.streamCustom(ctx, key, nil, fn)
}

// Custom returns a copy of the value of custom row key (allocated once at
// its size, which is bounded by the file size); found reports whether the
// key exists.
func (t *Tree) Custom(ctx context.Context, key string) (v []byte, found bool, err error) {
	found, err = t.streamCustom(ctx, key, func(n int) { v = make([]byte, 0, n) }, func(p []byte) error {
		v = append(v, p...)
		return nil
	})
	return v, found, err
}

func (t *Tree) streamCustom(ctx context.Context, key string, size func(int), fn func([]byte) error) (found bool, err error) {
	c := t.newCursor()
	var fnErr error
	err = c.scan(ctx, t.custom, func(p *payload) error {
		k, voff, vlen, err := p.keyValue()
		if err != nil {
			return fmt.Errorf("custom row %d: %w", p.rowid, err)
		}
		if !bytes.Equal(k, []byte(key)) {
			return nil
		}
		found = true
		if size != nil {
			size(vlen)
		}
		if err := p.stream(voff, fn); err != nil {
			fnErr = err
			return errStop
		}
		return errStop
	})
	if errors.Is(err, errStop) {
		err = fnErr
	}
	return found, err
}

// corruptf formats a structural error that wraps ErrCorrupt.
func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}
