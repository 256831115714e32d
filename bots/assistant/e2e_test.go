package assistant_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/assistantstore"
	"github.com/blissark/bliss/app/serverstore"
	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/arksave/arksavetest"
	"github.com/blissark/bliss/arksave/maps"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/assistant"
	"github.com/blissark/bliss/bots/bottest"
	"github.com/blissark/bliss/bots/discordtest"
	"github.com/blissark/bliss/jobs/bases"
	"github.com/blissark/bliss/storage"
	"github.com/blissark/bliss/storage/savefile"
)

const (
	adminID  = "710000000000000001"
	staffID  = "710000000000000002"
	playerID = "710000000000000003"
	roleAdm  = "810000000000000001"
	roleStf  = "810000000000000002"
	chanID   = "910000000000000001"
	serverID = 1001
	tekPath  = "/Game/PrimalEarth/Structures/TekTeleporter/TekTeleporter.TekTeleporter_C"
)

// world: the Assistant bot on a fake Discord, over a real SQLite database
// holding the snapshot of a save written by the project's encoder (with
// tek teleporters of two tribes) and decoded by the project's decoder.
type world struct {
	t     *testing.T
	fake  *discordtest.Server
	bot   discordtest.Bot
	guild discordtest.Guild
	store *bots.MemStore
	db    *storage.DB
	save  *arksave.Save
	now   time.Time
	bottest.Client
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	fake := bottest.NewFake(t, discordtest.Options{})
	w := &world{t: t, fake: fake, store: bots.NewMemStore(), now: time.Date(2026, 12, 3, 13, 0, 0, 0, time.UTC)}
	w.bot = fake.AddBot("token-assistant")
	w.guild = fake.AddGuild(bottest.Personas{Admin: adminID, Staff: staffID, Player: playerID, AdminRole: roleAdm, StaffRole: roleStf}.
		Guild("Cluster", []*discordgo.Channel{bottest.TextChannel(chanID, "general")}))
	bottest.Invite(t, fake, w.bot, w.guild.ID)
	_ = w.store.SaveGuildSettings(ctx, bots.GuildSettings{GuildID: w.guild.ID, StaffRoleIDs: []string{roleStf}})
	_ = w.store.AddServer(ctx, bots.GameServer{GuildID: w.guild.ID, ServiceID: serverID, Name: "Ragnarok", Cluster: "main"})
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "bliss.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w.db = db
	w.Client = bottest.Client{T: t, Fake: fake, Bot: w.bot, Guild: w.guild.ID, Channel: chanID,
		User: func(id string) *discordgo.User { return &discordgo.User{ID: id, Username: "u" + id[len(id)-2:]} }}
	return w
}

// rag is the Ragnarok table entry the save's positions are placed with.
func rag(t *testing.T) maps.Map {
	m, ok := maps.Lookup("Ragnarok_WP")
	if !ok {
		t.Fatal("no Ragnarok")
	}
	return m
}

func teleporter(id byte, tr arksave.Tribe, x, y, z float64) arksave.Structure {
	return arksave.Structure{ID: arksave.GUID{0xee, id}, Class: arksavetest.ShortClass(tekPath), ClassPath: tekPath, Material: "tek",
		TribeID: tr.ID, OwnerName: tr.Name, Location: arksave.Location{X: x, Y: y, Z: z}, HasLocation: true,
		Health: 5000, MaxHealth: 5000, LastStasisTime: arksavetest.DefaultGameTime - 100, CreationTime: arksavetest.DefaultGameTime - 1e6}
}

