package assistant

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/blissark/bliss/arksave/maps"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/bottest"
)

// teleWorld: server 7 runs Ragnarok with two tek teleporters (tribes 11
// and 22), the player is in tribe 11, and the staff list holds a public,
// a tribe-22 and a staff-only point.
func teleWorld(t *testing.T) (*bot, *memTeleports, *bottest.Audits, maps.Map) {
	t.Helper()
	ctx := context.Background()
	store := bots.NewMemStore()
	_ = store.AddServer(ctx, bots.GameServer{GuildID: testGuild, ServiceID: 7, Name: "Rag", Cluster: "main"})
	_ = store.AddServer(ctx, bots.GameServer{GuildID: testGuild, ServiceID: 8, Name: "Island"})
	rag, _ := maps.Lookup("ragnarok")
	at := func(lat, lon float64) (float64, float64) { return rag.UE(lat, lon) }
	x1, y1 := at(40, 40)
	x2, y2 := at(41, 40)
	w := fakeWorld{
		maps: map[int64]string{7: "Ragnarok_WP", 8: "TheIsland_WP"},
		tps: map[int64][]TeleportPoint{7: {
			{Map: "Ragnarok_WP", X: x1, Y: y1, Z: 500, TribeID: 11, TribeName: "Alpha", Class: "TekTeleporter_C"},
			{Map: "Ragnarok_WP", X: x2, Y: y2, Z: 600, TribeID: 22, TribeName: "Beta", Class: "TekTeleporter_C"},
		}, 8: {
			{Map: "TheIsland_WP", X: 0, Y: 0, TribeID: 11, TribeName: "Alpha", Class: "TekTeleporter_C"},
		}},
		tribeOf: map[string]int64{testPlayer: 11},
	}
	tp := &memTeleports{}
	px, py := at(60, 60)
	for _, p := range []TeleportPoint{
		{Map: "ragnarok", Name: "Public Hub", X: px, Y: py, Public: true},
		{Map: "ragnarok", Name: "Beta Den", X: px, Y: py, TribeID: 22},
		{Map: "ragnarok", Name: "Admin Island", X: px, Y: py},
	} {
		_, _ = tp.AddTeleportPoint(ctx, testGuild, p)
	}
	au := &bottest.Audits{}
	return testBot(t, Deps{Store: store, Teleports: tp, World: w, Audit: au}), tp, au, rag
}

func TestTeleportFindVisibility(t *testing.T) {
	b, _, _, _ := teleWorld(t)
	ctx := context.Background()
	find := func(user string, staff bool) string {
		t.Helper()
		r, err := b.teleportFind(ctx, ctxFor(user, staff, optS("map", "ragnarok"), optN("lat", 40.2), optN("lon", 40)))
		if err != nil {
			t.Fatal(err)
		}
		return replyText(r)
	}
	p := find(testPlayer, false)
	// The player's own tribe's teleporter, first (0.2° = 2620 units ≈ 8.7
	// foundations, destination to its south), and the public point; not
	// tribe 22's teleporter, its den, or the staff-only point.
	if !strings.Contains(p, "**1. Your tribe's Tek Teleporter** — 8.7 foundations S of it") || !strings.Contains(p, "Public Hub") {
		t.Fatalf("player:\n%s", p)
	}
	for _, hidden := range []string{"Beta", "Admin Island", "Alpha", "SetPlayerPos", "tribe 22"} {
		if strings.Contains(p, hidden) {
			t.Fatalf("player sees %q:\n%s", hidden, p)
		}
	}
	s := find(testStaff, true)
	for _, want := range []string{"Tek Teleporter of Alpha", "Tek Teleporter of Beta", "Beta Den", "Admin Island", "staff only", "cheat SetPlayerPos", "Rag (main)"} {
		if !strings.Contains(s, want) {
			t.Fatalf("staff lacks %q:\n%s", want, s)
		}
	}
	// A stranger (no tribe) sees only public points.
	o := find("200000000000000099", false)
	if strings.Contains(o, "Teleporter") || !strings.Contains(o, "Public Hub") {
		t.Fatalf("stranger:\n%s", o)
	}
	// The Island has seed points (lat/lon from the public list) and the
	// island server's teleporter.
	r, err := b.teleportFind(ctx, ctxFor(testPlayer, false, optS("map", "theisland"), optN("lat", 79), optN("lon", 18)))
	if err != nil {
		t.Fatal(err)
	}
	if txt := replyText(r); !strings.Contains(txt, "**1. Red Obelisk**") || !strings.Contains(txt, "at 79.8 / 17.4") {
		t.Fatalf("island:\n%s", txt)
	}
	// A map with nothing known.
	r, _ = b.teleportFind(ctx, ctxFor(testPlayer, false, optS("map", "aberration"), optN("lat", 50), optN("lon", 50)))
	if !strings.Contains(replyText(r), "No teleport points") {
		t.Fatalf("aberration: %s", replyText(r))
	}
}

