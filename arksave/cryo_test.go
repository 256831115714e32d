package arksave

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"testing"
)

func escapeWildcards(b []byte) []byte {
	var out []byte
	for _, c := range b {
		if c >= 0xF0 {
			out = append(out, 0xF0)
		}
		out = append(out, c)
	}
	return out
}

// buildCryo builds a v14 cryopod blob; mirage selects the C#-mirage object
// layout with padding bytes, otherwise the archive-style layout without.
func buildCryo(t *testing.T) []byte { return buildCryoLayout(true, false) }

func buildCryoLayout(mirage, v13 bool) []byte {
	w := newBld()
	table := []string{"None", "IntProperty", "UInt16Property", "StrProperty", "BaseCharacterLevel", "ExtraCharacterLevel", "TamedName", "TargetingTeam", "DinoID1", "BoolProperty", "bIsFemale", "TamingTeamID"}
	for i, s := range table {
		w.keys[s] = uint32(i) | 0x10000000
	}
	if !v13 {
		w.u32(522)
		w.u32(1013)
	}
	w.i32(2)
	offAt := []int{}
	for i, class := range []string{"/Game/Dinos/Rex/Rex_Character_BP.Rex_Character_BP_C", "/Game/Dinos/Rex/DinoCharacterStatusComponent_BP_Rex.DinoCharacterStatusComponent_BP_Rex_C"} {
		w.b = append(w.b, bytes.Repeat([]byte{byte(i + 1)}, 16)...)
		w.str(class)
		w.u32(0)
		w.i32(1)
		w.str("Rex_1")
		if mirage {
			w.u8(0)
			w.i32(0)
			w.u8(1)
			w.f64(1)
			w.f64(2)
			w.f64(3)
		} else {
			w.u32(0)
			w.i32(0)
			w.u32(0)
		}
		offAt = append(offAt, len(w.b))
		w.i32(0)
		w.u32(0)
	}
	pad := func() {
		if mirage && !v13 {
			w.u8(0)
		}
	}
	binary.LittleEndian.PutUint32(w.b[offAt[0]:], uint32(len(w.b)))
	pad()
	if v13 {
		w.tag13("TamedName", "StrProperty", nil, func() { w.wstr("Rexy") })
		w.tag13("TargetingTeam", "IntProperty", nil, func() { w.i32(1234567890) })
		w.tag13("DinoID1", "IntProperty", nil, func() { w.i32(-1) })
		w.tag13("TamingTeamID", "IntProperty", nil, func() { w.i32(1234567890) })
		w.name("bIsFemale")
		w.name("BoolProperty")
		w.i32(0)
		w.i32(0)
		w.u8(1)
		w.u8(0)
	} else {
		w.tag14("TamedName", T("StrProperty"), 0, 0, func() { w.wstr("Rexy") })
		w.tag14("TargetingTeam", T("IntProperty"), 0, 0, func() { w.i32(1234567890) })
		w.tag14("DinoID1", T("IntProperty"), 0, 0, func() { w.i32(-1) })
		w.tag14("TamingTeamID", T("IntProperty"), 0, 0, func() { w.i32(1234567890) })
		w.tag14("bIsFemale", T("BoolProperty"), 0x10, 0, func() {})
	}
	w.none()
	w.i32(0)
	w.u8(0)
	binary.LittleEndian.PutUint32(w.b[offAt[1]:], uint32(len(w.b)))
	pad()
	if v13 {
		w.tag13("BaseCharacterLevel", "IntProperty", nil, func() { w.i32(150) })
		w.tag13("ExtraCharacterLevel", "UInt16Property", nil, func() { w.u16(73) })
	} else {
		w.tag14("BaseCharacterLevel", T("IntProperty"), 0, 0, func() { w.i32(150) })
		w.tag14("ExtraCharacterLevel", T("UInt16Property"), 0, 0, func() { w.u16(73) })
	}
	w.none()
	namesOff := len(w.b)
	w.i32(int32(len(table)))
	for _, s := range table {
		w.str(s)
	}
	raw := escapeWildcards(w.b)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw)
	zw.Close()
	version := uint32(0x0407)
	if v13 {
		version = 0x0406
	}
	out := binary.LittleEndian.AppendUint32(nil, version)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(raw)))
	out = binary.LittleEndian.AppendUint32(out, uint32(namesOff))
	return append(out, z.Bytes()...)
}

func TestCryopodBlob(t *testing.T) {
	for _, mirage := range []bool{false, true} {
		for _, v13 := range []bool{false, true} {
			d, tamed, err := decodeCryoDino(buildCryoLayout(mirage, v13), nil)
			if err != nil || !tamed {
				t.Fatalf("mirage=%v v13=%v: %v", mirage, v13, err)
			}
			if !d.Cryopodded || d.Level != 223 || d.Name != "Rexy" || d.Sex != Female || d.TribeID != 1234567890 {
				t.Fatalf("mirage=%v v13=%v: %+v", mirage, v13, d)
			}
		}
	}
	blob := buildCryo(t)
	d, _, err := decodeCryoDino(blob, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Cryopodded || d.Level != 223 || d.Name != "Rexy" || d.TribeID != 1234567890 || d.Sex != Female ||
		d.Class != "Rex_Character_BP_C" || d.DinoID>>32 != 0xFFFFFFFF || d.ID[0] != 1 {
		t.Fatalf("%+v", d)
	}
	// Wrapped as a CustomItemDatas value, the way the item row stores it.
	v := Value{Kind: KindArray, Elems: []Value{{Kind: KindStruct, Props: []Property{{
		Name: "CustomDataBytes", Value: Value{Kind: KindStruct, Props: []Property{{
			Name: "ByteArrays", Value: Value{Kind: KindArray, Elems: []Value{{Kind: KindStruct, Props: []Property{{
				Name: "Bytes", Value: Value{Kind: KindBytes, Raw: blob}}}}}}}}}}}}}}
	ds, wild, failed := cryoDinos(v, nil)
	if len(ds) != 1 || failed != 0 || wild != 0 {
		t.Fatalf("cryoDinos: %d dinos, %d wild, %d failed", len(ds), wild, failed)
	}
	for i := range blob {
		decodeCryoDino(blob[:i], nil)
	}
	old := append([]byte{5, 4, 0, 0}, blob[4:]...)
	if _, _, err := decodeCryoDino(old, nil); err == nil || !contains(err.Error(), "unsupported archive version") {
		t.Fatalf("version 0x405: %v", err)
	}
}
