// Package master is the Master bot: /setup wizard, /config, /servers and
// /status. App builds its router with New and hands it to
// bots.Supervisor.Handle(bots.Master, ...).
package master

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
)

// BotDirectory reports the bots' sessions and guild presence;
// *bots.Supervisor implements it.
type BotDirectory interface {
	Presence(guildID string) []bots.BotPresence
	Status() []bots.SessionStatus
}

// AppStatus is the appliance health shown by /status.
type AppStatus struct {
	Caches  []Health
	Servers []ServerParse
	Jobs    []Health
}

// Health is the state of one cache or job.
type Health struct {
	Name      string
	OK        bool
	State     string // e.g. "healthy", "stale", "running", "idle"
	LastRun   time.Time
	LastError string
}

// ServerParse is the last save parse of one server.
type ServerParse struct {
	ServiceID int64
	Name      string
	LastParse time.Time
	LastError string
}

// StatusSource supplies cache, parse and job health; app wires it.
type StatusSource interface {
	AppStatus(ctx context.Context) (AppStatus, error)
}

// SettingsRegistry lists the per-guild settings every bot declared;
// *bots.Supervisor implements it (Settings).
type SettingsRegistry interface {
	Settings() []bots.Setting
}

// Deps are the Master bot's dependencies. Status may be nil; without
// Settings, /setup and /config know only the Master bot's own settings.
type Deps struct {
	Store    bots.GuildStore
	Bots     BotDirectory
	Status   StatusSource
	Settings SettingsRegistry
}

type master struct{ Deps }

const (
	serversPerPage  = 10
	serversPagerKey = "servers"
)

// New returns the Master bot's router.
func New(d Deps) *bots.Router {
	m := &master{d}
	r := bots.NewRouter()
	r.Settings(Settings()...)
	r.Command(&bots.Command{Spec: setupSpec(), Access: bots.Staff, Ephemeral: true, Run: m.setup})
	r.Command(&bots.Command{Spec: configSpec(), Access: bots.Staff, Ephemeral: true, Subcommands: map[string]bots.HandlerFunc{
		"view": m.configView, "set": m.configSet,
	}, Autocomplete: m.configAutocomplete})
	r.Command(&bots.Command{Spec: serversSpec(), Access: bots.Staff, Ephemeral: true, Subcommands: map[string]bots.HandlerFunc{
		"add": m.serversAdd, "remove": m.serversRemove, "list": m.serversList,
	}, Autocomplete: m.serversAutocomplete})
	r.Command(&bots.Command{Spec: statusSpec(), Access: bots.Staff, Ephemeral: true, Run: m.status})
	r.Component(&bots.Component{Prefix: "setup", Access: bots.Staff, Ephemeral: true, UpdateMessage: true, Run: m.setupComponent})
	r.Pager(serversPagerKey, bots.Staff, m.serversPage)
	return r
}

func ptr[T any](v T) *T { return &v }

func setupSpec() *discordgo.ApplicationCommand {
	return &discordgo.ApplicationCommand{Name: "setup", Description: "Set Bliss up: bots, staff roles, categories, log channels",
		DMPermission: ptr(false)}
}

func configSpec() *discordgo.ApplicationCommand {
	return &discordgo.ApplicationCommand{Name: "config", Description: "View or change this server's Bliss settings",
		DMPermission: ptr(false),
		Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "view", Description: "Show every setting with its value, default and help"},
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "set", Description: "Change one setting", Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "key", Description: "Setting", Required: true, Autocomplete: true, MaxLength: 64},
				{Type: discordgo.ApplicationCommandOptionString, Name: "value", Description: "Value, role/channel mentions or ids; \"none\" clears", Required: true, MaxLength: 1000},
			}},
		}}
}

func serversSpec() *discordgo.ApplicationCommand {
	return &discordgo.ApplicationCommand{Name: "servers", Description: "Link Nitrado game servers to this Discord server",
		DMPermission: ptr(false),
		Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "add", Description: "Link a server by Nitrado service id", Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "service_id", Description: "Nitrado service id", Required: true, MinLength: ptr(1), MaxLength: 20},
				{Type: discordgo.ApplicationCommandOptionString, Name: "name", Description: "Display name", MaxLength: 64},
				{Type: discordgo.ApplicationCommandOptionString, Name: "cluster", Description: "Cluster name", MaxLength: 32},
				{Type: discordgo.ApplicationCommandOptionNumber, Name: "decay_multiplier", MinValue: ptr(0.01), MaxValue: 100,
					Description: "Override the server's structure decay multiplier (default: its Nitrado setting; 1 clears)"},
			}},
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "remove", Description: "Unlink a server", Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "service_id", Description: "Nitrado service id", Required: true, Autocomplete: true},
			}},
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "list", Description: "List linked servers", Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "cluster", Description: "Only this cluster", MaxLength: 32},
			}},
		}}
}

func statusSpec() *discordgo.ApplicationCommand {
	return &discordgo.ApplicationCommand{Name: "status", Description: "Appliance status: bots, caches, save parses, jobs",
		DMPermission: ptr(false)}
}

// botLines lists the other bots: present, missing (with invite link),
// offline or not configured.
func (m *master) botLines(guildID string) string {
	if m.Bots == nil {
		return "unknown"
	}
	var lines []string
	for _, p := range m.Bots.Presence(guildID) {
		name := p.Kind.Info().DisplayName
		switch {
		case p.Kind == bots.Master:
			continue
		case !p.Configured:
			lines = append(lines, "⚪ "+name+" — not configured (no token)")
		case !p.Connected:
			lines = append(lines, "⚠️ "+name+" — offline, cannot check")
		case p.InGuild:
			lines = append(lines, "✅ "+name)
		case p.InviteURL != "":
			lines = append(lines, "❌ "+name+" — [invite]("+p.InviteURL+")")
		default:
			lines = append(lines, "❌ "+name+" — missing (no application id to build an invite)")
		}
	}
	if len(lines) == 0 {
		return "no other bots"
	}
	return strings.Join(lines, "\n")
}

var snowflakeRE = regexp.MustCompile(`^\d{1,20}$`)

func validIDs(vals []string, max int) []string {
	var out []string
	for _, v := range vals {
		if snowflakeRE.MatchString(v) && !slices.Contains(out, v) && len(out) < max {
			out = append(out, v)
		}
	}
	return out
}

func firstID(vals []string) string {
	if ids := validIDs(vals, 1); len(ids) == 1 {
		return ids[0]
	}
	return ""
}
