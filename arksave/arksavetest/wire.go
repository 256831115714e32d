package arksavetest

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"unicode/utf16"
	"unicode/utf8"
)

// nameTable assigns hashed-looking uint32 keys to names, as ASA does. Keys are
// FNV-1a hashes of the name, nudged on collision, so the same name gets the
// same key in every file this package writes.
type nameTable struct {
	keys  map[string]uint32
	used  map[uint32]bool
	order []string
}

func newNameTable() *nameTable {
	return &nameTable{keys: map[string]uint32{}, used: map[uint32]bool{}}
}

func (t *nameTable) key(s string) uint32 {
	if k, ok := t.keys[s]; ok {
		return k
	}
	h := fnv.New32a()
	h.Write([]byte(s))
	k := h.Sum32()
	for k == 0 || t.used[k] {
		k = k*2654435761 + 1
	}
	t.keys[s] = k
	t.used[k] = true
	t.order = append(t.order, s)
	return k
}

// enc is an append-only little-endian byte builder.
type enc struct{ b []byte }

func (e *enc) u8(v uint8)   { e.b = append(e.b, v) }
func (e *enc) i16(v int16)  { e.b = binary.LittleEndian.AppendUint16(e.b, uint16(v)) }
func (e *enc) u16(v uint16) { e.b = binary.LittleEndian.AppendUint16(e.b, v) }
func (e *enc) i32(v int32)  { e.b = binary.LittleEndian.AppendUint32(e.b, uint32(v)) }
func (e *enc) u32(v uint32) { e.b = binary.LittleEndian.AppendUint32(e.b, v) }
func (e *enc) u64(v uint64) { e.b = binary.LittleEndian.AppendUint64(e.b, v) }
func (e *enc) f32(v float32) {
	e.b = binary.LittleEndian.AppendUint32(e.b, math.Float32bits(v))
}
func (e *enc) f64(v float64) {
	e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v))
}
func (e *enc) raw(p []byte) { e.b = append(e.b, p...) }
func (e *enc) patch32(at int, v int32) {
	binary.LittleEndian.PutUint32(e.b[at:], uint32(v))
}

// fstring writes an Unreal FString: "" as length 0, ASCII as UTF-8 with a
// NUL, anything else as UTF-16LE with a negative length.
func (e *enc) fstring(s string) {
	if s == "" {
		e.i32(0)
		return
	}
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		e.i32(int32(len(s) + 1))
		e.b = append(e.b, s...)
		e.u8(0)
		return
	}
	units := utf16.Encode([]rune(s))
	e.i32(-int32(len(units) + 1))
	for _, u := range units {
		e.u16(u)
	}
	e.u16(0)
}

// ptype is an FPropertyTypeName node (UE 5.5 tags).
type ptype struct {
	name   string
	params []ptype
}

func pt(name string, params ...ptype) ptype { return ptype{name: name, params: params} }

func structType(name, pkg string) ptype { return pt("StructProperty", pt(name, pt(pkg))) }

var (
	tInt    = pt("IntProperty")
	tUInt16 = pt("UInt16Property")
	tUInt32 = pt("UInt32Property")
	tUInt64 = pt("UInt64Property")
	tFloat  = pt("FloatProperty")
	tDouble = pt("DoubleProperty")
	tStr    = pt("StrProperty")
	tBool   = pt("BoolProperty")
	tByte   = pt("ByteProperty")
	tName   = pt("NameProperty")
	tObject = pt("ObjectProperty")

	tVector      = structType("Vector", "/Script/CoreUObject")
	tQuat        = structType("Quat", "/Script/CoreUObject")
	tLinearColor = structType("LinearColor", "/Script/CoreUObject")
	tNetID       = structType("UniqueNetIdRepl", "/Script/Engine")
	tItemNetID   = structType("ItemNetID", "/Script/ShooterGame")
)

// props writes a v14 property list. In world mode names are FNames through
// the name table; in archive mode (v7 .arkprofile/.arktribe) every name is an
// FString and object references are archive indices.
type props struct {
	e     *enc
	names *nameTable // nil in archive mode
}

func (p *props) name(s string) {
	if p.names == nil {
		p.e.fstring(s)
		return
	}
	p.e.u32(p.names.key(s))
	p.e.i32(0)
}

func (p *props) typ(t ptype) {
	p.name(t.name)
	p.e.i32(int32(len(t.params)))
	for _, c := range t.params {
		p.typ(c)
	}
}

// tag writes a property tag and returns a function that, called after the
// value was appended, patches the tag's Size.
func (p *props) tag(name string, t ptype, flags byte, idx int) func() {
	p.name(name)
	p.typ(t)
	sizeAt := len(p.e.b)
	p.e.i32(0)
	if idx != 0 {
		flags |= 0x01
	}
	p.e.u8(flags)
	if flags&0x01 != 0 {
		p.e.i32(int32(idx))
	}
	start := len(p.e.b)
	return func() { p.e.patch32(sizeAt, int32(len(p.e.b)-start)) }
}

func (p *props) end() { p.name("None") }