// parseSave writes a synthetic Ragnarok save with three tek teleporters
// (two of tribe 1 near 40/40, one of tribe 2 at 41/40), decodes it and
// stores it as the pipeline does: the snapshot (players, tribes, bases)
// and its teleporters. The player is linked to tribe 1's first member.
func (w *world) parseSave() {
	t, ctx := w.t, context.Background()
	m := rag(t)
	bx, by := m.UE(45, 45)
	gen := arksavetest.Generate(arksavetest.Counts{Seed: 5, Map: "Ragnarok_WP", Players: 4, Tribes: 2, TamedDinos: 4, Structures: 120,
		Places: []arksave.Location{{X: bx, Y: by}, {X: 0, Y: 0}}})
	x1, y1 := m.UE(40, 40)
	x2, y2 := m.UE(41, 40)
	gen.Structures = append(gen.Structures,
		teleporter(1, gen.Tribes[0], x1, y1, 800), teleporter(2, gen.Tribes[0], x1+30000, y1, 900), teleporter(3, gen.Tribes[1], x2, y2, 700))
	gen.StructureRows = len(gen.Structures)
	path := filepath.Join(t.TempDir(), "Ragnarok_WP.ark")
	if err := arksavetest.Write(path, gen, arksavetest.Options{Seed: 5, FillerRows: 20}); err != nil {
		t.Fatal(err)
	}
	f, err := savefile.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sv, err := arksave.Decode(ctx, f, arksave.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	w.save = sv
	var bs []storage.Base
	for _, b := range bases.Analyze(sv, bases.Options{}) {
		bs = append(bs, storage.Base(b))
	}
	if len(bs) == 0 {
		t.Fatal("no bases in the synthetic save")
	}
	if err := w.db.ReplaceSnapshot(ctx, &storage.Snapshot{Info: storage.SnapshotInfo{ServerID: serverID, RunID: "run-1", Map: sv.Map,
		SaveVersion: sv.SaveVersion, SavedAt: sv.SavedAt, Structures: len(sv.Structures)},
		Players: sv.Players, Tribes: sv.Tribes, Dinos: sv.Dinos, Bases: bs}); err != nil {
		t.Fatal(err)
	}
	if err := w.db.ReplaceSaveTeleporters(ctx, serverID, sv.Map, sv.Structures); err != nil {
		t.Fatal(err)
	}
	var member arksave.Player
	for _, p := range sv.Players {
		if p.TribeID == gen.Tribes[0].ID {
			member = p
			break
		}
	}
	if member.EOSID == "" {
		t.Fatal("tribe 1 has no member")
	}
	if err := w.db.PutLink(ctx, storage.Link{GuildID: w.guild.ID, DiscordID: playerID, EOSID: member.EOSID, Name: member.CharacterName}); err != nil {
		t.Fatal(err)
	}
}

func (w *world) start() {
	st := assistantstore.New(w.db)
	r := assistant.New(assistant.Deps{Store: w.store, Zones: st, Teleports: st, World: st,
		Audit: bots.NewAuditor(serverstore.Audit{DB: w.db}, nil, w.store), Now: func() time.Time { return w.now }})
	bottest.Start(w.t, w.fake, bottest.Options{Bots: []bottest.Bot{{Kind: bots.Assistant, Fake: w.bot, Router: r}},
		Guilds: []string{w.guild.ID}, Staff: bots.StaffFromStore(w.store), Supervisor: bots.Options{DeferAfter: 1500 * time.Millisecond}})
}

// text is the response as JSON without HTML escaping (so "<t:…>" and
// "tribe's" read as sent).
func text(r discordtest.Response) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(r.Data.Embeds)
	_ = enc.Encode(r.Data.Choices)
	return r.Data.Content + b.String()
}

func num(name string, v float64) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionNumber, Value: v}
}

var str = discordtest.StringOpt

