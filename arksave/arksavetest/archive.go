package arksavetest

import (
	"math/rand/v2"
	"strconv"

	"github.com/blissark/bliss/arksave"
)

const (
	classPlayerData = "/Game/PrimalEarth/CoreBlueprints/PrimalPlayerDataBP.PrimalPlayerDataBP_C"
	classTribeData  = "/Script/ShooterGame.PrimalTribeData"
	classBuffData   = "/Script/ShooterGame.PrimalBuffPersistentData_MissionData"
)

// archiveObject is one object of a v7 archive.
type archiveObject struct {
	guid   arksave.GUID
	class  string
	isItem bool
	names  []string
	body   func(p *props)
	guids  []arksave.GUID // trailing GUID list
}

// writeArchive serializes a v7 .arkprofile/.arktribe archive (§7).
func writeArchive(objs []archiveObject) []byte {
	e := &enc{}
	e.i32(7)
	e.i32(522)
	e.i32(1013)
	e.i32(int32(len(objs)))
	offsets := make([]int, len(objs))
	for i, o := range objs {
		e.raw(o.guid[:])
		e.fstring(o.class)
		if o.isItem {
			e.u32(1)
		} else {
			e.u32(0)
		}
		e.i32(int32(len(o.names)))
		for _, n := range o.names {
			e.fstring(n)
		}
		e.u32(0) // FromDataFile
		e.i32(0) // DataFileIndex
		e.u32(0) // HasLocation
		offsets[i] = len(e.b)
		e.i32(0) // PropertiesOffset, patched below
		e.u32(0)
	}
	p := &props{e: e}
	for i, o := range objs {
		e.patch32(offsets[i], int32(len(e.b)))
		e.u8(0)
		o.body(p)
		p.end()
		e.i32(int32(len(o.guids)))
		for _, g := range o.guids {
			e.raw(g[:])
		}
	}
	return e.b
}

func outerNames(mapName string, first string) []string {
	return []string{first, "TestGameMode_C_2147477113", "PersistentLevel", mapName, "/Game/Maps/" + mapName + "/" + mapName}
}

// ProfileArchive returns the v7 .arkprofile bytes for p. gameTime is the
// world clock used for the synthetic IP-free profile fields.
func ProfileArchive(mapName string, pl arksave.Player, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, pl.PlayerDataID))
	var g arksave.GUID
	for i := range g {
		g[i] = byte(rng.Uint32())
	}
	main := archiveObject{
		guid:  g,
		class: classPlayerData,
		names: outerNames(mapName, "PrimalPlayerDataBP_C_"+strconv.FormatUint(pl.PlayerDataID%1e9, 10)),
		guids: []arksave.GUID{g},
		body: func(p *props) {
			p.int("SavedPlayerDataVersion", 10)
			p.structProps("MyData", structType("PrimalPlayerDataStruct", "/Script/ShooterGame"), func() {
				p.u64("PlayerDataID", pl.PlayerDataID)
				p.netID("UniqueID", eosBytes(pl.EOSID))
				// Documentation-range address (RFC 5737): never real PII.
				p.str("SavedNetworkAddress", "192.0.2."+strconv.Itoa(int(pl.PlayerDataID%250)+1))
				p.str("PlayerName", pl.PlatformName)
				p.boolean("bFirstSpawned", true)
				p.structProps("MyPlayerCharacterConfig", structType("PrimalPlayerCharacterConfigStruct", "/Script/ShooterGame"), func() {
					p.linearColor("BodyColors", 0, 0.5, 0.4, 0.3, 1)
					p.str("PlayerCharacterName", pl.CharacterName)
					p.floatAt("RawBoneModifiers", 0, 0.1)
					p.floatAt("RawBoneModifiers", 1, 0.2)
				})
				p.structProps("MyPersistentCharacterStats", structType("PrimalPersistentCharacterStatsStruct", "/Script/ShooterGame"), func() {
					if pl.Level > 1 {
						p.u16("CharacterStatusComponent_ExtraCharacterLevel", uint16(pl.Level-1))
					}
					p.float("CharacterStatusComponent_ExperiencePoints", float32(pl.Level)*1000)
					p.int("CharacterStatusComponent_HighestExtraCharacterLevel", int32(pl.Level-1))
					p.byteAt("CharacterStatusComponent_NumberOfLevelUpPointsApplied", 0, 3)
				})
				if pl.TribeID != 0 {
					p.int("TribeID", int32(pl.TribeID))
				}
				p.int("PlayerDataVersion", 3)
				p.double("LoginTime", pl.LoginGameTime)
				p.double("LastLoginTime", pl.LoginGameTime-3600)
				p.float("NumOfDeaths", 2)
				p.arrayName("HeardVoiceOvers", []string{"FirstEncounter_01"})
			})
			p.arrayObject("MyPersistentBuffDatas", [][16]byte{{}})
		},
	}
	buff := archiveObject{
		guid:   g,
		class:  classBuffData,
		isItem: true,
		names:  []string{"PrimalBuffPersistentData_MissionData_2144787765"},
		body: func(p *props) {
			p.int("ActiveMissionIndex", -1)
			p.objectPath("ForPrimalBuffClass", "BlueprintGeneratedClass /Game/Genesis/Missions/Buff_MissionData.Buff_MissionData_C")
			p.str("ForPrimalBuffClassString", "/Game/Genesis/Missions/Buff_MissionData.Buff_MissionData_C")
		},
	}
	return writeArchive([]archiveObject{main, buff})
}

