package arksave

// dinoRow is a character row before the status-component join.
type dinoRow struct {
	d      Dino
	status GUID
	tamed  bool
	fb     [3]float64 // SavedBaseWorldLocation
	hasFB  bool
}

type statusRow struct{ base, extra int32 }

func (d *decoder) dinoProp(r *reader, t *tag, dr *dinoRow, fb *[3]float64, hasFB *bool) {
	switch t.name {
	case "TamedName":
		dr.d.Name = r.topValue(t, true).Str
	case "TargetingTeam":
		dr.d.TribeID = r.topValue(t, true).Int()
	case "TamingTeamID":
		r.topValue(t, true)
		dr.tamed = true
	case "TamedTimeStamp":
		r.topValue(t, true)
		dr.tamed = true
	case "TribeName":
		dr.d.TribeName = r.topValue(t, true).Str
	case "OwningPlayerName":
		dr.d.OwnerName = r.topValue(t, true).Str
	case "TamerString":
		if s := r.topValue(t, true).Str; dr.d.OwnerName == "" {
			dr.d.OwnerName = s
		}
	case "DinoID1":
		dr.d.DinoID = dr.d.DinoID&0xFFFFFFFF | uint64(uint32(r.topValue(t, true).Int()))<<32
	case "DinoID2":
		dr.d.DinoID = dr.d.DinoID&^0xFFFFFFFF | uint64(uint32(r.topValue(t, true).Int()))
	case "bIsFemale":
		if r.topValue(t, true).Bool() {
			dr.d.Sex = Female
		}
	case "MyCharacterStatusComponent":
		dr.status = r.topValue(t, true).GUID
	case "SavedBaseWorldLocation":
		if x, y, z, ok := r.topValue(t, true).Vector(); ok {
			*fb, *hasFB = [3]float64{x, y, z}, true
		}
	case "TamedAtTime":
		dr.d.TamedAtGame = r.topValue(t, true).Float()
	}
}
