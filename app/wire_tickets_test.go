package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/config"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/bottest"
	"github.com/blissark/bliss/jobs"
	"github.com/blissark/bliss/storage"
)

// TestIncidentWatch: each source raises once when its threshold is
// crossed, never while below it, and clears when the condition ends; a
// server linked in two guilds raises in both.
func TestIncidentWatch(t *testing.T) {
	ctx := context.Background()
	th := func(_ context.Context, g string) (time.Duration, int, time.Duration) {
		if g == "off" {
			return 0, 0, 0
		}
		return 10 * time.Minute, 3, 15 * time.Minute
	}
	var w incidentWatch
	log := &bottest.Incidents{}
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	srv := func(down bool, run time.Time, lastErr string) serverObs {
		return serverObs{serviceID: 1001, name: "Ragnarok", guilds: []string{"g1", "g2", "off"}, down: down, why: "RCON does not answer",
			hasParse: true, parse: jobs.JobState{LastRun: run, LastErr: lastErr}}
	}
	step := func(at time.Duration, s serverObs, nitradoBad bool) {
		t.Helper()
		obs := watchObs{now: t0.Add(at), servers: []serverObs{s}, guilds: []string{"g1", "g2", "off"}, nitradoBad: nitradoBad,
			nitradoWhy: "503", nitradoSince: t0}
		if err := w.apply(ctx, obs, th, log); err != nil {
			t.Fatal(err)
		}
	}
	count := func(kind string) int {
		n := 0
		for _, in := range log.Raised() {
			if in.Kind == kind {
				n++
			}
		}
		return n
	}
	step(0, srv(true, t0, "boom"), false)
	step(5*time.Minute, srv(true, t0, "boom"), false)
	if n := count(incidentKindDown); n != 0 {
		t.Fatalf("raised before the threshold: %d", n)
	}
	step(11*time.Minute, srv(true, t0.Add(time.Hour), "boom"), true)
	step(12*time.Minute, srv(true, t0.Add(2*time.Hour), "boom"), true)
	if n := count(incidentKindDown); n != 2 {
		t.Fatalf("server down raised %d times, want once per enabled guild (2)", n)
	}
	if n := count(incidentKindParse); n != 2 {
		t.Fatalf("parse failing raised %d times after 3 failures, want 2", n)
	}
	if n := count(incidentKindNitrdo); n != 0 {
		t.Fatalf("nitrado raised before its threshold")
	}
	// Nitrado unreachable: the server's state is unknown, nothing changes.
	unknown := srv(false, t0.Add(2*time.Hour), "boom")
	unknown.unknown = true
	step(15*time.Minute, unknown, true)
	if len(log.Clears()) != 0 {
		t.Fatalf("an unknown state cleared: %v", log.Clears())
	}
	step(16*time.Minute, srv(false, t0.Add(2*time.Hour), "boom"), true)
	if n := count(incidentKindNitrdo); n != 2 {
		t.Fatalf("nitrado raised %d", n)
	}
	if len(log.Clears()) != 2 || log.Clears()[0] != "g1 server_down:1001" {
		t.Fatalf("clears after recovery: %v", log.Clears())
	}
	step(17*time.Minute, srv(false, t0.Add(3*time.Hour), ""), false)
	if len(log.Clears()) != 6 {
		t.Fatalf("clears after parse and nitrado recovered: %v", log.Clears())
	}
	// Down again: a new incident after the threshold.
	step(18*time.Minute, srv(true, t0.Add(3*time.Hour), ""), false)
	step(29*time.Minute, srv(true, t0.Add(3*time.Hour), ""), false)
	if n := count(incidentKindDown); n != 4 {
		t.Fatalf("second outage raised %d in total, want 4", n)
	}
}

// TestIncidentWatchAfterRestart: incidents still open from before a
// restart (stored) clear when their condition ends, though this run never
// raised them.
func TestIncidentWatchAfterRestart(t *testing.T) {
	ctx := context.Background()
	th := func(context.Context, string) (time.Duration, int, time.Duration) {
		return 10 * time.Minute, 3, 15 * time.Minute
	}
	var w incidentWatch
	w.seed([]storage.Incident{{GuildID: "g1", DedupeKey: "server_down:1001", Kind: incidentKindDown},
		{GuildID: "g1", DedupeKey: incidentKindNitrdo, Kind: incidentKindNitrdo},
		{GuildID: "g1", DedupeKey: "parse_failing:1001", Kind: incidentKindParse},
		{GuildID: "g1", DedupeKey: "order:5", Kind: "delivery_unconfirmed"}})
	log := &bottest.Incidents{}
	obs := watchObs{now: time.Now(), guilds: []string{"g1"}, servers: []serverObs{{serviceID: 1001, name: "Ragnarok", guilds: []string{"g1"}}}}
	if err := w.apply(ctx, obs, th, log); err != nil {
		t.Fatal(err)
	}
	if len(log.Clears()) != 2 || log.Clears()[0] != "g1 server_down:1001" || log.Clears()[1] != "g1 nitrado_degraded" || len(log.Raised()) != 0 {
		t.Fatalf("clears %v, raised %v", log.Clears(), log.Raised())
	}
	// The parse incident clears only once a parse is seen to work.
	obs.servers[0].hasParse, obs.servers[0].parse = true, jobs.JobState{LastRun: time.Now()}
	if err := w.apply(ctx, obs, th, log); err != nil {
		t.Fatal(err)
	}
	if len(log.Clears()) != 3 || log.Clears()[2] != "g1 parse_failing:1001" {
		t.Fatalf("clears %v", log.Clears())
	}
}

