package arksavetest

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/blissark/bliss/arksave"
)

// Class paths used for rows the encoder writes. They mirror real ASA paths
// closely enough for a decoder's class rules (§9 of the format spec).
const (
	classPawnMale     = "/Game/PrimalEarth/CoreBlueprints/PlayerPawnTest_Male.PlayerPawnTest_Male_C"
	classPawnFemale   = "/Game/PrimalEarth/CoreBlueprints/PlayerPawnTest_Female.PlayerPawnTest_Female_C"
	classPlayerStatus = "/Game/PrimalEarth/CoreBlueprints/PlayerCharacterStatusComponent_BP.PlayerCharacterStatusComponent_BP_C"
	classInventory    = "/Game/PrimalEarth/CoreBlueprints/Inventories/PrimalInventoryBP_StorageBox_Small.PrimalInventoryBP_StorageBox_Small_C"
	classZoneVolume   = "/Script/ShooterGame.NPCZoneVolume"
	classAnimSequence = "/Script/Engine.AnimSequence"
	classFoliage      = "/Script/Foliage.InstancedFoliageActor"
	classItemStruct   = "/Game/PrimalEarth/CoreBlueprints/Items/Structures/Misc/PrimalItemStructure_StorageBox_Small.PrimalItemStructure_StorageBox_Small_C"
	classGameState    = "/Game/PrimalEarth/CoreBlueprints/TestGameState.TestGameState_C"

	// ClassBroken is the class of the deliberately corrupt rows written for
	// Options.BrokenRows: a structure class (so decoders decode it) whose
	// property list overruns the row.
	ClassBroken = "/Game/PrimalEarth/Structures/Synthetic/Wall_Broken.Wall_Broken_C"
)

var fillerItems = []string{
	"/Game/PrimalEarth/CoreBlueprints/Resources/PrimalItemResource_Wood.PrimalItemResource_Wood_C",
	"/Game/PrimalEarth/CoreBlueprints/Resources/PrimalItemResource_Stone.PrimalItemResource_Stone_C",
	"/Game/PrimalEarth/CoreBlueprints/Resources/PrimalItemResource_Thatch.PrimalItemResource_Thatch_C",
	"/Game/PrimalEarth/CoreBlueprints/Resources/PrimalItemResource_Fiber.PrimalItemResource_Fiber_C",
	"/Game/PrimalEarth/CoreBlueprints/Items/Consumables/PrimalItemConsumable_RawMeat.PrimalItemConsumable_RawMeat_C",
	"/Game/PrimalEarth/CoreBlueprints/Weapons/PrimalItem_WeaponStoneHatchet.PrimalItem_WeaponStoneHatchet_C",
	"/Game/PrimalEarth/CoreBlueprints/Items/Armor/Cloth/PrimalItemArmor_ClothShirt.PrimalItemArmor_ClothShirt_C",
}

