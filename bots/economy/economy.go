// Package economy is the part of the AP and GP bots that is the same for
// both point kinds: balances, history, leaderboards, staff adjustments, the
// shop catalogue, purchases with confirmation and the order list. It is a
// library, not a bot: bots/ap and bots/gp mount it on their own command
// with their own Store (one ledger, two currencies), wired by app.
package economy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/rcon"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/embed"
)

// Errors a Store returns (wrapped); app maps storage's sentinels to these.
var (
	ErrInsufficient = errors.New("insufficient balance")
	ErrLimit        = errors.New("purchase limit reached")
	ErrCooldown     = errors.New("item on cooldown")
	ErrState        = errors.New("order already handled")
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("conflict")
	ErrInvalid      = errors.New("invalid")
	ErrExpired      = errors.New("expired")
)

// Entry is one ledger entry of an account.
type Entry struct {
	Amount    int64
	Reason    string
	Reference string
	Actor     string
	At        time.Time
}

// Standing is one leaderboard row.
type Standing struct {
	Account string
	Points  int64
}

// Item kinds.
const (
	KindItem    = "item"
	KindDino    = "dino"
	KindCommand = "command"
	KindDesk    = "desk"
)

// Item is one catalogue entry.
type Item struct {
	ID           int64
	Name         string
	Description  string
	Price        int64
	Kind         string
	Blueprint    string
	Quantity     int
	Quality      int
	AsBlueprint  bool
	Command      string
	MaxPerPlayer int
	Cooldown     time.Duration
	Servers      []int64
}

// Order states (as storage names them).
const (
	StatePending     = "pending"
	StateSending     = "sending"
	StateDelivered   = "delivered"
	StateUnconfirmed = "unconfirmed"
	StateRefunded    = "refunded"
	StateOpen        = "open"
	StateAccepted    = "accepted"
	StateFulfilled   = "fulfilled"
	StateRefused     = "refused"
)

// Order is one purchase.
type Order struct {
	ID        int64
	Account   string
	ItemName  string
	Price     int64
	ServiceID int64
	State     string
	Failures  int
	Note      string
	HandledBy string
	DeskMsg   string
	CreatedAt time.Time
}

// Store is one currency's ledger, catalogue and orders in one guild-scoped
// store. App implements it over storage (one ledger for both currencies).
type Store interface {
	Balance(ctx context.Context, guildID, account string) (int64, error)
	// Post appends a ledger entry; the same key again is a no-op
	// (created=false). A debit past the balance is ErrInsufficient.
	Post(ctx context.Context, guildID, account string, amount int64, reason, ref, key, actor string) (created bool, err error)
	History(ctx context.Context, guildID, account string, limit, offset int) ([]Entry, int, error)
	Leaderboard(ctx context.Context, guildID string, since time.Time, limit, offset int) ([]Standing, int, error)
	Items(ctx context.Context, guildID string) ([]Item, error)
	Item(ctx context.Context, guildID, idOrName string) (Item, error)
	AddItem(ctx context.Context, guildID string, it *Item) error
	UpdateItem(ctx context.Context, guildID string, it Item) error
	RemoveItem(ctx context.Context, guildID string, id int64) error
	// Buy debits, records the order and queues its delivery in one
	// transaction; the same key returns the first order.
	Buy(ctx context.Context, guildID, account string, itemID, serviceID int64, key string) (Order, bool, error)
	Orders(ctx context.Context, guildID, account string, states []string, limit, offset int) ([]Order, int, error)
	Order(ctx context.Context, guildID string, id int64) (Order, error)
	// Transition moves an order from one of from to to; ErrState when it
	// is in another state (someone else handled it).
	Transition(ctx context.Context, guildID string, id int64, from []string, to, note, actor string) (Order, error)
	// Refund moves the order to to (refunded/refused) and credits the price
	// back once.
	Refund(ctx context.Context, guildID string, id int64, from []string, to, note, actor string) (Order, error)
}

// Config configures one currency's economy.
type Config struct {
	Currency string // "ap" or "gp": custom_id and pager prefixes
	Label    string // "AP"
	BuyName  string // subcommand that buys: "buy" (default) or "order"
	Store    Store
	Guilds   bots.GuildStore
	Staff    bots.StaffSource
	Audit    bots.Auditor
	Bot      bots.BotKind
	// OnOrder, when set, is called after a new order (the GP order desk
	// posts desk orders with it).
	OnOrder func(ctx context.Context, c *bots.Ctx, o Order, it Item)
}

// Economy serves one currency's subcommands and components.
type Economy struct{ cfg Config }

// New returns an economy for cfg.
func New(cfg Config) *Economy {
	if cfg.BuyName == "" {
		cfg.BuyName = "buy"
	}
	return &Economy{cfg: cfg}
}

