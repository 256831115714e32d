package economy_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/bottest"
	"github.com/blissark/bliss/bots/discordtest"
	"github.com/blissark/bliss/bots/economy"
	"github.com/blissark/bliss/bots/economy/economytest"
)

const (
	staff1  = "710000000000000001"
	staff2  = "710000000000000002"
	player  = "710000000000000003"
	roleStf = "810000000000000001"
	general = "910000000000000001"
)

// world: one economy ("pt") mounted on a router as the AP and GP bots do,
// run by a real discordgo session against the fake Discord.
type world struct {
	t     *testing.T
	fake  *discordtest.Server
	bot   discordtest.Bot
	guild discordtest.Guild
	store *economytest.Store
	audit *bottest.Audits
	bottest.Client
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	fake := bottest.NewFake(t, discordtest.Options{})
	guilds := bots.NewMemStore()
	w := &world{t: t, fake: fake, store: economytest.New(nil), audit: &bottest.Audits{}}
	w.bot = fake.AddBot("token-ap")
	w.guild = fake.AddGuild(discordtest.Guild{Name: "Cluster", Roles: []*discordgo.Role{{ID: roleStf, Name: "Staff"}},
		Channels: []*discordgo.Channel{bottest.TextChannel(general, "general")},
		Members:  []*discordgo.Member{bottest.Member(staff1, "staff1", roleStf), bottest.Member(staff2, "staff2", roleStf), bottest.Member(player, "player")}})
	bottest.Invite(t, fake, w.bot, w.guild.ID)
	if err := guilds.SaveGuildSettings(ctx, bots.GuildSettings{GuildID: w.guild.ID, StaffRoleIDs: []string{roleStf}}); err != nil {
		t.Fatal(err)
	}
	staff := bots.StaffFromStore(guilds)
	e := economy.New(economy.Config{Currency: "pt", Label: "PT", Store: w.store, Guilds: guilds, Staff: staff, Audit: w.audit, Bot: bots.AP})
	r := bots.NewRouter()
	f := false
	r.Command(e.Command(&discordgo.ApplicationCommand{Name: "pt", Description: "Points", DMPermission: &f}, nil))
	e.Register(r)
	bottest.Start(t, fake, bottest.Options{Bots: []bottest.Bot{{Kind: bots.AP, Fake: w.bot, Router: r}}, Guilds: []string{w.guild.ID}, Staff: staff})
	w.Client = bottest.Client{T: t, Fake: fake, Bot: w.bot, Guild: w.guild.ID, Channel: general, User: user}
	return w
}

func user(id string) *discordgo.User { return &discordgo.User{ID: id, Username: "u" + id[len(id)-1:]} }

func pts(who string, opts ...*discordgo.ApplicationCommandInteractionDataOption) discordtest.Interaction {
	return discordtest.Interaction{User: user(who), CommandName: "pt", Options: opts}
}

func click(who, id string) discordtest.Interaction {
	return discordtest.Interaction{User: user(who), CustomID: id}
}

func (w *world) balance(who string) int64 {
	b, _ := w.store.Balance(context.Background(), w.guild.ID, who)
	return b
}

func (w *world) addItem(name string, price int64, kind string, extra ...*discordgo.ApplicationCommandInteractionDataOption) discordtest.Response {
	opts := append([]*discordgo.ApplicationCommandInteractionDataOption{discordtest.StringOpt("name", name),
		discordtest.IntOpt("price", price), discordtest.StringOpt("kind", kind)}, extra...)
	return w.Do(pts(staff1, discordtest.SubCommandGroup("shop", discordtest.SubCommand("add", opts...))))
}