// ShortClass returns the part of a class path after the last '.'.
func ShortClass(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// world serializes game rows of one v14 save. It owns the name table and the
// ActorTransforms buffer; rows are handed to sink as they are built, so a
// world never holds more than one row.
type world struct {
	names      *nameTable
	rng        *rand.Rand
	transforms enc
	sink       func(key arksave.GUID, value []byte) error
	buf        enc
	serial     uint32
	rows       int
	bytes      int64
}

func newWorld(seed uint64, sink func(arksave.GUID, []byte) error) *world {
	w := &world{
		names:  newNameTable(),
		rng:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		sink:   sink,
		serial: 2147000000,
	}
	// Names every real save has, registered first as ASA does.
	for _, n := range []string{"None", "IntProperty", "StructProperty", "BoolProperty"} {
		w.names.key(n)
	}
	return w
}

func (w *world) guid() arksave.GUID {
	var g arksave.GUID
	binary.LittleEndian.PutUint64(g[:8], w.rng.Uint64())
	binary.LittleEndian.PutUint64(g[8:], w.rng.Uint64())
	return g
}

func (w *world) instance(class string) string {
	w.serial++
	return ShortClass(class) + "_" + strconv.FormatUint(uint64(w.serial), 10)
}

// row writes one game object record (§5). flags is ObjectFlags; body writes
// the properties (nil = AnimSequence-style record without properties); tail
// is the native tail after the trailing GUID list.
func (w *world) row(key arksave.GUID, class string, names []string, dataFile int32, flags byte, body func(p *props), tail []byte) error {
	e := &w.buf
	e.b = e.b[:0]
	p := &props{e: e, names: w.names}
	p.name(class)
	e.i32(0)
	e.i32(int32(len(names)))
	for _, n := range names {
		e.fstring(n)
	}
	e.i32(dataFile)
	e.u8(flags)
	e.u8(0)
	if body != nil {
		body(p)
		p.end()
		e.i32(1)
		e.raw(key[:])
		e.raw(tail)
	}
	w.rows++
	w.bytes += int64(len(e.b))
	return w.sink(key, e.b)
}

// transform records an ActorTransforms entry with a yaw-only quaternion.
func (w *world) transform(key arksave.GUID, l arksave.Location) {
	yaw := w.rng.Float64() * 2 * math.Pi
	e := &w.transforms
	e.raw(key[:])
	e.f64(l.X)
	e.f64(l.Y)
	e.f64(l.Z)
	e.f64(0)
	e.f64(0)
	e.f64(math.Sin(yaw / 2))
	e.f64(math.Cos(yaw / 2))
}

func (w *world) quatRandom(p *props, name string) {
	yaw := w.rng.Float64() * 2 * math.Pi
	p.quat(name, 0, 0, math.Sin(yaw/2), math.Cos(yaw/2))
}

func eosBytes(s string) [16]byte {
	var id [16]byte
	for i := 0; i < 16 && 2*i+1 < len(s); i++ {
		id[i] = unhex(s[2*i])<<4 | unhex(s[2*i+1])
	}
	return id
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0
}

// pawn writes a player's pawn and its status component. female picks the
// pawn class.
func (w *world) pawn(pl arksave.Player, female bool, gameTime float64) error {
	if pl.Location == nil {
		return nil
	}
	key, statusKey, invKey := w.guid(), w.guid(), w.guid()
	class := classPawnMale
	if female {
		class = classPawnFemale
	}
	inst := w.instance(class)
	loc := *pl.Location
	w.transform(key, loc)
	err := w.row(key, class, []string{inst}, 0, 0x08, func(p *props) {
		p.itemNetID("CurrentWeaponItemID", w.rng.Uint32(), w.rng.Uint32())
		p.str("PlayerName", pl.CharacterName)
		p.str("PlatformProfileName", pl.PlatformName)
		p.netID("PlatformProfileID", eosBytes(pl.EOSID))
		for i := 0; i < 3; i++ {
			p.linearColor("BodyColors", i, w.rng.Float32(), w.rng.Float32(), w.rng.Float32(), 1)
		}
		p.double("SavedLastTimeHadController", gameTime)
		p.u64("LinkedPlayerDataID", pl.PlayerDataID)
		for i := 0; i < 6; i++ {
			p.floatAt("RawBoneModifiers", i, w.rng.Float32()-0.5)
		}
		p.byteAt("FacialHairIndex", 0, 0)
		p.boolean("bGaveInitialItems", true)
		w.quatRandom(p, "CharacterSavedDynamicBaseRelativeRotation")
		p.vector("SavedBaseWorldLocation", loc.X, loc.Y, loc.Z)
		if pl.TribeName != "" {
			p.str("TribeName", pl.TribeName)
		}
		p.object("MyCharacterStatusComponent", statusKey, 0)
		p.object("MyInventoryComponent", invKey, 0)
		p.double("OriginalCreationTime", gameTime-w.rng.Float64()*1000)
		team := int32(pl.TribeID)
		if team == 0 {
			team = int32(uint32(pl.PlayerDataID)) // tribeless: the player id
		}
		p.int("TargetingTeam", team)
	}, []byte{1, 0, 0, 0})
	if err != nil {
		return err
	}
	err = w.row(statusKey, classPlayerStatus, []string{"PlayerCharacterStatus_BP_C1", inst}, 0, 0, func(p *props) {
		if pl.Level > 1 {
			p.u16("ExtraCharacterLevel", uint16(pl.Level-1))
		}
		p.float("ExperiencePoints", float32(pl.Level)*1000)
		for i := 0; i < 4; i++ {
			p.floatAt("CurrentStatusValues", i, 100+w.rng.Float32()*100)
		}
	}, []byte{0, 0, 0, 0})
	if err != nil {
		return err
	}
	return w.inventory(invKey, inst, 3)
}

// inventory writes an inventory component with n item rows.
func (w *world) inventory(key arksave.GUID, owner string, n int) error {
	items := make([][16]byte, n)
	for i := range items {
		items[i] = w.guid()
	}
	err := w.row(key, classInventory, []string{w.instance(classInventory), owner}, 0, 0, func(p *props) {
		p.arrayObject("InventoryItems", items)
		p.int("MaxItemCount", 50)
		p.double("LastInventoryRefreshTime", 1e8)
	}, nil)
	if err != nil {
		return err
	}
	for _, it := range items {
		if err := w.item(it, key); err != nil {
			return err
		}
	}
	return nil
}

func (w *world) item(key arksave.GUID, owner arksave.GUID) error {
	class := fillerItems[w.rng.IntN(len(fillerItems))]
	return w.row(key, class, []string{w.instance(class)}, 0, 0x01, func(p *props) {
		p.itemNetID("ItemID", w.rng.Uint32(), w.rng.Uint32())
		p.object("OwnerInventory", owner, 0)
		p.intAt("ItemQuantity", 0, int32(1+w.rng.IntN(100)))
		p.double("LastAutoDurabilityDecreaseTime", 1e8+w.rng.Float64()*1e4)
		p.byteAt("ItemVersion", 0, 2)
		p.boolean("bIsBlueprint", false)
		p.boolean("bIsEngram", w.rng.IntN(4) == 0)
	}, nil)
}

// splitLevel splits a dino level into wild (base) and tamed (extra) levels
// and per-stat points, so that BaseCharacterLevel+ExtraCharacterLevel and
// arkparse's point sum agree.
func splitLevel(level int) (base, extra int) {
	if level < 1 {
		level = 1
	}
	base = (level*2 + 2) / 3
	if base < 1 {
		base = 1
	}
	return base, level - base
}

func spread(total, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = total / n
	}
	for i := 0; i < total%n; i++ {
		out[i]++
	}
	return out
}

