package arksave

import (
	"errors"
	"fmt"
	"slices"
)

// typeNode is one node of a property type tree in preorder: a name and the
// number of parameter subtrees that follow it.
type typeNode struct {
	name string
	n    int32
}

// treeLen returns the length of the subtree rooted at typ[0].
func treeLen(typ []typeNode) int {
	if len(typ) == 0 {
		return 0
	}
	pending := int(typ[0].n)
	i := 1
	for pending > 0 && i < len(typ) {
		pending += int(typ[i].n) - 1
		i++
	}
	return i
}

// param returns the subtree of parameter k of typ[0], or nil.
func param(typ []typeNode, k int) []typeNode {
	if len(typ) == 0 || k >= int(typ[0].n) {
		return nil
	}
	rest := typ[1:]
	for ; k > 0; k-- {
		l := treeLen(rest)
		if l == 0 {
			return nil
		}
		rest = rest[l:]
	}
	l := treeLen(rest)
	return rest[:l]
}

func paramName(typ []typeNode, k int) string {
	p := param(typ, k)
	if len(p) == 0 {
		return ""
	}
	return p[0].name
}

// tag is a decoded property tag (v14 or legacy, normalised to a type tree).
type tag struct {
	name    string
	typ     []typeNode
	size    int
	index   int32
	flags   uint8
	boolVal bool
}

var (
	errExtensions = errors.New("property extensions not supported")
	errSize       = errors.New("property size mismatch")
	errValue      = errors.New("bad value")
)

// readTypeNode appends one FPropertyTypeName subtree to r.types.
func (r *reader) readTypeNode(depth int) {
	if depth > maxDepth || len(r.types) >= maxTypeNodes {
		r.fail(errBadType)
		return
	}
	name, _ := r.name()
	n := r.i32()
	if r.err != nil {
		return
	}
	if n < 0 || n > maxTypeParams {
		r.fail(errBadType)
		return
	}
	r.types = append(r.types, typeNode{name, n})
	for i := int32(0); i < n && r.err == nil; i++ {
		r.readTypeNode(depth + 1)
	}
}

// readTag reads the next tag; ok=false at the terminating None or on error.
// The tag's type tree lives in r.types above mark; callers truncate after use.
func (r *reader) readTag(t *tag) bool {
	name, _ := r.name()
	if r.err != nil || name == "None" {
		return false
	}
	*t = tag{name: name}
	mark := len(r.types)
	if r.legacy {
		r.readLegacyTag(t)
	} else {
		r.readTypeNode(0)
		t.size = int(r.i32())
		t.flags = r.u8()
		if t.flags&0x01 != 0 {
			t.index = r.i32()
		}
		if t.flags&0x02 != 0 {
			r.skip(16)
		}
		if t.flags&0x04 != 0 {
			r.fail(errExtensions)
		}
		t.boolVal = t.flags&0x10 != 0
	}
	t.typ = r.types[mark:]
	if r.err != nil {
		return false
	}
	if t.size < 0 || t.size > r.left() {
		r.fail(fmt.Errorf("%w: %s size %d", errSize, t.name, t.size))
		return false
	}
	return true
}

func (r *reader) readLegacyTag(t *tag) {
	typ, _ := r.name()
	t.size = int(r.i32())
	t.index = r.i32()
	switch typ {
	case "BoolProperty":
		r.types = append(r.types, typeNode{typ, 0})
		t.boolVal = r.u8() != 0
	case "ByteProperty", "EnumProperty":
		enum, _ := r.name()
		if enum != "None" && enum != "" {
			r.types = append(r.types, typeNode{typ, 1}, typeNode{enum, 0})
		} else {
			r.types = append(r.types, typeNode{typ, 0})
		}
	case "ArrayProperty", "SetProperty":
		inner, _ := r.name()
		r.types = append(r.types, typeNode{typ, 1}, typeNode{inner, 0})
	case "StructProperty":
		sn, _ := r.name()
		r.skip(16)
		r.types = append(r.types, typeNode{typ, 1}, typeNode{sn, 0})
	case "MapProperty":
		k, _ := r.name()
		v, _ := r.name()
		r.types = append(r.types, typeNode{typ, 2}, typeNode{k, 0}, typeNode{v, 0})
	default:
		r.types = append(r.types, typeNode{typ, 0})
	}
	if r.u8() != 0 {
		r.skip(16)
	}
}

