package arksave

import (
	"encoding/binary"
	"encoding/hex"
	"math"
)

// Kind is the kind of a decoded property value.
type Kind uint8

// Value kinds.
const (
	KindNone   Kind = iota
	KindBool        // Num: 0/1
	KindInt         // Num: int64 bits (Int8..Int64)
	KindUint        // Num: uint64 (Byte without enum, UInt16..UInt64)
	KindFloat       // Num: float64 bits (Float and Double)
	KindStr         // Str
	KindName        // Str (number rendered as Name_(n-1)); Enum values too
	KindObject      // GUID (RefType 0, world); Num = index (archives); Str = path (RefType 1)
	KindSoft        // Str: soft object path parts joined by ":"
	KindStruct      // Str = struct name; Raw = native bytes or Props = property list
	KindArray       // Elems
	KindSet         // Elems
	KindMap         // Elems: key0, value0, key1, value1, ...
	KindBytes       // Raw: byte array
	KindRaw         // Raw: undecoded value of an unknown type (top-level only)
)

// Property is one tagged property.
type Property struct {
	Name  string
	Type  string // top-level type name, e.g. "IntProperty"
	Index int32  // static array slot
	Value Value
}

// Value is a compact property value: scalars live in Num/Str/GUID, composites
// in Raw/Props/Elems. Raw slices are copies, never aliases of the input.
type Value struct {
	Kind  Kind
	Null  bool // null object reference / null string
	Num   uint64
	Str   string
	GUID  GUID
	Raw   []byte
	Props []Property
	Elems []Value
}

// Int returns integer, unsigned, bool or float values as int64.
func (v Value) Int() int64 {
	switch v.Kind {
	case KindFloat:
		return int64(math.Float64frombits(v.Num))
	default:
		return int64(v.Num)
	}
}

// Float returns numeric values as float64.
func (v Value) Float() float64 {
	switch v.Kind {
	case KindFloat:
		return math.Float64frombits(v.Num)
	case KindInt, KindBool:
		return float64(int64(v.Num))
	default:
		return float64(v.Num)
	}
}

// Bool reports a true bool (or non-zero number).
func (v Value) Bool() bool { return v.Num != 0 }

// Get returns the first property with the given name in a struct value.
func (v Value) Get(name string) (Value, bool) { return findProp(v.Props, name) }

// Vector decodes a native Vector/Rotator struct.
func (v Value) Vector() (x, y, z float64, ok bool) {
	if v.Kind != KindStruct || len(v.Raw) != 24 {
		return 0, 0, 0, false
	}
	f := func(i int) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(v.Raw[8*i:])) }
	return f(0), f(1), f(2), true
}

// NetID returns the hex id of a native UniqueNetIdRepl struct.
func (v Value) NetID() string {
	if v.Kind != KindStruct || v.Str != "UniqueNetIdRepl" {
		return ""
	}
	return netIDHex(v.Raw)
}

// netIDHex parses a UniqueNetIdRepl body (flags, FString backend, len, id).
func netIDHex(b []byte) string {
	r := reader{b: b}
	r.u8()
	r.skipStr()
	n := int(r.u8())
	id := r.bytes(n)
	if r.err != nil {
		return ""
	}
	return hex.EncodeToString(id)
}

func findProp(ps []Property, name string) (Value, bool) {
	for i := range ps {
		if ps[i].Name == name {
			return ps[i].Value, true
		}
	}
	return Value{}, false
}

// findDeep searches a property list and nested struct values depth-first.
func findDeep(ps []Property, name string, depth int) (Value, bool) {
	if v, ok := findProp(ps, name); ok {
		return v, true
	}
	if depth > maxDepth {
		return Value{}, false
	}
	for i := range ps {
		if ps[i].Value.Kind == KindStruct && len(ps[i].Value.Props) > 0 {
			if v, ok := findDeep(ps[i].Value.Props, name, depth+1); ok {
				return v, true
			}
		}
	}
	return Value{}, false
}

func floatBits(f float64) uint64 { return math.Float64bits(f) }
