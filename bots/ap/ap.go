// Package ap is the Activity Points bot: players link their Discord
// account to their in-game identity (a code said in global chat), earn
// points for time played (jobs/awards) and spend them in a shop delivered
// over RCON (jobs/delivery). Balances, history, leaderboards, staff
// adjustments and the shop are bots/economy mounted on /ap.
package ap

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/rcon"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/economy"
	"github.com/blissark/bliss/bots/embed"
)

// Per-guild settings of the AP bot (the awards job reads them through app).
var (
	SettingRate = bots.Setting{Key: "ap_rate", Kind: bots.SettingNumber, Default: "10", Min: 0, Max: 100000,
		Help: "AP earned per period played (no AFK detection: time online counts)"}
	SettingPeriod = bots.Setting{Key: "ap_period", Kind: bots.SettingDuration, Default: "60m",
		Help: "Play time that earns ap_rate (partial periods earn their share, rounded down)"}
	SettingDailyCap = bots.Setting{Key: "ap_daily_cap", Kind: bots.SettingNumber, Default: "0", Min: 0, Max: 1e9,
		Help: "Most AP a player can earn from play time per UTC day (0: no cap)"}
	SettingStreakBonus = bots.Setting{Key: "ap_streak_bonus", Kind: bots.SettingNumber, Default: "0", Min: 0, Max: 100,
		Help: "Percent bonus per consecutive day played before today (up to ap_streak_days)"}
	SettingStreakDays = bots.Setting{Key: "ap_streak_days", Kind: bots.SettingNumber, Default: "7", Min: 0, Max: 30,
		Help: "Consecutive days counted for the streak bonus"}
	SettingMultipliers = bots.Setting{Key: "ap_server_multipliers", Kind: bots.SettingText, Default: "",
		Help: "Per-server multipliers: serviceid=1.5,serviceid=2 (others 1)"}
	SettingCodeTTL = bots.Setting{Key: "ap_link_code_ttl", Kind: bots.SettingDuration, Default: "15m",
		Help: "How long an /ap link code stays valid"}
	SettingRetries = bots.Setting{Key: "ap_delivery_retries", Kind: bots.SettingNumber, Default: "5", Min: 1, Max: 50,
		Help: "Failed delivery attempts before an order is refunded automatically"}
)

// Settings returns the AP bot's settings.
func Settings() []bots.Setting {
	return []bots.Setting{SettingRate, SettingPeriod, SettingDailyCap, SettingStreakBonus, SettingStreakDays,
		SettingMultipliers, SettingCodeTTL, SettingRetries}
}

// ParseMultipliers reads ap_server_multipliers ("id=1.5,id=2"); bad pairs
// are skipped.
func ParseMultipliers(s string) map[int64]float64 {
	out := map[int64]float64{}
	for _, p := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok {
			continue
		}
		id, ok := bots.ParseServiceID(k)
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if ok && err == nil && f >= 0 && f <= 100 {
			out[id] = f
		}
	}
	return out
}

// Link is a Discord account's in-game identity.
type Link struct {
	DiscordID string
	EOSID     string
	Name      string
	PlayerID  int64
	LinkedBy  string
	LinkedAt  time.Time
}

// Links stores links and link codes. Errors wrap economy's sentinels
// (ErrNotFound, ErrExpired, ErrConflict).
type Links interface {
	// NewCode issues a one-time code that only a player called name
	// (character or platform name) can use.
	NewCode(ctx context.Context, guildID, discordID, name string, ttl time.Duration) (string, error)
	// Redeem consumes code for the player who said it (their character and
	// platform names) and returns the linked account; ErrConflict when the
	// code was issued for another name.
	Redeem(ctx context.Context, guildID, code, eosID string, names []string, playerID int64) (discordID string, err error)
	Put(ctx context.Context, guildID string, l Link) error
	Unlink(ctx context.Context, guildID, discordID string) (bool, error)
	ByDiscord(ctx context.Context, guildID, discordID string) (Link, error)
}

// PlayerIDs finds ARK's numeric player id of an EOS id (from the latest
// save snapshots); 0 when unknown.
type PlayerIDs interface {
	PlayerID(ctx context.Context, guildID, eosID string) (int64, error)
}

// Deps are the AP bot's dependencies. Audit and PlayerIDs may be nil.
type Deps struct {
	Store     economy.Store
	Links     Links
	Guilds    bots.GuildStore
	Staff     bots.StaffSource
	Audit     bots.Auditor
	PlayerIDs PlayerIDs
}

type apBot struct {
	Deps
	eco *economy.Economy
}

