package arksave

import (
	"math"
	"testing"
)

var vecT = T("StructProperty", T("Vector", T("/Script/CoreUObject")))

func TestPropertiesV14(t *testing.T) {
	w := newBld()
	guid := GUID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	w.object(14, "/Game/Test/Rex_Character_BP.Rex_Character_BP_C", func() {
		w.tag14("I", T("IntProperty"), 0, 0, func() { w.i32(-7) })
		w.tag14("U16", T("UInt16Property"), 0, 0, func() { w.u16(65000) })
		w.tag14("I64", T("Int64Property"), 0, 0, func() { w.u64(math.MaxUint64) })
		w.tag14("F", T("FloatProperty"), 0, 0, func() { w.f32(1.5) })
		w.tag14("D", T("DoubleProperty"), 0, 0, func() { w.f64(2.25) })
		w.tag14("BT", T("BoolProperty"), 0x10, 0, func() {})
		w.tag14("BF", T("BoolProperty"), 0, 0, func() {})
		w.tag14("B", T("ByteProperty"), 0, 0, func() { w.u8(200) })
		w.tag14("E", T("ByteProperty", T("EThing", T("/Script/X"))), 0, 0, func() { w.name("EThing::A") })
		w.tag14("S", T("StrProperty"), 0, 0, func() { w.str("hello") })
		w.tag14("W", T("StrProperty"), 0, 0, func() { w.wstr("日本語") })
		w.tag14("N0", T("StrProperty"), 0, 0, func() { w.str("") })
		w.tag14("Nm", T("NameProperty"), 0, 0, func() { w.name("SomeName") })
		w.tag14("O", T("ObjectProperty"), 0, 0, func() { w.u16(0); w.b = append(w.b, guid[:]...) })
		w.tag14("OP", T("ObjectProperty"), 0, 0, func() { w.u16(1); w.name("/Game/Path.Path_C") })
		w.tag14("SO", T("SoftObjectProperty"), 0, 0, func() { w.name("/Game/A"); w.name("A_C"); w.i32(0) })
		w.tag14("C", T("ByteProperty"), 1, 3, func() { w.u8(9) })
		w.tag14("V", vecT, 8, 0, func() { w.f64(1); w.f64(2); w.f64(3) })
		w.tag14("St", T("StructProperty", T("MyData", T("/Script/X"))), 0, 0, func() {
			w.tag14("Inner", T("StrProperty"), 0, 0, func() { w.wstr("é") })
			w.none()
		})
		w.tag14("AI", T("ArrayProperty", T("IntProperty")), 0, 0, func() { w.i32(3); w.i32(1); w.i32(2); w.i32(3) })
		w.tag14("AB", T("ArrayProperty", T("ByteProperty")), 0, 0, func() { w.i32(2); w.u8(7); w.u8(8) })
		w.tag14("AS", T("ArrayProperty", T("StructProperty", T("Item", T("/Script/X")))), 8, 0, func() {
			w.i32(2)
			for i := range 2 {
				w.tag14("N", T("IntProperty"), 0, 0, func() { w.i32(int32(i)) })
				w.tag14("Pos", vecT, 8, 0, func() { w.f64(0); w.f64(0); w.f64(float64(i)) })
				w.none()
			}
		})
		w.tag14("AV", T("ArrayProperty", vecT), 0, 0, func() { w.i32(1); w.f64(4); w.f64(5); w.f64(6) })
		w.tag14("M", T("MapProperty", T("NameProperty"), T("StructProperty", T("Ref", T("/Script/X")))), 0, 0, func() {
			w.i32(0)
			w.i32(1)
			w.name("k")
			w.tag14("A", T("ArrayProperty", T("StrProperty")), 0, 0, func() { w.i32(2); w.str("x"); w.wstr("ÿ") })
			w.none()
		})
		w.tag14("Set", T("SetProperty", T("ObjectProperty")), 0, 0, func() { w.i32(0); w.i32(1); w.u16(0); w.b = append(w.b, guid[:]...) })
		w.tag14("AB2", T("ArrayProperty", T("BoolProperty")), 0, 0, func() { w.i32(2); w.u8(1); w.u8(0) })
		w.tag14("Net", T("StructProperty", T("UniqueNetIdRepl", T("/Script/Engine"))), 8, 0, func() {
			w.u8(0xF9)
			w.str("RedpointEOS")
			w.u8(4)
			w.b = append(w.b, 0xde, 0xad, 0xbe, 0xef)
		})
	})
	h := &Header{Version: 14, Names: w.names()}
	o, err := DecodeObject(h, guid, w.b)
	if err != nil {
		t.Fatal(err)
	}
	get := func(n string) Value {
		v, ok := o.Get(n)
		if !ok {
			t.Fatalf("missing %s", n)
		}
		return v
	}
	check := func(n string, ok bool) {
		t.Helper()
		if !ok {
			t.Errorf("%s: %+v", n, get(n))
		}
	}
	check("I", get("I").Int() == -7)
	check("U16", get("U16").Int() == 65000)
	check("I64", get("I64").Num == math.MaxUint64)
	check("F", get("F").Float() == 1.5)
	check("D", get("D").Float() == 2.25)
	check("BT", get("BT").Bool())
	check("BF", !get("BF").Bool())
	check("B", get("B").Int() == 200)
	check("E", get("E").Str == "EThing::A")
	check("S", get("S").Str == "hello")
	check("W", get("W").Str == "日本語")
	check("N0", get("N0").Str == "" && get("N0").Kind == KindStr)
	check("Nm", get("Nm").Str == "SomeName")
	check("O", get("O").GUID == guid)
	check("OP", get("OP").Str == "/Game/Path.Path_C")
	check("SO", get("SO").Str == "/Game/A:A_C")
	check("C", get("C").Int() == 9 && o.Props[16].Index == 3)
	x, y, z, ok := get("V").Vector()
	check("V", ok && x == 1 && y == 2 && z == 3)
	in, _ := get("St").Get("Inner")
	check("St", in.Str == "é")
	check("AI", len(get("AI").Elems) == 3 && get("AI").Elems[2].Int() == 3)
	check("AB", get("AB").Kind == KindBytes && string(get("AB").Raw) == "\x07\x08")
	as := get("AS")
	if len(as.Elems) == 2 {
		p, _ := as.Elems[1].Get("Pos")
		_, _, z, _ := p.Vector()
		check("AS", z == 1)
	} else {
		check("AS", false)
	}
	check("AV", len(get("AV").Elems) == 1)
	m := get("M")
	if len(m.Elems) == 2 {
		a, _ := m.Elems[1].Get("A")
		check("M", m.Elems[0].Str == "k" && len(a.Elems) == 2 && a.Elems[1].Str == "ÿ")
	} else {
		check("M", false)
	}
	check("Set", len(get("Set").Elems) == 1 && get("Set").Elems[0].GUID == guid)
	check("AB2", len(get("AB2").Elems) == 2 && get("AB2").Elems[0].Bool())
	check("Net", get("Net").NetID() == "deadbeef")
	if len(o.Refs) != 1 || o.TailLen != 0 || o.Class != "/Game/Test/Rex_Character_BP.Rex_Character_BP_C" || o.Names[0] != "Thing_C_1" {
		t.Errorf("record: %+v", o)
	}
	// The streaming validator agrees.
	if _, unk, err := validateRow(h, nil, w.b); err != nil || unk != 0 {
		t.Errorf("validate: %v %d", err, unk)
	}
	truncations(t, h, w.b)
}

