package arksave

type pawnRow struct {
	dataID   uint64
	eos      string
	platform string
	charName string
	tribeID  int64
	tribe    string
	status   GUID // MyCharacterStatusComponent
	key      GUID
	fb       [3]float64
	hasFB    bool
}

func (d *decoder) pawnProp(r *reader, t *tag, pr *pawnRow, fb *[3]float64, hasFB *bool) {
	switch t.name {
	case "PlayerName":
		pr.charName = r.topValue(t, true).Str
	case "PlatformProfileName":
		pr.platform = r.topValue(t, true).Str
	case "PlatformProfileID":
		pr.eos = r.topValue(t, true).NetID()
	case "MyCharacterStatusComponent":
		pr.status = r.topValue(t, true).GUID
	case "LinkedPlayerDataID":
		pr.dataID = uint64(r.topValue(t, true).Int())
	case "TargetingTeam":
		pr.tribeID = r.topValue(t, true).Int()
	case "TribeName":
		pr.tribe = r.topValue(t, true).Str
	case "SavedBaseWorldLocation":
		if x, y, z, ok := r.topValue(t, true).Vector(); ok {
			*fb, *hasFB = [3]float64{x, y, z}, true
		}
	}
}

// structProp reads one structure property; it reports TargetingTeam (owned).
// pawnLoc is the pawn that decides a player's location: the player's last
// pawn, located by ActorTransforms after the merge.
type pawnLoc struct {
	key GUID
	i   int // index in Save.Players
}
