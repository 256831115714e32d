package app

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/nitrado"
	"github.com/blissark/bliss/app/nitrado/nitradotest"
	"github.com/blissark/bliss/app/rcon"
	"github.com/blissark/bliss/app/rcon/rcontest"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/ap"
	"github.com/blissark/bliss/bots/bottest"
	"github.com/blissark/bliss/bots/discordtest"
	"github.com/blissark/bliss/bots/gp"
	"github.com/blissark/bliss/bots/master"
	"github.com/blissark/bliss/jobs/awards"
	"github.com/blissark/bliss/jobs/delivery"
	"github.com/blissark/bliss/storage"
)

const (
	ecoGuildAdmin  = "710000000000000001"
	ecoGuildPlayer = "710000000000000002"
	ecoGuildOther  = "710000000000000003"
	ecoAdminRole   = "810000000000000001"
	ecoService     = int64(4242)
	bobEOS         = "0002aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	eveEOS         = "0002eeeeeeeeeeeeeeeeeeeeeeeeeeee"
)

// ecoWorld: real SQLite, the real adapters, a fake RCON server over TCP
// and the fake Discord with the AP and GP bots.
type ecoWorld struct {
	db      *storage.DB
	guilds  *guildStore
	deps    *economyDeps
	rc      *rcontest.Server
	pool    *rcon.Pool
	fake    *discordtest.Server
	bots    map[bots.BotKind]discordtest.Bot
	guild   discordtest.Guild
	inc     *bottest.Incidents
	audit   *bottest.Audits
	clock   *discordtest.ManualClock
	routers map[bots.BotKind]*bots.Router
}

func newEcoWorld(t testing.TB) *ecoWorld {
	t.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "bliss.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w := &ecoWorld{db: db, guilds: &guildStore{db: db}, inc: &bottest.Incidents{}, audit: &bottest.Audits{},
		clock: discordtest.NewManualClock(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)), routers: map[bots.BotKind]*bots.Router{}}
	w.rc, err = rcontest.New(rcontest.Options{Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.rc.Close() })
	w.pool = rcon.NewPool(func(context.Context, int64) (rcon.Target, error) {
		return rcon.Target{Name: "island", Addr: w.rc.Addr(), Password: "pw"}, nil
	}, rcon.Options{CommandTimeout: 5 * time.Second})
	t.Cleanup(func() { w.pool.Close() })
	w.fake = bottest.NewFake(t, discordtest.Options{})
	w.bots = map[bots.BotKind]discordtest.Bot{bots.AP: w.fake.AddBot("token-ap"), bots.GP: w.fake.AddBot("token-gp")}
	w.guild = w.fake.AddGuild(discordtest.Guild{Name: "Ark",
		Roles: []*discordgo.Role{{ID: ecoAdminRole, Name: "Admin", Permissions: discordgo.PermissionAdministrator}},
		Channels: []*discordgo.Channel{bottest.TextChannel("910000000000000001", "general"),
			bottest.TextChannel("910000000000000002", "orders"), bottest.TextChannel("910000000000000003", "donations")},
		Members: []*discordgo.Member{bottest.Member(ecoGuildAdmin, "admin", ecoAdminRole), bottest.Member(ecoGuildPlayer, "bob"),
			bottest.Member(ecoGuildOther, "eve")}})
	for _, b := range w.bots {
		bottest.Invite(t, w.fake, b, w.guild.ID)
	}
	if err := w.guilds.AddServer(ctx, bots.GameServer{GuildID: w.guild.ID, ServiceID: ecoService, Name: "Island"}); err != nil {
		t.Fatal(err)
	}
	w.deps = newEconomyDeps(db, w.guilds, w.pool)
	w.deps.audit = w.audit
	w.deps.raise = w.inc.Raise
	w.routers[bots.AP] = ap.New(w.deps.apDeps())
	return w
}

func (w *ecoWorld) start(t testing.TB) {
	t.Helper()
	var bs []bottest.Bot
	for k, r := range w.routers {
		bs = append(bs, bottest.Bot{Kind: k, Fake: w.bots[k], Router: r})
	}
	bottest.Start(t, w.fake, bottest.Options{Bots: bs, Guilds: []string{w.guild.ID}, Staff: bots.StaffFromStore(w.guilds)})
}

func (w *ecoWorld) run(t testing.TB, k bots.BotKind, in discordtest.Interaction) discordtest.Response {
	t.Helper()
	return bottest.Client{T: t, Fake: w.fake, Bot: w.bots[k], Guild: w.guild.ID, Channel: "910000000000000001"}.Do(in)
}

func cmd(user, name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) discordtest.Interaction {
	return discordtest.Interaction{User: &discordgo.User{ID: user, Username: "u" + user[len(user)-1:]}, CommandName: name, Options: opts}
}

func click(user, customID string) discordtest.Interaction {
	return discordtest.Interaction{User: &discordgo.User{ID: user, Username: "u" + user[len(user)-1:]}, CustomID: customID}
}

func (w *ecoWorld) deliveryJob() *delivery.Job {
	return delivery.New(&deliveryStore{db: w.db, guilds: w.guilds, links: w.deps.links}, w.pool, incidentsFunc(w.deps.raiseIncident),
		delivery.Options{Now: w.clock.Now, BaseBackoff: time.Minute, OfflineRecheck: time.Minute})
}