// New returns the AP bot's router.
func New(d Deps) *bots.Router {
	b := &apBot{Deps: d, eco: economy.New(economy.Config{Currency: "ap", Label: "AP", Store: d.Store, Guilds: d.Guilds,
		Staff: d.Staff, Audit: d.Audit, Bot: bots.AP})}
	r := bots.NewRouter()
	subs := map[string]bots.HandlerFunc{"link": b.link, "whoami": b.whoami, "help": b.help,
		"staff link": b.staffLink, "staff unlink": b.staffUnlink}
	// The economy's staff subcommands are Staff by economy.Command; these
	// are AP's own.
	r.Command(b.eco.Command(b.spec(), subs, "staff link", "staff unlink"))
	b.eco.Register(r)
	r.Settings(Settings()...)
	return r
}

// spec is /ap's own options; economy.Command appends the economy's.
func (b *apBot) spec() *discordgo.ApplicationCommand {
	f := false
	opts := []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "link", Description: "Link your Discord account to your in-game player", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "name", Description: "Your character (or platform) name in game", Required: true, MaxLength: 64},
		}},
		{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "whoami", Description: "Which player your account is linked to"},
		{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "help", Description: "How Activity Points work"},
		{Type: discordgo.ApplicationCommandOptionSubCommandGroup, Name: "staff", Description: "Staff: link accounts by hand", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "link", Description: "Staff: link an account to a player", Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionUser, Name: "player", Description: "Discord account", Required: true},
				{Type: discordgo.ApplicationCommandOptionString, Name: "eos_id", Description: "EOS id (32 hex)", Required: true, MinLength: ptr(32), MaxLength: 32},
				{Type: discordgo.ApplicationCommandOptionString, Name: "name", Description: "Character name", MaxLength: 64},
				{Type: discordgo.ApplicationCommandOptionInteger, Name: "player_id", Description: "In-game player id (implant number)", MinValue: ptr(1.0)},
			}},
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "unlink", Description: "Staff: remove an account's link", Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionUser, Name: "player", Description: "Discord account", Required: true},
			}},
		}},
	}
	return &discordgo.ApplicationCommand{Name: "ap", Description: "Activity Points: link, balance, shop", DMPermission: &f, Options: opts}
}

func ptr[T any](v T) *T { return &v }

func (b *apBot) help(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	gs, err := b.Guilds.GuildSettings(ctx, c.GuildID)
	if err != nil {
		return nil, err
	}
	cap := "no daily cap"
	if n := gs.Number(SettingDailyCap); n > 0 {
		cap = fmt.Sprintf("at most %v AP per day", n)
	}
	d := fmt.Sprintf("You earn **%v AP per %s** played on this community's servers (%s; partial periods earn their share).\n"+
		"**There is no AFK detection**: time online counts, idle or not.\n\n"+
		"1. `/ap link` gives you a code: say it in global chat on any server to link your account.\n"+
		"2. Play. Points arrive after each period.\n3. `/ap shop browse` and `/ap buy`: items are delivered in game while you are online.",
		gs.Number(SettingRate), gs.Duration(SettingPeriod), cap)
	return bots.Reply(embed.New().Title("Activity Points").Description(d).Embed()), nil
}

func (b *apBot) link(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	gs, err := b.Guilds.GuildSettings(ctx, c.GuildID)
	if err != nil {
		return nil, err
	}
	ttl := gs.Duration(SettingCodeTTL)
	name := strings.TrimSpace(c.String("name"))
	if name == "" {
		return nil, bots.Errorf("give your in-game name")
	}
	code, err := b.Links.NewCode(ctx, c.GuildID, c.User.ID, name, ttl)
	if err != nil {
		return nil, err
	}
	d := fmt.Sprintf("As **%s**, say this in **global chat** on any of our servers within %s:\n# `%s`\n"+
		"It works once, and only when said by %s.", bots.SanitizeName(name, 64), ttl, code, bots.SanitizeName(name, 64))
	if l, err := b.Links.ByDiscord(ctx, c.GuildID, c.User.ID); err == nil {
		d += fmt.Sprintf("\n\nYou are linked to **%s** now; saying the code links you to the player who says it.", bots.SanitizeName(l.Name, 64))
	}
	return bots.Reply(embed.New().Title("Link your player").Description(d).Embed()), nil
}

