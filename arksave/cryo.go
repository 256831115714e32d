package arksave

import (
	"errors"
	"fmt"
	"strings"
)

// cryoConstNames are names with small fixed ids used by compressed
// cryopod blobs in addition to their own table (ids i|0x10000000). The
// mapping is data published by arkparse (COMPRESSED_BYTES_NAME_CONSTANTS).
var cryoConstNames = map[uint32]string{
	0: "TribeName", 1: "StrProperty", 2: "bServerInitializedDino", 3: "BoolProperty",
	5: "FloatProperty", 6: "ColorSetIndices", 7: "ByteProperty", 8: "None",
	9: "ColorSetNames", 10: "NameProperty", 11: "TamingTeamID", 12: "ObjectProperty",
	13: "RequiredTameAffinity", 14: "TamingTeamID", 15: "IntProperty", 16: "OwningPlayerID",
	17: "OwningPlayerName", 19: "StructProperty", 23: "DinoID1", 24: "UInt32Property",
	25: "DinoID2", 26: "UntamedPoopTimeCache", 31: "UploadedFromServerName",
	32: "TamedOnServerName", 36: "TargetingTeam", 38: "bReplicateGlobalStatusValues",
	39: "bAllowLevelUps", 40: "bServerFirstInitialized", 41: "ExperiencePoints",
	42: "CurrentStatusValues", 44: "ArrayProperty", 55: "bIsFemale",
}

const (
	maxCryoObjects = 64
	cryoV13        = 0x0406 // legacy property tags
	cryoV14        = 0x0407 // UE 5.5 property tags
)

var errCryo = errors.New("bad cryopod data")

type cryoObj struct {
	guid  GUID
	class string
	off   int
}

// cryoLayouts are the encodings of the per-object fields between the names
// and PropertiesOffset, tried in order; a layout is accepted only if every
// property list then decodes. The first is the one the sample saves use
// [verified on the three filled cryopods of miragedmuk-v14/LostColony_WP.ark]:
// uint32 FromDataFile, int32 DataFileIndex, uint32 HasLocation [+ 6 float32:
// location and rotator]. The others follow the public parsers, which
// disagree: C#-mirage docs/RecordTypes/Cryopod.md (bool8, int32, bool8
// HasRotation [+ 3 float64]) and the archive object table (uint32, int32,
// uint32 [+ 6 float64]).
var cryoLayouts = []func(r *reader){
	func(r *reader) {
		r.u32()
		r.i32()
		if r.u32() != 0 {
			r.skip(6 * 4)
		}
	},
	func(r *reader) {
		r.u8()
		r.i32()
		if r.u8() != 0 {
			r.skip(24)
		}
	},
	func(r *reader) {
		r.u32()
		r.i32()
		if r.u32() != 0 {
			r.skip(48)
		}
	},
}