func (w *ecoWorld) balance(t testing.TB, cur storage.Currency, who string) int64 {
	t.Helper()
	b, err := w.db.Balance(context.Background(), w.guild.ID, cur, who)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var codeRE = regexp.MustCompile(`BL-[A-Z0-9]{6}`)

// linkBob links the player account to Bob by a code said in chat, after
// Eve saying it links nothing.
func (w *ecoWorld) linkBob(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	r := w.run(t, bots.AP, cmd(ecoGuildPlayer, "ap", discordtest.SubCommand("link", discordtest.StringOpt("name", "Bob"))))
	code := codeRE.FindString(bottest.Text(r))
	if code == "" || !r.Ephemeral() {
		t.Fatalf("no code: %s", bottest.Text(r))
	}
	for _, p := range []struct{ eos, name string }{{bobEOS, "bob_pc"}, {eveEOS, "eve_pc"}} {
		if err := w.db.SessionJoin(ctx, ecoService, p.eos, p.name, w.clock.Now(), storage.SessionSourceLog); err != nil {
			t.Fatal(err)
		}
	}
	if who, err := w.deps.onChat(ctx, ecoService, "eve_pc", "Eve", "my code "+code); err != nil || who != "" {
		t.Fatalf("Eve saying Bob's code linked %q (%v)", who, err)
	}
	if who, err := w.deps.onChat(ctx, ecoService, "bob_pc", "Bob", "linking "+strings.ToLower(code)); err != nil || who != ecoGuildPlayer {
		t.Fatalf("Bob's code linked %q (%v)", who, err)
	}
	if who, _ := w.deps.onChat(ctx, ecoService, "bob_pc", "Bob", code); who != "" {
		t.Fatal("a used code linked again")
	}
	r = w.run(t, bots.AP, cmd(ecoGuildPlayer, "ap", discordtest.SubCommand("whoami")))
	if !strings.Contains(bottest.Text(r), bobEOS) {
		t.Fatalf("whoami: %s", bottest.Text(r))
	}
}

func (w *ecoWorld) addItem(t testing.TB, k bots.BotKind, name string, price int64, kind string, extra ...*discordgo.ApplicationCommandInteractionDataOption) {
	t.Helper()
	opts := append([]*discordgo.ApplicationCommandInteractionDataOption{discordtest.StringOpt("name", name),
		discordtest.IntOpt("price", price), discordtest.StringOpt("kind", kind)}, extra...)
	r := w.run(t, k, cmd(ecoGuildAdmin, string(k), discordtest.SubCommandGroup("shop", discordtest.SubCommand("add", opts...))))
	if !strings.Contains(bottest.Text(r), "Item added") {
		t.Fatalf("shop add %s: %s", name, bottest.Text(r))
	}
}

// buy runs /ap buy and confirms; it returns the confirmation answer.
func (w *ecoWorld) buy(t testing.TB, k bots.BotKind, user, item string) discordtest.Response {
	t.Helper()
	sub := "buy"
	if k == bots.GP {
		sub = "order"
	}
	r := w.run(t, k, cmd(user, string(k), discordtest.SubCommand(sub, discordtest.StringOpt("item", item))))
	bs := bottest.ButtonIDs(r.Data.Components)
	if len(bs) != 2 {
		t.Fatalf("no confirmation: %s", bottest.Text(r))
	}
	return w.run(t, k, click(user, bs[0]))
}

const helmet = "/Game/PrimalEarth/CoreBlueprints/Items/Armor/Metal/PrimalItemArmor_MetalHelmet.PrimalItemArmor_MetalHelmet"

func TestEconomyAPEndToEnd(t *testing.T) {
	w := newEcoWorld(t)
	w.start(t)
	ctx := context.Background()
	w.linkBob(t)
	// The award run sees Bob's 2h 30m session: two full periods of 10 AP,
	// the half period earns 5; re-runs and overlapping runs award once.
	if err := w.db.SessionLeave(ctx, ecoService, bobEOS, w.clock.Now().Add(150*time.Minute)); err != nil {
		t.Fatal(err)
	}
	src := &awardsSource{db: w.db, guilds: w.guilds}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if _, err := awards.Run(ctx, src, w.clock.Now().Add(4*time.Hour)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if b := w.balance(t, storage.AP, ecoGuildPlayer); b != 25 {
		t.Fatalf("awarded %d AP, want 25", b)
	}
	// Staff: shop items; a template that would chain a command is refused.
	r := w.run(t, bots.AP, cmd(ecoGuildAdmin, "ap", discordtest.SubCommandGroup("shop", discordtest.SubCommand("add",
		discordtest.StringOpt("name", "Evil"), discordtest.IntOpt("price", 1), discordtest.StringOpt("kind", "command"),
		discordtest.StringOpt("command", "ScriptCommand x {name} | DoExit")))))
	if !strings.Contains(bottest.Text(r), "would chain a second command") {
		t.Fatalf("bad template accepted: %s", bottest.Text(r))
	}
	r = w.run(t, bots.AP, cmd(ecoGuildPlayer, "ap", discordtest.SubCommandGroup("shop", discordtest.SubCommand("add",
		discordtest.StringOpt("name", "X"), discordtest.IntOpt("price", 1), discordtest.StringOpt("kind", "desk")))))
	if !strings.Contains(bottest.Text(r), "needs a staff role") {
		t.Fatalf("player added an item: %s", bottest.Text(r))
	}
	w.addItem(t, bots.AP, "Helmet", 10, "item", discordtest.StringOpt("blueprint", helmet))
	w.addItem(t, bots.AP, "Notify", 5, "command", discordtest.StringOpt("command", `ScriptCommand gsanotify success 5 {eos} "hi {name}"`))
	// Buy while offline: queued, not a failure.
	r = w.buy(t, bots.AP, ecoGuildPlayer, "Helmet")
	if !strings.Contains(bottest.Text(r), "Order #") || w.balance(t, storage.AP, ecoGuildPlayer) != 15 {
		t.Fatalf("buy: %s", bottest.Text(r))
	}
	job := w.deliveryJob()
	if err := job.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// Bob has no player id yet: GiveItemToPlayer needs one (from a save, or staff).
	if err := w.db.SetLinkPlayerID(ctx, w.guild.ID, bobEOS, 77); err != nil {
		t.Fatal(err)
	}
	st, err := job.Tick(ctx)
	if err != nil || st.Waiting != 1 {
		t.Fatalf("offline tick: %+v %v", st, err)
	}
	// Online now; the first GiveItemToPlayer fails, the retry succeeds.
	w.rc.SetPlayers(rcontest.Player{Name: "bob_pc", EOSID: bobEOS})
	var gives atomic.Int32
	w.rc.Handle("GiveItemToPlayer", func(args string) string {
		if gives.Add(1) == 1 {
			return "Error: player not ready"
		}
		return "Gave 1 item to 77"
	})
	w.clock.Advance(2 * time.Minute)
	if st, _ := job.Tick(ctx); st.Failed != 1 {
		t.Fatalf("first attempt: %+v", st)
	}
	w.clock.Advance(2 * time.Minute)
	if st, _ := job.Tick(ctx); st.Delivered != 1 {
		t.Fatalf("retry: %+v", st)
	}
	if cmds := strings.Join(w.rc.Commands(), "\n"); !strings.Contains(cmds, `GiveItemToPlayer 77 "Blueprint'`+helmet+`'" 1 0 0`) {
		t.Fatalf("commands: %s", cmds)
	}
	// A silent reply: sent, unconfirmed; staff refund it from /ap orders pending.
	w.buy(t, bots.AP, ecoGuildPlayer, "Notify")
	if st, _ := job.Tick(ctx); st.Unconfirmed != 1 {
		t.Fatalf("silent: %+v", st)
	}
	if b := w.balance(t, storage.AP, ecoGuildPlayer); b != 10 {
		t.Fatalf("balance %d", b)
	}
	r = w.run(t, bots.AP, cmd(ecoGuildAdmin, "ap", discordtest.SubCommand("orders", discordtest.BoolOpt("pending", true))))
	var refund string
	for _, id := range bottest.ButtonIDs(r.Data.Components) {
		if strings.HasPrefix(id, "apadm:refund:") {
			refund = id
		}
	}
	if refund == "" {
		t.Fatalf("pending orders: %s", bottest.Text(r))
	}
	if r := w.run(t, bots.AP, click(ecoGuildPlayer, refund)); !strings.Contains(bottest.Text(r), "staff role") {
		t.Fatalf("player clicked refund: %s", bottest.Text(r))
	}
	w.run(t, bots.AP, click(ecoGuildAdmin, refund))
	if r := w.run(t, bots.AP, click(ecoGuildAdmin, refund)); !strings.Contains(bottest.Text(r), "already handled") {
		t.Fatalf("second refund: %s", bottest.Text(r))
	}
	if b := w.balance(t, storage.AP, ecoGuildPlayer); b != 15 {
		t.Fatalf("after refund %d", b)
	}
	// Failing past the budget refunds automatically and raises an incident.
	w.rc.Handle("GiveItemToPlayer", func(string) string { return "Error: failed" })
	w.buy(t, bots.AP, ecoGuildPlayer, "Helmet")
	for range 6 {
		w.clock.Advance(30 * time.Minute)
		if _, err := job.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if b := w.balance(t, storage.AP, ecoGuildPlayer); b != 15 {
		t.Fatalf("after automatic refund %d", b)
	}
	if k := strings.Join(w.inc.Kinds(), ","); !strings.Contains(k, "delivery_failed") || !strings.Contains(k, "delivery_unconfirmed") {
		t.Fatalf("incidents %s", k)
	}
	// Staff give/take are audited; take cannot go below zero.
	w.run(t, bots.AP, cmd(ecoGuildAdmin, "ap", discordtest.SubCommand("give", discordtest.UserOpt("player", ecoGuildOther),
		discordtest.IntOpt("amount", 7), discordtest.StringOpt("reason", "event prize"))))
	r = w.run(t, bots.AP, cmd(ecoGuildAdmin, "ap", discordtest.SubCommand("take", discordtest.UserOpt("player", ecoGuildOther),
		discordtest.IntOpt("amount", 8), discordtest.StringOpt("reason", "oops"))))
	if !strings.Contains(bottest.Text(r), "not enough points") || w.balance(t, storage.AP, ecoGuildOther) != 7 || len(w.audit.Entries()) < 2 {
		t.Fatalf("take: %s (audits %d)", bottest.Text(r), len(w.audit.Entries()))
	}
	// History and leaderboard render.
	r = w.run(t, bots.AP, cmd(ecoGuildPlayer, "ap", discordtest.SubCommand("history")))
	if !strings.Contains(bottest.Text(r), "award") || !strings.Contains(bottest.Text(r), "refund") {
		t.Fatalf("history: %s", bottest.Text(r))
	}
	r = w.run(t, bots.AP, cmd(ecoGuildPlayer, "ap", discordtest.SubCommand("leaderboard")))
	if !strings.Contains(bottest.Text(r), ecoGuildPlayer) {
		t.Fatalf("leaderboard: %s", bottest.Text(r))
	}
	if bad, _ := w.db.LedgerAudit(ctx); len(bad) > 0 {
		t.Fatal(bad)
	}
}

// 100 concurrent confirm clicks from one player with a balance for 3.
func TestEconomyConcurrentBuyClicks(t *testing.T) {
	w := newEcoWorld(t)
	w.start(t)
	ctx := context.Background()
	w.addItem(t, bots.AP, "Helmet", 10, "item", discordtest.StringOpt("blueprint", helmet))
	if _, _, err := w.db.LedgerPost(ctx, storage.LedgerEntry{GuildID: w.guild.ID, Account: ecoGuildPlayer, Kind: storage.AP,
		Amount: 30, Reason: "give", Key: "seed"}); err != nil {
		t.Fatal(err)
	}
	r := w.run(t, bots.AP, cmd(ecoGuildPlayer, "ap", discordtest.SubCommand("buy", discordtest.StringOpt("item", "Helmet"))))
	confirm := bottest.ButtonIDs(r.Data.Components)[0]
	var wg sync.WaitGroup
	var ok, short atomic.Int32
	for range 100 {
		wg.Go(func() {
			r := w.run(t, bots.AP, click(ecoGuildPlayer, confirm))
			switch s := bottest.Text(r); {
			case strings.Contains(s, "Order #"):
				ok.Add(1)
			case strings.Contains(s, "not enough points"):
				short.Add(1)
			default:
				t.Errorf("click: %s", s)
			}
		})
	}
	wg.Wait()
	_, n, _ := w.db.Orders(ctx, storage.OrderFilter{GuildID: w.guild.ID}, 1000, 0)
	if ok.Load() != 3 || short.Load() != 97 || n != 3 || w.balance(t, storage.AP, ecoGuildPlayer) != 0 {
		t.Fatalf("ok %d short %d orders %d balance %d", ok.Load(), short.Load(), n, w.balance(t, storage.AP, ecoGuildPlayer))
	}
	if bad, _ := w.db.LedgerAudit(ctx); len(bad) > 0 {
		t.Fatal(bad)
	}
}

// A crash between debit and delivery: after a restart (a new database
// handle and a new job) the order is delivered; a crash while sending
// leaves it unconfirmed for staff, never sent twice and never lost.
func TestEconomyDeliveryRestart(t *testing.T) {
	w := newEcoWorld(t)
	ctx := context.Background()
	path := w.db.Path()
	it := storage.ShopItem{GuildID: w.guild.ID, Currency: storage.AP, Name: "Helmet", Price: 10, Kind: storage.ItemGive, Blueprint: helmet, Quantity: 1}
	if err := w.db.ShopAdd(ctx, &it); err != nil {
		t.Fatal(err)
	}
	if err := w.db.PutLink(ctx, storage.Link{GuildID: w.guild.ID, DiscordID: ecoGuildPlayer, EOSID: bobEOS, Name: "Bob", PlayerID: 77}); err != nil {
		t.Fatal(err)
	}
	w.db.LedgerPost(ctx, storage.LedgerEntry{GuildID: w.guild.ID, Account: ecoGuildPlayer, Kind: storage.AP, Amount: 20, Reason: "give", Key: "seed"})
	o1, _, err := w.db.Purchase(ctx, storage.PurchaseRequest{GuildID: w.guild.ID, Currency: storage.AP, Account: ecoGuildPlayer, ItemID: it.ID, Key: "a"})
	if err != nil {
		t.Fatal(err)
	}
	o2, _, err := w.db.Purchase(ctx, storage.PurchaseRequest{GuildID: w.guild.ID, Currency: storage.AP, Account: ecoGuildPlayer, ItemID: it.ID, Key: "b"})
	if err != nil {
		t.Fatal(err)
	}
	// o2 was being sent when the process died.
	if _, err := w.db.OrderTransition(ctx, o2.ID, []string{storage.OrderPending}, storage.OrderSending, "", ""); err != nil {
		t.Fatal(err)
	}
	w.db.Close()
	db, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w.db, w.deps = db, newEconomyDeps(db, &guildStore{db: db}, w.pool)
	w.guilds = &guildStore{db: db}
	w.rc.SetPlayers(rcontest.Player{Name: "bob_pc", EOSID: bobEOS})
	w.rc.Handle("GiveItemToPlayer", func(string) string { return "Gave item" })
	job := w.deliveryJob()
	if err := job.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := job.Tick(ctx); err != nil || st.Delivered != 1 {
		t.Fatalf("after restart: %+v %v", st, err)
	}
	a, _ := db.GetOrder(ctx, o1.ID)
	b, _ := db.GetOrder(ctx, o2.ID)
	if a.State != storage.OrderDelivered || b.State != storage.OrderUnconfirmed {
		t.Fatalf("states %s %s", a.State, b.State)
	}
	if n := strings.Count(strings.Join(w.rc.Commands(), "\n"), "GiveItemToPlayer"); n != 1 {
		t.Fatalf("%d gives", n)
	}
	if st, _ := job.Tick(ctx); st != (delivery.Stats{}) {
		t.Fatalf("second tick did something: %+v", st)
	}
}

// BenchmarkAwardRun10k: one award run over 10 000 linked accounts with a
// session each, on one SQLite file.
func BenchmarkAwardRun10k(b *testing.B) {
	w := newEcoWorld(b)
	ctx := context.Background()
	const n = 10000
	t0 := w.clock.Now()
	for i := range n {
		eos := fmt.Sprintf("0002%028x", i)
		if err := w.db.PutLink(ctx, storage.Link{GuildID: w.guild.ID, DiscordID: fmt.Sprint(100000 + i), EOSID: eos}); err != nil {
			b.Fatal(err)
		}
		if err := w.db.SessionJoin(ctx, ecoService, eos, "p", t0, storage.SessionSourceLog); err != nil {
			b.Fatal(err)
		}
		if err := w.db.SessionLeave(ctx, ecoService, eos, t0.Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	src := &awardsSource{db: w.db, guilds: w.guilds}
	var cpu time.Duration
	for i := 0; b.Loop(); i++ {
		c0 := processCPU()
		// A fresh period each run so every run awards 10 000 accounts.
		res, err := awards.Run(ctx, src, t0.Add(time.Hour+time.Duration(i)*time.Nanosecond))
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 && res.Awards != n {
			b.Fatalf("awarded %d", res.Awards)
		}
		cpu += processCPU() - c0
		b.StopTimer()
		w.db.SetCursor(ctx, "awards:"+w.guild.ID, "")
		w.db.SQL().ExecContext(ctx, `DELETE FROM ledger`)
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/run")
}

// processCPU is the CPU time (user + system) this process has used: on a
// shared machine CPU per run varies much less than wall-clock time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (w *ecoWorld) configureLogs(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	gs, err := w.guilds.GuildSettings(ctx, w.guild.ID)
	if err != nil {
		t.Fatal(err)
	}
	gs.LogChannels["orders"] = "910000000000000002"
	gs.LogChannels["donations"] = "910000000000000003"
	if err := w.guilds.SaveGuildSettings(ctx, gs); err != nil {
		t.Fatal(err)
	}
}

func TestEconomyGPEndToEnd(t *testing.T) {
	w := newEcoWorld(t)
	w.routers[bots.GP] = gp.New(w.deps.gpDeps())
	w.start(t)
	w.configureLogs(t)
	ctx := context.Background()
	nf := nitradotest.New(t)
	nf.AddService(nitradotest.Service{ID: ecoService, Name: "Island"})
	const other = int64(5151)
	nf.AddService(nitradotest.Service{ID: other, Name: "PC server"})
	if err := w.guilds.AddServer(ctx, bots.GameServer{GuildID: w.guild.ID, ServiceID: other, Name: "PC"}); err != nil {
		t.Fatal(err)
	}
	nc, err := nitrado.New(nitrado.Options{Token: nf.Token(), BaseURL: nf.URL(), RetryMax: -1})
	if err != nil {
		t.Fatal(err)
	}
	nf.Fail(nitradotest.Fault{Path: fmt.Sprintf("/services/%d/gameservers/boost/history", other), Status: 400,
		Message: "This endpoint is only supported for UWP services"})
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	// History before Bliss: two of donor1's boosts, one malformed.
	nf.AddBoost(ecoService,
		nitradotest.Boost{ID: 1, Username: "Donor1", ExtendedFor: 7 * day, Amount: "$1.00", BoostedAt: at},
		nitradotest.Boost{ID: 2, Username: "donor1", ExtendedFor: 84600 * time.Second, Amount: "$2.50", BoostedAt: at.Add(day)},
		nitradotest.Boost{ID: 3, Username: "weird", ExtendedFor: -day, Amount: "€1,00", BoostedAt: at.Add(2 * day)})
	posts := func() []string {
		var out []string
		for _, m := range w.fake.Messages("910000000000000003") {
			b, _ := json.Marshal(m.Embeds)
			out = append(out, string(b))
		}
		return out
	}
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	job := w.deps.newDonationsJob(nc, postVia(w.fake, w.bots[bots.GP]), func() time.Time { return now })
	if err := job.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if p := posts(); len(p) != 1 || !strings.Contains(p[0], "3 earlier boosts") || !strings.Contains(p[0], "3.50") {
		t.Fatalf("first run posts: %v", p)
	}
	if st := job.Statuses()[other]; st.State != "not supported by this service" {
		t.Fatalf("unsupported service: %+v", st)
	}
	w.deps.donations = job
	var ast master.AppStatus
	(&appliance{economy: w.deps}).economyStatus(&ast)
	if b, _ := json.Marshal(ast.Jobs); !strings.Contains(string(b), `"State":"not supported by this service"`) || !strings.Contains(string(b), `"OK":true`) {
		t.Fatalf("/status: %s", b)
	}
	calls := nf.CountCalls("GET", fmt.Sprintf("/services/%d/gameservers/boost/history", other))
	now = now.Add(time.Hour)
	if err := job.Run(ctx); err != nil || nf.CountCalls("GET", fmt.Sprintf("/services/%d/gameservers/boost/history", other)) != calls {
		t.Fatalf("unsupported service asked again within a day (%v)", err)
	}
	if k := strings.Join(w.inc.Kinds(), ","); !strings.Contains(k, "boost_flagged") {
		t.Fatalf("malformed boost not flagged: %s", k)
	}
	// donor1 links with a code put in the next boost's message; the earlier
	// boosts are credited once: 100 + 250 + 500 GP at 100 GP per 1.00.
	r := w.run(t, bots.GP, cmd(ecoGuildPlayer, "gp", discordtest.SubCommand("link", discordtest.StringOpt("nitrado_username", "donor1"))))
	code := codeRE.FindString(bottest.Text(r))
	if code == "" {
		t.Fatalf("gp link: %s", bottest.Text(r))
	}
	nf.AddBoost(ecoService, nitradotest.Boost{ID: 4, Username: "donor1", ExtendedFor: day, Amount: "$5.00",
		Message: "for the tribe " + code, BoostedAt: now.Add(-time.Hour)})
	now = now.Add(10 * time.Minute)
	if err := job.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if b := w.balance(t, storage.GP, ecoGuildPlayer); b != 850 {
		t.Fatalf("GP after link %d, want 850", b)
	}
	if p := posts(); len(p) != 2 || !strings.Contains(p[1], "donor1 boosted") || !strings.Contains(p[1], "total 5.00") {
		t.Fatalf("boost post: %v", p)
	}
	// A restarted job (new instance, same database) and a staff re-link
	// credit nothing again.
	job2 := w.deps.newDonationsJob(nc, postVia(w.fake, w.bots[bots.GP]), func() time.Time { return now })
	if err := job2.Run(ctx); err != nil {
		t.Fatal(err)
	}
	w.run(t, bots.GP, cmd(ecoGuildAdmin, "gp", discordtest.SubCommandGroup("staff", discordtest.SubCommand("link",
		discordtest.StringOpt("nitrado_username", "DONOR1"), discordtest.UserOpt("player", ecoGuildPlayer)))))
	if b := w.balance(t, storage.GP, ecoGuildPlayer); b != 850 || len(posts()) != 2 {
		t.Fatalf("after restart and re-link: %d GP, %d posts", b, len(posts()))
	}
	// A 429 in the middle of a 3-page walk resumes at that page.
	for i := range 45 {
		nf.AddBoost(ecoService, nitradotest.Boost{ID: int64(100 + i), Username: "crowd", ExtendedFor: day, Amount: "$1.00", BoostedAt: now})
	}
	nf.Fail(nitradotest.Fault{Path: fmt.Sprintf("/services/%d/gameservers/boost/history", ecoService), Status: 429, Count: 1,
		Header: map[string][]string{"Retry-After": {"1"}}})
	now = now.Add(10 * time.Minute)
	job2.Run(ctx) // the first page fails
	now = now.Add(10 * time.Minute)
	if err := job2.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := w.db.BoostTotals(ctx, ecoService); n != 49 {
		t.Fatalf("%d boosts recorded, want 49", n)
	}
	// /gp donations: the donor sees their own.
	r = w.run(t, bots.GP, cmd(ecoGuildPlayer, "gp", discordtest.SubCommand("donations", discordtest.StringOpt("month", "2026-11"))))
	if !strings.Contains(bottest.Text(r), "donor1") || strings.Contains(bottest.Text(r), "weird") {
		t.Fatalf("donations: %s", bottest.Text(r))
	}
	// The order desk: a base move for 300 GP, fulfilled by one of two staff
	// clicking at once; a refused order is refunded.
	w.addItem(t, bots.GP, "Base move", 300, "desk", discordtest.StringOpt("description", "staff move your base"))
	r = w.buy(t, bots.GP, ecoGuildPlayer, "Base move")
	if !strings.Contains(bottest.Text(r), "Order #") || w.balance(t, storage.GP, ecoGuildPlayer) != 550 {
		t.Fatalf("order: %s", bottest.Text(r))
	}
	desk := w.fake.Messages("910000000000000002")
	if len(desk) != 1 {
		t.Fatalf("desk posts: %d", len(desk))
	}
	deskIDs := func(m *discordgo.Message) map[string]string {
		out := map[string]string{}
		for _, row := range m.Components {
			if ar, ok := row.(*discordgo.ActionsRow); ok {
				for _, c := range ar.Components {
					if b, ok := c.(*discordgo.Button); ok {
						out[b.Label] = b.CustomID
					}
				}
			}
		}
		return out
	}
	ids := deskIDs(desk[0])
	onDesk := func(user, id string) discordtest.Response {
		in := click(user, id)
		in.ChannelID, in.MessageID = "910000000000000002", desk[0].ID
		return w.run(t, bots.GP, in)
	}
	if r := onDesk(ecoGuildPlayer, ids["Fulfil"]); !strings.Contains(bottest.Text(r), "staff role") {
		t.Fatalf("donor fulfilled: %s", bottest.Text(r))
	}
	onDesk(ecoGuildAdmin, ids["Accept"])
	second := "710000000000000009"
	_, _ = w.fake.AddMember(w.guild.ID, &discordgo.Member{User: &discordgo.User{ID: second, Username: "admin2"}, Roles: []string{ecoAdminRole}})
	var wg sync.WaitGroup
	results := make([]string, 2)
	for i, who := range []string{ecoGuildAdmin, second} {
		wg.Go(func() { results[i] = bottest.Text(onDesk(who, ids["Fulfil"])) })
	}
	wg.Wait()
	won := 0
	for _, s := range results {
		if strings.Contains(s, "fulfilled") && !strings.Contains(s, "Already handled") {
			won++
		}
	}
	if won != 1 || !strings.Contains(results[0]+results[1], "Already handled") {
		t.Fatalf("concurrent fulfil: %v", results)
	}
	w.buy(t, bots.GP, ecoGuildPlayer, "Base move")
	desk = w.fake.Messages("910000000000000002")
	last := desk[len(desk)-1]
	in := click(ecoGuildAdmin, deskIDs(last)["Refuse"])
	in.ChannelID, in.MessageID = "910000000000000002", last.ID
	if r := w.run(t, bots.GP, in); !strings.Contains(bottest.Text(r), "refused") {
		t.Fatalf("refuse: %s", bottest.Text(r))
	}
	if b := w.balance(t, storage.GP, ecoGuildPlayer); b != 550 {
		t.Fatalf("after refuse %d", b)
	}
	if bad, _ := w.db.LedgerAudit(ctx); len(bad) > 0 {
		t.Fatal(bad)
	}
}

// postVia posts as a bot through the fake's REST API, with the nonce.
func postVia(fake *discordtest.Server, b discordtest.Bot) embedPoster {
	s, _ := discordgo.New("Bot " + b.Token)
	s.Client = fake.HTTPClient()
	return func(ctx context.Context, ch string, e *discordgo.MessageEmbed, nonce string) error {
		return sendEmbedNonce(ctx, s, ch, e, nonce)
	}
}

// An order for an offline buyer is delivered as soon as the live feed
// records the buyer online (no wait for the offline recheck), and the
// buyer is told in game.
func TestEconomyDeliverOnJoin(t *testing.T) {
	w := newEcoWorld(t)
	ctx := context.Background()
	it := storage.ShopItem{GuildID: w.guild.ID, Currency: storage.AP, Name: "Helmet", Price: 10, Kind: storage.ItemGive, Blueprint: helmet, Quantity: 1}
	if err := w.db.ShopAdd(ctx, &it); err != nil {
		t.Fatal(err)
	}
	if err := w.db.PutLink(ctx, storage.Link{GuildID: w.guild.ID, DiscordID: ecoGuildPlayer, EOSID: bobEOS, Name: "Bob", PlayerID: 77}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.db.LedgerPost(ctx, storage.LedgerEntry{GuildID: w.guild.ID, Account: ecoGuildPlayer, Kind: storage.AP, Amount: 10, Reason: "give", Key: "seed"}); err != nil {
		t.Fatal(err)
	}
	o, _, err := w.db.Purchase(ctx, storage.PurchaseRequest{GuildID: w.guild.ID, Currency: storage.AP, Account: ecoGuildPlayer, ItemID: it.ID, Key: "click"})
	if err != nil {
		t.Fatal(err)
	}
	w.rc.Handle("GiveItemToPlayer", func(string) string { return "Gave 1 item to 77" })
	job := w.deliveryJob()
	if err := job.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := job.Tick(ctx); err != nil || st.Waiting != 1 {
		t.Fatalf("offline: %+v %v", st, err)
	}
	if n, err := wakeDeliveries(ctx, job, w.db); err != nil || n != 0 {
		t.Fatalf("woken while offline: %d %v", n, err)
	}
	// Bob joins: the feed opens his session; the wake makes the order due
	// at once (the clock has not moved, the recheck is a minute away).
	if err := w.db.SessionJoin(ctx, ecoService, bobEOS, "bob_pc", w.clock.Now(), storage.SessionSourceLog); err != nil {
		t.Fatal(err)
	}
	w.rc.SetPlayers(rcontest.Player{Name: "bob_pc", EOSID: bobEOS})
	if n, err := wakeDeliveries(ctx, job, w.db); err != nil || n != 1 {
		t.Fatalf("wake after join: %d %v", n, err)
	}
	if st, err := job.Tick(ctx); err != nil || st.Delivered != 1 {
		t.Fatalf("after join: %+v %v", st, err)
	}
	if got, _ := w.db.GetOrder(ctx, o.ID); got.State != storage.OrderDelivered {
		t.Fatalf("order %s", got.State)
	}
	cmds := strings.Join(w.rc.Commands(), "\n")
	if want := fmt.Sprintf(`ServerChatToPlayer "bob_pc" Bliss: your order #%d (Helmet) was delivered.`, o.ID); !strings.Contains(cmds, want) {
		t.Fatalf("no in-game message %q in:\n%s", want, cmds)
	}
	if n, _ := wakeDeliveries(ctx, job, w.db); n != 0 {
		t.Fatalf("a delivered order woken again: %d", n)
	}
}

// Donation posts go through the outbox with the row's nonce: Discord down
// when the boost is recorded → posted on the next run; a crash after the
// post and before it is marked done → the same nonce again, one message.
func TestEconomyDonationPostsOnce(t *testing.T) {
	w := newEcoWorld(t)
	w.configureLogs(t)
	ctx := context.Background()
	nf := nitradotest.New(t)
	nf.AddService(nitradotest.Service{ID: ecoService, Name: "Island"})
	nc, err := nitrado.New(nitrado.Options{Token: nf.Token(), BaseURL: nf.URL(), RetryMax: -1})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	real := postVia(w.fake, w.bots[bots.GP])
	mode := "ok" // ok | down (nothing posted) | crash (posted, then the process "dies")
	post := func(ctx context.Context, ch string, e *discordgo.MessageEmbed, nonce string) error {
		switch mode {
		case "down":
			return fmt.Errorf("discord unreachable")
		case "crash":
			if err := real(ctx, ch, e, nonce); err != nil {
				return err
			}
			return fmt.Errorf("killed before marking done")
		}
		return real(ctx, ch, e, nonce)
	}
	job := w.deps.newDonationsJob(nc, post, func() time.Time { return now })
	if err := job.Run(ctx); err != nil { // first run: the (empty) import
		t.Fatal(err)
	}
	count := func(substr string) int {
		n := 0
		for _, m := range w.fake.Messages("910000000000000003") {
			b, _ := json.Marshal(m.Embeds)
			if strings.Contains(string(b), substr) {
				n++
			}
		}
		return n
	}
	nf.AddBoost(ecoService, nitradotest.Boost{ID: 7, Username: "Alice", ExtendedFor: 24 * time.Hour, Amount: "$3.00", BoostedAt: now})
	mode = "down"
	now = now.Add(10 * time.Minute)
	if err := job.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := w.db.BoostTotals(ctx, ecoService); n != 1 || count("Alice boosted") != 0 {
		t.Fatalf("boost recorded %d, posts %d", n, count("Alice boosted"))
	}
	row, err := w.db.OutboxByKey(ctx, fmt.Sprintf("donation:%d:7", ecoService))
	if err != nil || row.State != storage.OutboxPending || row.Attempts != 1 {
		t.Fatalf("post row %+v %v", row, err)
	}
	// Discord is back but the process dies right after posting; a new job
	// (a restart) posts the same row again with the same nonce.
	mode = "crash"
	now = now.Add(time.Hour)
	if err := job.Run(ctx); err != nil {
		t.Fatal(err)
	}
	mode = "ok"
	now = now.Add(time.Hour)
	job2 := w.deps.newDonationsJob(nc, post, func() time.Time { return now })
	if err := job2.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count("Alice boosted"); n != 1 {
		t.Fatalf("%d posts of one boost", n)
	}
	if row, _ := w.db.OutboxByKey(ctx, fmt.Sprintf("donation:%d:7", ecoService)); row.State != storage.OutboxDone {
		t.Fatalf("post row %s", row.State)
	}
	if err := job2.Run(ctx); err != nil || count("Alice boosted") != 1 {
		t.Fatalf("posted again: %d (%v)", count("Alice boosted"), err)
	}
}

// Boost history with faults, through the Nitrado fake: a missing id, a
// missing username, an absurd or negative extended_for, an amount of
// "€1,00" or "" are each recorded once with what is known and flagged to
// staff (an incident and a ⚠️ on the post); re-reads, a restart and a
// re-link credit nothing twice.
func TestEconomyBoostFaults(t *testing.T) {
	w := newEcoWorld(t)
	w.configureLogs(t)
	ctx := context.Background()
	nf := nitradotest.New(t)
	nf.AddService(nitradotest.Service{ID: ecoService, Name: "Island"})
	nc, err := nitrado.New(nitrado.Options{Token: nf.Token(), BaseURL: nf.URL(), RetryMax: -1})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	post := postVia(w.fake, w.bots[bots.GP])
	job := w.deps.newDonationsJob(nc, post, func() time.Time { return now })
	if err := job.Run(ctx); err != nil { // the (empty) first-run import
		t.Fatal(err)
	}
	day := 24 * time.Hour
	nf.AddBoost(ecoService,
		nitradotest.Boost{ID: 0, Username: "ghost", ExtendedFor: day, Amount: "$2.00", BoostedAt: now.Add(-6 * time.Minute)},
		nitradotest.Boost{ID: 21, Username: "", ExtendedFor: day, Amount: "$1.00", BoostedAt: now.Add(-5 * time.Minute)},
		nitradotest.Boost{ID: 22, Username: "donor1", ExtendedFor: 3650 * day, Amount: "$1.00", BoostedAt: now.Add(-4 * time.Minute)},
		nitradotest.Boost{ID: 23, Username: "donor1", ExtendedFor: day, Amount: "€1,00", BoostedAt: now.Add(-3 * time.Minute)},
		nitradotest.Boost{ID: 24, Username: "donor1", ExtendedFor: day, Amount: "", BoostedAt: now.Add(-2 * time.Minute)},
		nitradotest.Boost{ID: 25, Username: "donor1", ExtendedFor: -day, Amount: "$3.00", BoostedAt: now.Add(-time.Minute)})
	for range 3 {
		now = now.Add(10 * time.Minute)
		if err := job.Run(ctx); err != nil {
			t.Fatal(err)
		}
	}
	job2 := w.deps.newDonationsJob(nc, post, func() time.Time { return now }) // a restart
	if err := job2.Run(ctx); err != nil {
		t.Fatal(err)
	}
	bs, n, _, err := w.db.Boosts(ctx, storage.BoostFilter{GuildID: w.guild.ID}, 100, 0)
	if err != nil || n != 6 {
		t.Fatalf("%d boosts recorded, want 6 (%v)", n, err)
	}
	wantFlags := map[string]string{"ghost": "id", "": "username"}
	for _, b := range bs {
		if len(b.Flags) == 0 {
			t.Errorf("boost %d (%q, %q, %s) not flagged", b.BoostID, b.Username, b.AmountRaw, b.ExtendedFor)
		}
		if f, ok := wantFlags[b.Username]; ok && !slicesContains(b.Flags, f) {
			t.Errorf("boost of %q flags %v, want %s", b.Username, b.Flags, f)
		}
	}
	flagged := 0
	for _, k := range w.inc.Kinds() {
		if k == "boost_flagged" {
			flagged++
		}
	}
	if flagged != 6 {
		t.Fatalf("%d boost_flagged incidents, want 6", flagged)
	}
	posts := w.fake.Messages("910000000000000003")
	checks := 0
	for _, m := range posts {
		b, _ := json.Marshal(m.Embeds)
		if strings.Contains(string(b), "Check") {
			checks++
		}
	}
	if len(posts) != 6 || checks != 6 {
		t.Fatalf("%d posts, %d with a check, want 6 and 6", len(posts), checks)
	}
	// donor1 is linked by staff: what is known is credited once (1.00 and
	// 3.00 at 100 GP per 1.00; the unparseable amounts earn nothing).
	for range 2 {
		if _, err := w.db.LinkDonor(ctx, w.guild.ID, "donor1", ecoGuildPlayer, ecoGuildAdmin); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(10 * time.Minute)
	if err := job2.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if b := w.balance(t, storage.GP, ecoGuildPlayer); b != 400 {
		t.Fatalf("GP %d, want 400", b)
	}
	if bad, _ := w.db.LedgerAudit(ctx); len(bad) > 0 {
		t.Fatal(bad)
	}
}

func slicesContains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// pagedAPI is the real Nitrado client with a 503 armed on the fake just
// before one page is read (a fault in the middle of a walk, over HTTP).
type pagedAPI struct {
	c      *nitrado.Client
	nf     *nitradotest.Server
	failAt int
	mu     sync.Mutex
	pages  []int
}

func (p *pagedAPI) BoostHistory(ctx context.Context, id int64, page int) (*nitrado.BoostPage, error) {
	p.mu.Lock()
	p.pages = append(p.pages, page)
	if page == p.failAt {
		p.failAt = 0
		p.nf.Fail(nitradotest.Fault{Path: fmt.Sprintf("/services/%d/gameservers/boost/history", id), Status: 503, Count: 1,
			Message: "Service temporarily unavailable"})
	}
	p.mu.Unlock()
	return p.c.BoostHistory(ctx, id, page)
}

// A 503 on page 2 of a 3-page walk: page 1 is recorded, the next run
// resumes at page 2 (page 1 is not read again) and every boost is recorded
// and posted once.
func TestEconomyBoostWalkResumes(t *testing.T) {
	w := newEcoWorld(t)
	w.configureLogs(t)
	ctx := context.Background()
	nf := nitradotest.New(t)
	nf.AddService(nitradotest.Service{ID: ecoService, Name: "Island"})
	nc, err := nitrado.New(nitrado.Options{Token: nf.Token(), BaseURL: nf.URL(), RetryMax: -1})
	if err != nil {
		t.Fatal(err)
	}
	api := &pagedAPI{c: nc, nf: nf}
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	job := w.deps.newDonationsJob(api, postVia(w.fake, w.bots[bots.GP]), func() time.Time { return now })
	if err := job.Run(ctx); err != nil { // the (empty) first-run import
		t.Fatal(err)
	}
	for i := range 45 {
		nf.AddBoost(ecoService, nitradotest.Boost{ID: int64(300 + i), Username: "crowd", ExtendedFor: 24 * time.Hour, Amount: "$1.00", BoostedAt: now})
	}
	api.failAt, api.pages = 2, nil
	now = now.Add(10 * time.Minute)
	if err := job.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := w.db.BoostTotals(ctx, ecoService); n != 20 {
		t.Fatalf("%d boosts after the 503, want page 1's 20", n)
	}
	if st := job.Statuses()[ecoService]; !strings.HasPrefix(st.State, "retrying") {
		t.Fatalf("status %+v", st)
	}
	api.pages = nil
	now = now.Add(10 * time.Minute)
	if err := job.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := w.db.BoostTotals(ctx, ecoService); n != 45 {
		t.Fatalf("%d boosts, want 45", n)
	}
	if len(api.pages) == 0 || api.pages[0] != 2 {
		t.Fatalf("resumed at pages %v, want 2 first", api.pages)
	}
	if n := len(w.fake.Messages("910000000000000003")); n != 45 {
		t.Fatalf("%d posts, want 45", n)
	}
}