const perPage = 10

func ptr[T any](v T) *T { return &v }

// Register adds the economy's components and pagers to r.
func (e *Economy) Register(r *bots.Router) {
	p := e.cfg.Currency
	r.Component(&bots.Component{Prefix: p + "buy", Access: bots.Everyone, Ephemeral: true, Run: e.buyButton})
	r.Component(&bots.Component{Prefix: p + "cf", Access: bots.Everyone, Ephemeral: true, UpdateMessage: true, Run: e.confirm})
	r.Component(&bots.Component{Prefix: p + "cx", Access: bots.Everyone, Ephemeral: true, UpdateMessage: true, Run: e.cancel})
	r.Component(&bots.Component{Prefix: p + "adm", Access: bots.Staff, Ephemeral: true, Run: e.adminButton})
	r.Pager(p+"hist", bots.Everyone, e.historyPage)
	r.Pager(p+"top", bots.Everyone, e.topPage)
	r.Pager(p+"ord", bots.Everyone, e.ordersPage)
}

// StaffSubcommands are the paths of the economy's staff-only subcommands.
// The economy owns this list: Command declares them Staff
// (bots.Command.SubAccess), so the dispatcher refuses a non-staff caller
// before their handlers (and their autocomplete) run, and the handlers do
// not check again. A fresh slice each call.
func StaffSubcommands() []string {
	return []string{"give", "take", "shop add", "shop edit", "shop remove"}
}

// Command is the one way a bot mounts the economy: its slash command spec
// with the economy's options appended after the bot's own (spec itself is
// not changed), open to everyone and ephemeral, serving the bot's subs and
// the economy's subcommands and autocomplete. StaffSubcommands and the
// bot's own staff paths are Staff subcommands. A bot subcommand named like
// one of the economy's is a duplicate option the router's Validate reports;
// the economy's handler serves it.
func (e *Economy) Command(spec *discordgo.ApplicationCommand, subs map[string]bots.HandlerFunc, staff ...string) *bots.Command {
	s := *spec
	s.Options = append(slices.Clone(spec.Options), e.options()...)
	handlers := make(map[string]bots.HandlerFunc, len(subs)+16)
	for p, h := range subs {
		handlers[p] = h
	}
	for p, h := range e.handlers() {
		handlers[p] = h
	}
	return &bots.Command{Spec: &s, Access: bots.Everyone, Ephemeral: true, Subcommands: handlers, Autocomplete: e.Autocomplete,
		SubAccess: bots.StaffPaths(append(StaffSubcommands(), staff...)...)}
}