// Staff give and take are audited; a take past the balance writes nothing;
// a member cannot adjust.
func TestGiveTake(t *testing.T) {
	w := newWorld(t)
	adj := func(who, verb string, n int64) discordtest.Response {
		return w.Do(pts(who, discordtest.SubCommand(verb, discordtest.UserOpt("player", player),
			discordtest.IntOpt("amount", n), discordtest.StringOpt("reason", "event"))))
	}
	if r := adj(player, "give", 50); !strings.Contains(bottest.Text(r), "staff role") || w.balance(player) != 0 {
		t.Fatalf("member gave: %s", bottest.Text(r))
	}
	adj(staff1, "give", 50)
	if r := adj(staff1, "take", 60); !strings.Contains(bottest.Text(r), "not enough points") || w.balance(player) != 50 {
		t.Fatalf("take past the balance: %s (balance %d)", bottest.Text(r), w.balance(player))
	}
	adj(staff1, "take", 20)
	if w.balance(player) != 30 || len(w.store.Entries(w.guild.ID, player)) != 2 {
		t.Fatalf("balance %d, entries %d", w.balance(player), len(w.store.Entries(w.guild.ID, player)))
	}
	got := strings.Join(w.audit.Actions(), "\n")
	for _, want := range []string{"pt give <@" + player + "> ok=true", "pt take <@" + player + "> ok=false", "pt take <@" + player + "> ok=true"} {
		if !strings.Contains(got, want) {
			t.Fatalf("audit lacks %q:\n%s", want, got)
		}
	}
	if r := w.Do(pts(player, discordtest.SubCommand("history"))); !strings.Contains(bottest.Text(r), "take") || !strings.Contains(bottest.Text(r), "give") {
		t.Fatalf("history: %s", bottest.Text(r))
	}
	if r := w.Do(pts(player, discordtest.SubCommand("balance", discordtest.UserOpt("player", staff1)))); !strings.Contains(bottest.Text(r), "staff") {
		t.Fatalf("a member read another balance: %s", bottest.Text(r))
	}
}

// A confirmation is bound to the price shown: a price changed meanwhile,
// an item removed meanwhile and a balance too low buy nothing; a template
// that would chain a second command is refused at creation.
func TestBuyConfirmation(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if r := w.addItem("Evil", 1, "command", discordtest.StringOpt("command", "ScriptCommand x {name} | DoExit")); !strings.Contains(bottest.Text(r), "would chain") {
		t.Fatalf("bad template accepted: %s", bottest.Text(r))
	}
	if r := w.addItem("Helmet", 10, "item", discordtest.StringOpt("blueprint", "/Game/X/Helmet.Helmet")); !strings.Contains(bottest.Text(r), "Item added") {
		t.Fatalf("add: %s", bottest.Text(r))
	}
	if _, err := w.store.Post(ctx, w.guild.ID, player, 20, "give", "", "seed", ""); err != nil {
		t.Fatal(err)
	}
	ask := func() string {
		r := w.Do(pts(player, discordtest.SubCommand("buy", discordtest.StringOpt("item", "Helmet"))))
		if bottest.Buttons(r.Data.Components)["Confirm"] == "" {
			t.Fatalf("no confirmation: %s", bottest.Text(r))
		}
		return bottest.Buttons(r.Data.Components)["Confirm"]
	}
	confirm := ask()
	it, _ := w.store.Item(ctx, w.guild.ID, "Helmet")
	it.Price = 12
	if err := w.store.UpdateItem(ctx, w.guild.ID, it); err != nil {
		t.Fatal(err)
	}
	if r := w.Do(click(player, confirm)); !strings.Contains(bottest.Text(r), "price of Helmet changed to 12") || w.balance(player) != 20 {
		t.Fatalf("old price bought: %s", bottest.Text(r))
	}
	confirm = ask()
	if r := w.Do(click(player, confirm)); !strings.Contains(bottest.Text(r), "Order #1") || w.balance(player) != 8 {
		t.Fatalf("buy: %s (balance %d)", bottest.Text(r), w.balance(player))
	}
	if r := w.Do(click(player, ask())); !strings.Contains(bottest.Text(r), "not enough points") {
		t.Fatalf("second buy: %s", bottest.Text(r))
	}
	confirm = ask()
	if err := w.store.RemoveItem(ctx, w.guild.ID, it.ID); err != nil {
		t.Fatal(err)
	}
	if r := w.Do(click(player, confirm)); !strings.Contains(bottest.Text(r), "no longer sold") {
		t.Fatalf("removed item: %s", bottest.Text(r))
	}
	if _, n, _ := w.store.Orders(ctx, w.guild.ID, "", nil, 10, 0); n != 1 || w.balance(player) != 8 {
		t.Fatalf("%d orders, balance %d", n, w.balance(player))
	}
	if r := w.Do(pts(player, discordtest.SubCommand("orders"))); !strings.Contains(bottest.Text(r), "Helmet") {
		t.Fatalf("orders: %s", bottest.Text(r))
	}
}

