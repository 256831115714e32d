package gp_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/bottest"
	"github.com/blissark/bliss/bots/discordtest"
	"github.com/blissark/bliss/bots/economy"
	"github.com/blissark/bliss/bots/economy/economytest"
	"github.com/blissark/bliss/bots/gp"
)

const (
	staff1  = "710000000000000001"
	staff2  = "710000000000000002"
	donor   = "710000000000000003"
	other   = "710000000000000004"
	roleStf = "810000000000000001"
	general = "910000000000000001"
	ordersC = "910000000000000002"
)

// donors is gp.Donors in memory.
type donors struct {
	mu     sync.Mutex
	links  map[string]string // username → discord id
	boosts []gp.Boost
}

func (d *donors) NewCode(context.Context, string, string, string, time.Duration) (string, error) {
	return "BL-ABC123", nil
}

func (d *donors) Link(_ context.Context, _, username, discordID, _ string) (int64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.links[strings.ToLower(username)] = discordID
	return 0, nil
}

func (d *donors) Usernames(_ context.Context, _, discordID string) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for u, id := range d.links {
		if id == discordID {
			out = append(out, u)
		}
	}
	return out, nil
}

func (d *donors) Boosts(_ context.Context, _ string, names []string, from, to time.Time, limit, offset int) ([]gp.Boost, int, int64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []gp.Boost
	var cents int64
	for _, b := range d.boosts {
		if b.BoostedAt.Before(from) || !b.BoostedAt.Before(to) {
			continue
		}
		if len(names) > 0 && !contains(names, strings.ToLower(b.Username)) {
			continue
		}
		out = append(out, b)
		cents += b.Cents
	}
	return out, len(out), cents, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

type world struct {
	t      *testing.T
	fake   *discordtest.Server
	bot    discordtest.Bot
	guild  discordtest.Guild
	guilds *bots.MemStore
	store  *economytest.Store
	donors *donors
	bottest.Client
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	fake := bottest.NewFake(t, discordtest.Options{})
	w := &world{t: t, fake: fake, guilds: bots.NewMemStore(), store: economytest.New(nil), donors: &donors{links: map[string]string{}}}
	w.bot = fake.AddBot("token-gp")
	w.guild = fake.AddGuild(discordtest.Guild{Name: "Cluster",
		Roles:    []*discordgo.Role{{ID: roleStf, Name: "Staff"}},
		Channels: []*discordgo.Channel{bottest.TextChannel(general, "general"), bottest.TextChannel(ordersC, "orders")},
		Members: []*discordgo.Member{bottest.Member(staff1, "staff1", roleStf), bottest.Member(staff2, "staff2", roleStf),
			bottest.Member(donor, "donor"), bottest.Member(other, "other")}})
	bottest.Invite(t, fake, w.bot, w.guild.ID)
	gs := bots.GuildSettings{GuildID: w.guild.ID, StaffRoleIDs: []string{roleStf}, LogChannels: map[string]string{"orders": ordersC}}
	if err := w.guilds.SaveGuildSettings(ctx, gs); err != nil {
		t.Fatal(err)
	}
	bottest.Start(t, fake, bottest.Options{Bots: []bottest.Bot{{Kind: bots.GP, Fake: w.bot,
		Router: gp.New(gp.Deps{Store: w.store, Donors: w.donors, Guilds: w.guilds, Staff: bots.StaffFromStore(w.guilds)})}},
		Guilds: []string{w.guild.ID}, Staff: bots.StaffFromStore(w.guilds)})
	w.Client = bottest.Client{T: t, Fake: fake, Bot: w.bot, Guild: w.guild.ID, Channel: general}
	return w
}

func user(id string) *discordgo.User { return &discordgo.User{ID: id, Username: "u" + id[len(id)-1:]} }

func gpCmd(who string, opts ...*discordgo.ApplicationCommandInteractionDataOption) discordtest.Interaction {
	return discordtest.Interaction{User: user(who), CommandName: "gp", Options: opts}
}

// order buys the desk item as the donor and returns the desk post.
func (w *world) order(item string) *discordgo.Message {
	w.t.Helper()
	before := len(w.fake.Messages(ordersC))
	r := w.Do(gpCmd(donor, discordtest.SubCommand("order", discordtest.StringOpt("item", item))))
	confirm := bottest.Buttons(r.Data.Components)["Confirm"]
	if confirm == "" {
		w.t.Fatalf("no confirmation: %s", bottest.Text(r))
	}
	if r := w.Do(discordtest.Interaction{User: user(donor), CustomID: confirm}); !strings.Contains(bottest.Text(r), "Order #") {
		w.t.Fatalf("order: %s", bottest.Text(r))
	}
	msgs := w.fake.Messages(ordersC)
	if len(msgs) != before+1 {
		w.t.Fatalf("desk posts %d, want %d", len(msgs), before+1)
	}
	return msgs[len(msgs)-1]
}

func (w *world) desk(who string, m *discordgo.Message, label string) discordtest.Response {
	w.t.Helper()
	return w.Do(discordtest.Interaction{User: user(who), CustomID: bottest.Buttons(m.Components)[label], ChannelID: ordersC, MessageID: m.ID})
}

// The order desk: the donor is refused on staff buttons, one of two staff
// clicking Fulfil at once wins and the other is told, Refuse refunds once,
// and the staff role is checked when the button is clicked (a member who
// lost it since the post is refused).
func TestOrderDesk(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	it := economy.Item{Name: "Base move", Price: 300, Kind: economy.KindDesk}
	if err := w.store.AddItem(ctx, w.guild.ID, &it); err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.Post(ctx, w.guild.ID, donor, 700, "donation", "", "seed", ""); err != nil {
		t.Fatal(err)
	}
	m := w.order("Base move")
	if b, _ := w.store.Balance(ctx, w.guild.ID, donor); b != 400 {
		t.Fatalf("balance %d after order", b)
	}
	if r := w.desk(donor, m, "Fulfil"); !strings.Contains(bottest.Text(r), "staff role") {
		t.Fatalf("donor fulfilled: %s", bottest.Text(r))
	}
	if r := w.desk(staff1, m, "Accept"); !strings.Contains(bottest.Text(r), "accepted by staff") {
		t.Fatalf("accept: %s", bottest.Text(r))
	}
	var wg sync.WaitGroup
	results := make([]string, 2)
	for i, who := range []string{staff1, staff2} {
		wg.Go(func() { results[i] = bottest.Text(w.desk(who, m, "Fulfil")) })
	}
	wg.Wait()
	won, told := 0, 0
	for _, s := range results {
		switch {
		case strings.Contains(s, "Already handled"):
			told++
		case strings.Contains(s, "fulfilled"):
			won++
		}
	}
	if won != 1 || told != 1 {
		t.Fatalf("concurrent fulfil: %v", results)
	}
	// A refused order is refunded once, however often Refuse is clicked.
	m2 := w.order("Base move")
	if r := w.desk(staff2, m2, "Refuse"); !strings.Contains(bottest.Text(r), "refused and refunded") {
		t.Fatalf("refuse: %s", bottest.Text(r))
	}
	if r := w.desk(staff1, m2, "Refuse"); !strings.Contains(bottest.Text(r), "Already handled") {
		t.Fatalf("second refuse: %s", bottest.Text(r))
	}
	if b, _ := w.store.Balance(ctx, w.guild.ID, donor); b != 400 {
		t.Fatalf("balance %d after refuse, want 400", b)
	}
	// staff2 loses the role; the buttons posted earlier no longer work for them.
	m3 := w.order("Base move")
	if err := w.fake.SetMemberRoles(w.guild.ID, staff2, nil); err != nil {
		t.Fatal(err)
	}
	if r := w.desk(staff2, m3, "Refuse"); !strings.Contains(bottest.Text(r), "staff role") {
		t.Fatalf("former staff refused: %s", bottest.Text(r))
	}
	if o, _ := w.store.Order(ctx, w.guild.ID, 3); o.State != economy.StateOpen {
		t.Fatalf("order 3 is %s", o.State)
	}
	// Both sides see the open order: the donor in /gp orders, staff in
	// /gp orders pending (pointing at the desk post, no delivery buttons).
	if r := w.Do(gpCmd(donor, discordtest.SubCommand("orders"))); !strings.Contains(bottest.Text(r), "#3") || !strings.Contains(bottest.Text(r), "waiting for staff") {
		t.Fatalf("donor's orders: %s", bottest.Text(r))
	}
	r := w.Do(gpCmd(staff1, discordtest.SubCommand("orders", discordtest.BoolOpt("pending", true))))
	if !strings.Contains(bottest.Text(r), "#3 Base move") || !strings.Contains(bottest.Text(r), "order desk post") || len(bottest.Buttons(r.Data.Components)) != 0 {
		t.Fatalf("staff pending: %s", bottest.Text(r))
	}
	// The donor was told at each step (DMs).
	dm, err := w.fake.DMChannel(w.bot, donor)
	if err != nil {
		t.Fatal(err)
	}
	var told3 []string
	for _, msg := range w.fake.Messages(dm) {
		told3 = append(told3, msg.Content)
	}
	all := strings.Join(told3, "\n")
	for _, want := range []string{"accepted by staff", "fulfilled", "GP are back on your balance"} {
		if !strings.Contains(all, want) {
			t.Fatalf("donor not told %q: %s", want, all)
		}
	}
}

// /gp donations: a donor sees their own boosts only, staff see everyone's;
// a donor who has not linked is told how.
func TestDonations(t *testing.T) {
	w := newWorld(t)
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	w.donors.boosts = []gp.Boost{
		{ServiceID: 1, BoostID: 1, Username: "alice", AmountRaw: "$1.00", Cents: 100, ExtendedFor: 24 * time.Hour, BoostedAt: at, GP: 100},
		{ServiceID: 1, BoostID: 2, Username: "mallory", AmountRaw: "€1,00", ExtendedFor: -time.Hour, BoostedAt: at, Flags: []string{"amount", "extended_for"}},
	}
	month := discordtest.SubCommand("donations", discordtest.StringOpt("month", "2026-11"))
	if r := w.Do(gpCmd(donor, month)); !strings.Contains(bottest.Text(r), "/gp link") {
		t.Fatalf("unlinked donor: %s", bottest.Text(r))
	}
	w.donors.links["alice"] = donor
	r := w.Do(gpCmd(donor, month))
	if s := bottest.Text(r); !strings.Contains(s, "alice") || strings.Contains(s, "mallory") || !strings.Contains(s, "1.00") {
		t.Fatalf("donor's donations: %s", s)
	}
	r = w.Do(gpCmd(staff1, month))
	if s := bottest.Text(r); !strings.Contains(s, "alice") || !strings.Contains(s, "mallory") || !strings.Contains(s, "extended_for") {
		t.Fatalf("staff donations: %s", s)
	}
	if r := w.Do(gpCmd(donor, discordtest.SubCommand("donations", discordtest.StringOpt("month", "2026-13")))); !strings.Contains(bottest.Text(r), "2026-12") {
		t.Fatalf("bad month: %s", bottest.Text(r))
	}
}

// TestStaffSubcommandsAreStaffRoutes: /gp is a command players use; the
// economy's staff subcommands (bots/economy owns the list) and GP's own
// staff link are Staff routes, refused to others before they run.
func TestStaffSubcommandsAreStaffRoutes(t *testing.T) {
	r := gp.New(gp.Deps{})
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := economytest.CheckStaffRoutes(r, "gp", "staff link"); err != nil {
		t.Fatal(err)
	}
}

// Staff link a donor by hand; a member cannot, nor use the economy's staff
// subcommands on /gp (refused by the dispatcher: their handlers do not
// check).
func TestStaffLink(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	for _, opt := range []*discordgo.ApplicationCommandInteractionDataOption{
		discordtest.SubCommand("give", discordtest.UserOpt("player", other), discordtest.IntOpt("amount", 5), discordtest.StringOpt("reason", "x")),
		discordtest.SubCommand("take", discordtest.UserOpt("player", donor), discordtest.IntOpt("amount", 5), discordtest.StringOpt("reason", "x")),
		discordtest.SubCommandGroup("shop", discordtest.SubCommand("add", discordtest.StringOpt("name", "Sword"),
			discordtest.IntOpt("price", 1), discordtest.StringOpt("kind", "desk"))),
	} {
		if r := w.Do(gpCmd(other, opt)); !strings.Contains(bottest.Text(r), "staff role") {
			t.Fatalf("member used %s: %s", opt.Name, bottest.Text(r))
		}
	}
	if b, _ := w.store.Balance(ctx, w.guild.ID, other); b != 0 {
		t.Fatalf("member gave themselves %d GP", b)
	}
	if items, _ := w.store.Items(ctx, w.guild.ID); len(items) != 0 {
		t.Fatalf("member added %+v", items)
	}
	staffLink := func(who string) discordtest.Response {
		return w.Do(gpCmd(who, discordtest.SubCommandGroup("staff", discordtest.SubCommand("link",
			discordtest.StringOpt("nitrado_username", "Alice"), discordtest.UserOpt("player", donor)))))
	}
	if r := staffLink(other); !strings.Contains(bottest.Text(r), "staff role") || len(w.donors.links) != 0 {
		t.Fatalf("member linked: %s", bottest.Text(r))
	}
	if r := staffLink(staff1); !strings.Contains(bottest.Text(r), "Donor linked") || w.donors.links["alice"] != donor {
		t.Fatalf("staff link: %s %v", bottest.Text(r), w.donors.links)
	}
	if r := w.Do(gpCmd(donor, discordtest.SubCommand("link", discordtest.StringOpt("nitrado_username", "Alice")))); !strings.Contains(bottest.Text(r), "BL-ABC123") {
		t.Fatalf("link code: %s", bottest.Text(r))
	}
}

func TestMoney(t *testing.T) {
	for cents, want := range map[int64]string{0: "0.00", 5: "0.05", 350: "3.50", 123456: "1234.56"} {
		if got := gp.Money(cents); got != want {
			t.Errorf("Money(%d) = %q, want %q", cents, got, want)
		}
	}
}