// options are the subcommand specs the economy serves; handlers maps
// their paths to handlers.
func (e *Economy) options() []*discordgo.ApplicationCommandOption {
	L := e.cfg.Label
	user := func(desc string, req bool) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionUser, Name: "player", Description: desc, Required: req}
	}
	amount := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionInteger, Name: "amount", Description: "Points",
		Required: true, MinValue: ptr(1.0), MaxValue: 1e9}
	reason := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "reason", Description: "Why (audited)",
		Required: true, MaxLength: 200}
	item := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "item", Description: "Shop item",
		Required: true, Autocomplete: true, MaxLength: 100}
	server := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "server", Description: "Server to deliver on (default: wherever you are online)",
		Autocomplete: true, MaxLength: 20}
	itemFields := func(required bool) []*discordgo.ApplicationCommandOption {
		return []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "name", Description: "Item name", Required: true, MaxLength: 100, Autocomplete: !required},
			{Type: discordgo.ApplicationCommandOptionInteger, Name: "price", Description: "Price in " + L, Required: required, MinValue: ptr(1.0), MaxValue: 1e9},
			{Type: discordgo.ApplicationCommandOptionString, Name: "kind", Description: "How it is delivered", Required: required, Choices: []*discordgo.ApplicationCommandOptionChoice{
				{Name: "item (GiveItemToPlayer)", Value: KindItem}, {Name: "dino (spawn command)", Value: KindDino},
				{Name: "command (RCON template)", Value: KindCommand}, {Name: "desk (staff fulfil by hand)", Value: KindDesk}}},
			{Type: discordgo.ApplicationCommandOptionString, Name: "blueprint", Description: "Item blueprint path (/Game/...)", MaxLength: 300},
			{Type: discordgo.ApplicationCommandOptionInteger, Name: "quantity", Description: "Item quantity", MinValue: ptr(1.0), MaxValue: 10000},
			{Type: discordgo.ApplicationCommandOptionInteger, Name: "quality", Description: "Item quality", MinValue: ptr(0.0), MaxValue: 1000},
			{Type: discordgo.ApplicationCommandOptionString, Name: "command", Description: "RCON template with {eos} {player_id} {name}", MaxLength: 900},
			{Type: discordgo.ApplicationCommandOptionString, Name: "description", Description: "Shown in the shop", MaxLength: 500},
			{Type: discordgo.ApplicationCommandOptionInteger, Name: "limit", Description: "Per-player limit (0 none)", MinValue: ptr(0.0), MaxValue: 1000},
			{Type: discordgo.ApplicationCommandOptionString, Name: "cooldown", Description: "Between purchases, e.g. 24h", MaxLength: 20},
			{Type: discordgo.ApplicationCommandOptionString, Name: "servers", Description: "Service ids where sold, comma-separated (default all)", MaxLength: 200},
		}
	}
	sub := func(name, desc string, opts ...*discordgo.ApplicationCommandOption) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: name, Description: desc, Options: opts}
	}
	return []*discordgo.ApplicationCommandOption{
		sub("balance", "Your "+L+" balance (staff: anyone's)", user("Whose balance", false)),
		sub("history", "Your "+L+" history (staff: anyone's)", user("Whose history", false)),
		sub("leaderboard", "Top "+L+" holders", &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "period",
			Description: "All time or this week", Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "all time", Value: "all"}, {Name: "this week", Value: "week"}}}),
		sub("give", "Staff: give "+L, user("Who", true), amount, reason),
		sub("take", "Staff: take "+L, user("Who", true), amount, reason),
		sub(e.cfg.BuyName, "Buy a shop item with "+L, item, server),
		sub("orders", "Your orders (staff: pending deliveries to resolve)", &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionBoolean,
			Name: "pending", Description: "Staff: orders that need a decision"}),
		{Type: discordgo.ApplicationCommandOptionSubCommandGroup, Name: "shop", Description: "The " + L + " shop", Options: []*discordgo.ApplicationCommandOption{
			sub("browse", "Browse the shop"),
			sub("add", "Staff: add an item", itemFields(true)...),
			sub("edit", "Staff: change an item (only the options given)", itemFields(false)...),
			sub("remove", "Staff: remove an item", &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "name",
				Description: "Item", Required: true, Autocomplete: true, MaxLength: 100}),
		}},
	}
}

// handlers maps the economy's subcommand paths to handlers.
func (e *Economy) handlers() map[string]bots.HandlerFunc {
	return map[string]bots.HandlerFunc{
		"balance": e.balance, "history": e.history, "leaderboard": e.leaderboard, "give": e.give, "take": e.take,
		e.cfg.BuyName: e.buy, "orders": e.orders, "shop browse": e.browse, "shop add": e.shopAdd, "shop edit": e.shopEdit,
		"shop remove": e.shopRemove,
	}
}

// Autocomplete serves the item, name and server options.
func (e *Economy) Autocomplete(ctx context.Context, c *bots.Ctx, f *discordgo.ApplicationCommandInteractionDataOption) ([]*discordgo.ApplicationCommandOptionChoice, error) {
	typed, _ := f.Value.(string)
	typed = strings.ToLower(typed)
	var out []*discordgo.ApplicationCommandOptionChoice
	switch f.Name {
	case "item", "name":
		items, err := e.cfg.Store.Items(ctx, c.GuildID)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if strings.Contains(strings.ToLower(it.Name), typed) {
				out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: fmt.Sprintf("%s (%d %s)", it.Name, it.Price, e.cfg.Label), Value: it.Name})
			}
		}
	case "server":
		ss, err := e.cfg.Guilds.Servers(ctx, c.GuildID)
		if err != nil {
			return nil, err
		}
		for _, s := range ss {
			id := strconv.FormatInt(s.ServiceID, 10)
			if strings.Contains(strings.ToLower(s.Name), typed) || strings.Contains(id, typed) {
				out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: s.Name + " (" + id + ")", Value: id})
			}
		}
	}
	return out, nil
}

// RequireStaff refuses a non-staff caller of what only an option or a
// click makes staff-only: someone else's balance or history, /orders
// pending, and (through IsStaff) pager pages, which anyone who sees the
// message can click. The StaffSubcommands need no call: the dispatcher
// refuses others before they run.
func (e *Economy) RequireStaff(ctx context.Context, c *bots.Ctx) error {
	if c.Staff {
		return nil
	}
	ok, err := bots.IsStaff(ctx, e.cfg.Staff, c.GuildID, c.Member)
	if err != nil {
		return err
	}
	if !ok {
		return bots.Errorf("this needs a staff role")
	}
	c.Staff = true
	return nil
}

// IsStaff reports whether the caller is staff.
func (e *Economy) IsStaff(ctx context.Context, c *bots.Ctx) bool {
	return e.RequireStaff(ctx, c) == nil
}

