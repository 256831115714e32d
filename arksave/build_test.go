package arksave

import (
	"encoding/binary"
	"math"
	"unicode/utf16"
)

// bld builds hand-made save bytes for table tests.
type bld struct {
	b       []byte
	keys    map[string]uint32
	archive bool
}

func newBld() *bld { return &bld{keys: map[string]uint32{}} }

func (w *bld) names() map[uint32]string {
	m := map[uint32]string{}
	for s, k := range w.keys {
		m[k] = s
	}
	return m
}

func (w *bld) u8(v uint8)   { w.b = append(w.b, v) }
func (w *bld) u16(v uint16) { w.b = binary.LittleEndian.AppendUint16(w.b, v) }
func (w *bld) i32(v int32)  { w.b = binary.LittleEndian.AppendUint32(w.b, uint32(v)) }
func (w *bld) u32(v uint32) { w.b = binary.LittleEndian.AppendUint32(w.b, v) }
func (w *bld) u64(v uint64) { w.b = binary.LittleEndian.AppendUint64(w.b, v) }
func (w *bld) f32(v float32) {
	w.u32(math.Float32bits(v))
}
func (w *bld) f64(v float64) { w.u64(math.Float64bits(v)) }

func (w *bld) str(s string) {
	if s == "" {
		w.i32(0)
		return
	}
	w.i32(int32(len(s) + 1))
	w.b = append(w.b, s...)
	w.b = append(w.b, 0)
}

func (w *bld) wstr(s string) {
	u := utf16.Encode([]rune(s))
	w.i32(-int32(len(u) + 1))
	for _, c := range u {
		w.u16(c)
	}
	w.u16(0)
}

func (w *bld) name(s string) {
	if w.archive {
		w.str(s)
		return
	}
	k, ok := w.keys[s]
	if !ok {
		k = 0x1000 + uint32(len(w.keys))*7919
		w.keys[s] = k
	}
	w.u32(k)
	w.i32(0)
}

// ty is a type tree for v14 tags.
type ty struct {
	n string
	p []ty
}

func T(n string, p ...ty) ty { return ty{n, p} }

func (w *bld) typ(t ty) {
	w.name(t.n)
	w.i32(int32(len(t.p)))
	for _, c := range t.p {
		w.typ(c)
	}
}

// sized appends a placeholder int32, runs body and patches the byte count.
func (w *bld) sized(pre func(), body func()) {
	at := len(w.b)
	w.i32(0)
	if pre != nil {
		pre()
	}
	start := len(w.b)
	body()
	binary.LittleEndian.PutUint32(w.b[at:], uint32(len(w.b)-start))
}

// tag14 writes a UE5.5 tag and its value.
func (w *bld) tag14(name string, t ty, flags uint8, idx int32, body func()) {
	w.name(name)
	w.typ(t)
	w.sized(func() {
		w.u8(flags)
		if flags&1 != 0 {
			w.i32(idx)
		}
	}, body)
}

// tag13 writes a legacy tag; extra writes the type-specific header fields.
func (w *bld) tag13(name, typ string, extra func(), body func()) {
	w.name(name)
	w.name(typ)
	w.sized(func() {
		w.i32(0) // array index
		if extra != nil {
			extra()
		}
		w.u8(0) // HasPropertyGuid
	}, body)
}

func (w *bld) none() { w.name("None") }

// object wraps a property list writer in a game record.
func (w *bld) object(version int, class string, props func()) {
	w.name(class)
	w.i32(0)
	w.i32(1)
	w.str("Thing_C_1")
	w.i32(0)
	w.u8(8)
	if version >= 14 {
		w.u8(0)
	}
	props()
	w.none()
	w.i32(1)
	w.b = append(w.b, make([]byte, 16)...)
}
