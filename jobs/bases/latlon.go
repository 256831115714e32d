package bases

import "strings"

// Mapper converts UE world x/y to the map's lat/lon; ok is false when the map
// is unknown.
type Mapper func(x, y float64) (lat, lon float64, ok bool)

// MapConstants are one map's lat/lon calibration:
// lat = LatShift + y/LatDiv, lon = LonShift + x/LonDiv
// (nitrado-rcon-logs.md §5.3).
type MapConstants struct {
	LatShift, LatDiv, LonShift, LonDiv float64
}

// Mapper returns the conversion for these constants.
func (c MapConstants) Mapper() Mapper {
	return func(x, y float64) (float64, float64, bool) {
		return c.LatShift + y/c.LatDiv, c.LonShift + x/c.LonDiv, true
	}
}

// mapKey normalises "TheIsland_WP", "theisland" and "The Island" alike.
func mapKey(name string) string {
	name = strings.ToLower(name)
	name = strings.TrimSuffix(name, "_wp")
	return strings.NewReplacer(" ", "", "_", "", "-", "").Replace(name)
}

// Constants for the known ASA maps. Source A of §5.3 (the ASV calibration
// table) where it has an entry, source B (minimap bounds) for the rest.
// ScorchedEarth_WP is disputed (8000 vs 7874): 8000 is used; servers can
// override with Options.Mapper.
func constantsFor(name string) (MapConstants, bool) {
	switch mapKey(name) {
	case "theisland", "extinction":
		return MapConstants{50, 6850, 50, 6850}, true
	case "thecenter":
		return MapConstants{32.5, 10380.52, 50.5, 10374.29}, true
	case "scorchedearth", "aberration":
		return MapConstants{50, 8000, 50, 8000}, true
	case "astraeos":
		return MapConstants{50, 16000, 50, 16000}, true
	case "svartalfheim":
		return MapConstants{50, 4055, 50, 4055}, true
	case "amissa":
		return MapConstants{46.9, 11375, 48.1, 11400}, true
	case "forglar":
		return MapConstants{61.4, 7150, 69.8, 7945}, true
	case "insaluna":
		return MapConstants{50, 9400, 50, 9400}, true
	case "temptress":
		return MapConstants{50, 8150, 50, 8150}, true
	case "reverence":
		return MapConstants{50, 8125, 50, 8125}, true
	case "ragnarok":
		return MapConstants{50.009388, 13100, 50.009388, 13100}, true
	case "valguero":
		return MapConstants{50, 8161, 50, 8161}, true
	case "lostcolony":
		return MapConstants{50, 8160, 50, 8160}, true
	case "clubark":
		return MapConstants{60.749, 248.91, 51.474, 248.90}, true
	}
	return MapConstants{}, false
}

// MapperFor returns the lat/lon conversion for a save's map name (e.g.
// "Ragnarok_WP"), or nil when the map is unknown.
func MapperFor(mapName string) Mapper {
	c, ok := constantsFor(mapName)
	if !ok {
		return nil
	}
	return c.Mapper()
}