// UserErr maps store errors to messages for the user; others pass through.
func UserErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrInsufficient):
		return bots.Errorf("not enough points")
	case errors.Is(err, ErrLimit), errors.Is(err, ErrCooldown), errors.Is(err, ErrInvalid), errors.Is(err, ErrExpired):
		return &bots.UserError{Msg: tail(err), Err: err}
	case errors.Is(err, ErrNotFound):
		return bots.Errorf("not found")
	case errors.Is(err, ErrState):
		return &bots.UserError{Msg: "someone already handled this: " + tail(err), Err: err}
	case errors.Is(err, ErrConflict):
		return &bots.UserError{Msg: tail(err), Err: err}
	}
	return err
}

// tail is the last ": "-separated part of an error, the human one.
func tail(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && i+2 < len(s) {
		return s[i+2:]
	}
	return s
}

// Audit records a staff action (no-op without an Auditor).
func (e *Economy) Audit(ctx context.Context, c *bots.Ctx, action, target, detail string, ok bool, result string) {
	if e.cfg.Audit == nil {
		return
	}
	if err := e.cfg.Audit.Audit(ctx, bots.AuditEntry{GuildID: c.GuildID, ActorID: c.User.ID, Actor: c.User.Username, Bot: e.cfg.Bot,
		Action: action, Target: target, Detail: detail, OK: ok, Result: result, At: time.Now()}); err != nil {
		c.Log.Warn("audit failed", "err", err)
	}
}

func mention(id string) string { return "<@" + id + ">" }

// target is whose balance or history an Everyone subcommand shows: only
// the player option makes it staff-only, so the check stays here.
func (e *Economy) target(ctx context.Context, c *bots.Ctx) (string, error) {
	if id := c.ID("player"); id != "" && id != c.User.ID {
		if err := e.RequireStaff(ctx, c); err != nil {
			return "", bots.Errorf("only staff can look at someone else's points")
		}
		return id, nil
	}
	return c.User.ID, nil
}

func (e *Economy) balance(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	who, err := e.target(ctx, c)
	if err != nil {
		return nil, err
	}
	b, err := e.cfg.Store.Balance(ctx, c.GuildID, who)
	if err != nil {
		return nil, err
	}
	return bots.Reply(embed.New().Title(e.cfg.Label + " balance").Description(fmt.Sprintf("%s has **%d %s**.", mention(who), b, e.cfg.Label)).Embed()), nil
}

func (e *Economy) history(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	who, err := e.target(ctx, c)
	if err != nil {
		return nil, err
	}
	return c.Page(ctx, e.cfg.Currency+"hist", who, 0)
}

func (e *Economy) historyPage(ctx context.Context, c *bots.Ctx, who string, page int) ([]*discordgo.MessageEmbed, int, error) {
	if who != c.User.ID && !e.IsStaff(ctx, c) {
		return nil, 0, bots.Errorf("only staff can look at someone else's points")
	}
	es, total, err := e.cfg.Store.History(ctx, c.GuildID, who, perPage, page*perPage)
	if err != nil {
		return nil, 0, err
	}
	var b strings.Builder
	for _, x := range es {
		fmt.Fprintf(&b, "`%+d` %s — %s <t:%d:R>\n", x.Amount, x.Reason, embed.Truncate(x.Reference, 80), x.At.Unix())
	}
	if b.Len() == 0 {
		b.WriteString("No entries yet.")
	}
	pages := max(1, (total+perPage-1)/perPage)
	return []*discordgo.MessageEmbed{embed.New().Title(e.cfg.Label + " history").Description(mention(who) + "\n" + b.String()).
		Footer(fmt.Sprintf("Page %d of %d · %d entries", min(page+1, pages), pages, total)).Embed()}, pages, nil
}

func (e *Economy) leaderboard(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	p := c.String("period")
	if p != "week" {
		p = "all"
	}
	return c.Page(ctx, e.cfg.Currency+"top", p, 0)
}

// weekStart is Monday 00:00 UTC of t's week.
func weekStart(t time.Time) time.Time {
	t = t.UTC()
	d := (int(t.Weekday()) + 6) % 7
	return time.Date(t.Year(), t.Month(), t.Day()-d, 0, 0, 0, 0, time.UTC)
}

