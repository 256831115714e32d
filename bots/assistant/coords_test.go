package assistant

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/blissark/bliss/arksave/maps"
	"github.com/blissark/bliss/bots"
)

var (
	xyzRE    = regexp.MustCompile(`\*\*x y z\*\* (-?\d+) (-?\d+) (-?\d+)`)
	latlonRE = regexp.MustCompile(`\*\*lat/lon\*\* (-?[\d.]+) / (-?[\d.]+)`)
)

func floats(t *testing.T, re *regexp.Regexp, s string) []float64 {
	t.Helper()
	m := re.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("%s not in %q", re, s)
	}
	var out []float64
	for _, v := range m[1:] {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

// TestCoordsRoundTripEveryMap converts lat/lon → x y z with /coords latlon
// and back with /coords ue on every map of the table: the reply shows x y z
// rounded to a unit and lat/lon to 0.01°, so the way back must land within
// 0.01° (and the UE values must match the table's own conversion).
func TestCoordsRoundTripEveryMap(t *testing.T) {
	b := testBot(t, Deps{})
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, m := range maps.All() {
		for range 20 {
			lat, lon := math.Round(rng.Float64()*1000)/10, math.Round(rng.Float64()*1000)/10
			r, err := b.coordsLatLon(ctx, ctxFor(testPlayer, false, optS("map", m.Key), optN("lat", lat), optN("lon", lon), optN("z", -1234)))
			if err != nil {
				t.Fatalf("%s: %v", m.Name, err)
			}
			xyz := floats(t, xyzRE, replyText(r))
			wx, wy := m.UE(lat, lon)
			if math.Abs(xyz[0]-wx) > 0.5 || math.Abs(xyz[1]-wy) > 0.5 || xyz[2] != -1234 {
				t.Fatalf("%s %v/%v: x y z %v, want %v %v", m.Name, lat, lon, xyz, wx, wy)
			}
			if !strings.Contains(replyText(r), "cheat SetPlayerPos") {
				t.Fatalf("no admin line: %s", replyText(r))
			}
			r, err = b.coordsUE(ctx, ctxFor(testPlayer, false, optS("map", m.File), optN("x", xyz[0]), optN("y", xyz[1]), optN("z", xyz[2])))
			if err != nil {
				t.Fatalf("%s: %v", m.Name, err)
			}
			ll := floats(t, latlonRE, replyText(r))
			// 0.5 unit of rounding is < 0.001° on every map but Club ARK
			// (divisor ~249: 0.002°); the reply rounds to 0.01°.
			if math.Abs(ll[0]-lat) > 0.011 || math.Abs(ll[1]-lon) > 0.011 {
				t.Fatalf("%s: %v/%v -> %v -> %v", m.Name, lat, lon, xyz, ll)
			}
		}
	}
}

func TestCoordsOverrideAndUnknownMap(t *testing.T) {
	store := bots.NewMemStore()
	ctx := context.Background()
	gs := bots.GuildSettings{GuildID: testGuild, Values: map[string]string{SettingCoords.Key: "ScorchedEarth_WP=50/8000"}}
	if err := store.SaveGuildSettings(ctx, gs); err != nil {
		t.Fatal(err)
	}
	b := testBot(t, Deps{Store: store})
	r, err := b.coordsLatLon(ctx, ctxFor(testPlayer, false, optS("map", "scorchedearth"), optN("lat", 60), optN("lon", 40)))
	if err != nil {
		t.Fatal(err)
	}
	if xyz := floats(t, xyzRE, replyText(r)); xyz[0] != -80000 || xyz[1] != 80000 {
		t.Fatalf("override not applied: %v\n%s", xyz, replyText(r))
	}
	if !strings.Contains(replyText(r), "coords_overrides") {
		t.Fatalf("override not named: %s", replyText(r))
	}
	// Other maps keep the table.
	r, _ = b.coordsLatLon(ctx, ctxFor(testPlayer, false, optS("map", "theisland"), optN("lat", 60), optN("lon", 40)))
	if xyz := floats(t, xyzRE, replyText(r)); xyz[0] != -68580 || xyz[1] != 68580 {
		t.Fatalf("table: %v", xyz)
	}
	// A bad setting falls back to the table and says so.
	gs.Values[SettingCoords.Key] = "ScorchedEarth_WP=50/0"
	_ = store.SaveGuildSettings(ctx, gs)
	r, _ = b.coordsLatLon(ctx, ctxFor(testPlayer, false, optS("map", "scorchedearth"), optN("lat", 60), optN("lon", 40)))
	if xyz := floats(t, xyzRE, replyText(r)); xyz[1] != 78790 || !strings.Contains(replyText(r), "not valid") {
		t.Fatalf("bad override: %v %s", xyz, replyText(r))
	}
	_, err = b.coordsLatLon(ctx, ctxFor(testPlayer, false, optS("map", "Greenflat"), optN("lat", 1), optN("lon", 1)))
	var ue *bots.UserError
	if !errors.As(err, &ue) {
		t.Fatalf("unknown map: %v", err)
	}
}

func TestClosestBaseStaffOnly(t *testing.T) {
	ctx := context.Background()
	store := bots.NewMemStore()
	_ = store.AddServer(ctx, bots.GameServer{GuildID: testGuild, ServiceID: 7, Name: "Rag"})
	_ = store.AddServer(ctx, bots.GameServer{GuildID: testGuild, ServiceID: 8, Name: "Island"})
	rag, _ := maps.Lookup("Ragnarok_WP")
	bx, by := rag.UE(40, 40)
	w := fakeWorld{maps: map[int64]string{7: "Ragnarok_WP", 8: "TheIsland_WP"}, bases: map[int64][]Base{7: {
		{Owner: 1, OwnerName: "Far Tribe", Structures: 900, X: 0, Y: 0, MinX: -1000, MinY: -1000, MaxX: 1000, MaxY: 1000},
		{Owner: 2, OwnerName: "Near Tribe", Structures: 40, X: bx, Y: by, MinX: bx - 1500, MinY: by - 1500, MaxX: bx + 1500, MaxY: by + 1500,
			DecaysAt: time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)},
	}}}
	b := testBot(t, Deps{Store: store, World: w})
	// 40.5/40 is 0.5° (6550 units) south of the base centre: 5050 units
	// from the edge of its box, about 17 foundations, to the north.
	r, err := b.coordsLatLon(ctx, ctxFor(testStaff, true, optS("map", "ragnarok"), optN("lat", 40.5), optN("lon", 40), optS("server", "7")))
	if err != nil {
		t.Fatal(err)
	}
	txt := replyText(r)
	if !strings.Contains(txt, "Near Tribe") || strings.Index(txt, "Near Tribe") > strings.Index(txt, "Far Tribe") ||
		!strings.Contains(txt, "17 foundations N") || !strings.Contains(txt, "<t:") {
		t.Fatalf("closest base:\n%s", txt)
	}
	r, _ = b.coordsLatLon(ctx, ctxFor(testPlayer, false, optS("map", "ragnarok"), optN("lat", 40.5), optN("lon", 40), optS("server", "7")))
	if txt := replyText(r); strings.Contains(txt, "Tribe") || !strings.Contains(txt, "Only staff") {
		t.Fatalf("player saw bases:\n%s", txt)
	}
	r, _ = b.coordsLatLon(ctx, ctxFor(testStaff, true, optS("map", "ragnarok"), optN("lat", 40), optN("lon", 40), optS("server", "8")))
	if txt := replyText(r); !strings.Contains(txt, "runs The Island, not Ragnarok") {
		t.Fatalf("wrong map server:\n%s", txt)
	}
	if _, err := b.coordsLatLon(ctx, ctxFor(testStaff, true, optS("map", "ragnarok"), optN("lat", 40), optN("lon", 40), optS("server", "99"))); err == nil {
		t.Fatal("foreign server accepted")
	}
}

func TestCompass(t *testing.T) {
	for _, tc := range []struct {
		dx, dy float64
		want   string
	}{
		{0, -1, "N"}, {1, -1, "NE"}, {1, 0, "E"}, {1, 1, "SE"}, {0, 1, "S"}, {-1, 1, "SW"}, {-1, 0, "W"}, {-1, -1, "NW"},
		{0.2, -1, "N"}, {1, -0.3, "E"}, {-0.1, -1, "N"}, {0, 0, ""},
	} {
		if got := Compass(tc.dx, tc.dy); got != tc.want {
			t.Errorf("Compass(%v, %v) = %q, want %q", tc.dx, tc.dy, got, tc.want)
		}
	}
}
