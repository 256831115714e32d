// Package master is the Master bot: /setup wizard, /config, /servers and
// /status. App builds its router with New and hands it to
// bots.Supervisor.Handle(bots.Master, ...).
package master

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/embed"
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

// Deps are the Master bot's dependencies. Status may be nil.
type Deps struct {
	Store  bots.GuildStore
	Bots   BotDirectory
	Status StatusSource
}

type master struct{ Deps }

// Config keys accepted by /config set.
const (
	keyStaffRoles   = "staff_roles"
	keyBridge       = "chat_bridge_category"
	keyTicketCat    = "ticket_category"
	logKeyPrefix    = "log_"
	serversPerPage  = 10
	serversPagerKey = "servers"
)

func configKeys() []string {
	keys := []string{keyStaffRoles, keyBridge, keyTicketCat}
	for _, k := range bots.LogKinds() {
		keys = append(keys, logKeyPrefix+k)
	}
	return keys
}

// New returns the Master bot's router.
func New(d Deps) *bots.Router {
	m := &master{d}
	r := bots.NewRouter()
	r.Command(&bots.Command{Spec: setupSpec(), Access: bots.Staff, Ephemeral: true, Run: m.setup})
	r.Command(&bots.Command{Spec: configSpec(), Access: bots.Staff, Ephemeral: true, Subcommands: map[string]bots.HandlerFunc{
		"view": m.configView, "set": m.configSet,
	}})
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
	var choices []*discordgo.ApplicationCommandOptionChoice
	for _, k := range configKeys() {
		choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: k, Value: k})
	}
	return &discordgo.ApplicationCommand{Name: "config", Description: "View or change this server's Bliss settings",
		DMPermission: ptr(false),
		Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "view", Description: "Show the current settings"},
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "set", Description: "Change one setting", Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "key", Description: "Setting", Required: true, Choices: choices},
				{Type: discordgo.ApplicationCommandOptionString, Name: "value", Description: "Role/channel mentions or ids; \"none\" clears", Required: true, MaxLength: 1000},
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

// ---- /setup ----

func (m *master) setup(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	return m.renderSetup(ctx, c, "main")
}

func (m *master) setupComponent(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	gs, err := m.Store.GuildSettings(ctx, c.GuildID)
	if err != nil {
		return nil, fmt.Errorf("setup: load settings: %w", err)
	}
	action, arg, _ := strings.Cut(c.Args, ":")
	page := "main"
	switch action {
	case "page":
		if arg == "logs" {
			page = "logs"
		}
		return m.renderSetup(ctx, c, page)
	case "staff":
		gs.StaffRoleIDs = validIDs(c.Values, 25)
	case "bridge":
		gs.ChatBridgeCategoryID = firstID(c.Values)
	case "ticketcat":
		gs.TicketCategoryID = firstID(c.Values)
	case "log":
		if !slices.Contains(bots.LogKinds(), arg) {
			return nil, bots.Errorf("unknown log channel %q", arg)
		}
		if gs.LogChannels == nil {
			gs.LogChannels = map[string]string{}
		}
		if id := firstID(c.Values); id != "" {
			gs.LogChannels[arg] = id
		} else {
			delete(gs.LogChannels, arg)
		}
		page = "logs"
	default:
		return nil, bots.Errorf("this setup control is no longer valid; run /setup again")
	}
	gs.GuildID = c.GuildID
	if err := m.Store.SaveGuildSettings(ctx, gs); err != nil {
		return nil, fmt.Errorf("setup: save settings: %w", err)
	}
	return m.renderSetup(ctx, c, page)
}

func (m *master) renderSetup(ctx context.Context, c *bots.Ctx, page string) (*bots.Response, error) {
	gs, err := m.Store.GuildSettings(ctx, c.GuildID)
	if err != nil {
		return nil, fmt.Errorf("setup: load settings: %w", err)
	}
	b := embed.New().Title("Bliss setup").
		Description("Invite the missing bots, then pick staff roles, categories and log channels below. Changes are saved immediately.")
	b.Field("Bots", m.botLines(c.GuildID), false)
	b.Fields(settingsFields(gs)...)
	if len(gs.StaffRoleIDs) == 0 {
		b.Footer("No staff roles yet: only Administrators can use staff commands.")
	}
	resp := &bots.Response{Embeds: []*discordgo.MessageEmbed{b.Embed()}, Update: c.CustomID != "", Ephemeral: true}
	if page == "logs" {
		for _, k := range bots.LogKinds() {
			resp.Components = append(resp.Components, channelSelect("setup:log:"+k, "Log channel: "+k,
				[]discordgo.ChannelType{discordgo.ChannelTypeGuildText}, gs.LogChannels[k]))
		}
		resp.Components = append(resp.Components, discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "Back", Style: discordgo.SecondaryButton, CustomID: "setup:page:main"},
		}})
		return resp, nil
	}
	var roleDefaults []discordgo.SelectMenuDefaultValue
	for _, id := range gs.StaffRoleIDs {
		roleDefaults = append(roleDefaults, discordgo.SelectMenuDefaultValue{ID: id, Type: discordgo.SelectMenuDefaultValueRole})
	}
	resp.Components = []discordgo.MessageComponent{
		discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.SelectMenu{
			MenuType: discordgo.RoleSelectMenu, CustomID: "setup:staff", Placeholder: "Staff roles",
			MinValues: ptr(0), MaxValues: 10, DefaultValues: roleDefaults,
		}}},
		channelSelect("setup:bridge", "Chat bridge category", []discordgo.ChannelType{discordgo.ChannelTypeGuildCategory}, gs.ChatBridgeCategoryID),
		channelSelect("setup:ticketcat", "Ticket category", []discordgo.ChannelType{discordgo.ChannelTypeGuildCategory}, gs.TicketCategoryID),
		discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "Log channels", Style: discordgo.PrimaryButton, CustomID: "setup:page:logs"},
			discordgo.Button{Label: "Refresh", Style: discordgo.SecondaryButton, CustomID: "setup:page:main"},
		}},
	}
	return resp, nil
}

func channelSelect(id, placeholder string, types []discordgo.ChannelType, current string) discordgo.ActionsRow {
	sm := discordgo.SelectMenu{MenuType: discordgo.ChannelSelectMenu, CustomID: id, Placeholder: placeholder,
		ChannelTypes: types, MinValues: ptr(0), MaxValues: 1}
	if current != "" {
		sm.DefaultValues = []discordgo.SelectMenuDefaultValue{{ID: current, Type: discordgo.SelectMenuDefaultValueChannel}}
	}
	return discordgo.ActionsRow{Components: []discordgo.MessageComponent{sm}}
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

func settingsFields(gs bots.GuildSettings) []embed.Field {
	roles := "none (Administrators only)"
	if len(gs.StaffRoleIDs) > 0 {
		var ms []string
		for _, id := range gs.StaffRoleIDs {
			ms = append(ms, "<@&"+id+">")
		}
		roles = strings.Join(ms, " ")
	}
	var logs []string
	for _, k := range bots.LogKinds() {
		logs = append(logs, k+": "+channel(gs.LogChannels[k]))
	}
	return []embed.Field{
		{Name: "Staff roles", Value: roles},
		{Name: "Chat bridge category", Value: channel(gs.ChatBridgeCategoryID), Inline: true},
		{Name: "Ticket category", Value: channel(gs.TicketCategoryID), Inline: true},
		{Name: "Log channels", Value: strings.Join(logs, "\n")},
	}
}

func channel(id string) string {
	if id == "" {
		return "not set"
	}
	return "<#" + id + ">"
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
