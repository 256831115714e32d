package bases

import "github.com/blissark/bliss/arksave/maps"

// Mapper converts UE world x/y to the map's lat/lon; ok is false when the map
// is unknown.
type Mapper func(x, y float64) (lat, lon float64, ok bool)

// MapConstants are one map's lat/lon calibration (maps.Constants):
// lat = LatShift + y/LatDiv, lon = LonShift + x/LonDiv. Use them for
// per-server overrides.
type MapConstants maps.Constants

// Mapper returns the conversion for these constants.
func (c MapConstants) Mapper() Mapper {
	return func(x, y float64) (float64, float64, bool) {
		lat, lon := maps.Constants(c).LatLon(x, y)
		return lat, lon, true
	}
}

// MapperFor returns the lat/lon conversion of a save's map (e.g.
// "Ragnarok_WP") from the one coordinate table (arksave/maps), or nil when
// the map is unknown.
func MapperFor(mapName string) Mapper {
	m, ok := maps.Lookup(mapName)
	if !ok {
		return nil
	}
	return MapConstants(m.Constants).Mapper()
}
