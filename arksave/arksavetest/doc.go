// Package arksavetest writes synthetic ARK: Survival Ascended v14 world saves
// (.ark SQLite files) and v7 .arkprofile/.arktribe archives for tests and
// benchmarks, byte-compatible with the layout in docs/asa-save-format.md.
//
//	s := arksavetest.Generate(arksavetest.Counts{Seed: 1, Players: 6, Tribes: 2, TamedDinos: 9, Structures: 25})
//	err := arksavetest.Write(path, s, arksavetest.Options{FillerRows: 40})
//	sum, err := arksavetest.WriteSized(ctx, path, 1<<30, arksavetest.Options{Seed: 1}) // streamed
//
// How domain fields land on disk (what a decoder must read back):
//
//   - Save: Map = DataFiles[0]; GameTime in the SaveHeader; SavedAt = file
//     mtime. Two World-Partition cells and an opaque block precede the name
//     table, so decoders must seek via NameTableOffset. Name keys are FNV-1a
//     hashes (not indices).
//   - Player with a Location: a PlayerPawnTest_Male/Female_C row with
//     PlayerName (CharacterName), PlatformProfileName, PlatformProfileID
//     (UniqueNetIdRepl = EOSID), LinkedPlayerDataID, TribeName, TargetingTeam
//     (tribe id; the player id when tribeless), SavedBaseWorldLocation, an
//     ActorTransforms entry, and a status component + inventory. Every player
//     also gets a profile archive: MyData{PlayerDataID, UniqueID, PlayerName
//     (PlatformName), MyPlayerCharacterConfig{PlayerCharacterName} (nested,
//     as in real profiles), MyPersistentCharacterStats{
//     CharacterStatusComponent_ExtraCharacterLevel = Level-1}, TribeID (absent
//     when 0), LoginTime (LoginGameTime)}. LastLogin = SavedAt +
//     (LoginGameTime − GameTime).
//   - Tribe: a PrimalTribeData archive with TribeData{TribeName, TribeID,
//     OwnerPlayerDataId (uint32), MembersPlayerName, MembersPlayerDataID}.
//     Archives go to the GameModeCustomBytes store (unless Options.NoStore)
//     and, with Options.ProfileDir, to <EOSID>.arkprofile / <ID>.arktribe.
//   - Tamed Dino: a <X>_Character_BP_C row with TamedName (omitted when
//     Name==""), TamingTeamID = TargetingTeam = TribeID, TribeName,
//     OwningPlayerName/TamerString (OwnerName), DinoID1/DinoID2 (UInt32:
//     DinoID>>32, DinoID&0xffffffff), bIsFemale, TamedAtTime and
//     OriginalCreationTime (TamedAtGame), MyCharacterStatusComponent → a
//     DinoCharacterStatusComponent_BP_<X>_C row (Names[1] = dino instance)
//     with BaseCharacterLevel + ExtraCharacterLevel = Level and wild/tamed
//     per-stat points that sum to the same level under arkparse's rule. Status
//     rows are written before or after their dino alternately.
//   - Wild dinos: same classes without TamingTeamID; count only.
//   - Structure: a /Structures/ class with TargetingTeam, OwnerName,
//     OwningPlayerID, MaxHealth, Health (omitted when == MaxHealth),
//     LastEnterStasisTime, LastInAllyRangeTimeSerialized and
//     OriginalCreationTime (each omitted when 0), LinkedStructures, and an
//     ActorTransforms entry. Generate picks classes whose material/storage/
//     foundation flags follow the class name.
//   - Filler: items, inventories, NPCZoneVolume (DataFileIndex > 0),
//     AnimSequence (no property list), InstancedFoliageActor (struct array +
//     large native tail), PrimalItemStructure_* items (not structures).
//   - Options.BrokenRows: rows of class ClassBroken whose property Size
//     overruns the row; decoders must count them in Stats.FailedByClass.
//
// Not generated: cryopodded dinos (compressed CustomItemDatas), v13 saves,
// v5/v6 archives, string-class-name rows.
package arksavetest
