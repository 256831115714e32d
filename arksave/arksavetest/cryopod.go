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
