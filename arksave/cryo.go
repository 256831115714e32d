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

const maxCryoObjects = 64

var errCryo = errors.New("bad cryopod data")

// decodeCryoDino decodes the dino and its status component stored in the
// first byte array of a cryopod's CustomItemData (UE5.5 layout, version
// >= 0x0407): after inflating, 8 header bytes, an object table laid out like
// an archive's (GUID, FString class, uint32, names, uint32, int32, uint32
// HasLocation [+ 6 float64], int32 PropertiesOffset, uint32), then UE5.5
// property lists whose FNames index the blob's own name table.
func decodeCryoDino(blob []byte) (Dino, error) {
	c, err := Inflate(blob)
	if err != nil {
		return Dino{}, err
	}
	if c.Version < 0x0407 {
		return Dino{}, fmt.Errorf("arksave: cryopod: %w: legacy version %#x", ErrArchiveVersion, c.Version)
	}
	names := make(map[uint32]string, len(cryoConstNames)+16)
	for k, v := range cryoConstNames {
		names[k] = v
	}
	nr := reader{b: c.Data, off: c.NamesOffset}
	if c.NamesOffset < 0 || c.NamesOffset > len(c.Data) {
		return Dino{}, fmt.Errorf("arksave: cryopod: %w: names offset", errCryo)
	}
	n := nr.count(4)
	for i := 0; i < n && nr.err == nil; i++ {
		names[uint32(i)|0x10000000] = nr.str()
	}
	if nr.err != nil {
		return Dino{}, fmt.Errorf("arksave: cryopod: names: %w", nr.err)
	}
	r := reader{b: c.Data[:c.NamesOffset]}
	r.skip(8)
	cnt := r.count(40)
	if cnt > maxCryoObjects {
		return Dino{}, fmt.Errorf("arksave: cryopod: %w: %d objects", errCryo, cnt)
	}
	type obj struct {
		guid  GUID
		class string
		off   int32
	}
	objs := make([]obj, 0, cnt)
	for i := 0; i < cnt && r.err == nil; i++ {
		var o obj
		o.guid = r.guid()
		o.class = r.str()
		r.u32()
		nn := r.count(4)
		for j := 0; j < nn && r.err == nil; j++ {
			r.skipStr()
		}
		r.u32()
		r.i32()
		if r.u32() != 0 {
			r.skip(48)
		}
		o.off = r.i32()
		r.u32()
		objs = append(objs, o)
	}
	if r.err != nil {
		return Dino{}, fmt.Errorf("arksave: cryopod: objects: %w", r.err)
	}
	var d Dino
	var base, extra int64
	found := false
	for _, o := range objs {
		if o.off < 0 || int(o.off) >= c.NamesOffset {
			continue
		}
		pr := reader{b: c.Data[:c.NamesOffset], off: int(o.off), names: names}
		isStatus := strings.Contains(o.class, "StatusComponent")
		if !isStatus {
			found = true
			d.ID = o.guid
			d.ClassPath = o.class
			d.Class = shortClass(o.class)
		}
		var t tag
		for pr.err == nil {
			mark := len(pr.types)
			if !pr.readTag(&t) {
				break
			}
			end := pr.off + t.size
			if isStatus {
				switch t.name {
				case "BaseCharacterLevel":
					base = pr.topValue(&t, true).Int()
				case "ExtraCharacterLevel":
					extra = pr.topValue(&t, true).Int()
				}
			} else {
				var dr dinoRow
				dr.d = d
				var fb [3]float64
				var hasFB bool
				(&decoder{}).dinoProp(&pr, &t, &dr, &fb, &hasFB)
				d = dr.d
			}
			pr.types = pr.types[:mark]
			if pr.err != nil {
				break
			}
			pr.off = end
		}
		if pr.err != nil {
			return Dino{}, fmt.Errorf("arksave: cryopod: %s: %w", shortClass(o.class), pr.err)
		}
	}
	if !found {
		return Dino{}, fmt.Errorf("arksave: cryopod: %w: no dino object", errCryo)
	}
	d.Level = int(base + extra)
	d.Cryopodded = true
	return d, nil
}
