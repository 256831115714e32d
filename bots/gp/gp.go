// Package gp is the Guardian Points bot: Nitrado boosts (donations) credit
// their linked donors with GP (jobs/donations), donors link their Nitrado
// account with a code put in a boost message (or staff link them), and
// spend GP in a catalogue delivered over RCON or at the order desk, where
// staff accept, fulfil or refuse (refunding) orders with buttons. Balances,
// history, leaderboards, adjustments and the catalogue are bots/economy on
// the same ledger as AP.
package gp

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/economy"
	"github.com/blissark/bliss/bots/embed"
)

// Per-guild settings of the GP bot (the donations job reads them through
// app).
var (
	SettingPerUnit = bots.Setting{Key: "gp_per_unit", Kind: bots.SettingNumber, Default: "100", Min: 0, Max: 1e6,
		Help: "GP per 1.00 of a boost's amount (any currency); GP = floor(amount × this + days × gp_per_day)"}
	SettingPerDay = bots.Setting{Key: "gp_per_day", Kind: bots.SettingNumber, Default: "0", Min: 0, Max: 1e6,
		Help: "GP per day a boost extends the rental (extended_for / 86400, fractional)"}
	SettingPoll = bots.Setting{Key: "gp_boost_poll", Kind: bots.SettingDuration, Default: "5m",
		Help: "How often boost history is read (paused while Nitrado is degraded)"}
	SettingCodeTTL = bots.Setting{Key: "gp_link_code_ttl", Kind: bots.SettingDuration, Default: "72h",
		Help: "How long a /gp link code stays valid (it goes in a boost message)"}
)

// Settings returns the GP bot's settings.
func Settings() []bots.Setting {
	return []bots.Setting{SettingPerUnit, SettingPerDay, SettingPoll, SettingCodeTTL}
}

// Boost is one recorded donation.
type Boost struct {
	ServiceID   int64
	BoostID     int64
	Username    string
	ExtendedFor time.Duration
	AmountRaw   string
	Cents       int64
	Message     string
	BoostedAt   time.Time
	Flags       []string
	GP          int64
	Credited    bool
}

// Donors links Nitrado accounts and lists boosts.
type Donors interface {
	NewCode(ctx context.Context, guildID, discordID, username string, ttl time.Duration) (string, error)
	// Link links username to discordID and credits its boosts made
	// before (once); it returns the GP credited.
	Link(ctx context.Context, guildID, username, discordID, by string) (int64, error)
	Usernames(ctx context.Context, guildID, discordID string) ([]string, error)
	Boosts(ctx context.Context, guildID string, usernames []string, from, to time.Time, limit, offset int) ([]Boost, int, int64, error)
}

// Deps are the GP bot's dependencies. Audit may be nil.
type Deps struct {
	Store  economy.Store
	Donors Donors
	Guilds bots.GuildStore
	Staff  bots.StaffSource
	Audit  bots.Auditor
}

type gpBot struct {
	Deps
	eco *economy.Economy
}

// New returns the GP bot's router.
func New(d Deps) *bots.Router {
	b := &gpBot{Deps: d}
	b.eco = economy.New(economy.Config{Currency: "gp", Label: "GP", BuyName: "order", Store: d.Store, Guilds: d.Guilds,
		Staff: d.Staff, Audit: d.Audit, Bot: bots.GP, OnOrder: b.onOrder})
	r := bots.NewRouter()
	subs := map[string]bots.HandlerFunc{"link": b.link, "donations": b.donations, "help": b.help, "staff link": b.staffLink}
	// The economy's staff subcommands are Staff by economy.Command; this
	// is GP's own.
	r.Command(b.eco.Command(b.spec(), subs, "staff link"))
	r.Component(&bots.Component{Prefix: "gpdesk", Access: bots.Staff, UpdateMessage: true, Run: b.desk})
	r.Pager("gpdon", bots.Everyone, b.donationsPage)
	b.eco.Register(r)
	r.Settings(Settings()...)
	return r
}

func ptr[T any](v T) *T { return &v }

// spec is /gp's own options; economy.Command appends the economy's.
func (b *gpBot) spec() *discordgo.ApplicationCommand {
	f := false
	user := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "nitrado_username",
		Description: "Your Nitrado account name (as shown on boosts)", Required: true, MaxLength: 64}
	opts := []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "link", Description: "Link your Nitrado account to get GP for your boosts",
			Options: []*discordgo.ApplicationCommandOption{user}},
		{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "donations", Description: "Boosts of a month (yours; staff: everyone's)",
			Options: []*discordgo.ApplicationCommandOption{{Type: discordgo.ApplicationCommandOptionString, Name: "month",
				Description: "YYYY-MM (default this month)", MaxLength: 7, MinLength: ptr(7)}}},
		{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "help", Description: "How Guardian Points work"},
		{Type: discordgo.ApplicationCommandOptionSubCommandGroup, Name: "staff", Description: "Staff: donors", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "link", Description: "Staff: link a Nitrado account to a member", Options: []*discordgo.ApplicationCommandOption{
				user, {Type: discordgo.ApplicationCommandOptionUser, Name: "player", Description: "Discord account", Required: true}}},
		}},
	}
	return &discordgo.ApplicationCommand{Name: "gp", Description: "Guardian Points: donations, balance, rewards", DMPermission: &f, Options: opts}
}

