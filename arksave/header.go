package arksave

import (
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf8"
)

// Header is the decoded custom.SaveHeader blob of a world save.
type Header struct {
	Version   int     // SaveVersion: 13 or 14 in known saves
	UE4Ver    int32   // v14 only
	UE5Ver    int32   // v14 only
	GameTime  float64 // world clock, seconds
	DataFiles []string
	Names     map[uint32]string // name table: hashed key -> name
}

// Map returns the persistent map name (DataFiles[0]).
func (h *Header) Map() string {
	if len(h.DataFiles) == 0 {
		return ""
	}
	return h.DataFiles[0]
}

// ReadHeader decodes a SaveHeader blob (save versions 11–14). The name table
// is found through NameTableOffset, never at a fixed position.
func ReadHeader(blob []byte) (*Header, error) {
	r := &reader{b: blob}
	h := &Header{Version: int(int16(r.u16()))}
	if r.err == nil && (h.Version < 11 || h.Version > 14) {
		return nil, fmt.Errorf("arksave: header: unsupported save version %d", h.Version)
	}
	if h.Version >= 14 {
		h.UE4Ver = r.i32()
		h.UE5Ver = r.i32()
	}
	nameOff := r.i32()
	h.GameTime = r.f64()
	if h.Version >= 12 {
		r.u32() // unknown
	}
	n := r.count(5)
	for i := 0; i < n && r.err == nil; i++ {
		h.DataFiles = append(h.DataFiles, r.str())
		r.i32() // -1
	}
	if r.err != nil {
		return nil, fmt.Errorf("arksave: header: data files: %w", r.err)
	}
	if nameOff < 0 || int(nameOff) > len(blob) {
		return nil, fmt.Errorf("arksave: header: name table offset %d out of range", nameOff)
	}
	r.off = int(nameOff)
	cnt := r.count(8)
	h.Names = make(map[uint32]string, cnt)
	// One string for the whole table; names are substrings of it (one
	// allocation instead of one per name).
	all := string(blob[r.off:])
	base := r.off
	for i := 0; i < cnt && r.err == nil; i++ {
		k := r.u32()
		start := r.off + 4
		p, wide := r.strBytes()
		switch {
		case r.err != nil:
		case len(p) == 0:
			h.Names[k] = ""
		case !wide && utf8.Valid(p):
			h.Names[k] = all[start-base : start-base+len(p)]
		default:
			r.off = start - 4
			h.Names[k] = r.str()
		}
	}
	if r.err != nil {
		return nil, fmt.Errorf("arksave: header: name table: %w", r.err)
	}
	if math.IsNaN(h.GameTime) || math.IsInf(h.GameTime, 0) {
		return nil, fmt.Errorf("arksave: header: bad game time")
	}
	return h, nil
}

// Transform is one ActorTransforms record.
type Transform struct {
	X, Y, Z        float64 // location, UE units
	QX, QY, QZ, QW float64 // rotation quaternion
}

// ReadActorTransforms calls fn for every record of an ActorTransforms blob
// (72-byte records ending with an all-zero GUID). It does not allocate.
func ReadActorTransforms(blob []byte, fn func(GUID, Transform)) error {
	for off := 0; ; off += 72 {
		if len(blob)-off < 16 {
			return fmt.Errorf("arksave: actor transforms: truncated at %d", off)
		}
		var g GUID
		copy(g[:], blob[off:])
		if g == (GUID{}) {
			return nil
		}
		if len(blob)-off < 72 {
			return fmt.Errorf("arksave: actor transforms: truncated at %d", off)
		}
		f := func(i int) float64 {
			return math.Float64frombits(binary.LittleEndian.Uint64(blob[off+16+8*i:]))
		}
		fn(g, Transform{f(0), f(1), f(2), f(3), f(4), f(5), f(6)})
	}
}