func (e *Economy) topPage(ctx context.Context, c *bots.Ctx, period string, page int) ([]*discordgo.MessageEmbed, int, error) {
	var since time.Time
	title := e.cfg.Label + " leaderboard (all time)"
	if period == "week" {
		since, title = weekStart(time.Now()), e.cfg.Label+" leaderboard (earned this week)"
	}
	rows, total, err := e.cfg.Store.Leaderboard(ctx, c.GuildID, since, perPage, page*perPage)
	if err != nil {
		return nil, 0, err
	}
	var b strings.Builder
	for i, r := range rows {
		fmt.Fprintf(&b, "%d. %s — **%d**\n", page*perPage+i+1, mention(r.Account), r.Points)
	}
	if b.Len() == 0 {
		b.WriteString("Nobody yet.")
	}
	pages := max(1, (total+perPage-1)/perPage)
	return []*discordgo.MessageEmbed{embed.New().Title(title).Description(b.String()).
		Footer(fmt.Sprintf("Page %d of %d", min(page+1, pages), pages)).Embed()}, pages, nil
}

func (e *Economy) give(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	return e.adjust(ctx, c, 1)
}
func (e *Economy) take(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	return e.adjust(ctx, c, -1)
}

// adjust serves give and take, Staff subcommands (StaffSubcommands).
func (e *Economy) adjust(ctx context.Context, c *bots.Ctx, sign int64) (*bots.Response, error) {
	who, n := c.ID("player"), c.Int("amount")
	reason := bots.SanitizeChat(c.String("reason"), 200)
	if who == "" || n <= 0 || reason == "" {
		return nil, bots.Errorf("give a player, a positive amount and a reason")
	}
	verb := "give"
	if sign < 0 {
		verb = "take"
	}
	// The interaction id keys the entry: Discord redelivering the same
	// interaction cannot adjust twice.
	_, err := e.cfg.Store.Post(ctx, c.GuildID, who, sign*n, verb, reason, e.cfg.Currency+":"+verb+":"+c.Interaction.ID, c.User.ID)
	action := e.cfg.Currency + " " + verb
	if err != nil {
		e.Audit(ctx, c, action, mention(who), fmt.Sprintf("%d: %s", n, reason), false, err.Error())
		return nil, UserErr(err)
	}
	b, _ := e.cfg.Store.Balance(ctx, c.GuildID, who)
	e.Audit(ctx, c, action, mention(who), fmt.Sprintf("%d: %s", n, reason), true, fmt.Sprintf("balance now %d", b))
	return bots.Reply(embed.Success(e.cfg.Label+" "+verb, fmt.Sprintf("%s: %+d %s (%s). Balance now **%d**.", mention(who), sign*n, e.cfg.Label, reason, b))), nil
}

// ---- shop ----

func (e *Economy) browse(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	items, err := e.cfg.Store.Items(ctx, c.GuildID)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return bots.Reply(embed.New().Title(e.cfg.Label + " shop").Description("The shop is empty.").Embed()), nil
	}
	b := embed.New().Title(e.cfg.Label + " shop")
	var rows []discordgo.MessageComponent
	var row []discordgo.MessageComponent
	for i, it := range items {
		desc := it.Description
		if desc == "" {
			desc = it.Kind
		}
		b.Field(fmt.Sprintf("%s — %d %s", it.Name, it.Price, e.cfg.Label), embed.Truncate(desc, 200), false)
		if i < 25 {
			row = append(row, discordgo.Button{Label: embed.Truncate("Buy "+it.Name, 80), Style: discordgo.PrimaryButton,
				CustomID: bots.MustCustomID(e.cfg.Currency+"buy", strconv.FormatInt(it.ID, 10))})
			if len(row) == 5 {
				rows, row = append(rows, discordgo.ActionsRow{Components: row}), nil
			}
		}
	}
	if len(row) > 0 {
		rows = append(rows, discordgo.ActionsRow{Components: row})
	}
	return &bots.Response{Embeds: b.Build(), Components: rows}, nil
}

// itemFromOptions fills it from the options given (all for add, the given
// ones for edit) and validates the result.
func (e *Economy) itemFromOptions(c *bots.Ctx, it *Item) error {
	if c.Has("price") {
		it.Price = c.Int("price")
	}
	if c.Has("kind") {
		it.Kind = c.String("kind")
	}
	if c.Has("blueprint") {
		it.Blueprint = strings.TrimSpace(c.String("blueprint"))
	}
	if c.Has("quantity") {
		it.Quantity = int(c.Int("quantity"))
	}
	if c.Has("quality") {
		it.Quality = int(c.Int("quality"))
	}
	if c.Has("command") {
		it.Command = strings.TrimSpace(c.String("command"))
	}
	if c.Has("description") {
		it.Description = bots.SanitizeChat(c.String("description"), 500)
	}
	if c.Has("limit") {
		it.MaxPerPlayer = int(c.Int("limit"))
	}
	if c.Has("cooldown") {
		d, err := time.ParseDuration(strings.TrimSpace(c.String("cooldown")))
		if err != nil || d < 0 {
			return bots.Errorf("cooldown %q is not a duration like 24h", c.String("cooldown"))
		}
		it.Cooldown = d
	}
	if c.Has("servers") {
		it.Servers = nil
		for _, p := range strings.Split(c.String("servers"), ",") {
			if strings.TrimSpace(p) == "" {
				continue
			}
			id, ok := bots.ParseServiceID(p)
			if !ok {
				return bots.Errorf("%q is not a service id", p)
			}
			it.Servers = append(it.Servers, id)
		}
	}
	return ValidateItem(*it)
}

