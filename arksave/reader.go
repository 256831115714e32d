package arksave

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits that bound every allocation driven by counts read from the input.
const (
	maxStringBytes = 1 << 20 // longest FString accepted (bytes, UTF-8 or UTF-16)
	maxDepth       = 32      // nesting limit for structs/arrays/maps and type trees
	maxTypeParams  = 8       // FPropertyTypeName parameters per node
	maxTypeNodes   = 64      // nodes in one FPropertyTypeName tree
	// maxBuilt bounds the properties and container elements one reader
	// materialises (build=true). A Value is ~120 bytes, so a one-byte bool
	// element would otherwise cost 120× its input: a 2 MB row declaring an
	// array of 2M bools reached 1.4 GB of allocations. 1<<16 keeps one
	// reader under ~8 MiB of Values; the samples' largest list is far below.
	maxBuilt = 1 << 16
)

var (
	errShort     = errors.New("unexpected end of data")
	errBadString = errors.New("bad string")
	errTooDeep   = errors.New("nesting too deep")
	errTooMany   = errors.New("too many values")
	errBadType   = errors.New("bad property type")
	errBadCount  = errors.New("bad count")
)

// reader is a bounds-checked little-endian cursor with a sticky error: after
// the first failure every read returns zero values and err stays set.
type reader struct {
	b       []byte
	off     int
	err     error
	names   map[uint32]string // nil: names are FStrings (archives)
	tbl     *nameTable        // optional fast index of names
	archive bool              // archive encoding of object references
	legacy  bool              // pre-UE5.5 property tags (save v13, archive v5/v6)
	unknown int               // unresolved name keys seen
	types   []typeNode        // scratch stack for type trees
	depth   int
	built   int               // properties and elements materialised (≤ maxBuilt)
	intern  map[string]string // optional: one shared copy per distinct string
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.off = len(r.b)
}

// grow reserves n more built values; it fails the reader past maxBuilt.
func (r *reader) grow(n int) bool {
	if r.built += n; r.built > maxBuilt {
		r.fail(fmt.Errorf("%w: more than %d in one record", errTooMany, maxBuilt))
		return false
	}
	return true
}

func (r *reader) left() int { return len(r.b) - r.off }

func (r *reader) need(n int) bool {
	if r.err != nil {
		return false
	}
	if n < 0 || n > len(r.b)-r.off {
		r.fail(errShort)
		return false
	}
	return true
}

func (r *reader) bytes(n int) []byte {
	if !r.need(n) {
		return nil
	}
	p := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return p
}

func (r *reader) skip(n int) {
	if r.need(n) {
		r.off += n
	}
}

func (r *reader) u8() uint8 {
	if !r.need(1) {
		return 0
	}
	v := r.b[r.off]
	r.off++
	return v
}

func (r *reader) u16() uint16 {
	if !r.need(2) {
		return 0
	}
	v := binary.LittleEndian.Uint16(r.b[r.off:])
	r.off += 2
	return v
}

func (r *reader) u32() uint32 {
	if !r.need(4) {
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v
}

func (r *reader) i32() int32 { return int32(r.u32()) }

func (r *reader) u64() uint64 {
	if !r.need(8) {
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b[r.off:])
	r.off += 8
	return v
}

func (r *reader) f64() float64 { return math.Float64frombits(r.u64()) }
func (r *reader) f32() float32 { return math.Float32frombits(r.u32()) }

func (r *reader) guid() (g GUID) {
	if r.need(16) {
		copy(g[:], r.b[r.off:])
		r.off += 16
	}
	return g
}

// peekI32 returns the next int32 without consuming it.
func (r *reader) peekI32() (int32, bool) {
	if r.err != nil || r.left() < 4 {
		return 0, false
	}
	return int32(binary.LittleEndian.Uint32(r.b[r.off:])), true
}

// count reads an int32 element count and rejects counts that cannot fit in
// the remaining bytes given a minimum element size.
func (r *reader) count(minElem int) int {
	n := r.i32()
	if r.err != nil {
		return 0
	}
	if minElem < 1 {
		minElem = 1
	}
	if n < 0 || int(n) > r.left()/minElem {
		r.fail(fmt.Errorf("%w: %d", errBadCount, n))
		return 0
	}
	return int(n)
}

// strBytes reads an FString and returns its raw payload without the NUL
// terminator, plus whether it is UTF-16. The slice aliases the input.
func (r *reader) strBytes() ([]byte, bool) {
	l := r.i32()
	if r.err != nil || l == 0 {
		return nil, false
	}
	if l > 0 {
		if l > maxStringBytes || !r.need(int(l)) {
			r.fail(errBadString)
			return nil, false
		}
		p := r.b[r.off : r.off+int(l)]
		r.off += int(l)
		if p[len(p)-1] != 0 {
			r.fail(errBadString)
			return nil, false
		}
		return p[:len(p)-1], false
	}
	if l < -maxStringBytes/2 {
		r.fail(errBadString)
		return nil, false
	}
	n := int(-l) * 2
	if !r.need(n) {
		return nil, false
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	if p[n-1] != 0 || p[n-2] != 0 {
		r.fail(errBadString)
		return nil, false
	}
	return p[:n-2], true
}

// str reads an FString; a null string reads as "".
func (r *reader) str() string {
	p, wide := r.strBytes()
	if len(p) == 0 {
		return ""
	}
	if !wide {
		if !utf8.Valid(p) {
			return latin1(p)
		}
		if r.intern != nil {
			if s, ok := r.intern[string(p)]; ok {
				return s
			}
			s := string(p)
			r.intern[s] = s
			return s
		}
		return string(p)
	}
	u := make([]uint16, len(p)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(p[2*i:])
	}
	return string(utf16.Decode(u))
}

func latin1(p []byte) string {
	rs := make([]rune, len(p))
	for i, c := range p {
		rs[i] = rune(c)
	}
	return string(rs)
}

// skipStr skips an FString without allocating.
func (r *reader) skipStr() { r.strBytes() }

// nameRaw reads an FName: from the name table in world saves (key + number),
// as an FString in archives. Unknown keys become a placeholder and are counted.
func (r *reader) name() (string, int32) {
	if r.names == nil {
		return r.str(), 0
	}
	key := r.u32()
	num := r.i32()
	if r.err != nil {
		return "", 0
	}
	s, ok := r.lookup(key)
	if !ok {
		r.unknown++
		return unknownName(key), num
	}
	return s, num
}

func (r *reader) lookup(key uint32) (string, bool) {
	if r.tbl != nil {
		return r.tbl.get(key)
	}
	s, ok := r.names[key]
	return s, ok
}

func unknownName(key uint32) string { return fmt.Sprintf("UnknownName_%08X", key) }

// nameStr reads an FName and renders its number the UE way (Name_(n-1)).
func (r *reader) nameStr() string {
	s, n := r.name()
	if n != 0 {
		return fmt.Sprintf("%s_%d", s, n-1)
	}
	return s
}