// TribeArchive returns the v7 .arktribe bytes for t.
func TribeArchive(mapName string, t arksave.Tribe, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, uint64(t.ID)))
	var g arksave.GUID
	for i := range g {
		g[i] = byte(rng.Uint32())
	}
	obj := archiveObject{
		guid:  g,
		class: classTribeData,
		names: outerNames(mapName, "PrimalTribeData_"+strconv.FormatInt(t.ID%1e9, 10)),
		guids: []arksave.GUID{g},
		body: func(p *props) {
			p.structProps("TribeData", structType("TribeData", "/Script/ShooterGame"), func() {
				p.str("TribeName", t.Name)
				p.u32("OwnerPlayerDataId", uint32(t.OwnerID))
				p.int("TribeID", int32(t.ID))
				p.arrayStr("MembersPlayerName", t.Members)
				ids := make([]uint32, len(t.MemberIDs))
				for i, id := range t.MemberIDs {
					ids[i] = uint32(id)
				}
				p.arrayU32("MembersPlayerDataID", ids)
				p.arrayU32("TribeAdmins", ids[:min(1, len(ids))])
				p.arrayStruct("TribeAlliances", structType("TribeAlliance", "/Script/ShooterGame"), 1, func(int) {
					p.str("AllianceName", "Synthetic Alliance")
					p.u32("AllianceID", 7)
				})
				p.arrayStr("TribeLog", []string{
					"Day 1, 09:22:09: synthetic tribe created",
					"Day 2, 10:00:00: synthetic structure placed",
				})
				p.int("LogIndex", 2)
				p.int("NumTribeDinos", int32(rng.IntN(100)))
			})
		},
	}
	return writeArchive([]archiveObject{obj})
}

// StoreBlob returns the GameModeCustomBytes value (the "-usestore" store)
// holding the given tribe and profile archives; tribeIDs[i] is tribes[i]'s id.
func StoreBlob(tribes, profiles [][]byte, tribeIDs []int64) []byte {
	return storeBlob(tribes, profiles, tribeIDs, false, rand.New(rand.NewPCG(1, 2)))
}

// storeBlob builds a GameModeCustomBytes value (§7.1). With no tribes and no
// profiles (or noStore) it writes a store-less blob (Flags 0).
func storeBlob(tribes, profiles [][]byte, tribeIDs []int64, noStore bool, rng *rand.Rand) []byte {
	e := &enc{}
	if noStore {
		e.i32(0)
		for i := 0; i < 64; i++ {
			e.u8(byte(rng.Uint32()))
		}
		return e.b
	}
	total := 0
	for _, t := range tribes {
		total += len(t)
	}
	e.i32(1)
	e.i32(int32(total))
	e.i32(int32(len(tribes)))
	for _, t := range tribes {
		e.raw(t)
	}
	off := 0
	for i, t := range tribes {
		e.u32(uint32(tribeIDs[i]))
		e.i32(int32(rng.Uint32()))
		e.i32(int32(off))
		e.i32(int32(len(t)))
		off += len(t)
	}
	total = 0
	for _, p := range profiles {
		total += len(p)
	}
	e.i32(int32(total))
	e.i32(int32(len(profiles)))
	for _, p := range profiles {
		e.raw(p)
	}
	off = 0
	for i, p := range profiles {
		e.u64(uint64(i))
		e.i32(int32(off))
		e.i32(int32(len(p)))
		off += len(p)
	}
	// Other game-mode data follows in real saves; decoders ignore it.
	e.i32(10)
	e.u32(0xccaa1122)
	for i := 0; i < 256; i++ {
		e.u8(byte(rng.Uint32()))
	}
	return e.b
}
