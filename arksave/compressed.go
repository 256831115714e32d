package arksave

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
)

// MaxInflatedSize caps the output of compressed embedded blobs.
const MaxInflatedSize = 32 << 20

// CompressedBlob is an embedded compressed object blob (cryopods, uploads):
// uint32 version, uint32 inflated size, uint32 names offset, zlib stream.
type CompressedBlob struct {
	Version     uint32
	NamesOffset int
	Data        []byte // inflated and wildcard-expanded bytes
}

var errCompressed = errors.New("bad compressed blob")

// Inflate decodes a compressed embedded blob: zlib, then the wildcard
// expansion. Output is capped at MaxInflatedSize bytes.
func Inflate(blob []byte) (*CompressedBlob, error) {
	if len(blob) < 12 {
		return nil, fmt.Errorf("arksave: compressed: %w: %d bytes", errCompressed, len(blob))
	}
	r := reader{b: blob}
	c := &CompressedBlob{Version: r.u32()}
	size := r.u32()
	c.NamesOffset = int(r.u32())
	if size > MaxInflatedSize {
		return nil, fmt.Errorf("arksave: compressed: %w: inflated size %d", errCompressed, size)
	}
	zr, err := zlib.NewReader(bytes.NewReader(blob[12:]))
	if err != nil {
		return nil, fmt.Errorf("arksave: compressed: %w", err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	buf.Grow(min(int(size), 16*len(blob)))
	n, err := io.Copy(&buf, io.LimitReader(zr, int64(size)+1))
	if err != nil {
		return nil, fmt.Errorf("arksave: compressed: %w", err)
	}
	if n != int64(size) {
		return nil, fmt.Errorf("arksave: compressed: %w: inflated %d bytes, header says %d", errCompressed, n, size)
	}
	out, err := expandWildcards(buf.Bytes(), MaxInflatedSize)
	if err != nil {
		return nil, fmt.Errorf("arksave: compressed: %w", err)
	}
	c.Data = out
	return c, nil
}

// expandWildcards applies ARK's byte-level "wildcard" expansion:
// 0xF0 escapes the next byte, 0xF1 splits the next byte into two 0xF_
// nibble bytes, 0xF2..0xFE emit (b&0x0F) zero bytes, 0xFF b1 b2 emits
// 0,0,0,b1,0,0,0,b2,0,0,0; anything else is copied.
func expandWildcards(in []byte, limit int) ([]byte, error) {
	out := make([]byte, 0, min(len(in)*2, limit))
	for i := 0; i < len(in); i++ {
		if len(out) > limit {
			return nil, fmt.Errorf("%w: expands beyond %d bytes", errCompressed, limit)
		}
		b := in[i]
		switch {
		case b == 0xF0:
			if i+1 >= len(in) {
				return nil, fmt.Errorf("%w: dangling escape", errCompressed)
			}
			i++
			out = append(out, in[i])
		case b == 0xF1:
			if i+1 >= len(in) {
				return nil, fmt.Errorf("%w: dangling switch", errCompressed)
			}
			i++
			out = append(out, 0xF0|in[i]>>4, 0xF0|in[i]&0x0F)
		case b >= 0xF2 && b < 0xFF:
			for range b & 0x0F {
				out = append(out, 0)
			}
		case b == 0xFF:
			if i+2 >= len(in) {
				return nil, fmt.Errorf("%w: truncated 0xFF run", errCompressed)
			}
			out = append(out, 0, 0, 0, in[i+1], 0, 0, 0, in[i+2], 0, 0, 0)
			i += 2
		default:
			out = append(out, b)
		}
	}
	if len(out) > limit {
		return nil, fmt.Errorf("%w: expands beyond %d bytes", errCompressed, limit)
	}
	return out, nil
}

// cryoDinos extracts the dinos of a cryopod item's CustomItemDatas value
// (CustomItemData[].CustomDataBytes.ByteArrays[0].Bytes): tamed ones, the
// number of wild ones (pods can hold wild creatures) and the number of
// non-empty blobs that failed. Empty pods are skipped.
func cryoDinos(v Value) (tamed []Dino, wild, failed int) {
	for _, cd := range v.Elems {
		bytesStruct, ok := cd.Get("CustomDataBytes")
		if !ok {
			continue
		}
		arrays, ok := bytesStruct.Get("ByteArrays")
		if !ok || len(arrays.Elems) == 0 {
			continue
		}
		first, ok := arrays.Elems[0].Get("Bytes")
		if !ok || len(first.Raw) == 0 {
			continue
		}
		d, isTamed, err := decodeCryoDino(first.Raw)
		switch {
		case err != nil:
			failed++
		case isTamed:
			tamed = append(tamed, d)
		default:
			wild++
		}
	}
	return tamed, wild, failed
}
