package assistant

import (
	"github.com/blissark/bliss/arksave/maps"
)

// seedPoint is a shipped point in lat/lon (the form public lists use).
type seedPoint struct {
	name     string
	lat, lon float64
}

// seeds are the shipped points per map key. Only The Island has a public
// landmark list (docs/nitrado-rcon-logs-addendum.md §5.2): its obelisks and
// artifact caves, in the ASE-era layout the ASA Island keeps, so they are
// approximate. No other map has a public ASA list; staff add their own with
// /teleport add or /teleport import.
var seeds = map[string][]seedPoint{
	"theisland": {
		{"Green Obelisk", 58.9, 72.3},
		{"Red Obelisk", 79.8, 17.4},
		{"Blue Obelisk", 25.4, 25.6},
		{"Cave of the Hunter", 80.3, 53.5},
		{"Cave of the Skylord", 19.3, 19.0},
		{"Cave of the Clever", 41.4, 46.9},
		{"Cave of the Massive", 70.6, 86.1},
		{"Cave of the Strong", 29.1, 31.8},
		{"Cave of the Immune", 62.7, 37.3},
	},
}

// SeedPoints returns the shipped points of map m, placed with m's
// constants (the seed data is in lat/lon, as the game shows it, so a
// guild's calibration override moves the UE position, not the lat/lon).
func SeedPoints(m maps.Map) []TeleportPoint {
	var out []TeleportPoint
	for _, s := range seeds[m.Key] {
		x, y := m.UE(s.lat, s.lon)
		out = append(out, TeleportPoint{Map: m.Key, Name: s.name, X: x, Y: y, Public: true, Note: "approximate, ASE layout"})
	}
	return out
}