// /pts orders pending: staff buttons check the role when clicked, and of
// two staff refunding the same order one wins; the price comes back once.
func TestPendingButtons(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	it := economy.Item{Name: "Helmet", Price: 10, Kind: economy.KindItem, Blueprint: "/Game/X/Helmet.Helmet"}
	if err := w.store.AddItem(ctx, w.guild.ID, &it); err != nil {
		t.Fatal(err)
	}
	w.store.Post(ctx, w.guild.ID, player, 10, "give", "", "seed", "")
	if _, _, err := w.store.Buy(ctx, w.guild.ID, player, it.ID, 0, "k"); err != nil {
		t.Fatal(err)
	}
	if r := w.Do(pts(player, discordtest.SubCommand("orders", discordtest.BoolOpt("pending", true)))); !strings.Contains(bottest.Text(r), "staff role") {
		t.Fatalf("member listed pending: %s", bottest.Text(r))
	}
	r := w.Do(pts(staff1, discordtest.SubCommand("orders", discordtest.BoolOpt("pending", true))))
	refund := bottest.Buttons(r.Data.Components)["#1 refund"]
	if refund == "" {
		t.Fatalf("pending: %s", bottest.Text(r))
	}
	if r := w.Do(click(player, refund)); !strings.Contains(bottest.Text(r), "staff role") {
		t.Fatalf("member refunded: %s", bottest.Text(r))
	}
	// staff1 listed the orders while staff; the role is gone at the click.
	if err := w.fake.SetMemberRoles(w.guild.ID, staff1, nil); err != nil {
		t.Fatal(err)
	}
	if r := w.Do(click(staff1, refund)); !strings.Contains(bottest.Text(r), "staff role") || w.balance(player) != 0 {
		t.Fatalf("former staff refunded: %s", bottest.Text(r))
	}
	var wg sync.WaitGroup
	res := make([]string, 2)
	for i := range res {
		wg.Go(func() { res[i] = bottest.Text(w.Do(click(staff2, refund))) })
	}
	wg.Wait()
	if joined := strings.Join(res, "\n"); strings.Count(joined, "refunded") < 1 || !strings.Contains(joined, "already handled") {
		t.Fatalf("two refunds: %v", res)
	}
	if w.balance(player) != 10 {
		t.Fatalf("balance %d after refund, want 10", w.balance(player))
	}
}

func TestUserErrAndStates(t *testing.T) {
	cases := map[error]string{
		fmt.Errorf("x: %w", economy.ErrInsufficient):                      "not enough points",
		fmt.Errorf("storage: %w: at most 1 of Helmet", economy.ErrLimit):  "at most 1 of Helmet",
		fmt.Errorf("storage: %w: order 3 is delivered", economy.ErrState): "someone already handled this: order 3 is delivered",
		fmt.Errorf("x: %w", economy.ErrNotFound):                          "not found",
	}
	for in, want := range cases {
		var ue *bots.UserError
		if err := economy.UserErr(in); !errors.As(err, &ue) || ue.Msg != want {
			t.Errorf("UserErr(%v) = %v, want %q", in, err, want)
		}
	}
	if other := errors.New("disk on fire"); economy.UserErr(other) != other {
		t.Error("an internal error became a user error")
	}
	for _, s := range []string{economy.StatePending, economy.StateUnconfirmed, economy.StateRefused, economy.StateFulfilled} {
		if economy.StateText(s) == s {
			t.Errorf("state %q has no text", s)
		}
	}
	for _, it := range []economy.Item{
		{Price: 0, Kind: economy.KindDesk},
		{Price: 1, Kind: economy.KindItem, Blueprint: "not a path"},
		{Price: 1, Kind: economy.KindCommand, Command: "Say {name}\nDoExit"},
		{Price: 1, Kind: "teleport"},
	} {
		if economy.ValidateItem(it) == nil {
			t.Errorf("ValidateItem accepted %+v", it)
		}
	}
	if err := economy.ValidateItem(economy.Item{Price: 1, Kind: economy.KindDino, Command: `ScriptCommand spawn {eos} "{name}"`}); err != nil {
		t.Errorf("good template refused: %v", err)
	}
}