// statusClass is the status component class for a dino class path.
func statusClass(dinoClass string) (class, inst string) {
	short := strings.TrimSuffix(ShortClass(dinoClass), "_C")
	species := strings.TrimSuffix(short, "_Character_BP")
	c := "DinoCharacterStatusComponent_BP_" + species + "_C"
	return "/Game/PrimalEarth/CoreBlueprints/" + strings.TrimSuffix(c, "_C") + "." + c, "DinoCharacterStatus_BP_" + species + "_C1"
}

// dino writes a tamed (tamed=true) or wild dino and its status component.
func (w *world) dino(d arksave.Dino, tamed bool, statusFirst bool) error {
	key := d.ID
	statusKey, invKey := w.guid(), w.guid()
	inst := w.instance(d.ClassPath)
	loc := arksave.Location{}
	if d.Location != nil {
		loc = *d.Location
		w.transform(key, loc)
	}
	base, extra := splitLevel(d.Level)
	sc, sinst := statusClass(d.ClassPath)
	status := func() error {
		return w.row(statusKey, sc, []string{sinst, inst}, 0, 0, func(p *props) {
			for i, v := range spread(base-1, 8) {
				if v > 0 {
					p.byteAt("NumberOfLevelUpPointsApplied", i, uint8(v))
				}
			}
			if tamed && extra > 0 {
				for i, v := range spread(extra, 8) {
					if v > 0 {
						p.byteAt("NumberOfLevelUpPointsAppliedTamed", i, uint8(v))
					}
				}
			}
			p.boolean("bServerFirstInitialized", true)
			p.int("BaseCharacterLevel", int32(base))
			if tamed && extra > 0 {
				p.u16("ExtraCharacterLevel", uint16(extra))
			}
			for i := 0; i < 4; i++ {
				p.floatAt("CurrentStatusValues", i, 100+w.rng.Float32()*1000)
			}
			if tamed {
				p.float("DinoImprintingQuality", w.rng.Float32())
			}
		}, []byte{0, 0, 0, 0})
	}
	if statusFirst {
		if err := status(); err != nil {
			return err
		}
	}
	err := w.row(key, d.ClassPath, []string{inst}, 0, 0x08, func(p *props) {
		p.arrayName("GeneTraits", nil)
		if tamed {
			p.str("TamerString", d.OwnerName)
			if d.Name != "" {
				p.str("TamedName", d.Name)
			}
			p.str("OwningPlayerName", d.OwnerName)
			p.str("TamedTimeStamp", "2026.01.02-03.04.05")
			p.str("TamedOnServerName", "Synthetic Server")
			p.double("TamedAtTime", d.TamedAtGame)
			p.double("LastTameConsumedFoodTime", d.TamedAtGame)
			p.float("RequiredTameAffinity", 4000)
			p.int("TamingTeamID", int32(d.TribeID))
			p.int("OwningPlayerID", int32(w.rng.Uint32()>>1))
		} else {
			p.nameProp("OriginalNPCVolumeName", "None")
			p.float("RequiredTameAffinity", 4000)
		}
		p.u32("DinoID1", uint32(d.DinoID>>32))
		p.u32("DinoID2", uint32(d.DinoID))
		for i := 0; i < 6; i++ {
			p.byteAt("ColorSetIndices", i, uint8(w.rng.IntN(50)))
		}
		if d.Sex == arksave.Female {
			p.boolean("bIsFemale", true)
		}
		p.boolean("bServerInitializedDino", true)
		w.quatRandom(p, "CharacterSavedDynamicBaseRelativeRotation")
		p.vector("SavedBaseWorldLocation", loc.X, loc.Y, loc.Z)
		if tamed && d.TribeName != "" {
			p.str("TribeName", d.TribeName)
		}
		p.object("MyCharacterStatusComponent", statusKey, 0)
		if tamed {
			p.object("MyInventoryComponent", invKey, 0)
		}
		p.double("OriginalCreationTime", d.TamedAtGame)
		p.int("TargetingTeam", int32(d.TribeID))
	}, []byte{1, 0, 0, 0})
	if err != nil {
		return err
	}
	if !statusFirst {
		if err := status(); err != nil {
			return err
		}
	}
	if tamed {
		return w.inventory(invKey, inst, 1)
	}
	return nil
}