func TestTeleportAddRemoveStaffOnly(t *testing.T) {
	b, tp, au, rag := teleWorld(t)
	ctx := context.Background()
	// Who may change the staff list is the router's rule (the dispatcher
	// refuses a Staff subcommand before its handler runs; the e2e test
	// drives the refusal): add, remove and import are Staff routes of the
	// Everyone command /teleport, find and list are not.
	want := map[string]bots.Access{"add": bots.Staff, "remove": bots.Staff, "import": bots.Staff, "find": bots.Everyone, "list": bots.Everyone}
	for _, rt := range New(b.Deps).Routes() {
		if rt.Name != "teleport" {
			continue
		}
		if rt.Access != want[rt.Sub] || rt.CommandAccess != bots.Everyone {
			t.Errorf("/teleport %s: access %s (command %s), want %s", rt.Sub, rt.Access, rt.CommandAccess, want[rt.Sub])
		}
		delete(want, rt.Sub)
	}
	if len(want) != 0 {
		t.Fatalf("routes missing: %v", want)
	}
	r, err := b.teleportAdd(ctx, ctxFor(testStaff, true, optS("map", "Ragnarok_WP"), optS("name", " Alpha Gate "), optN("lat", 30), optN("lon", 70),
		optN("z", 1200), optI("tribe_id", 11), optS("note", "by the lake")))
	if err != nil || !strings.Contains(replyText(r), "Teleport point added") {
		t.Fatalf("add: %v %s", err, replyText(r))
	}
	ps, _ := tp.TeleportPoints(ctx, testGuild, "ragnarok")
	var got TeleportPoint
	for _, p := range ps {
		if p.Name == "Alpha Gate" {
			got = p
		}
	}
	wx, wy := rag.UE(30, 70)
	if got.Public || got.TribeID != 11 || math.Abs(got.X-wx) > 1e-6 || math.Abs(got.Y-wy) > 1e-6 || got.Z != 1200 || got.CreatedBy != testStaff {
		t.Fatalf("stored: %+v", got)
	}
	// The tribe sees it, a stranger does not.
	r, _ = b.teleportFind(ctx, ctxFor(testPlayer, false, optS("map", "ragnarok"), optN("lat", 30), optN("lon", 70)))
	if !strings.Contains(replyText(r), "**1. Alpha Gate** — here") {
		t.Fatalf("tribe point: %s", replyText(r))
	}
	r, _ = b.teleportFind(ctx, ctxFor("200000000000000099", false, optS("map", "ragnarok"), optN("lat", 30), optN("lon", 70)))
	if strings.Contains(replyText(r), "Alpha Gate") {
		t.Fatalf("stranger sees the tribe point: %s", replyText(r))
	}
	r, err = b.teleportAdd(ctx, ctxFor(testStaff, true, optS("map", "ragnarok"), optS("name", "alpha gate"), optN("lat", 31), optN("lon", 70), optB("staff_only", true)))
	if err != nil || !strings.Contains(replyText(r), "replaced") || !strings.Contains(replyText(r), "staff only") {
		t.Fatalf("replace: %v %s", err, replyText(r))
	}
	if _, err := b.teleportRemove(ctx, ctxFor(testStaff, true, optS("map", "ragnarok"), optS("name", "nope"))); err == nil {
		t.Fatal("removed a point that does not exist")
	}
	if _, err := b.teleportRemove(ctx, ctxFor(testStaff, true, optS("map", "ragnarok"), optS("name", "Alpha Gate"))); err != nil {
		t.Fatal(err)
	}
	if es := au.Entries(); len(es) != 3 || es[0].Action != "teleport add" || es[2].Action != "teleport remove" || !es[2].OK {
		t.Fatalf("audit: %+v", es)
	}
}

