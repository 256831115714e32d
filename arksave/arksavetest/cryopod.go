package arksavetest

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
)

// ClassCryopod is the item class of the rows written for Options.Cryopods.
const ClassCryopod = "/Game/Extinction/CoreBlueprints/Weapons/PrimalItem_WeaponEmptyCryopod.PrimalItem_WeaponEmptyCryopod_C"

// CompressedBlob encodes an embedded compressed blob as cryopods store it:
// uint32 version (0x0407 for v14), uint32 declared inflated size, uint32
// names offset, then payload deflated with zlib. The payload is written as
// is (no wildcard escaping): bytes 0xF0..0xFF in it act as wildcards.
func CompressedBlob(version, declared, namesOffset uint32, payload []byte) []byte {
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zw.Write(payload)
	zw.Close()
	out := binary.LittleEndian.AppendUint32(nil, version)
	out = binary.LittleEndian.AppendUint32(out, declared)
	out = binary.LittleEndian.AppendUint32(out, namesOffset)
	return append(out, z.Bytes()...)
}

// BombBlob returns a compressed cryopod blob of about n/1000 bytes that
// honestly inflates to n bytes (no wildcards, so it also expands to n):
// the largest memory a well-formed blob can ask for when n is
// arksave.MaxInflatedSize. Its content is not a dino, so decoders count the
// pod as failed after inflating it.
func BombBlob(n int) []byte {
	return CompressedBlob(0x0407, uint32(n), uint32(n), bytes.Repeat([]byte{'A'}, n))
}

// cryopod writes one cryopod item row whose first custom byte array is
// blob (CustomItemDatas[0].CustomDataBytes.ByteArrays[0].Bytes).
func (w *world) cryopod(blob []byte) error {
	key := w.guid()
	itemData := structType("CustomItemData", "/Script/ShooterGame")
	byteArrays := structType("CustomItemByteArrays", "/Script/ShooterGame")
	byteArray := structType("CustomItemByteArray", "/Script/ShooterGame")
	err := w.row(key, ClassCryopod, []string{w.instance(ClassCryopod)}, 0, 0x01, func(p *props) {
		p.arrayStruct("CustomItemDatas", itemData, 1, func(int) {
			p.nameProp("CustomDataName", "Dino")
			p.structProps("CustomDataBytes", byteArrays, func() {
				p.arrayStruct("ByteArrays", byteArray, 1, func(int) {
					p.arrayBytes("Bytes", blob)
				})
			})
		})
	}, nil)
	if err != nil {
		return fmt.Errorf("arksavetest: cryopod: %w", err)
	}
	return nil
}

// WideCryoBlob returns a well-formed v14 cryopod blob whose dino's
// TamedName is an ArrayProperty of n bools: it inflates to about n bytes
// (at most arksave.MaxInflatedSize) from about n/1000, and each one-byte
// element would cost a decoder that materialised it a whole value (~120
// bytes), so n = 30M asks for ~3.6 GB. Decoders must refuse it.
func WideCryoBlob(n int) []byte {
	le := binary.LittleEndian
	str := func(b []byte, s string) []byte {
		b = le.AppendUint32(b, uint32(len(s)+1))
		return append(append(b, s...), 0)
	}
	name := func(b []byte, id uint32) []byte { return le.AppendUint32(le.AppendUint32(b, id), 0) }
	const (
		own      = 0x10000000 // first name of the blob's own table: "TamedName"
		boolProp = 3          // constant names (arksave cryoConstNames)
		none     = 8
		arrProp  = 44
	)
	var p []byte
	p = append(p, make([]byte, 8)...) // v14 header (skipped by decoders)
	p = le.AppendUint32(p, 1)         // one object
	p = append(p, bytes.Repeat([]byte{7}, 16)...)
	p = str(p, "/Game/PrimalEarth/Dinos/Rex/Rex_Character_BP.Rex_Character_BP_C")
	p = le.AppendUint32(p, 0)
	p = le.AppendUint32(p, 1)
	p = str(p, "Rex_Character_BP_C_1")
	p = le.AppendUint32(p, 0) // FromDataFile, DataFileIndex, HasLocation
	p = le.AppendUint32(p, 0)
	p = le.AppendUint32(p, 0)
	at := len(p)
	p = le.AppendUint32(p, 0) // PropertiesOffset, patched below
	p = le.AppendUint32(p, 0)
	le.PutUint32(p[at:], uint32(len(p)))
	p = append(p, 0) // v14 padding byte
	p = name(p, own)
	p = name(p, arrProp)
	p = le.AppendUint32(p, 1)
	p = name(p, boolProp)
	p = le.AppendUint32(p, 0)
	p = le.AppendUint32(p, uint32(4+n)) // Size
	p = append(p, 0)                    // flags
	p = le.AppendUint32(p, uint32(n))
	p = append(p, make([]byte, n)...)
	p = name(p, none)
	namesAt := len(p)
	p = le.AppendUint32(p, 1)
	p = str(p, "TamedName")
	return CompressedBlob(0x0407, uint32(len(p)), uint32(namesAt), p)
}