// decodeCryoDino decodes the dino and its status component stored in the
// first byte array of a cryopod's CustomItemData: after zlib + wildcard
// expansion, [v14: 8 header bytes], an object table (GUID, FString class,
// int32 0, names, layout-specific fields, int32 PropertiesOffset, int32 0),
// then property lists ([v14: one padding byte]) whose FNames index the blob's
// own name table.
// tamed reports TamingTeamID or TamedTimeStamp, as for placed dinos (pods
// also carry wild creatures, e.g. Lost Colony's gargoyle pods).
func decodeCryoDino(blob []byte, b *budget) (d Dino, tamed bool, err error) {
	c, err := inflate(blob, b)
	if err != nil {
		return Dino{}, false, err
	}
	defer b.release(len(c.Data))
	if c.Version != cryoV13 && c.Version != cryoV14 {
		return Dino{}, false, fmt.Errorf("arksave: cryopod: %w %#x", ErrArchiveVersion, c.Version)
	}
	if c.NamesOffset > len(c.Data) {
		return Dino{}, false, fmt.Errorf("arksave: cryopod: %w: names offset", errCryo)
	}
	names := make(map[uint32]string, len(cryoConstNames)+16)
	for k, v := range cryoConstNames {
		names[k] = v
	}
	nr := reader{b: c.Data, off: c.NamesOffset}
	n := nr.count(4)
	for i := 0; i < n && nr.err == nil; i++ {
		names[uint32(i)|0x10000000] = nr.str()
	}
	if nr.err != nil {
		return Dino{}, false, fmt.Errorf("arksave: cryopod: names: %w", nr.err)
	}
	payload := c.Data[:c.NamesOffset]
	var firstErr error
	for _, layout := range cryoLayouts {
		objs, err := cryoObjects(payload, c.Version, layout)
		if err == nil {
			if d, tamed, err = cryoProps(payload, c.Version, names, objs); err == nil {
				return d, tamed, nil
			}
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return Dino{}, false, firstErr
}

func cryoObjects(payload []byte, version uint32, layout func(*reader)) ([]cryoObj, error) {
	r := reader{b: payload}
	if version >= cryoV14 {
		r.skip(8)
	}
	cnt := r.count(32)
	if cnt > maxCryoObjects {
		return nil, fmt.Errorf("arksave: cryopod: %w: %d objects", errCryo, cnt)
	}
	objs := make([]cryoObj, 0, cnt)
	for i := 0; i < cnt && r.err == nil; i++ {
		var o cryoObj
		o.guid = r.guid()
		o.class = r.str()
		r.u32()
		nn := r.count(4)
		for j := 0; j < nn && r.err == nil; j++ {
			r.skipStr()
		}
		layout(&r)
		off := r.i32()
		r.u32()
		if r.err == nil && (off < int32(r.off) || int(off) >= len(payload)) {
			r.fail(fmt.Errorf("%w: properties offset %d", errCryo, off))
		}
		o.off = int(off)
		objs = append(objs, o)
	}
	if r.err != nil {
		return nil, fmt.Errorf("arksave: cryopod: objects: %w", r.err)
	}
	return objs, nil
}

func cryoProps(payload []byte, version uint32, names map[uint32]string, objs []cryoObj) (d Dino, tamed bool, err error) {
	var base, extra int64
	found := false
	for _, o := range objs {
		isStatus := strings.Contains(o.class, "StatusComponent")
		if !isStatus && !found {
			found = true
			d.ID = o.guid
			d.ClassPath = o.class
			d.Class = shortClass(o.class)
		}
		// v14 writes one padding byte before each property list; accept
		// lists without it too.
		pads := []int{0}
		if version >= cryoV14 {
			pads = []int{1, 0}
		}
		for _, pad := range pads {
			pr := reader{b: payload, off: o.off + pad, names: names, legacy: version < cryoV14}
			var dr dinoRow
			dr.d = d
			var lvl [2]int64
			pr.walkTop(func(t *tag) {
				switch {
				case isStatus && t.name == "BaseCharacterLevel":
					lvl[0] = pr.topValue(t, true).Int()
				case isStatus && t.name == "ExtraCharacterLevel":
					lvl[1] = pr.topValue(t, true).Int()
				case !isStatus && o.guid == d.ID:
					var fb [3]float64
					var hasFB bool
					(&decoder{}).dinoProp(&pr, t, &dr, &fb, &hasFB)
				}
			})
			if err = pr.err; err == nil {
				if isStatus {
					base, extra = lvl[0], lvl[1]
				} else if o.guid == d.ID {
					d, tamed = dr.d, dr.tamed
				}
				break
			}
		}
		if err != nil {
			return Dino{}, false, fmt.Errorf("arksave: cryopod: %s: %w", shortClass(o.class), err)
		}
	}
	if !found {
		return Dino{}, false, fmt.Errorf("arksave: cryopod: %w: no dino object", errCryo)
	}
	d.Level = int(base + extra)
	d.Cryopodded = true
	return d, tamed, nil
}

// walkTop iterates the top-level tags of a property list, calling fn for
// each; fn may decode the value with topValue, otherwise it is skipped by
// its Size.
func (r *reader) walkTop(fn func(t *tag)) {
	var t tag
	for r.err == nil {
		mark := len(r.types)
		if !r.readTag(&t) {
			break
		}
		end := r.off + t.size
		fn(&t)
		r.types = r.types[:mark]
		if r.err != nil {
			break
		}
		r.off = end
	}
}