func TestTeleportListPages(t *testing.T) {
	b, tp, _, _ := teleWorld(t)
	ctx := context.Background()
	for i := range 40 {
		_, _ = tp.AddTeleportPoint(ctx, testGuild, TeleportPoint{Map: "ragnarok", Name: "P" + string(rune('A'+i%26)) + string(rune('a'+i/26)), Public: true})
	}
	c := ctxFor(testPlayer, false)
	embeds, pages, err := b.teleportPage(ctx, c, "ragnarok", 0)
	if err != nil || pages != 3 {
		t.Fatalf("pages %d %v", pages, err)
	}
	if !strings.Contains(embeds[0].Title, "(42)") { // 40 + Public Hub + own teleporter
		t.Fatalf("title %q", embeds[0].Title)
	}
	embeds, _, _ = b.teleportPage(ctx, c, "ragnarok", 9) // past the end: last page
	if !strings.Contains(embeds[0].Footer.Text, "Page 3 of 3") || !strings.Contains(embeds[0].Description, "Your tribe's Tek Teleporter") {
		t.Fatalf("last page: %+v", embeds[0])
	}
	// Only the island server: its teleporter is on The Island, not Ragnarok.
	embeds, _, err = b.teleportPage(ctx, ctxFor(testStaff, true), "ragnarok:8", 2)
	if err != nil || strings.Contains(embeds[0].Description, "Teleporter") {
		t.Fatalf("server filter: %v %+v", err, embeds)
	}
	if _, _, err := b.teleportPage(ctx, c, "ragnarok:999", 0); err == nil {
		t.Fatal("a server of another guild was read")
	}
}

func TestTeleportImport(t *testing.T) {
	b, tp, au, _ := teleWorld(t)
	ctx := context.Background()
	marks := `[/Script/ShooterGame.ShooterGameUserSettings]
SavedMinimapMarks=(Name="Wyvern Trench",CustomTag="22",Location=(X=-29740.0,Y=-303517.0,Z=-12093.0),Color=(R=1,G=0,B=0,A=1),MapName="Ragnarok_WP",bIsMarkerVisible=True)
SavedMinimapMarks=(Name="Elsewhere",Location=(X=1.0,Y=2.0,Z=3.0),MapName="TheIsland_WP")
SavedMinimapMarks=(Name="Broken",Location=(X=abc,Y=2.0,Z=3.0))
SavedMinimapMarks=(Name="No map",Location=(X=10,Y=20,Z=30))`
	r, err := b.teleportImport(ctx, ctxFor(testStaff, true, optS("map", "ragnarok"), optS("marks", marks)))
	if err != nil || !strings.Contains(replyText(r), "2 added, 0 replaced, 1 on another map, 1 unreadable") {
		t.Fatalf("import: %v %s", err, replyText(r))
	}
	ps, _ := tp.TeleportPoints(ctx, testGuild, "ragnarok")
	found := false
	for _, p := range ps {
		if p.Name == "Wyvern Trench" {
			found = p.X == -29740 && p.Y == -303517 && p.Z == -12093 && p.Public
		}
	}
	if !found || len(au.Entries()) != 1 {
		t.Fatalf("stored %+v, audits %d", ps, len(au.Entries()))
	}
	if _, err := b.teleportImport(ctx, ctxFor(testStaff, true, optS("map", "ragnarok"), optS("marks", "nothing here"))); err == nil {
		t.Fatal("empty import accepted")
	}
}