// TestCommandStaffSubcommands: economy.Command makes exactly the economy's
// StaffSubcommands (and the bot's own staff paths) Staff routes of an
// Everyone command, and StaffSubcommands names exactly the subcommands the
// economy's specs call "Staff:". The handlers do not check again, so a path
// missing here would be open to every member.
func TestCommandStaffSubcommands(t *testing.T) {
	e := economy.New(economy.Config{Currency: "pt", Label: "PT"})
	own := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "mine", Description: "Staff: the bot's own"}
	spec := &discordgo.ApplicationCommand{Name: "pt", Description: "Points", Options: []*discordgo.ApplicationCommandOption{own}}
	noop := func(context.Context, *bots.Ctx) (*bots.Response, error) { return nil, nil }
	cmd := e.Command(spec, map[string]bots.HandlerFunc{"mine": noop}, "mine")
	if len(spec.Options) != 1 {
		t.Fatalf("Command changed the bot's spec: %d options", len(spec.Options))
	}
	if cmd.Access != bots.Everyone || !cmd.Ephemeral || cmd.Autocomplete == nil {
		t.Fatalf("command: access %s, ephemeral %v, autocomplete %v", cmd.Access, cmd.Ephemeral, cmd.Autocomplete != nil)
	}
	r := bots.NewRouter()
	r.Command(cmd)
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := economytest.CheckStaffRoutes(r, "pt", "mine"); err != nil {
		t.Fatal(err)
	}
	if err := economytest.CheckStaffRoutes(r, "pt"); err == nil || !strings.Contains(err.Error(), "/pt mine: staff (command everyone), want everyone") {
		t.Fatalf("a staff path the check was not told of: %v", err)
	}
	if s := economy.StaffSubcommands(); len(s) > 0 {
		s[0] = "balance"
		if economy.StaffSubcommands()[0] == "balance" {
			t.Error("StaffSubcommands shares its slice")
		}
	}
}

// A member's shop add, edit and remove are refused by the dispatcher
// before the handler runs (the handlers no longer check): nothing changes
// and nothing is audited; the item-name autocomplete of a staff path
// offers them nothing. Staff edit and remove.
func TestShopStaffOnly(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if r := w.addItem("Helmet", 10, "item", discordtest.StringOpt("blueprint", "/Game/X/Helmet.Helmet")); !strings.Contains(bottest.Text(r), "Item added") {
		t.Fatalf("add: %s", bottest.Text(r))
	}
	before := len(w.audit.Actions())
	shop := func(who, sub string, opts ...*discordgo.ApplicationCommandInteractionDataOption) discordtest.Response {
		return w.Do(pts(who, discordtest.SubCommandGroup("shop", discordtest.SubCommand(sub, opts...))))
	}
	for _, r := range []discordtest.Response{
		shop(player, "add", discordtest.StringOpt("name", "Sword"), discordtest.IntOpt("price", 1), discordtest.StringOpt("kind", "desk")),
		shop(player, "edit", discordtest.StringOpt("name", "Helmet"), discordtest.IntOpt("price", 1)),
		shop(player, "remove", discordtest.StringOpt("name", "Helmet")),
	} {
		if !strings.Contains(bottest.Text(r), "staff role") {
			t.Fatalf("member changed the shop: %s", bottest.Text(r))
		}
	}
	items, err := w.store.Items(ctx, w.guild.ID)
	if err != nil || len(items) != 1 || items[0].Price != 10 || len(w.audit.Actions()) != before {
		t.Fatalf("after a member's attempts: items %+v, err %v, audits %v", items, err, w.audit.Actions())
	}
	complete := func(who string) []*discordgo.ApplicationCommandOptionChoice {
		return w.Autocomplete(who, "pt", discordtest.SubCommandGroup("shop", discordtest.SubCommand("edit", discordtest.Focused(discordtest.StringOpt("name", "hel"))))).Data.Choices
	}
	if c := complete(player); len(c) != 0 {
		t.Fatalf("a member got item names from a staff path: %+v", c)
	}
	if c := complete(staff1); len(c) != 1 {
		t.Fatalf("staff autocomplete: %+v", c)
	}
	if r := shop(staff1, "edit", discordtest.StringOpt("name", "Helmet"), discordtest.IntOpt("price", 12)); !strings.Contains(bottest.Text(r), "Item changed") {
		t.Fatalf("edit: %s", bottest.Text(r))
	}
	if r := shop(staff1, "remove", discordtest.StringOpt("name", "Helmet")); !strings.Contains(bottest.Text(r), "Item removed") {
		t.Fatalf("remove: %s", bottest.Text(r))
	}
	got := strings.Join(w.audit.Actions(), "\n")
	for _, want := range []string{"pt shop edit Helmet ok=true", "pt shop remove Helmet ok=true"} {
		if !strings.Contains(got, want) {
			t.Fatalf("audit lacks %q:\n%s", want, got)
		}
	}
	if items, _ := w.store.Items(ctx, w.guild.ID); len(items) != 0 {
		t.Fatalf("items after remove: %+v", items)
	}
}