func TestPropertiesV13(t *testing.T) {
	w := newBld()
	w.object(13, "/Game/Test/Thing.Thing_C", func() {
		w.tag13("I", "IntProperty", nil, func() { w.i32(42) })
		w.name("B")
		w.name("BoolProperty")
		w.i32(0)
		w.i32(0)
		w.u8(1)
		w.u8(0)
		w.tag13("By", "ByteProperty", func() { w.name("None") }, func() { w.u8(5) })
		w.tag13("En", "ByteProperty", func() { w.name("EFoo") }, func() { w.name("EFoo::Bar") })
		w.tag13("S", "StrProperty", nil, func() { w.wstr("Ünï") })
		w.tag13("V", "StructProperty", func() { w.name("Vector"); w.b = append(w.b, make([]byte, 16)...) }, func() { w.f64(1); w.f64(2); w.f64(3) })
		w.tag13("St", "StructProperty", func() { w.name("MyData"); w.b = append(w.b, make([]byte, 16)...) }, func() {
			w.tag13("X", "IntProperty", nil, func() { w.i32(1) })
			w.none()
		})
		w.tag13("AS", "ArrayProperty", func() { w.name("StructProperty") }, func() {
			w.i32(2)
			w.name("AS")
			w.name("StructProperty")
			w.i32(0) // inner size (unused)
			w.i32(0)
			w.name("Entry")
			w.b = append(w.b, make([]byte, 16)...)
			w.u8(0)
			for i := range 2 {
				w.tag13("N", "StrProperty", nil, func() { w.str(string(rune('a' + i))) })
				w.none()
			}
		})
		w.tag13("AB", "ArrayProperty", func() { w.name("ByteProperty") }, func() { w.i32(3); w.u8(1); w.u8(2); w.u8(3) })
		w.tag13("M", "MapProperty", func() { w.name("IntProperty"); w.name("StructProperty") }, func() {
			w.i32(0)
			w.i32(1)
			w.i32(77)
			w.tag13("Y", "DoubleProperty", nil, func() { w.f64(0.5) })
			w.none()
		})
	})
	h := &Header{Version: 13, Names: w.names()}
	o, err := DecodeObject(h, GUID{}, w.b)
	if err != nil {
		t.Fatal(err)
	}
	v := func(n string) Value { x, _ := o.Get(n); return x }
	if v("I").Int() != 42 || !v("B").Bool() || v("By").Int() != 5 || v("En").Str != "EFoo::Bar" || v("S").Str != "Ünï" {
		t.Errorf("scalars: %+v", o.Props[:5])
	}
	if _, _, z, ok := v("V").Vector(); !ok || z != 3 {
		t.Errorf("vector %+v", v("V"))
	}
	if x, _ := v("St").Get("X"); x.Int() != 1 {
		t.Errorf("struct %+v", v("St"))
	}
	if as := v("AS"); len(as.Elems) != 2 {
		t.Errorf("struct array %+v", as)
	} else if n, _ := as.Elems[1].Get("N"); n.Str != "b" {
		t.Errorf("struct array elem %+v", as.Elems[1])
	}
	if v("AB").Kind != KindBytes || len(v("AB").Raw) != 3 {
		t.Errorf("byte array %+v", v("AB"))
	}
	if m := v("M"); len(m.Elems) != 2 || m.Elems[0].Int() != 77 {
		t.Errorf("map %+v", m)
	} else if y, _ := m.Elems[1].Get("Y"); y.Float() != 0.5 {
		t.Errorf("map value %+v", m.Elems[1])
	}
	truncations(t, h, w.b)
}