func TestParseMinimapMarks(t *testing.T) {
	for _, tc := range []struct {
		in      string
		names   []string
		skipped int
	}{
		{`SavedMinimapMarks=(Name="A",Location=(X=1,Y=2,Z=3))`, []string{"A"}, 0},
		{`SavedMinimapMarks=(MapName="TheIsland_WP",Name="B",Location=(Z=3,Y=2,X=1))`, []string{"B"}, 0},
		{`SavedMinimapMarks=(Name="",Location=(X=1,Y=2,Z=3))`, nil, 1},
		{`SavedMinimapMarks=(Name="C",Location=(X=1,Y=2))`, nil, 1},
		{`SavedMinimapMarks=(Name="D",Location=(X=1e30,Y=2,Z=3))`, nil, 1},
		{`SavedMinimapMarks=(Name="E",Location=(X=NaN,Y=2,Z=3))`, nil, 1},
		{`SavedMinimapMarks=(Name="F",Location=(X=1,Y=2,Z=3)`, []string{"F"}, 0},
		{`SavedMinimapMarks=(Name="G`, nil, 1},
		{`junk SavedMinimapMarks=(Name="H",Location=(X=1,Y=2,Z=3))SavedMinimapMarks=(Name="I",Location=(X=4,Y=5,Z=6))`, []string{"H", "I"}, 0},
		{"", nil, 0},
	} {
		got, skipped := ParseMinimapMarks(tc.in)
		var names []string
		for _, m := range got {
			names = append(names, m.Name)
		}
		if strings.Join(names, ",") != strings.Join(tc.names, ",") || skipped != tc.skipped {
			t.Errorf("%q: %v skipped %d, want %v %d", tc.in, names, skipped, tc.names, tc.skipped)
		}
	}
	got, _ := ParseMinimapMarks(`SavedMinimapMarks=(Name="Rock",Location=(X=-1.5,Y=2.25,Z=3),MapName="ScorchedEarth_WP")`)
	if len(got) != 1 || got[0] != (MinimapMark{Name: "Rock", X: -1.5, Y: 2.25, Z: 3, MapName: "ScorchedEarth_WP"}) {
		t.Fatalf("%+v", got)
	}
}

func FuzzParseMinimapMarks(f *testing.F) {
	f.Add(`SavedMinimapMarks=(Name="Wyvern",CustomTag="22",Location=(X=-29740.0,Y=-303517.0,Z=-12093.0),MapName="ScorchedEarth_WP")`)
	f.Add(`SavedMinimapMarks=(Name="A",Location=(X=1,Y=2,Z=3))SavedMinimapMarks=(Name="`)
	f.Fuzz(func(t *testing.T, s string) {
		marks, skipped := ParseMinimapMarks(s)
		if skipped < 0 || len(marks) > strings.Count(s, "SavedMinimapMarks=") {
			t.Fatalf("%d marks, %d skipped", len(marks), skipped)
		}
		for _, m := range marks {
			if m.Name == "" || math.IsNaN(m.X+m.Y+m.Z) || math.Abs(m.X) > ueMax || math.Abs(m.Y) > ueMax || math.Abs(m.Z) > ueMax {
				t.Fatalf("bad mark %+v", m)
			}
		}
	})
}

func TestSeedPointsOnTheirLatLon(t *testing.T) {
	for key, list := range seeds {
		m, ok := maps.Lookup(key)
		if !ok {
			t.Fatalf("seed map %q not in the table", key)
		}
		pts := SeedPoints(m)
		if len(pts) != len(list) {
			t.Fatalf("%s: %d points", key, len(pts))
		}
		for i, p := range pts {
			lat, lon := m.LatLon(p.X, p.Y)
			if math.Abs(lat-list[i].lat) > 1e-9 || math.Abs(lon-list[i].lon) > 1e-9 || !p.Public || p.Name == "" {
				t.Errorf("%s %s: %v/%v", key, p.Name, lat, lon)
			}
		}
	}
	if len(SeedPoints(maps.Map{Key: "aberration"})) != 0 {
		t.Fatal("aberration has seeds")
	}
}

func TestTeleporterKind(t *testing.T) {
	for in, want := range map[string]string{
		"TekTeleporter_C": "Tek Teleporter", "": "Teleporter", "BP_TekTeleporter_Large_C": "BP Tek Teleporter Large",
		"TekTeleporter_BP_C": "Tek Teleporter",
	} {
		if got := teleporterKind(in); got != want {
			t.Errorf("%q = %q, want %q", in, got, want)
		}
	}
}

func TestCapBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"  abc ", 10, "abc"}, {"abcdef", 3, "abc"}, {"ääää", 5, "ää"}, {"a 日本", 4, "a"}, {"日本", 2, ""},
	} {
		if got := capBytes(tc.in, tc.n); got != tc.want {
			t.Errorf("capBytes(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestTeleportNameAutocomplete(t *testing.T) {
	b, _, _, _ := teleWorld(t)
	ctx := context.Background()
	c := ctxFor(testStaff, true, optS("map", "ragnarok"))
	c.Command, c.Sub = "teleport", "remove"
	got, err := b.serverAutocomplete(ctx, c, optS("name", "hub"))
	if err != nil || len(got) != 1 || got[0].Value != "Public Hub" {
		t.Fatalf("staff: %+v %v", got, err)
	}
	// A player is never asked for: /teleport remove is a Staff subcommand,
	// whose autocomplete the router refuses (TestE2ETeleportFromSave drives it).
}