// props decodes a property list up to and including its None terminator.
// With build=false it validates without materialising values.
func (r *reader) props(build bool) []Property {
	if r.depth++; r.depth > maxDepth {
		r.fail(errTooDeep)
	}
	defer func() { r.depth-- }()
	var out []Property
	var t tag
	for r.err == nil {
		mark := len(r.types)
		if !r.readTag(&t) {
			r.types = r.types[:mark]
			break
		}
		v := r.topValue(&t, build)
		if build && r.grow(1) {
			if len(out) == cap(out) { // double: append's 1.25× growth allocates 5× the final list
				out = slices.Grow(out, max(len(out), 8))
			}
			out = append(out, Property{Name: t.name, Type: t.typ[0].name, Index: t.index, Value: v})
		}
		r.types = r.types[:mark]
	}
	return out
}

// topValue decodes the value of a top-level tag, bounded by its Size.
func (r *reader) topValue(t *tag, build bool) Value {
	end := r.off + t.size
	full := r.b
	r.b = r.b[:end]
	v := r.value(t.typ, t, build)
	if r.err == nil && r.off != end {
		r.fail(fmt.Errorf("%w: %s (%s) read %d of %d", errSize, t.name, t.typ[0].name, t.size-(end-r.off), t.size))
	}
	r.b = full
	if r.err == nil {
		r.off = end
	}
	return v
}

// nativeSize gives the fixed size of native (binary) structs; -1 = variable
// (UniqueNetIdRepl), 0 = not native.
func nativeSize(name string) int {
	switch name {
	case "Vector", "Rotator":
		return 24
	case "Quat", "Vector4", "Plane":
		return 32
	case "Vector2D", "LinearColor", "Guid":
		return 16
	case "Color":
		return 4
	case "IntPoint", "DateTime", "Timespan":
		return 8
	case "IntVector":
		return 12
	case "UniqueNetIdRepl":
		return -1
	}
	return 0
}

// value decodes one value of type typ. t is non-nil for top-level values
// (bool payload and Size live in the tag); elements of containers pass nil.
func (r *reader) value(typ []typeNode, t *tag, build bool) (v Value) {
	if len(typ) == 0 {
		r.fail(errBadType)
		return
	}
	switch typ[0].name {
	case "BoolProperty":
		v.Kind = KindBool
		if t != nil {
			if t.boolVal {
				v.Num = 1
			}
		} else {
			v.Num = uint64(r.u8())
		}
	case "ByteProperty":
		if typ[0].n > 0 && !(t != nil && t.size == 1) {
			v.Kind = KindName
			v.Str = r.nameVal(build)
		} else {
			v.Kind = KindUint
			v.Num = uint64(r.u8())
		}
	case "EnumProperty":
		v.Kind = KindName
		v.Str = r.nameVal(build)
	case "Int8Property":
		v.Kind, v.Num = KindInt, uint64(int64(int8(r.u8())))
	case "Int16Property":
		v.Kind, v.Num = KindInt, uint64(int64(int16(r.u16())))
	case "IntProperty":
		v.Kind, v.Num = KindInt, uint64(int64(r.i32()))
	case "Int64Property":
		v.Kind, v.Num = KindInt, r.u64()
	case "UInt16Property":
		v.Kind, v.Num = KindUint, uint64(r.u16())
	case "UInt32Property":
		v.Kind, v.Num = KindUint, uint64(r.u32())
	case "UInt64Property":
		v.Kind, v.Num = KindUint, r.u64()
	case "FloatProperty":
		v.Kind = KindFloat
		v.Num = floatBits(float64(r.f32()))
	case "DoubleProperty":
		v.Kind = KindFloat
		v.Num = floatBits(r.f64())
	case "StrProperty":
		v.Kind = KindStr
		if build {
			v.Str = r.str()
		} else {
			r.skipStr()
		}
	case "NameProperty":
		v.Kind = KindName
		v.Str = r.nameVal(build)
	case "ObjectProperty", "ClassProperty", "WeakObjectProperty", "LazyObjectProperty", "InterfaceProperty":
		r.objectRef(&v, build)
	case "SoftObjectProperty", "SoftClassProperty":
		v.Kind = KindSoft
		for i := 0; r.err == nil; i++ {
			if n, ok := r.peekI32(); !ok || n == 0 {
				r.skip(4)
				break
			}
			if i > 16 {
				r.fail(errValue)
				break
			}
			s := r.nameVal(build)
			if build {
				if v.Str != "" {
					v.Str += ":"
				}
				v.Str += s
			}
		}
	case "StructProperty":
		r.structBody(&v, paramName(typ, 0), build)
	case "ArrayProperty":
		r.array(&v, typ, t, build)
	case "SetProperty":
		v.Kind = KindSet
		inner := param(typ, 0)
		r.enter()
		removed := r.count(1)
		for i := 0; i < removed && r.err == nil; i++ {
			r.value(inner, nil, false)
		}
		n := r.count(1)
		if build && r.grow(n) {
			v.Elems = make([]Value, 0, n)
		}
		for i := 0; i < n && r.err == nil; i++ {
			e := r.value(inner, nil, build)
			if build {
				v.Elems = append(v.Elems, e)
			}
		}
		r.depth--
	case "MapProperty":
		v.Kind = KindMap
		kt, vt := param(typ, 0), param(typ, 1)
		r.enter()
		removed := r.count(1)
		for i := 0; i < removed && r.err == nil; i++ {
			r.value(kt, nil, false)
		}
		n := r.count(2)
		if build && r.grow(2*n) {
			v.Elems = make([]Value, 0, 2*n)
		}
		for i := 0; i < n && r.err == nil; i++ {
			k := r.value(kt, nil, build)
			e := r.value(vt, nil, build)
			if build {
				v.Elems = append(v.Elems, k, e)
			}
		}
		r.depth--
	default:
		if t == nil {
			r.fail(fmt.Errorf("%w: %s in container", errBadType, typ[0].name))
			return
		}
		v.Kind = KindRaw
		p := r.bytes(t.size)
		if build {
			v.Raw = append([]byte(nil), p...)
		}
	}
	return v
}