func (b *gpBot) help(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	gs, err := b.Guilds.GuildSettings(ctx, c.GuildID)
	if err != nil {
		return nil, err
	}
	d := fmt.Sprintf("Each Nitrado boost of this community's servers earns its donor **GP = floor(amount × %v + days × %v)** "+
		"(amount as shown on the boost, any currency; days = time extended / 24 h; rounded down).\n"+
		"1. `/gp link nitrado_username` gives you a code: put it in your next boost's message (or ask staff).\n"+
		"2. Boosts made before you linked are credited once when the link is made.\n"+
		"3. `/gp shop browse` and `/gp order`: items arrive in game; rewards that need a human go to the order desk.",
		gs.Number(SettingPerUnit), gs.Number(SettingPerDay))
	return bots.Reply(embed.New().Title("Guardian Points").Description(d).Embed()), nil
}

func (b *gpBot) link(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	name := strings.TrimSpace(c.String("nitrado_username"))
	if name == "" {
		return nil, bots.Errorf("give your Nitrado account name")
	}
	gs, err := b.Guilds.GuildSettings(ctx, c.GuildID)
	if err != nil {
		return nil, err
	}
	ttl := gs.Duration(SettingCodeTTL)
	code, err := b.Donors.NewCode(ctx, c.GuildID, c.User.ID, name, ttl)
	if err != nil {
		return nil, err
	}
	return bots.Reply(embed.New().Title("Link your Nitrado account").Description(fmt.Sprintf(
		"Put this code in the **message of your next boost** as **%s** (within %s):\n# `%s`\n"+
			"When the boost arrives, your account is linked and every boost of %s is credited once. Staff can also link you by hand.",
		bots.SanitizeName(name, 64), ttl, code, bots.SanitizeName(name, 64))).Embed()), nil
}

// staffLink is a Staff subcommand (SubAccess).
func (b *gpBot) staffLink(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	name, who := strings.TrimSpace(c.String("nitrado_username")), c.ID("player")
	if name == "" || who == "" {
		return nil, bots.Errorf("give a Nitrado username and a member")
	}
	n, err := b.Donors.Link(ctx, c.GuildID, name, who, c.User.ID)
	b.eco.Audit(ctx, c, "gp link", "<@"+who+">", name, err == nil, fmt.Sprintf("credited %d GP", n))
	if err != nil {
		return nil, economy.UserErr(err)
	}
	return bots.Reply(embed.Success("Donor linked", fmt.Sprintf("%s ↔ <@%s>; %d GP credited for earlier boosts.",
		bots.SanitizeName(name, 64), who, n))), nil
}

func (b *gpBot) donations(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	m := c.String("month")
	if m == "" {
		m = time.Now().UTC().Format("2006-01")
	}
	if _, err := time.Parse("2006-01", m); err != nil {
		return nil, bots.Errorf("month must look like 2026-12")
	}
	return c.Page(ctx, "gpdon", m, 0)
}

func (b *gpBot) donationsPage(ctx context.Context, c *bots.Ctx, month string, page int) ([]*discordgo.MessageEmbed, int, error) {
	from, err := time.Parse("2006-01", month)
	if err != nil {
		return nil, 0, bots.Errorf("month must look like 2026-12")
	}
	var names []string
	scope := "all donors"
	if !b.eco.IsStaff(ctx, c) {
		names, err = b.Donors.Usernames(ctx, c.GuildID, c.User.ID)
		if err != nil {
			return nil, 0, err
		}
		if len(names) == 0 {
			return []*discordgo.MessageEmbed{embed.New().Title("Donations " + month).
				Description("You have not linked a Nitrado account: `/gp link`.").Embed()}, 1, nil
		}
		scope = "your boosts"
	}
	const per = 10
	bs, total, cents, err := b.Donors.Boosts(ctx, c.GuildID, names, from, from.AddDate(0, 1, 0), per, page*per)
	if err != nil {
		return nil, 0, err
	}
	var sb strings.Builder
	for _, x := range bs {
		flag := ""
		if len(x.Flags) > 0 {
			flag = " ⚠️ " + strings.Join(x.Flags, ",")
		}
		fmt.Fprintf(&sb, "**%s** %s, %s%s — %d GP\n", bots.SanitizeName(x.Username, 32), amountText(x), days(x.ExtendedFor), flag, x.GP)
	}
	if sb.Len() == 0 {
		sb.WriteString("No boosts.")
	}
	pages := max(1, (total+per-1)/per)
	return []*discordgo.MessageEmbed{embed.New().Title("Donations " + month + " (" + scope + ")").Description(sb.String()).
		Footer(fmt.Sprintf("%d boosts · total %s · page %d of %d", total, Money(cents), min(page+1, pages), pages)).Embed()}, pages, nil
}

// Money formats hundredths as "12.34".
func Money(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }

func amountText(x Boost) string {
	if x.AmountRaw == "" {
		return "(no amount)"
	}
	return bots.SanitizeName(x.AmountRaw, 20)
}

func days(d time.Duration) string {
	if d <= 0 {
		return "0 days"
	}
	return strconv.FormatFloat(d.Hours()/24, 'f', 1, 64) + " days"
}

// ---- order desk ----

func deskComponents(o economy.Order) []discordgo.MessageComponent {
	id := strconv.FormatInt(o.ID, 10)
	open := o.State == economy.StateOpen || o.State == economy.StateAccepted
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: "Accept", Style: discordgo.PrimaryButton, CustomID: bots.MustCustomID("gpdesk", "accept", id), Disabled: o.State != economy.StateOpen},
		discordgo.Button{Label: "Fulfil", Style: discordgo.SuccessButton, CustomID: bots.MustCustomID("gpdesk", "fulfil", id), Disabled: !open},
		discordgo.Button{Label: "Refuse", Style: discordgo.DangerButton, CustomID: bots.MustCustomID("gpdesk", "refuse", id), Disabled: !open},
	}}}
}

func deskEmbed(o economy.Order) *discordgo.MessageEmbed {
	e := embed.New().Title(fmt.Sprintf("Order #%d: %s", o.ID, o.ItemName)).
		Description(fmt.Sprintf("For <@%s> · %d GP\n%s", o.Account, o.Price, economy.StateText(o.State)))
	if o.HandledBy != "" {
		e.Field("Handled by", "<@"+o.HandledBy+">", true)
	}
	if o.State == economy.StateFulfilled || o.State == economy.StateRefused {
		e.Color(embed.ColorSuccess)
	}
	return e.Timestamp(o.CreatedAt).Embed()
}

// onOrder posts desk orders to the orders log channel.
func (b *gpBot) onOrder(ctx context.Context, c *bots.Ctx, o economy.Order, it economy.Item) {
	if it.Kind != economy.KindDesk {
		return
	}
	gs, err := b.Guilds.GuildSettings(ctx, c.GuildID)
	if err != nil {
		c.Log.Warn("order desk: settings", "err", err)
		return
	}
	ch := gs.LogChannels["orders"]
	if ch == "" {
		c.Log.Warn("order desk: no orders channel configured", "order", o.ID)
		return
	}
	if _, err := c.Session.ChannelMessageSendComplex(ch, &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{deskEmbed(o)},
		Components: deskComponents(o), AllowedMentions: &discordgo.MessageAllowedMentions{}}, discordgo.WithContext(ctx)); err != nil {
		c.Log.Warn("order desk: post", "order", o.ID, "err", err)
	}
}

// desk handles Accept/Fulfil/Refuse; the router checks the staff role at
// click time. Of two staff clicking at once, one wins and the other is
// told the order was already handled.
func (b *gpBot) desk(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	action, idText, _ := strings.Cut(c.Args, ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return nil, bots.Errorf("this button is out of date")
	}
	var o economy.Order
	switch action {
	case "accept":
		o, err = b.Store.Transition(ctx, c.GuildID, id, []string{economy.StateOpen}, economy.StateAccepted, "accepted", c.User.ID)
	case "fulfil":
		o, err = b.Store.Transition(ctx, c.GuildID, id, []string{economy.StateOpen, economy.StateAccepted}, economy.StateFulfilled, "fulfilled", c.User.ID)
	case "refuse":
		o, err = b.Store.Refund(ctx, c.GuildID, id, []string{economy.StateOpen, economy.StateAccepted}, economy.StateRefused, "refused by staff", c.User.ID)
	default:
		return nil, bots.Errorf("this button is out of date")
	}
	b.eco.Audit(ctx, c, "gp order "+action, fmt.Sprintf("order #%d", id), "", err == nil, errText(err))
	if err != nil {
		cur, gerr := b.Store.Order(ctx, c.GuildID, id)
		if gerr == nil {
			return &bots.Response{Ephemeral: true, Embeds: []*discordgo.MessageEmbed{embed.Error("Already handled",
				fmt.Sprintf("Order #%d is %s (by <@%s>).", id, economy.StateText(cur.State), cur.HandledBy))}}, nil
		}
		return nil, economy.UserErr(err)
	}
	b.tell(c, o)
	return &bots.Response{Update: true, Embeds: []*discordgo.MessageEmbed{deskEmbed(o)}, Components: deskComponents(o)}, nil
}

// tell DMs the donor the order's new state (best effort).
func (b *gpBot) tell(c *bots.Ctx, o economy.Order) {
	if c.Session == nil {
		return
	}
	ch, err := c.Session.UserChannelCreate(o.Account)
	if err != nil {
		return
	}
	msg := fmt.Sprintf("Your order #%d (%s): %s", o.ID, o.ItemName, economy.StateText(o.State))
	if o.State == economy.StateRefused {
		msg += fmt.Sprintf(" — %d GP are back on your balance.", o.Price)
	}
	_, _ = c.Session.ChannelMessageSend(ch.ID, msg)
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}