// truncations checks that every prefix of a record fails cleanly.
func truncations(t *testing.T, h *Header, b []byte) {
	t.Helper()
	for i := 0; i < len(b)-21; i++ { // the last 20 bytes are the GUID list
		if _, err := DecodeObject(h, GUID{}, b[:i]); err == nil && i > 40 {
			t.Fatalf("prefix %d of %d decoded without error", i, len(b))
		}
		validateRow(h, newNameTable(h.Names), b[:i])
	}
}

func TestUnknownNameAndSizeMismatch(t *testing.T) {
	w := newBld()
	w.object(14, "/Game/X.X_C", func() {
		w.tag14("I", T("IntProperty"), 0, 0, func() { w.i32(1) })
	})
	h := &Header{Version: 14, Names: w.names()}
	// Corrupt the size of the IntProperty tag (5 instead of 4).
	b := append([]byte(nil), w.b...)
	idx := -1
	for i := 0; i+4 <= len(b); i++ {
		if b[i] == 4 && b[i+1] == 0 && b[i+2] == 0 && b[i+3] == 0 && b[i+4] == 0 {
			idx = i
		}
	}
	if idx < 0 {
		t.Fatal("size not found")
	}
	b[idx] = 5
	if _, err := DecodeObject(h, GUID{}, b); err == nil {
		t.Error("size mismatch not detected")
	}
	// An unknown property-name key becomes a placeholder and is counted.
	delete(h.Names, w.keys["I"])
	r := newRowReader(h, w.b)
	r.head(14, nil)
	ps := r.props(true)
	if r.err != nil || len(ps) != 1 || ps[0].Name != unknownName(w.keys["I"]) || r.unknown != 1 {
		t.Errorf("unknown name: %v %+v %d", r.err, ps, r.unknown)
	}
}