func (b *apBot) whoami(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	l, err := b.Links.ByDiscord(ctx, c.GuildID, c.User.ID)
	if errors.Is(err, economy.ErrNotFound) {
		return bots.Reply(embed.New().Title("Not linked").Description("Use `/ap link` to link your player.").Embed()), nil
	}
	if err != nil {
		return nil, err
	}
	how := "verified by chat code"
	if l.LinkedBy != "" {
		how = "linked by <@" + l.LinkedBy + ">"
	}
	pid := "unknown (filled in from the next save)"
	if l.PlayerID > 0 {
		pid = strconv.FormatInt(l.PlayerID, 10)
	}
	bal, _ := b.Store.Balance(ctx, c.GuildID, c.User.ID)
	return bots.Reply(embed.New().Title("Your player").
		Field("Character", bots.SanitizeName(l.Name, 64), true).Field("EOS id", "`"+l.EOSID+"`", true).
		Field("Player id", pid, true).Field("Linked", fmt.Sprintf("%s <t:%d:R>", how, l.LinkedAt.Unix()), false).
		Field("Balance", fmt.Sprintf("%d AP", bal), true).Embed()), nil
}

// staffLink is a Staff subcommand (SubAccess).
func (b *apBot) staffLink(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	who := c.ID("player")
	eos, err := rcon.NormalizeEOSID(c.String("eos_id"))
	if err != nil || who == "" {
		return nil, bots.Errorf("give a Discord account and a 32-hex EOS id")
	}
	pid := c.Int("player_id")
	if pid == 0 && b.PlayerIDs != nil {
		pid, _ = b.PlayerIDs.PlayerID(ctx, c.GuildID, eos)
	}
	l := Link{DiscordID: who, EOSID: eos, Name: bots.SanitizeName(c.String("name"), 64), PlayerID: pid, LinkedBy: c.User.ID, LinkedAt: time.Now()}
	err = b.Links.Put(ctx, c.GuildID, l)
	b.eco.Audit(ctx, c, "ap link", "<@"+who+">", eos, err == nil, fmt.Sprint(errText(err)))
	if err != nil {
		return nil, economy.UserErr(err)
	}
	return bots.Reply(embed.Success("Linked", fmt.Sprintf("<@%s> ↔ `%s`.", who, eos))), nil
}

// staffUnlink is a Staff subcommand (SubAccess).
func (b *apBot) staffUnlink(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	who := c.ID("player")
	ok, err := b.Links.Unlink(ctx, c.GuildID, who)
	if err != nil {
		return nil, err
	}
	b.eco.Audit(ctx, c, "ap unlink", "<@"+who+">", "", ok, map[bool]string{true: "unlinked", false: "was not linked"}[ok])
	if !ok {
		return nil, bots.Errorf("<@%s> was not linked", who)
	}
	return bots.Reply(embed.Success("Unlinked", "<@"+who+"> is no longer linked.")), nil
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

// Verifier confirms link codes said in global chat. App wires OnChat to the
// live feed's "player said text in global chat" callback.
type Verifier struct {
	links Links
	ids   PlayerIDs
}

// NewVerifier returns a verifier over d's Links and PlayerIDs.
func NewVerifier(d Deps) *Verifier { return &Verifier{links: d.Links, ids: d.PlayerIDs} }

// OnChat links the owner of a code found in text to the player (eosID,
// platform and character names) who said it on a server of guildID. It
// returns the linked Discord account, or "" when the text held no valid
// code: an unknown, expired or used code, or a code said by a player other
// than the one it was issued for, links nothing.
func (v *Verifier) OnChat(ctx context.Context, guildID string, serviceID int64, eosID, platform, character, text string) (string, error) {
	code := FindCode(text)
	if code == "" {
		return "", nil
	}
	eos, err := rcon.NormalizeEOSID(eosID)
	if err != nil {
		return "", nil // a line without a sender id cannot link anyone
	}
	var pid int64
	if v.ids != nil {
		pid, _ = v.ids.PlayerID(ctx, guildID, eos)
	}
	who, err := v.links.Redeem(ctx, guildID, code, eos, []string{character, platform}, pid)
	if errors.Is(err, economy.ErrNotFound) || errors.Is(err, economy.ErrExpired) || errors.Is(err, economy.ErrConflict) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("ap: verify link code on %d: %w", serviceID, err)
	}
	return who, nil
}

const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// FindCode returns the first link code ("BL-" and six letters or digits
// without look-alikes) in text, upper-cased, or "". The GP donations job
// uses it on boost messages too (app passes it).
func FindCode(text string) string {
	up := strings.ToUpper(text)
	for i := strings.Index(up, "BL-"); i >= 0 && i+9 <= len(up); {
		ok := i == 0 || !isAlnum(up[i-1])
		for _, c := range []byte(up[i+3 : i+9]) {
			ok = ok && strings.IndexByte(codeAlphabet, c) >= 0
		}
		if ok && (i+9 == len(up) || !isAlnum(up[i+9])) {
			return up[i : i+9]
		}
		j := strings.Index(up[i+1:], "BL-")
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return ""
}

func isAlnum(c byte) bool { return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }
