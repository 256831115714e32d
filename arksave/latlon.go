package arksave

import "strings"

// mapCoords holds lat = LatShift + y/LatDiv, lon = LonShift + x/LonDiv
// (docs/nitrado-rcon-logs.md §5.3; source A (ASV calibration) where it has
// the map, source B (minimap bounds of arkparse) otherwise).
type mapCoords struct{ latShift, latDiv, lonShift, lonDiv float64 }

var knownMaps = map[string]mapCoords{
	"theisland":     {50, 6850, 50, 6850},
	"thecenter":     {32.5, 10380.52, 50.5, 10374.29},
	"scorchedearth": {50, 8000, 50, 8000},
	"aberration":    {50, 8000, 50, 8000},
	"extinction":    {50, 6850, 50, 6850},
	"astraeos":      {50, 16000, 50, 16000},
	"svartalfheim":  {50, 4055, 50, 4055},
	"amissa":        {46.9, 11375, 48.1, 11400},
	"forglar":       {61.4, 7150, 69.8, 7945},
	"insaluna":      {50, 9400, 50, 9400},
	"temptress":     {50, 8150, 50, 8150},
	"reverence":     {50, 8125, 50, 8125},
	"ragnarok":      {50.009388, 13100, 50.009388, 13100},
	"valguero":      {50, 8161, 50, 8161},
	"lostcolony":    {50, 8160, 50, 8160},
	"clubark":       {60.749, 248.91, 51.474, 248.90},
}

// mapKey normalises "Ragnarok_WP" to "ragnarok".
func mapKey(m string) string {
	m = strings.ToLower(m)
	m = strings.TrimSuffix(m, "_wp")
	return m
}

// locator converts UE positions into Locations for one map.
type locator struct {
	c  mapCoords
	ok bool
}

func newLocator(mapName string) locator {
	c, ok := knownMaps[mapKey(mapName)]
	return locator{c, ok}
}

func (l locator) at(x, y, z float64) Location {
	loc := Location{X: x, Y: y, Z: z}
	if l.ok {
		loc.Lat = l.c.latShift + y/l.c.latDiv
		loc.Lon = l.c.lonShift + x/l.c.lonDiv
		loc.HasLatLon = true
	}
	return loc
}

// LatLon converts a UE position on the named map (e.g. "Ragnarok_WP") to
// map coordinates; ok is false for unknown maps.
func LatLon(mapName string, x, y float64) (lat, lon float64, ok bool) {
	l := newLocator(mapName)
	loc := l.at(x, y, 0)
	return loc.Lat, loc.Lon, loc.HasLatLon
}