// ValidateItem checks that an item can be delivered as declared: a
// blueprint GiveItemToPlayer accepts, or a template that renders.
func ValidateItem(it Item) error {
	if it.Price <= 0 {
		return bots.Errorf("price must be positive")
	}
	switch it.Kind {
	case KindItem:
		if it.Quantity == 0 {
			it.Quantity = 1
		}
		if _, err := rcon.GiveItemToPlayer(1, it.Blueprint, it.Quantity, it.Quality, it.AsBlueprint); err != nil {
			return &bots.UserError{Msg: "blueprint: " + tail(err), Err: err}
		}
	case KindDino, KindCommand:
		if err := rcon.ValidateTemplate(it.Command); err != nil {
			return &bots.UserError{Msg: "command template: " + tail(err), Err: err}
		}
	case KindDesk:
	default:
		return bots.Errorf("kind must be item, dino, command or desk")
	}
	return nil
}

func describeItem(it Item) string {
	switch it.Kind {
	case KindItem:
		return fmt.Sprintf("`%s` ×%d, quality %d", it.Blueprint, max(it.Quantity, 1), it.Quality)
	case KindDino, KindCommand:
		return "`" + it.Command + "`"
	}
	return "fulfilled by staff at the order desk"
}

// shopAdd, shopEdit and shopRemove are Staff subcommands (StaffSubcommands).
func (e *Economy) shopAdd(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	it := Item{Name: bots.SanitizeName(c.String("name"), 100), Quantity: 1}
	if it.Name == "" {
		return nil, bots.Errorf("give the item a name")
	}
	if err := e.itemFromOptions(c, &it); err != nil {
		return nil, err
	}
	if err := e.cfg.Store.AddItem(ctx, c.GuildID, &it); err != nil {
		e.Audit(ctx, c, e.cfg.Currency+" shop add", it.Name, describeItem(it), false, err.Error())
		if errors.Is(err, ErrConflict) {
			return nil, bots.Errorf("an item called %q exists", it.Name)
		}
		return nil, UserErr(err)
	}
	e.Audit(ctx, c, e.cfg.Currency+" shop add", it.Name, fmt.Sprintf("%d %s: %s", it.Price, e.cfg.Label, describeItem(it)), true, "added")
	return bots.Reply(embed.Success("Item added", fmt.Sprintf("**%s** for %d %s: %s", it.Name, it.Price, e.cfg.Label, describeItem(it)))), nil
}

func (e *Economy) shopEdit(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	it, err := e.cfg.Store.Item(ctx, c.GuildID, c.String("name"))
	if err != nil {
		return nil, UserErr(err)
	}
	if err := e.itemFromOptions(c, &it); err != nil {
		return nil, err
	}
	if err := e.cfg.Store.UpdateItem(ctx, c.GuildID, it); err != nil {
		return nil, UserErr(err)
	}
	e.Audit(ctx, c, e.cfg.Currency+" shop edit", it.Name, fmt.Sprintf("%d %s: %s", it.Price, e.cfg.Label, describeItem(it)), true, "changed")
	return bots.Reply(embed.Success("Item changed", fmt.Sprintf("**%s** for %d %s: %s", it.Name, it.Price, e.cfg.Label, describeItem(it)))), nil
}

func (e *Economy) shopRemove(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	it, err := e.cfg.Store.Item(ctx, c.GuildID, c.String("name"))
	if err != nil {
		return nil, UserErr(err)
	}
	if err := e.cfg.Store.RemoveItem(ctx, c.GuildID, it.ID); err != nil {
		return nil, UserErr(err)
	}
	e.Audit(ctx, c, e.cfg.Currency+" shop remove", it.Name, "", true, "removed")
	return bots.Reply(embed.Success("Item removed", fmt.Sprintf("**%s** is no longer sold. Orders already placed are still delivered.", it.Name))), nil
}

// ---- buying ----

func (e *Economy) buy(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	it, err := e.cfg.Store.Item(ctx, c.GuildID, c.String("item"))
	if err != nil {
		return nil, bots.Errorf("no item %q in the shop", c.String("item"))
	}
	var svc int64
	if s := c.String("server"); s != "" {
		id, ok := bots.ParseServiceID(s)
		if !ok {
			return nil, bots.Errorf("%q is not a server", s)
		}
		if len(it.Servers) > 0 && !slices.Contains(it.Servers, id) {
			return nil, bots.Errorf("%s is not sold on that server", it.Name)
		}
		svc = id
	}
	return e.confirmation(ctx, c, it, svc)
}