func (r *reader) enter() {
	if r.depth++; r.depth > maxDepth {
		r.fail(errTooDeep)
	}
}

func (r *reader) nameVal(build bool) string {
	if !build {
		if r.names == nil {
			r.skipStr()
		} else {
			r.skip(8)
		}
		return ""
	}
	return r.nameStr()
}

func (r *reader) objectRef(v *Value, build bool) {
	v.Kind = KindObject
	if r.archive {
		switch rt := r.i32(); rt {
		case -1:
			v.Null = true
		case 0:
			v.Num = uint64(int64(r.i32()))
		case 1:
			if build {
				v.Str = r.str()
			} else {
				r.skipStr()
			}
		default:
			r.fail(fmt.Errorf("%w: object ref type %d", errValue, rt))
		}
		return
	}
	switch rt := int16(r.u16()); rt {
	case 0:
		v.GUID = r.guid()
	case 1:
		v.Str = r.nameVal(build)
	case -1:
		v.Null = true
	default:
		r.fail(fmt.Errorf("%w: object ref type %d", errValue, rt))
	}
}

func (r *reader) structBody(v *Value, name string, build bool) {
	v.Kind = KindStruct
	if build {
		v.Str = name
	}
	switch n := nativeSize(name); {
	case n > 0:
		p := r.bytes(n)
		if build {
			v.Raw = append([]byte(nil), p...)
		}
	case n < 0: // UniqueNetIdRepl
		start := r.off
		r.u8()
		r.skipStr()
		r.skip(int(r.u8()))
		if build && r.err == nil {
			v.Raw = append([]byte(nil), r.b[start:r.off]...)
		}
	default:
		v.Props = r.props(build)
	}
}

func (r *reader) array(v *Value, typ []typeNode, t *tag, build bool) {
	v.Kind = KindArray
	inner := param(typ, 0)
	if len(inner) == 0 {
		r.fail(errBadType)
		return
	}
	r.enter()
	defer func() { r.depth-- }()
	n := r.count(1)
	if r.err != nil {
		return
	}
	if inner[0].name == "ByteProperty" && inner[0].n == 0 && (!r.legacy || t == nil || t.size == n+4) {
		v.Kind = KindBytes
		p := r.bytes(n)
		if build {
			v.Raw = append([]byte(nil), p...)
		}
		return
	}
	if r.legacy && inner[0].name == "StructProperty" {
		// one full legacy inner tag, then the bodies
		r.name()
		r.name()
		r.i32()
		r.i32()
		sn, _ := r.name()
		r.skip(16)
		if r.u8() != 0 {
			r.skip(16)
		}
		if build && r.grow(n) {
			v.Elems = make([]Value, 0, n)
		}
		for i := 0; i < n && r.err == nil; i++ {
			var e Value
			r.structBody(&e, sn, build)
			if build {
				v.Elems = append(v.Elems, e)
			}
		}
		return
	}
	if build && r.grow(n) {
		v.Elems = make([]Value, 0, n)
	}
	for i := 0; i < n && r.err == nil; i++ {
		e := r.value(inner, nil, build)
		if build {
			v.Elems = append(v.Elems, e)
		}
	}
}
