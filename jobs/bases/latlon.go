package bases

import "github.com/blissark/bliss/arksave"

// Mapper converts UE world x/y to the map's lat/lon; ok is false when the map
// is unknown.
type Mapper func(x, y float64) (lat, lon float64, ok bool)

// MapConstants are one map's lat/lon calibration:
// lat = LatShift + y/LatDiv, lon = LonShift + x/LonDiv
// (nitrado-rcon-logs.md §5.3). Use them for per-server overrides, e.g. the
// disputed ScorchedEarth_WP divisor.
type MapConstants struct {
	LatShift, LatDiv, LonShift, LonDiv float64
}

// Mapper returns the conversion for these constants.
func (c MapConstants) Mapper() Mapper {
	return func(x, y float64) (float64, float64, bool) {
		return c.LatShift + y/c.LatDiv, c.LonShift + x/c.LonDiv, true
	}
}

// MapperFor returns the lat/lon conversion of a save's map (e.g.
// "Ragnarok_WP") from arksave's map table, or nil when the map is unknown.
func MapperFor(mapName string) Mapper {
	if _, _, ok := arksave.LatLon(mapName, 0, 0); !ok {
		return nil
	}
	return func(x, y float64) (float64, float64, bool) {
		return arksave.LatLon(mapName, x, y)
	}
}