func (e *Economy) buyButton(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	it, err := e.cfg.Store.Item(ctx, c.GuildID, c.Args)
	if err != nil {
		return nil, bots.Errorf("that item is no longer sold")
	}
	return e.confirmation(ctx, c, it, 0)
}

func (e *Economy) confirmation(ctx context.Context, c *bots.Ctx, it Item, svc int64) (*bots.Response, error) {
	bal, err := e.cfg.Store.Balance(ctx, c.GuildID, c.User.ID)
	if err != nil {
		return nil, err
	}
	where := "on whichever server you are online (you can be offline: it waits until you join)"
	if svc != 0 {
		where = fmt.Sprintf("on server %d", svc)
	}
	if it.Kind == KindDesk {
		where = "by staff at the order desk"
	}
	d := fmt.Sprintf("Buy **%s** for **%d %s**? You have %d.\nDelivered %s.", it.Name, it.Price, e.cfg.Label, bal, where)
	ids := []string{strconv.FormatInt(it.ID, 10), strconv.FormatInt(svc, 10), strconv.FormatInt(it.Price, 10)}
	return &bots.Response{Ephemeral: true, Embeds: []*discordgo.MessageEmbed{embed.New().Title("Confirm purchase").Description(d).Embed()},
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "Confirm", Style: discordgo.SuccessButton, CustomID: bots.MustCustomID(e.cfg.Currency+"cf", ids...)},
			discordgo.Button{Label: "Cancel", Style: discordgo.SecondaryButton, CustomID: bots.MustCustomID(e.cfg.Currency + "cx")},
		}}}}, nil
}

func (e *Economy) cancel(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	return &bots.Response{Update: true, Embeds: []*discordgo.MessageEmbed{embed.New().Title("Cancelled").Description("Nothing was bought.").Embed()},
		Components: []discordgo.MessageComponent{}}, nil
}

func (e *Economy) confirm(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	parts := strings.Split(c.Args, ":")
	if len(parts) != 3 {
		return nil, bots.Errorf("this button is out of date")
	}
	itemID, err1 := strconv.ParseInt(parts[0], 10, 64)
	svc, err2 := strconv.ParseInt(parts[1], 10, 64)
	price, err3 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, bots.Errorf("this button is out of date")
	}
	it, err := e.cfg.Store.Item(ctx, c.GuildID, parts[0])
	if err != nil || it.ID != itemID {
		return nil, bots.Errorf("that item is no longer sold")
	}
	if it.Price != price {
		return nil, bots.Errorf("the price of %s changed to %d %s; buy it again to confirm the new price", it.Name, it.Price, e.cfg.Label)
	}
	// Key: the click. A retried delivery of the same click buys once;
	// every other click is a purchase of its own, refused when the balance
	// does not cover it.
	o, created, err := e.cfg.Store.Buy(ctx, c.GuildID, c.User.ID, itemID, svc, "click:"+c.Interaction.ID)
	if err != nil {
		return nil, UserErr(err)
	}
	if created && e.cfg.OnOrder != nil {
		e.cfg.OnOrder(ctx, c, o, it)
	}
	bal, _ := e.cfg.Store.Balance(ctx, c.GuildID, c.User.ID)
	next := "It will be delivered in game the next time you are online; `/" + e.cfg.Currency + " orders` shows its state."
	if it.Kind == KindDesk {
		next = "Staff have been told; you will hear back here. `/" + e.cfg.Currency + " orders` shows its state."
	}
	return &bots.Response{Update: true, Embeds: []*discordgo.MessageEmbed{embed.Success("Order #"+strconv.FormatInt(o.ID, 10),
		fmt.Sprintf("**%s** for %d %s. Balance now %d.\n%s", o.ItemName, o.Price, e.cfg.Label, bal, next))}, Components: []discordgo.MessageComponent{}}, nil
}

// ---- orders ----

func (e *Economy) orders(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	if c.Bool("pending") { // /orders is Everyone; only this option is staff-only
		if err := e.RequireStaff(ctx, c); err != nil {
			return nil, err
		}
		return e.pending(ctx, c)
	}
	return c.Page(ctx, e.cfg.Currency+"ord", c.User.ID, 0)
}

// StateText is an order state for people.
func StateText(s string) string {
	switch s {
	case StatePending:
		return "⏳ queued (delivered when you are online)"
	case StateSending:
		return "📤 sending"
	case StateDelivered:
		return "✅ delivered"
	case StateUnconfirmed:
		return "❔ sent, unconfirmed (staff will check)"
	case StateRefunded:
		return "↩️ refunded"
	case StateOpen:
		return "📥 waiting for staff"
	case StateAccepted:
		return "🛠️ accepted by staff"
	case StateFulfilled:
		return "✅ fulfilled"
	case StateRefused:
		return "↩️ refused and refunded"
	}
	return s
}

