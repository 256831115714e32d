package maps

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestRoundTripEveryMap converts random UE positions across each map's
// 0…100 lat/lon box to lat/lon and back, both in full precision and at the
// game's one-decimal display precision (±0.05°, addendum §5.1).
func TestRoundTripEveryMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, m := range All() {
		if !m.Valid() {
			t.Fatalf("%s: invalid constants %+v", m.File, m.Constants)
		}
		for range 200 {
			lat, lon := rng.Float64()*100, rng.Float64()*100
			x, y := m.UE(lat, lon)
			la2, lo2 := m.LatLon(x, y)
			if math.Abs(la2-lat) > 1e-9 || math.Abs(lo2-lon) > 1e-9 {
				t.Fatalf("%s: %v,%v -> %v,%v -> %v,%v", m.File, lat, lon, x, y, la2, lo2)
			}
			// Display rounding: UE → lat/lon shown with one decimal → UE.
			rl, ro := math.Round(la2*10)/10, math.Round(lo2*10)/10
			x2, y2 := m.UE(rl, ro)
			if math.Abs(x2-x) > 0.05*math.Abs(m.LonDiv)+1e-6 || math.Abs(y2-y) > 0.05*math.Abs(m.LatDiv)+1e-6 {
				t.Fatalf("%s: display round trip off: %v,%v vs %v,%v", m.File, x, y, x2, y2)
			}
		}
		if got, ok := Lookup(m.File); !ok || got.Key != m.Key {
			t.Errorf("Lookup(%q) = %+v %v", m.File, got, ok)
		}
		if got, ok := Lookup(m.Name); !ok || got.Key != m.Key {
			t.Errorf("Lookup(%q) = %+v %v", m.Name, got, ok)
		}
	}
}

func TestKnownValues(t *testing.T) {
	tests := []struct {
		name     string
		x, y     float64
		lat, lon float64
	}{
		{"TheIsland_WP", 0, 0, 50, 50},
		{"TheIsland_WP", 68580, -68580, 40, 60},
		{"ScorchedEarth_WP", 78740, 78740, 59.9936, 59.9936}, // 7874, not ASV's 8000
		{"Ragnarok_WP", 131000, 0, 50.009388, 60.009388},
		{"TheCenter_WP", 0, 103740.4, 42.5057, 50.5458},
		{"astraeos", 160000, 0, 50, 60},
		{"Lost Colony", 0, 81600, 60, 50},
	}
	for _, tt := range tests {
		lat, lon, ok := LatLon(tt.name, tt.x, tt.y)
		if !ok || math.Abs(lat-tt.lat) > 1e-9 || math.Abs(lon-tt.lon) > 1e-9 {
			t.Errorf("%s (%v,%v) = %v,%v,%v want %v,%v", tt.name, tt.x, tt.y, lat, lon, ok, tt.lat, tt.lon)
		}
	}
	if _, _, ok := LatLon("GreenflatMap", 0, 0); ok {
		t.Error("unknown map converted")
	}
	if Key(" ScorchedEarth_WP ") != "scorchedearth" || Key("The Island") != "theisland" {
		t.Error("Key")
	}
}

func TestOverrides(t *testing.T) {
	o, err := ParseOverrides("ScorchedEarth_WP=50/8000; MyMod_WP=40/1000,60/2000")
	if err != nil {
		t.Fatal(err)
	}
	m, ok := o.Resolve("ScorchedEarth_WP")
	if !ok || m.LatDiv != 8000 || m.Name != "Scorched Earth" {
		t.Fatalf("override: %+v", m)
	}
	m, ok = o.Resolve("mymod")
	if !ok || m.LatShift != 40 || m.LonDiv != 2000 {
		t.Fatalf("mod override: %+v", m)
	}
	if m, _ := o.Resolve("TheIsland_WP"); m.LatDiv != 6858 {
		t.Fatalf("no override: %+v", m)
	}
	for _, bad := range []string{"x", "A=1", "A=1/0", "A=1/2,3/4,5/6", "=1/2", "A=a/b", "A=1/NaN"} {
		if _, err := ParseOverrides(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParseOverrides(f *testing.F) {
	f.Add("ScorchedEarth_WP=49.9936/7874")
	f.Add("a=1/2,3/4;b=5/6")
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseOverrides(s)
		if err != nil {
			return
		}
		for k, c := range o {
			if !c.Valid() || k == "" {
				t.Fatalf("%q: %q %+v", s, k, c)
			}
		}
	})
}