// TestForwardAction: an automatic ticket's action button reaches the
// router that serves its prefix, as staff only.
func TestForwardAction(t *testing.T) {
	sup, err := bots.NewSupervisor(bots.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	r := bots.NewRouter()
	r.Component(&bots.Component{Prefix: "apadm", Access: bots.Staff, Run: func(_ context.Context, c *bots.Ctx) (*bots.Response, error) {
		got = append(got, string(c.Bot)+" "+c.CustomID+" "+c.Args)
		return bots.Text("refunded"), nil
	}})
	if err := sup.Handle(bots.AP, r); err != nil {
		t.Fatal(err)
	}
	a := &appliance{sup: sup}
	ctx := context.Background()
	resp, err := a.forwardAction(ctx, &bots.Ctx{Staff: true, User: &discordgo.User{ID: "1"}}, "apadm:refund:42")
	if err != nil || resp.Content != "refunded" || len(got) != 1 || got[0] != "ap apadm:refund:42 refund:42" {
		t.Fatalf("forward: %v %v %v", resp, err, got)
	}
	if _, err := a.forwardAction(ctx, &bots.Ctx{User: &discordgo.User{ID: "2"}}, "apadm:refund:42"); err == nil {
		t.Fatal("a non-staff click was forwarded")
	}
	if _, err := a.forwardAction(ctx, &bots.Ctx{Staff: true}, "nobody:x"); err == nil {
		t.Fatal("an unknown prefix was accepted")
	}
}

// storeIncidents clears in SQLite, as the Ticket bot's Clear does, and
// records the notes.
type storeIncidents struct {
	db    *storage.DB
	notes []string
}

func (s *storeIncidents) Raise(context.Context, bots.Incident) error { return nil }

func (s *storeIncidents) Clear(ctx context.Context, guildID, key, note string) error {
	s.notes = append(s.notes, key+" "+note)
	_, _, err := s.db.IncidentClear(ctx, guildID, key, note)
	return err
}

// TestSettleOrderIncidents: an order incident clears when its order is
// later delivered or refunded (by staff or the job), never while the order
// still waits, and not when the order was already final when the incident
// opened (delivery_failed follows the automatic refund).
func TestSettleOrderIncidents(t *testing.T) {
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "bliss.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	tick := func() { now = now.Add(time.Minute) }
	it := storage.ShopItem{GuildID: "g", Currency: storage.AP, Name: "Helmet", Price: 10, Kind: storage.ItemGive,
		Blueprint: "/Game/PrimalEarth/CoreBlueprints/Items/Armor/Metal/PrimalItemArmor_MetalHelmet.PrimalItemArmor_MetalHelmet", Quantity: 1}
	if err := db.ShopAdd(ctx, &it); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.LedgerPost(ctx, storage.LedgerEntry{GuildID: "g", Account: "u1", Kind: storage.AP, Amount: 100, Reason: "give", Key: "seed"}); err != nil {
		t.Fatal(err)
	}
	buy := func(key string) storage.Order {
		t.Helper()
		o, _, err := db.Purchase(ctx, storage.PurchaseRequest{GuildID: "g", Currency: storage.AP, Account: "u1", ItemID: it.ID, Key: key})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	raise := func(o storage.Order, kind string) {
		t.Helper()
		if _, _, err := db.IncidentRaise(ctx, storage.Incident{GuildID: "g", DedupeKey: fmt.Sprintf("order:%d", o.ID), Kind: kind,
			Subject: "order", LastAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	inc := &storeIncidents{db: db}
	settle := func(want int) {
		t.Helper()
		n, err := settleOrderIncidents(ctx, db, inc, "")
		if err != nil || n != want {
			t.Fatalf("settle: %d cleared (%v), want %d; notes %v", n, err, want, inc.notes)
		}
	}
	unconfirmed := func(o storage.Order) {
		t.Helper()
		if _, err := db.OrderTransition(ctx, o.ID, []string{storage.OrderPending}, storage.OrderUnconfirmed, "silent reply", ""); err != nil {
			t.Fatal(err)
		}
	}

	// Unconfirmed, then refunded by staff.
	a := buy("a")
	unconfirmed(a)
	tick()
	raise(a, "delivery_unconfirmed")
	settle(0)
	tick()
	if _, err := db.RefundOrder(ctx, a.ID, []string{storage.OrderUnconfirmed}, storage.OrderRefunded, "refunded by staff", "staff"); err != nil {
		t.Fatal(err)
	}
	settle(1)
	if !strings.Contains(inc.notes[0], "refunded") || !strings.Contains(inc.notes[0], "refunded by staff") {
		t.Fatalf("note: %v", inc.notes)
	}
	settle(0) // cleared once

	// Unconfirmed, resent (pending again: not yet), then delivered.
	b := buy("b")
	unconfirmed(b)
	tick()
	raise(b, "delivery_unconfirmed")
	tick()
	if _, err := db.OrderTransition(ctx, b.ID, []string{storage.OrderUnconfirmed}, storage.OrderPending, "resend by staff", "staff"); err != nil {
		t.Fatal(err)
	}
	settle(0)
	tick()
	if _, err := db.OrderTransition(ctx, b.ID, []string{storage.OrderPending}, storage.OrderDelivered, "delivered on server 1001", ""); err != nil {
		t.Fatal(err)
	}
	settle(1)
	if !strings.Contains(inc.notes[1], "delivered") {
		t.Fatalf("note: %v", inc.notes)
	}

	// Refunded automatically, then delivery_failed raised: already final.
	c := buy("c")
	if _, err := db.RefundOrder(ctx, c.ID, []string{storage.OrderPending}, storage.OrderRefunded, "refunded automatically", ""); err != nil {
		t.Fatal(err)
	}
	tick()
	raise(c, "delivery_failed")
	settle(0)
	// Another guild's incident naming the order is not touched.
	if _, _, err := db.IncidentRaise(ctx, storage.Incident{GuildID: "other", DedupeKey: fmt.Sprintf("order:%d", b.ID), Kind: "delivery_failed", LastAt: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	settle(0)
}

// TestSandboxTickets plays the ticket scenes after setup and linking: a
// ticket from the panel, a server down that opens and closes an automatic
// ticket, a staff trigger fed by a chat line through the live feed, and
// (after the AP scenes) an unconfirmed delivery refunded from its ticket.
func TestSandboxTickets(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole appliance; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var out, errb syncBuffer
	scenes := []scene{{name: "connect", run: sceneConnect}, {name: "setup choices", run: sceneSetupChoices},
		{name: "link servers", run: sceneLinkServers}, {name: "ticket from the panel", run: sceneTicketFromPanel},
		{name: "automatic ticket: server down", run: sceneTicketServerDown},
		{name: "automatic ticket: staff trigger on chat", run: sceneTicketTrigger}}
	for _, s := range defaultScenario() {
		if strings.HasPrefix(s.name, "ap:") {
			scenes = append(scenes, s)
		}
	}
	scenes = append(scenes, scene{name: "automatic ticket: unconfirmed delivery refunded from the ticket", run: sceneTicketOrderRefund})
	opts := sandboxOptions{tmpParent: t.TempDir(), stepTimeout: 45 * time.Second, scenes: scenes}
	err := sandboxMain(ctx, opts, &out, &errb)
	transcript := out.String()
	t.Logf("transcript:\n%s", transcript)
	if err != nil {
		t.Fatalf("sandbox: %v\nstderr:\n%s", err, errb.String())
	}
	for _, want := range []string{"Ticket #1 is closed", "closed itself: the server is up", "automatic: trigger matched", "is a repeat on",
		"says the order was refunded and closed itself"} {
		if !strings.Contains(transcript, want) {
			t.Errorf("transcript lacks %q", want)
		}
	}
}

// TestIntentsNote: `bliss invite` and `bliss check` name the bots that
// need the privileged Message Content intent (Server: the chat bridge;
// Tickets: transcripts) and say what happens without it.
func TestIntentsNote(t *testing.T) {
	note := intentsNote(config.Bots())
	for _, want := range []string{"Tickets (Message Content)", "Server management (Message Content)", "Privileged Gateway Intents", "4014", "transcripts"} {
		if !strings.Contains(note, want) {
			t.Errorf("note lacks %q: %s", want, note)
		}
	}
	if strings.Contains(note, "Master") || strings.Contains(note, "Assistant") {
		t.Errorf("note names bots without privileged intents: %s", note)
	}
	if n := intentsNote([]config.Bot{config.BotMaster, config.BotAP}); n != "" {
		t.Errorf("note for bots without privileged intents: %s", n)
	}
}