func TestArchiveV7(t *testing.T) {
	w := newBld()
	w.archive = true
	w.i32(7)
	w.i32(522)
	w.i32(1013)
	w.i32(1)
	w.b = append(w.b, make([]byte, 16)...)
	w.str("/Script/ShooterGame.PrimalTribeData")
	w.u32(0)
	w.i32(1)
	w.str("PrimalTribeData_1")
	w.u32(0)
	w.i32(0)
	w.u32(0)
	offAt := len(w.b)
	w.i32(0)
	w.u32(0)
	off := len(w.b)
	w.b[offAt] = byte(off)
	w.u8(0)
	w.tag14("TribeData", T("StructProperty", T("TribeData", T("/Script/ShooterGame"))), 0, 0, func() {
		w.tag14("TribeName", T("StrProperty"), 0, 0, func() { w.wstr("Ωmega") })
		w.tag14("TribeID", T("IntProperty"), 0, 0, func() { w.i32(1234567) })
		w.tag14("OwnerPlayerDataId", T("UInt32Property"), 0, 0, func() { w.u32(99) })
		w.tag14("MembersPlayerDataID", T("ArrayProperty", T("UInt32Property")), 0, 0, func() { w.i32(2); w.u32(99); w.u32(100) })
		w.tag14("MembersPlayerName", T("ArrayProperty", T("StrProperty")), 0, 0, func() { w.i32(2); w.str("a"); w.str("") })
		w.tag14("Buff", T("ObjectProperty"), 0, 0, func() { w.i32(0); w.i32(1) })
		w.tag14("Null", T("ObjectProperty"), 0, 0, func() { w.i32(-1) })
		w.none()
	})
	w.none()
	w.i32(0)
	tr, err := DecodeTribe(w.b)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Name != "Ωmega" || tr.ID != 1234567 || tr.OwnerID != 99 || len(tr.MemberIDs) != 2 || len(tr.Members) != 2 {
		t.Errorf("tribe %+v", tr)
	}
	for i := range w.b {
		ReadArchive(w.b[:i])
	}
	old := append([]byte{6, 0, 0, 0}, w.b[4:]...)
	if _, err := ReadArchive(old); err == nil || !contains(err.Error(), "unsupported archive version") {
		t.Errorf("v6: %v", err)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestRecordLayouts(t *testing.T) {
	// v12: object names are FNames, not FStrings.
	w := newBld()
	w.name("/Game/X.X_C")
	w.i32(0)
	w.i32(2)
	w.name("X_C_1")
	w.name("Outer_1")
	w.i32(3)
	w.u8(8)
	w.tag13("I", "IntProperty", nil, func() { w.i32(5) })
	w.none()
	w.i32(0)
	w.b = append(w.b, 1, 2, 3) // native tail
	h := &Header{Version: 12, Names: w.names()}
	o, err := DecodeObject(h, GUID{}, w.b)
	if err != nil {
		t.Fatal(err)
	}
	if o.Class != "/Game/X.X_C" || len(o.Names) != 2 || o.Names[1] != "Outer_1" || o.DataFileIndex != 3 || o.TailLen != 3 || len(o.Refs) != 0 {
		t.Fatalf("v12 record: %+v", o)
	}
	// String-class layout: unknown first uint32, uint64 0, names with the
	// class first, int32 0, uint16, then properties.
	s := newBld()
	s.keys = w.keys
	s.u32(0xDEADBEEF)
	s.u64(0)
	s.i32(2)
	s.str("/Game/Y.Y_C")
	s.str("Y_C_1")
	s.i32(0)
	s.u16(0)
	s.tag14("I", T("IntProperty"), 0, 0, func() { s.i32(6) })
	s.none()
	s.i32(0)
	h14 := &Header{Version: 14, Names: s.names()}
	o, err = DecodeObject(h14, GUID{}, s.b)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := o.Get("I"); o.Class != "/Game/Y.Y_C" || v.Int() != 6 || len(o.Names) != 1 {
		t.Fatalf("string-class record: %+v", o)
	}
	// AnimSequence-style record: ends right after the flags.
	a := newBld()
	a.keys = w.keys
	a.name("/Game/X.X_C")
	a.i32(0)
	a.i32(0)
	a.i32(0)
	a.u8(0)
	a.u8(0)
	if o, err := DecodeObject(h14, GUID{}, a.b); err != nil || len(o.Props) != 0 {
		t.Fatalf("property-less record: %v", err)
	}
}

func TestHeaderVersions(t *testing.T) {
	for _, v := range []int{13, 14} {
		w := newBld()
		w.u16(uint16(v))
		if v >= 14 {
			w.i32(522)
			w.i32(1013)
		}
		offAt := len(w.b)
		w.i32(0)
		w.f64(100000123.5)
		w.u32(20)
		w.u32(2)
		w.str("TheIsland_WP")
		w.i32(-1)
		w.wstr("TheIsland_WP_Cell")
		w.i32(-1)
		w.b = append(w.b, 9, 9, 9, 9, 9) // opaque gap
		off := len(w.b)
		w.b[offAt] = byte(off)
		w.i32(4)
		w.u32(0x09AD2622)
		w.str("None")
		w.u32(7)
		w.str("IntProperty")
		w.u32(8)
		w.wstr("Ñame")
		w.u32(9)
		w.str("")
		h, err := ReadHeader(w.b)
		if err != nil {
			t.Fatal(err)
		}
		if h.Version != v || h.Map() != "TheIsland_WP" || len(h.DataFiles) != 2 || h.GameTime != 100000123.5 || h.Names[7] != "IntProperty" || h.Names[8] != "Ñame" || len(h.Names) != 4 {
			t.Fatalf("v%d header %+v", v, h)
		}
		for i := range w.b {
			ReadHeader(w.b[:i])
		}
	}
	if _, err := ReadHeader([]byte{10, 0, 0, 0}); err == nil {
		t.Fatal("v10 accepted")
	}
}

func TestLatLon(t *testing.T) {
	lat, lon, ok := LatLon("Ragnarok_WP", 0, 131000)
	if !ok || lon < 50.0093 || lon > 50.0094 || lat < 60.0093 || lat > 60.0094 {
		t.Fatalf("ragnarok: %v %v %v", lat, lon, ok)
	}
	if _, _, ok := LatLon("GreenflatMap", 0, 0); ok {
		t.Fatal("unknown map has lat/lon")
	}
	if _, _, ok := LatLon("TheIsland_WP", 0, 0); !ok {
		t.Fatal("TheIsland unknown")
	}
}

func TestNameTable(t *testing.T) {
	m := map[uint32]string{}
	for i := uint32(0); i < 5000; i++ {
		m[i*2654435761] = string(rune('a' + i%26))
	}
	tb := newNameTable(m)
	for k, v := range m {
		if got, ok := tb.get(k); !ok || got != v {
			t.Fatalf("key %x", k)
		}
	}
	for i := uint32(0); i < 5000; i++ {
		k := i*2654435761 + 1
		if _, in := m[k]; !in {
			if _, ok := tb.get(k); ok {
				t.Fatalf("phantom key %x", k)
			}
		}
	}
	if _, ok := newNameTable(nil).get(1); ok {
		t.Fatal("empty table hit")
	}
}