func (p *props) intAt(name string, idx int, v int32) {
	done := p.tag(name, tInt, 0, idx)
	p.e.i32(v)
	done()
}
func (p *props) int(name string, v int32) { p.intAt(name, 0, v) }
func (p *props) u16(name string, v uint16) {
	done := p.tag(name, tUInt16, 0, 0)
	p.e.u16(v)
	done()
}
func (p *props) u32(name string, v uint32) {
	done := p.tag(name, tUInt32, 0, 0)
	p.e.u32(v)
	done()
}
func (p *props) u64(name string, v uint64) {
	done := p.tag(name, tUInt64, 0, 0)
	p.e.u64(v)
	done()
}
func (p *props) floatAt(name string, idx int, v float32) {
	done := p.tag(name, tFloat, 0, idx)
	p.e.f32(v)
	done()
}
func (p *props) float(name string, v float32) { p.floatAt(name, 0, v) }
func (p *props) double(name string, v float64) {
	done := p.tag(name, tDouble, 0, 0)
	p.e.f64(v)
	done()
}
func (p *props) str(name, v string) {
	done := p.tag(name, tStr, 0, 0)
	p.e.fstring(v)
	done()
}
func (p *props) boolean(name string, v bool) {
	var f byte
	if v {
		f = 0x10
	}
	p.tag(name, tBool, f, 0)()
}
func (p *props) byteAt(name string, idx int, v uint8) {
	done := p.tag(name, tByte, 0, idx)
	p.e.u8(v)
	done()
}
func (p *props) nameProp(name, v string) {
	done := p.tag(name, tName, 0, 0)
	p.name(v)
	done()
}
func (p *props) vector(name string, x, y, z float64) {
	done := p.tag(name, tVector, 0x08, 0)
	p.e.f64(x)
	p.e.f64(y)
	p.e.f64(z)
	done()
}
func (p *props) quat(name string, x, y, z, w float64) {
	done := p.tag(name, tQuat, 0x08, 0)
	p.e.f64(x)
	p.e.f64(y)
	p.e.f64(z)
	p.e.f64(w)
	done()
}
func (p *props) linearColor(name string, idx int, r, g, b, a float32) {
	done := p.tag(name, tLinearColor, 0x08, idx)
	p.e.f32(r)
	p.e.f32(g)
	p.e.f32(b)
	p.e.f32(a)
	done()
}

// netID writes a UniqueNetIdRepl holding a 16-byte EOS id.
func (p *props) netID(name string, id [16]byte) {
	done := p.tag(name, tNetID, 0x08, 0)
	p.e.u8(0xF9)
	p.e.fstring("RedpointEOS")
	p.e.u8(16)
	p.e.raw(id[:])
	done()
}

// object writes an ObjectProperty pointing at another row (world mode) or at
// an archive object index (archive mode).
func (p *props) object(name string, g [16]byte, archiveIndex int32) {
	done := p.tag(name, tObject, 0, 0)
	if p.names == nil {
		p.e.i32(0)
		p.e.i32(archiveIndex)
	} else {
		p.e.i16(0)
		p.e.raw(g[:])
	}
	done()
}

// objectPath writes an ObjectProperty holding a class/asset path.
func (p *props) objectPath(name, path string) {
	done := p.tag(name, tObject, 0, 0)
	if p.names == nil {
		p.e.i32(1)
		p.e.fstring(path)
	} else {
		p.e.i16(1)
		p.name(path)
	}
	done()
}

func (p *props) itemNetID(name string, a, b uint32) {
	p.structProps(name, tItemNetID, func() {
		p.u32("ItemID1", a)
		p.u32("ItemID2", b)
	})
}

// structProps writes a StructProperty whose body is a tagged property list.
func (p *props) structProps(name string, t ptype, body func()) {
	done := p.tag(name, t, 0, 0)
	body()
	p.end()
	done()
}

func (p *props) arrayStr(name string, vs []string) {
	done := p.tag(name, pt("ArrayProperty", tStr), 0, 0)
	p.e.i32(int32(len(vs)))
	for _, v := range vs {
		p.e.fstring(v)
	}
	done()
}

func (p *props) arrayU32(name string, vs []uint32) {
	done := p.tag(name, pt("ArrayProperty", tUInt32), 0, 0)
	p.e.i32(int32(len(vs)))
	for _, v := range vs {
		p.e.u32(v)
	}
	done()
}

func (p *props) arrayName(name string, vs []string) {
	done := p.tag(name, pt("ArrayProperty", tName), 0, 0)
	p.e.i32(int32(len(vs)))
	for _, v := range vs {
		p.name(v)
	}
	done()
}

func (p *props) arrayObject(name string, gs [][16]byte) {
	done := p.tag(name, pt("ArrayProperty", tObject), 0, 0)
	p.e.i32(int32(len(gs)))
	for _, g := range gs {
		if p.names == nil {
			p.e.i32(0)
			p.e.i32(0)
			continue
		}
		p.e.i16(0)
		p.e.raw(g[:])
	}
	done()
}

// arrayStruct writes an array of property-list structs (v14: no per-element
// tag; the struct type is in the type tree).
func (p *props) arrayStruct(name string, st ptype, n int, body func(i int)) {
	done := p.tag(name, pt("ArrayProperty", st), 0, 0)
	p.e.i32(int32(n))
	for i := 0; i < n; i++ {
		body(i)
		p.end()
	}
	done()
}

func (p *props) arrayBytes(name string, data []byte) {
	done := p.tag(name, pt("ArrayProperty", tByte), 0, 0)
	p.e.i32(int32(len(data)))
	p.e.raw(data)
	done()
}