func (w *world) count(table string) int {
	w.t.Helper()
	var n int
	if err := w.db.SQL().QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

func TestE2ETimestamp(t *testing.T) {
	w := newWorld(t)
	w.start()
	r := w.Cmd(playerID, "timezone", discordtest.SubCommand("set", str("zone", "america/new_york")))
	if !r.Ephemeral() || !strings.Contains(text(r), "America/New_York") {
		t.Fatalf("set: %s", text(r))
	}
	if z, _ := w.db.UserTimezone(context.Background(), playerID); z != "America/New_York" {
		t.Fatalf("stored zone %q", z)
	}
	// 2026-12-03 13:00 UTC is 08:00 in New York; "next friday 20:30" there
	// is 2026-12-04 20:30 EST = 2026-12-05 01:30 UTC.
	r = w.Cmd(playerID, "timestamp", str("when", "next friday 20:30"))
	want := time.Date(2026, 12, 5, 1, 30, 0, 0, time.UTC).Unix()
	for _, style := range []string{"t", "T", "d", "D", "f", "F", "R"} {
		if tag := fmt.Sprintf("<t:%d:%s>", want, style); strings.Count(text(r), tag) != 2 { // rendered and as code
			t.Fatalf("style %s: %s", style, text(r))
		}
	}
	if !r.Ephemeral() {
		t.Fatal("timestamp reply is public")
	}
	// Autocomplete of the zone option.
	r = w.Autocomplete(playerID, "timestamp", str("when", "8pm"), discordtest.Focused(str("timezone", "tokyo")))
	if len(r.Data.Choices) != 1 || r.Data.Choices[0].Value != "Asia/Tokyo" {
		t.Fatalf("autocomplete: %s", text(r))
	}
	// A stranger without a saved zone reads UTC.
	r = w.Cmd(adminID, "timestamp", str("when", "2026-12-24 20:00"))
	if !strings.Contains(text(r), fmt.Sprintf("<t:%d:F>", time.Date(2026, 12, 24, 20, 0, 0, 0, time.UTC).Unix())) || !strings.Contains(text(r), "Read as UTC") {
		t.Fatalf("utc: %s", text(r))
	}
	r = w.Cmd(playerID, "timestamp", str("when", "whenever"))
	if !strings.Contains(text(r), "could not find a date") {
		t.Fatalf("refusal: %s", text(r))
	}
}

func TestE2ETeleportFromSave(t *testing.T) {
	w := newWorld(t)
	w.parseSave()
	w.start()
	tps, err := w.db.SaveTeleporters(context.Background(), serverID)
	if err != nil || len(tps) != 3 {
		t.Fatalf("save teleporters in SQLite: %d %v", len(tps), err)
	}
	find := func(who string) string {
		t.Helper()
		r := w.Cmd(who, "teleport", discordtest.SubCommand("find", str("map", "ragnarok"), num("lat", 40.5), num("lon", 40)))
		if !r.Ephemeral() {
			t.Fatal("find is public")
		}
		return text(r)
	}
	tribeA, tribeB := w.save.Tribes[0].Name, w.save.Tribes[1].Name
	p := find(playerID)
	// 0.5° of Ragnarok = 6550 units ≈ 21.8 → "22 foundations S of it".
	if !strings.Contains(p, "1. Your tribe's Tek Teleporter** — 22 foundations S of it") || strings.Count(p, "Your tribe's Tek Teleporter") != 2 {
		t.Fatalf("player:\n%s", p)
	}
	if strings.Contains(p, tribeA) || strings.Contains(p, tribeB) || strings.Contains(p, "SetPlayerPos") {
		t.Fatalf("player sees owners or admin lines:\n%s", p)
	}
	s := find(staffID)
	if !strings.Contains(s, "Tek Teleporter of "+tribeA) || !strings.Contains(s, "Tek Teleporter of "+tribeB) || !strings.Contains(s, "SetPlayerPos") {
		t.Fatalf("staff:\n%s", s)
	}

	// A player cannot add to the staff list: refused, and nothing changes.
	points, audits := w.count("teleport_points"), w.count("audit_log")
	r := w.Cmd(playerID, "teleport", discordtest.SubCommand("add", str("map", "ragnarok"), str("name", "My Spot"), num("lat", 10), num("lon", 10)))
	if !r.Ephemeral() || !strings.Contains(text(r), "staff role") {
		t.Fatalf("player add: %s", text(r))
	}
	r = w.Cmd(playerID, "teleport", discordtest.SubCommand("remove", str("map", "ragnarok"), str("name", "My Spot")))
	if !strings.Contains(text(r), "staff role") || w.count("teleport_points") != points || w.count("audit_log") != audits {
		t.Fatalf("player remove: %s", text(r))
	}
	// Nor are they offered the staff list's names: the router refuses the
	// autocomplete of a Staff subcommand (staff get them below).
	acRemove := func(user string) discordtest.Response {
		return w.Autocomplete(user, "teleport", discordtest.SubCommand("remove", str("map", "ragnarok"), discordtest.Focused(str("name", ""))))
	}
	if r := acRemove(playerID); r.Type != discordgo.InteractionApplicationCommandAutocompleteResult || len(r.Data.Choices) != 0 {
		t.Fatalf("player offered staff list names: %d choices", len(r.Data.Choices))
	}
	// Staff add a public point; it is audited and everyone finds it.
	r = w.Cmd(staffID, "teleport", discordtest.SubCommand("add", str("map", "ragnarok"), str("name", "Green Ob"), num("lat", 40.6), num("lon", 40.1),
		num("z", 2000), str("note", "by the obelisk")))
	if !strings.Contains(text(r), "Teleport point added") || w.count("teleport_points") != points+1 || w.count("audit_log") != audits+1 {
		t.Fatalf("staff add: %s", text(r))
	}
	if p := find(playerID); !strings.Contains(p, "1. Green Ob** — 6.2 foundations NW of it") {
		t.Fatalf("player after add:\n%s", p)
	}
	if r := acRemove(staffID); len(r.Data.Choices) != 1 || r.Data.Choices[0].Value != "Green Ob" {
		t.Fatalf("staff offered %d names for /teleport remove", len(r.Data.Choices))
	}

	// /teleport list: a pager of the same points.
	r = w.Cmd(playerID, "teleport", discordtest.SubCommand("list", str("map", "ragnarok")))
	if !strings.Contains(text(r), "Teleport points on Ragnarok (3)") || !strings.Contains(text(r), "Green Ob") {
		t.Fatalf("list: %s", text(r))
	}

	// Staff import 20 minimap marks; the list is then two pages, and the
	// pager's Next button (served after any restart: its state is in the
	// custom id) shows the second.
	var marks strings.Builder
	for i := range 20 {
		fmt.Fprintf(&marks, "SavedMinimapMarks=(Name=\"Mark %02d\",Location=(X=%d.0,Y=-1000.0,Z=50.0),MapName=\"Ragnarok_WP\")\n", i, i*1000)
	}
	r = w.Cmd(staffID, "teleport", discordtest.SubCommand("import", str("map", "ragnarok"), str("marks", marks.String())))
	if !strings.Contains(text(r), "20 added, 0 replaced") || w.count("teleport_points") != points+21 {
		t.Fatalf("import: %s", text(r))
	}
	r = w.Cmd(playerID, "teleport", discordtest.SubCommand("list", str("map", "ragnarok")))
	next := ""
	for label, id := range bottest.Buttons(r.Data.Components) {
		if strings.HasPrefix(label, "Next") {
			next = id
		}
	}
	if !strings.Contains(text(r), "(23)") || next == "" {
		t.Fatalf("list of 23: %s", text(r))
	}
	r = w.Click(playerID, next)
	if !strings.Contains(text(r), "Page 2 of 2") || !strings.Contains(text(r), "Your tribe's Tek Teleporter") || strings.Contains(text(r), "Mark 00") {
		t.Fatalf("page 2: %s", text(r))
	}

	// /coords both ways, with the closest base for staff.
	bx, by := rag(t).UE(45, 45)
	r = w.Cmd(staffID, "coords", discordtest.SubCommand("latlon", str("map", "ragnarok"), num("lat", 45), num("lon", 45), str("server", fmt.Sprint(serverID))))
	if !strings.Contains(text(r), fmt.Sprintf("%.0f %.0f 0", bx, by)) || !strings.Contains(text(r), tribeA) || !strings.Contains(text(r), "Closest bases") {
		t.Fatalf("coords latlon:\n%s", text(r))
	}
	r = w.Cmd(playerID, "coords", discordtest.SubCommand("ue", str("map", "ragnarok"), num("x", bx), num("y", by), str("server", fmt.Sprint(serverID))))
	if !strings.Contains(text(r), "45.00 / 45.00") || strings.Contains(text(r), tribeA) || !strings.Contains(text(r), "Only staff") {
		t.Fatalf("coords ue as player:\n%s", text(r))
	}
	// Server autocomplete offers the guild's server.
	r = w.Autocomplete(staffID, "coords", discordtest.SubCommand("latlon", str("map", "ragnarok"), num("lat", 1), num("lon", 1),
		discordtest.Focused(str("server", "rag"))))
	if len(r.Data.Choices) != 1 || r.Data.Choices[0].Value != fmt.Sprint(serverID) {
		t.Fatalf("server autocomplete: %s", text(r))
	}
}
