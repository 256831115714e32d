// Package maps is the one table of ARK map coordinate constants: lat/lon ↔
// Unreal world units per map (docs/nitrado-rcon-logs.md §5.3 and the
// addendum §5.1). It is a leaf (standard library only) so the decoder, jobs
// and bots all read the same numbers.
//
// Convention: lat = LatShift + y/LatDiv, lon = LonShift + x/LonDiv, and the
// inverse y = (lat − LatShift)·LatDiv, x = (lon − LonShift)·LonDiv.
package maps

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// FoundationUnits is the edge of one foundation in Unreal units.
const FoundationUnits = 300

// Constants are one map's calibration.
type Constants struct {
	LatShift, LatDiv, LonShift, LonDiv float64
}

// Valid reports whether the divisors are usable (finite and non-zero).
func (c Constants) Valid() bool {
	for _, f := range [...]float64{c.LatShift, c.LatDiv, c.LonShift, c.LonDiv} {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return false
		}
	}
	return c.LatDiv != 0 && c.LonDiv != 0
}

// LatLon converts UE x/y to lat/lon.
func (c Constants) LatLon(x, y float64) (lat, lon float64) {
	return c.LatShift + y/c.LatDiv, c.LonShift + x/c.LonDiv
}

// UE converts lat/lon to UE x/y.
func (c Constants) UE(lat, lon float64) (x, y float64) {
	return (lon - c.LonShift) * c.LonDiv, (lat - c.LatShift) * c.LatDiv
}

// Map is one known map.
type Map struct {
	Key  string // normalised key: "scorchedearth"
	File string // ASA file name: "ScorchedEarth_WP"
	Name string // display name: "Scorched Earth"
	Constants
	// Mod marks community maps (not official).
	Mod bool
}

// table: ARKPARSE minimap bounds (source B of §5.3, confirmed by the
// addendum's least-squares fit) where it has the map; ASV's calibration
// (source A) for the mod maps only it lists. Ragnarok keeps 50.009388, the
// value both ASV and the Ascended Python port use (source B's 50 differs by
// 0.009°).
var table = []Map{
	{"theisland", "TheIsland_WP", "The Island", Constants{50, 6858, 50, 6858}, false},
	{"thecenter", "TheCenter_WP", "The Center", Constants{32.5057, 10374.04, 50.5458, 10374.04}, false},
	{"scorchedearth", "ScorchedEarth_WP", "Scorched Earth", Constants{49.9936, 7874, 49.9936, 7874}, false},
	{"aberration", "Aberration_WP", "Aberration", Constants{50, 8000, 50, 8000}, false},
	{"extinction", "Extinction_WP", "Extinction", Constants{50, 6858, 50, 6858}, false},
	{"ragnarok", "Ragnarok_WP", "Ragnarok", Constants{50.009388, 13100, 50.009388, 13100}, false},
	{"astraeos", "Astraeos_WP", "Astraeos", Constants{50, 16000, 50, 16000}, false},
	{"svartalfheim", "Svartalfheim_WP", "Svartalfheim", Constants{50, 4065, 50, 4065}, false},
	{"valguero", "Valguero_WP", "Valguero", Constants{50, 8160, 50, 8160}, false},
	{"lostcolony", "LostColony_WP", "Lost Colony", Constants{50, 8160, 50, 8160}, false},
	{"clubark", "BobsMissions_WP", "Club ARK", Constants{60.749, 248.91, 51.474, 248.90}, false},
	{"amissa", "Amissa_WP", "Amissa", Constants{46.9, 11375, 48.1, 11400}, true},
	{"forglar", "Forglar_WP", "Forglar", Constants{61.4, 7150, 69.8, 7945}, true},
	{"insaluna", "Insaluna_WP", "Insaluna", Constants{50, 9400, 50, 9400}, true},
	{"temptress", "Temptress_WP", "Temptress", Constants{50, 8150, 50, 8150}, true},
	{"reverence", "Reverence_WP", "Reverence", Constants{50, 8125, 50, 8125}, true},
}

// Key normalises a map name: "Ragnarok_WP", "ragnarok" and "The Island"
// become "ragnarok" and "theisland".
func Key(name string) string {
	var b strings.Builder
	l := strings.ToLower(strings.TrimSpace(name))
	l = strings.TrimSuffix(l, "_wp")
	for _, r := range l {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Lookup finds a map by file name, key or display name.
func Lookup(name string) (Map, bool) {
	k := Key(name)
	if k == "bobsmissions" {
		k = "clubark"
	}
	for _, m := range table {
		if m.Key == k {
			return m, true
		}
	}
	return Map{}, false
}

// All returns every known map, official maps first, each group by name.
func All() []Map {
	out := slices.Clone(table)
	slices.SortStableFunc(out, func(a, b Map) int {
		if a.Mod != b.Mod {
			if a.Mod {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out
}

// LatLon converts a UE position on the named map; ok is false for unknown
// maps.
func LatLon(mapName string, x, y float64) (lat, lon float64, ok bool) {
	m, ok := Lookup(mapName)
	if !ok {
		return 0, 0, false
	}
	lat, lon = m.LatLon(x, y)
	return lat, lon, true
}

// ParseConstants reads "latShift/latDiv" (the same for lon) or
// "latShift/latDiv,lonShift/lonDiv".
func ParseConstants(s string) (Constants, error) {
	parts := strings.Split(strings.TrimSpace(s), ",")
	if len(parts) > 2 {
		return Constants{}, fmt.Errorf("maps: %q: want shift/div or shift/div,shift/div", s)
	}
	var vals []float64
	for _, p := range parts {
		sh, dv, ok := strings.Cut(strings.TrimSpace(p), "/")
		if !ok {
			return Constants{}, fmt.Errorf("maps: %q: want shift/div", p)
		}
		a, err1 := strconv.ParseFloat(strings.TrimSpace(sh), 64)
		b, err2 := strconv.ParseFloat(strings.TrimSpace(dv), 64)
		if err1 != nil || err2 != nil {
			return Constants{}, fmt.Errorf("maps: %q: not numbers", p)
		}
		vals = append(vals, a, b)
	}
	if len(vals) == 2 {
		vals = append(vals, vals...)
	}
	c := Constants{vals[0], vals[1], vals[2], vals[3]}
	if !c.Valid() {
		return Constants{}, fmt.Errorf("maps: %q: divisor must be non-zero and finite", s)
	}
	return c, nil
}

// Overrides are per-map constants replacing the table's, e.g. a server's
// own calibration.
type Overrides map[string]Constants // by Key

// ParseOverrides reads "ScorchedEarth_WP=49.9936/7874; TheCenter_WP=32.5/10380,50.5/10374".
// Unknown map names are accepted (mod maps) and keyed with Key.
func ParseOverrides(s string) (Overrides, error) {
	out := Overrides{}
	for _, item := range strings.Split(s, ";") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, val, ok := strings.Cut(item, "=")
		if !ok || Key(name) == "" {
			return nil, fmt.Errorf("maps: %q: want Map=shift/div", item)
		}
		c, err := ParseConstants(val)
		if err != nil {
			return nil, err
		}
		out[Key(name)] = c
	}
	return out, nil
}

// Resolve returns the map's constants, an override winning over the table.
// A map only in the overrides gets its name as both File and Name.
func (o Overrides) Resolve(name string) (Map, bool) {
	m, ok := Lookup(name)
	if c, has := o[Key(name)]; has {
		if !ok {
			m = Map{Key: Key(name), File: strings.TrimSpace(name), Name: strings.TrimSpace(name), Mod: true}
		}
		m.Constants = c
		return m, true
	}
	return m, ok
}