// structure writes one owned structure (§9) and, for storage, its inventory.
func (w *world) structure(s arksave.Structure, linked []arksave.GUID) error {
	inst := w.instance(s.ClassPath)
	if s.HasLocation {
		w.transform(s.ID, s.Location)
	}
	var invKey arksave.GUID
	if s.IsStorage {
		invKey = w.guid()
	}
	err := w.row(s.ID, s.ClassPath, []string{inst}, 0, 0x08, func(p *props) {
		if len(linked) > 0 {
			ls := make([][16]byte, len(linked))
			for i, g := range linked {
				ls[i] = g
			}
			p.arrayObject("LinkedStructures", ls)
		}
		if s.IsStorage {
			p.object("MyInventoryComponent", invKey, 0)
			p.boolean("bContainerActivated", true)
		}
		p.str("OwningPlayerName", s.OwnerName+" Player")
		p.str("OriginalPlacedTimeStamp", "2026.01.02-03.04.05")
		p.str("OwnerName", s.OwnerName)
		p.int("OwningPlayerID", int32(s.OwningPlayerID))
		p.int("OriginalPlacerPlayerID", int32(s.OwningPlayerID))
		p.u32("StructureID", w.rng.Uint32())
		p.boolean("bHasResetDecayTime", true)
		if s.Health != s.MaxHealth {
			p.float("Health", s.Health)
		}
		p.float("MaxHealth", s.MaxHealth)
		if s.LastStasisTime != 0 {
			p.double("LastEnterStasisTime", s.LastStasisTime)
		}
		if s.LastAllyInRange != 0 {
			p.double("LastInAllyRangeTimeSerialized", s.LastAllyInRange)
		}
		if s.CreationTime != 0 {
			p.double("OriginalCreationTime", s.CreationTime)
		}
		p.int("TargetingTeam", int32(s.TribeID))
	}, nil)
	if err != nil {
		return err
	}
	if s.IsStorage {
		return w.inventory(invKey, inst, 2)
	}
	return nil
}

