package arksave

import "github.com/blissark/bliss/arksave/maps"

// locator converts UE positions into Locations for one map, with the
// constants of the one coordinate table (package arksave/maps).
type locator struct {
	c  maps.Constants
	ok bool
}

func newLocator(mapName string) locator {
	m, ok := maps.Lookup(mapName)
	return locator{m.Constants, ok}
}

func (l locator) at(x, y, z float64) Location {
	loc := Location{X: x, Y: y, Z: z}
	if l.ok {
		loc.Lat, loc.Lon = l.c.LatLon(x, y)
		loc.HasLatLon = true
	}
	return loc
}

// LatLon converts a UE position on the named map (e.g. "Ragnarok_WP") to
// map coordinates; ok is false for unknown maps. See package arksave/maps.
func LatLon(mapName string, x, y float64) (lat, lon float64, ok bool) {
	return maps.LatLon(mapName, x, y)
}
