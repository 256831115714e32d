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

func buildCryo(t *testing.T) []byte {
	w := newBld()
	table := []string{"None", "IntProperty", "UInt16Property", "StrProperty", "BaseCharacterLevel", "ExtraCharacterLevel", "TamedName", "TargetingTeam", "DinoID1", "BoolProperty", "bIsFemale"}
	for i, s := range table {
		w.keys[s] = uint32(i) | 0x10000000
	}
	w.u32(522)
	w.u32(1013)
	w.i32(2)
	offAt := []int{}
	for i, class := range []string{"/Game/Dinos/Rex/Rex_Character_BP.Rex_Character_BP_C", "/Game/Dinos/Rex/DinoCharacterStatusComponent_BP_Rex.DinoCharacterStatusComponent_BP_Rex_C"} {
		w.b = append(w.b, bytes.Repeat([]byte{byte(i + 1)}, 16)...)
		w.str(class)
		w.u32(0)
		w.i32(1)
		w.str("Rex_1")
		w.u32(0)
		w.i32(0)
		w.u32(0)
		offAt = append(offAt, len(w.b))
		w.i32(0)
		w.u32(0)
	}
	binary.LittleEndian.PutUint32(w.b[offAt[0]:], uint32(len(w.b)))
	w.tag14("TamedName", T("StrProperty"), 0, 0, func() { w.wstr("Rexy") })
	w.tag14("TargetingTeam", T("IntProperty"), 0, 0, func() { w.i32(1234567890) })
	w.tag14("DinoID1", T("IntProperty"), 0, 0, func() { w.i32(-1) })
	w.tag14("bIsFemale", T("BoolProperty"), 0x10, 0, func() {})
	w.none()
	binary.LittleEndian.PutUint32(w.b[offAt[1]:], uint32(len(w.b)))
	w.tag14("BaseCharacterLevel", T("IntProperty"), 0, 0, func() { w.i32(150) })
	w.tag14("ExtraCharacterLevel", T("UInt16Property"), 0, 0, func() { w.u16(73) })
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
	out := binary.LittleEndian.AppendUint32(nil, 0x0407)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(raw)))
	out = binary.LittleEndian.AppendUint32(out, uint32(namesOff))
	return append(out, z.Bytes()...)
}

func TestCryopodBlob(t *testing.T) {
	blob := buildCryo(t)
	d, err := decodeCryoDino(blob)
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
	ds, failed := cryoDinos(v)
	if len(ds) != 1 || failed != 0 {
		t.Fatalf("cryoDinos: %d dinos, %d failed", len(ds), failed)
	}
	for i := range blob {
		decodeCryoDino(blob[:i])
	}
	legacy := append([]byte{6, 4, 0, 0}, blob[4:]...)
	if _, err := decodeCryoDino(legacy); err == nil {
		t.Fatal("legacy blob accepted")
	}
}