// filler writes one uninteresting row of a random kind; it returns the
// number of rows written.
func (w *world) filler() (int, error) {
	before := w.rows
	var err error
	switch k := w.rng.IntN(20); {
	case k == 0:
		key := w.guid()
		loc := arksave.Location{X: w.rng.Float64()*6e5 - 3e5, Y: w.rng.Float64()*6e5 - 3e5}
		w.transform(key, loc)
		err = w.row(key, classZoneVolume, []string{"NPCZoneVolume_" + strconv.Itoa(w.rng.IntN(90))}, 1+int32(w.rng.IntN(3)), 0x0A, func(p *props) {
			p.int("NumSpawned", int32(w.rng.IntN(30)))
			p.nameProp("ZoneName", "None")
		}, nil)
	case k == 1:
		err = w.row(w.guid(), classAnimSequence, []string{w.instance(classAnimSequence)}, 0, 0, nil, nil)
	case k == 2:
		tail := make([]byte, 200+w.rng.IntN(2000))
		for i := range tail {
			tail[i] = byte(w.rng.Uint32())
		}
		err = w.row(w.guid(), classFoliage, []string{w.instance(classFoliage)}, 1, 0x0A, func(p *props) {
			p.arrayStruct("SavedFoliage", structType("FoliageSavedData", "/Script/ShooterGame"), 2, func(i int) {
				p.int("Index", int32(i))
				p.vector("Location", 1, 2, 3)
			})
		}, tail)
	case k == 3:
		key := w.guid()
		err = w.row(key, classItemStruct, []string{w.instance(classItemStruct)}, 0, 0x01, func(p *props) {
			p.itemNetID("ItemID", w.rng.Uint32(), w.rng.Uint32())
			p.double("LastAutoDurabilityDecreaseTime", 1e8)
			p.boolean("bIsBlueprint", false)
		}, nil)
	case k == 4:
		err = w.row(w.guid(), classGameState, []string{w.instance(classGameState)}, 0, 0x08, func(p *props) {
			p.int("NumDinos", int32(w.rng.IntN(1e5)))
			p.arrayStr("LogLines", []string{"synthetic log line one", "synthetic log line two"})
			data := make([]byte, 64)
			p.arrayBytes("OpaqueBytes", data)
			p.objectPath("DayCycleClass", "/Game/PrimalEarth/Environment/DayCycle.DayCycle_C")
		}, nil)
	default:
		err = w.inventory(w.guid(), w.instance(classInventory), 1+w.rng.IntN(4))
	}
	return w.rows - before, err
}

// broken writes a structure-class row whose property Size overruns the row.
func (w *world) broken() error {
	key := w.guid()
	e := &w.buf
	e.b = e.b[:0]
	p := &props{e: e, names: w.names}
	p.name(ClassBroken)
	e.i32(0)
	e.i32(1)
	e.fstring(w.instance(ClassBroken))
	e.i32(0)
	e.u8(0x08)
	e.u8(0)
	p.int("TargetingTeam", 1)
	p.name("OwnerName")
	p.typ(tStr)
	e.i32(1 << 20) // Size far past the end of the row
	e.u8(0)
	e.fstring("trunc")
	w.rows++
	w.bytes += int64(len(e.b))
	return w.sink(key, e.b)
}