func (e *Economy) ordersPage(ctx context.Context, c *bots.Ctx, who string, page int) ([]*discordgo.MessageEmbed, int, error) {
	if who != c.User.ID && !e.IsStaff(ctx, c) {
		return nil, 0, bots.Errorf("these are someone else's orders")
	}
	os, total, err := e.cfg.Store.Orders(ctx, c.GuildID, who, nil, perPage, page*perPage)
	if err != nil {
		return nil, 0, err
	}
	var b strings.Builder
	for _, o := range os {
		fmt.Fprintf(&b, "**#%d** %s (%d %s) — %s <t:%d:R>\n", o.ID, o.ItemName, o.Price, e.cfg.Label, StateText(o.State), o.CreatedAt.Unix())
	}
	if b.Len() == 0 {
		b.WriteString("No orders yet.")
	}
	pages := max(1, (total+perPage-1)/perPage)
	return []*discordgo.MessageEmbed{embed.New().Title("Orders").Description(b.String()).
		Footer(fmt.Sprintf("Page %d of %d", min(page+1, pages), pages)).Embed()}, pages, nil
}

// needDecision are the states staff resolve from /orders pending; open
// and accepted desk orders are listed too (they are handled on their desk
// post, so they get no buttons here).
var needDecision = []string{StateUnconfirmed, StatePending, StateOpen, StateAccepted}

func (e *Economy) pending(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	os, total, err := e.cfg.Store.Orders(ctx, c.GuildID, "", needDecision, 5, 0)
	if err != nil {
		return nil, err
	}
	if total == 0 {
		return bots.Reply(embed.New().Title("Pending orders").Description("Nothing waits for a decision.").Embed()), nil
	}
	b := embed.New().Title(fmt.Sprintf("Pending orders (%d)", total))
	var rows []discordgo.MessageComponent
	for _, o := range os {
		id := strconv.FormatInt(o.ID, 10)
		note := StateText(o.State) + " " + o.Note
		if o.State == StateOpen || o.State == StateAccepted {
			note = StateText(o.State) + " — handled on its order desk post"
		}
		b.Field(fmt.Sprintf("#%d %s — %s", o.ID, o.ItemName, mention(o.Account)), embed.Truncate(note, 300), false)
		if o.State == StateOpen || o.State == StateAccepted {
			continue
		}
		rows = append(rows, discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "#" + id + " resend", Style: discordgo.PrimaryButton, CustomID: bots.MustCustomID(e.cfg.Currency+"adm", "resend", id)},
			discordgo.Button{Label: "#" + id + " delivered", Style: discordgo.SuccessButton, CustomID: bots.MustCustomID(e.cfg.Currency+"adm", "done", id)},
			discordgo.Button{Label: "#" + id + " refund", Style: discordgo.DangerButton, CustomID: bots.MustCustomID(e.cfg.Currency+"adm", "refund", id)},
		}})
	}
	return &bots.Response{Embeds: b.Build(), Components: rows}, nil
}

// adminButton: resend, mark delivered or refund an order (staff, checked
// by the router at click time).
func (e *Economy) adminButton(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	action, idText, _ := strings.Cut(c.Args, ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return nil, bots.Errorf("this button is out of date")
	}
	var o Order
	switch action {
	case "resend":
		o, err = e.cfg.Store.Transition(ctx, c.GuildID, id, []string{StateUnconfirmed}, StatePending, "resend by staff", c.User.ID)
	case "done":
		o, err = e.cfg.Store.Transition(ctx, c.GuildID, id, []string{StateUnconfirmed, StatePending}, StateDelivered, "marked delivered by staff", c.User.ID)
	case "refund":
		o, err = e.cfg.Store.Refund(ctx, c.GuildID, id, []string{StateUnconfirmed, StatePending}, StateRefunded, "refunded by staff", c.User.ID)
	default:
		return nil, bots.Errorf("this button is out of date")
	}
	e.Audit(ctx, c, e.cfg.Currency+" order "+action, fmt.Sprintf("order #%d", id), "", err == nil, fmt.Sprint(errOr(err, "ok")))
	if err != nil {
		return nil, UserErr(err)
	}
	return bots.Reply(embed.Success(fmt.Sprintf("Order #%d", o.ID), fmt.Sprintf("%s for %s: %s", o.ItemName, mention(o.Account), StateText(o.State)))), nil
}

func errOr(err error, ok string) string {
	if err != nil {
		return err.Error()
	}
	return ok
}
