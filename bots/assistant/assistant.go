// Package assistant is the Assistant bot: the small everyday questions.
// /timestamp turns "tomorrow 18:00" into Discord timestamps in the caller's
// zone, /timezone saves that zone, /coords converts between lat/lon and
// Unreal units (with the closest base for staff), and /teleport lists the
// teleport points nearest to a destination: the staff's list, the
// teleporters of the latest save and shipped seed points, each caller
// seeing only public points and their own tribe's.
package assistant

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/arksave/maps"
	"github.com/blissark/bliss/bots"
)

// ZoneStore keeps users' saved time zones (storage, wired by app).
type ZoneStore interface {
	// UserTimezone returns the saved IANA zone, "" when none.
	UserTimezone(ctx context.Context, userID string) (string, error)
	// SetUserTimezone saves a zone; "" clears it.
	SetUserTimezone(ctx context.Context, userID, zone string) error
}

// TeleportPoint is a teleport point: staff-managed, seen in a save, or
// shipped seed data.
type TeleportPoint struct {
	Map       string // arksave/maps key ("scorchedearth"); save teleporters may carry the file name
	Name      string
	X, Y, Z   float64 // Unreal units
	Public    bool
	TribeID   int64 // owning tribe; 0 none
	TribeName string
	Class     string // structure class for save teleporters
	Note      string
	CreatedBy string
}

// TeleportStore keeps the staff-managed points per guild and map.
type TeleportStore interface {
	TeleportPoints(ctx context.Context, guildID, mapKey string) ([]TeleportPoint, error)
	// AddTeleportPoint adds or replaces (by name) a point; created is false
	// for a replacement.
	AddTeleportPoint(ctx context.Context, guildID string, p TeleportPoint) (created bool, err error)
	RemoveTeleportPoint(ctx context.Context, guildID, mapKey, name string) (bool, error)
}

// Base is one base of a server's latest snapshot: its centre and the box
// its structures span (Unreal units).
type Base struct {
	Owner      int64
	OwnerName  string
	Structures int
	X, Y, Z    float64
	MinX, MinY float64
	MaxX, MaxY float64
	DecaysAt   time.Time // zero when unknown
}

// World reads a server's latest save snapshot.
type World interface {
	// ServerMap is the map file name of serviceID's latest snapshot
	// ("Ragnarok_WP"), "" when the server has none yet.
	ServerMap(ctx context.Context, serviceID int64) (string, error)
	// Bases are the bases of the latest snapshot (any order).
	Bases(ctx context.Context, serviceID int64) ([]Base, error)
	// SaveTeleporters are the teleporter structures of the latest snapshot.
	SaveTeleporters(ctx context.Context, serviceID int64) ([]TeleportPoint, error)
	// TribeOf is the tribe, on serviceID, of the player linked to the
	// Discord user; ok is false when unlinked, absent or tribeless.
	TribeOf(ctx context.Context, guildID, discordID string, serviceID int64) (tribeID int64, ok bool, err error)
}

// Deps are the Assistant bot's dependencies. World, Teleports and Audit may
// be nil (the commands that need them then say so).
type Deps struct {
	Store     bots.GuildStore
	Zones     ZoneStore
	Teleports TeleportStore
	World     World
	Audit     bots.Auditor
	Now       func() time.Time
}

type bot struct {
	Deps
	staff  bots.StaffSource
	parser *Parser
}

// SettingCoords overrides the built-in map coordinate constants for a
// guild's servers.
var SettingCoords = bots.Setting{Key: "coords_overrides", Kind: bots.SettingText,
	Help: "Map coordinate constants replacing the built-in table for this guild's servers, e.g. ScorchedEarth_WP=49.9936/7874; TheCenter_WP=32.5057/10374.04,50.5458/10374.04"}

// New returns the Assistant bot's router.
func New(d Deps) *bots.Router {
	if d.Now == nil {
		d.Now = time.Now
	}
	b := &bot{Deps: d, staff: bots.StaffFromStore(d.Store), parser: NewParser()}
	r := bots.NewRouter()
	r.Settings(SettingCoords)
	r.Command(&bots.Command{Spec: timestampSpec(), Access: bots.Everyone, Ephemeral: true, Run: b.timestamp, Autocomplete: b.zoneAutocomplete})
	r.Command(&bots.Command{Spec: timezoneSpec(), Access: bots.Everyone, Ephemeral: true, Autocomplete: b.zoneAutocomplete,
		Subcommands: map[string]bots.HandlerFunc{"set": b.timezoneSet, "show": b.timezoneShow, "clear": b.timezoneClear}})
	r.Command(&bots.Command{Spec: coordsSpec(), Access: bots.Everyone, Ephemeral: true, Autocomplete: b.serverAutocomplete,
		Subcommands: map[string]bots.HandlerFunc{"latlon": b.coordsLatLon, "ue": b.coordsUE}})
	// add/remove/import are staff-only and audited; find/list are for
	// everyone, filtered by tribe.
	r.Command(&bots.Command{Spec: teleportSpec(), Access: bots.Everyone, Ephemeral: true, Autocomplete: b.serverAutocomplete,
		SubAccess: map[string]bots.Access{"add": bots.Staff, "remove": bots.Staff, "import": bots.Staff},
		Subcommands: map[string]bots.HandlerFunc{"find": b.teleportFind, "list": b.teleportList, "add": b.teleportAdd,
			"remove": b.teleportRemove, "import": b.teleportImport}})
	r.Pager(pagerTeleports, bots.Everyone, b.teleportPage)
	return r
}

func mapChoices() []*discordgo.ApplicationCommandOptionChoice {
	var out []*discordgo.ApplicationCommandOptionChoice
	for _, m := range maps.All() {
		if len(out) == 25 {
			break
		}
		out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: m.Name, Value: m.Key})
	}
	return out
}

func mapOpt() *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "map", Description: "Map", Required: true, Choices: mapChoices()}
}

func numOpt(name, desc string, required bool, lo, hi float64) *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionNumber, Name: name, Description: desc, Required: required, MinValue: &lo, MaxValue: hi}
}

func serverOpt(desc string, required bool) *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "server", Description: desc, Required: required, Autocomplete: true}
}

const ueMax = 2e7 // Unreal units: well past the largest map (Astraeos ±800k)

func timestampSpec() *discordgo.ApplicationCommand {
	return &discordgo.ApplicationCommand{Name: "timestamp", Description: "Turn a time like \"tomorrow 18:00\" into Discord timestamps",
		Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "when", Description: "e.g. in 2 hours, tomorrow 18:00, next friday 20:30, 2026-12-24 20:00, 8pm", Required: true, MaxLength: 200},
			{Type: discordgo.ApplicationCommandOptionString, Name: "timezone", Description: "IANA zone (default: your /timezone, else UTC)", Autocomplete: true, MaxLength: 64},
		}}
}

func timezoneSpec() *discordgo.ApplicationCommand {
	return &discordgo.ApplicationCommand{Name: "timezone", Description: "Your time zone for /timestamp",
		Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "set", Description: "Save your time zone", Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "zone", Description: "IANA zone, e.g. Europe/Berlin", Required: true, Autocomplete: true, MaxLength: 64},
			}},
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "show", Description: "Show your saved time zone"},
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "clear", Description: "Forget your time zone (UTC)"},
		}}
}

func coordsSpec() *discordgo.ApplicationCommand {
	return &discordgo.ApplicationCommand{Name: "coords", Description: "Convert map coordinates (lat/lon) and world coordinates (x y z)",
		Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "latlon", Description: "From lat/lon to x y z", Options: []*discordgo.ApplicationCommandOption{
				mapOpt(), numOpt("lat", "Latitude (0–100)", true, -50, 150), numOpt("lon", "Longitude (0–100)", true, -50, 150),
				numOpt("z", "Height in Unreal units (default 0)", false, -ueMax, ueMax), serverOpt("Server for the closest base (staff)", false),
			}},
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "ue", Description: "From x y z to lat/lon", Options: []*discordgo.ApplicationCommandOption{
				mapOpt(), numOpt("x", "X in Unreal units", true, -ueMax, ueMax), numOpt("y", "Y in Unreal units", true, -ueMax, ueMax),
				numOpt("z", "Z in Unreal units", false, -ueMax, ueMax), serverOpt("Server for the closest base (staff)", false),
			}},
		}}
}

func teleportSpec() *discordgo.ApplicationCommand {
	return &discordgo.ApplicationCommand{Name: "teleport", Description: "Teleport points near a destination",
		Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "find", Description: "The teleport points nearest to a destination", Options: []*discordgo.ApplicationCommandOption{
				mapOpt(), numOpt("lat", "Destination latitude", true, -50, 150), numOpt("lon", "Destination longitude", true, -50, 150),
				serverOpt("Only this server's teleporters", false),
			}},
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "list", Description: "The teleport points of a map", Options: []*discordgo.ApplicationCommandOption{
				mapOpt(), serverOpt("Only this server's teleporters", false),
			}},
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "add", Description: "Staff: add or replace a teleport point", Options: []*discordgo.ApplicationCommandOption{
				mapOpt(),
				{Type: discordgo.ApplicationCommandOptionString, Name: "name", Description: "Name", Required: true, MaxLength: 100},
				numOpt("lat", "Latitude", true, -50, 150), numOpt("lon", "Longitude", true, -50, 150), numOpt("z", "Height in Unreal units", false, -ueMax, ueMax),
				{Type: discordgo.ApplicationCommandOptionInteger, Name: "tribe_id", Description: "Only this tribe (and staff) sees it (default: everyone)"},
				{Type: discordgo.ApplicationCommandOptionBoolean, Name: "staff_only", Description: "Only staff see it"},
				{Type: discordgo.ApplicationCommandOptionString, Name: "note", Description: "Note", MaxLength: 200},
			}},
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "remove", Description: "Staff: remove a teleport point", Options: []*discordgo.ApplicationCommandOption{
				mapOpt(), {Type: discordgo.ApplicationCommandOptionString, Name: "name", Description: "Name", Required: true, MaxLength: 100, Autocomplete: true},
			}},
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "import", Description: "Staff: import SavedMinimapMarks lines from GameUserSettings.ini", Options: []*discordgo.ApplicationCommandOption{
				mapOpt(), {Type: discordgo.ApplicationCommandOptionString, Name: "marks", Description: "SavedMinimapMarks=(Name=\"…\",Location=(X=…,Y=…,Z=…),…) lines", Required: true, MaxLength: 6000},
			}},
		}}
}

// number returns a number option (Discord sends float64), or def.
func number(c *bots.Ctx, name string, def float64) float64 {
	if o := c.Options[name]; o != nil {
		switch v := o.Value.(type) {
		case float64:
			return v
		case string:
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				return f
			}
		}
	}
	return def
}

func (b *bot) isStaff(ctx context.Context, c *bots.Ctx) bool {
	if c.Staff {
		return true
	}
	ok, err := bots.IsStaff(ctx, b.staff, c.GuildID, c.Member)
	return err == nil && ok
}

// resolved is a map with the constants in force for a guild.
type resolved struct {
	maps.Map
	// Override: the guild's coords_overrides setting replaced the table's
	// constants for this map.
	Override bool
	// Note explains an override that could not be read ("" when fine).
	Note string
}

// resolveMap looks a map up with the guild's overrides applied. A setting
// that does not parse is ignored (the built-in table is used) and reported
// in Note.
func (b *bot) resolveMap(ctx context.Context, guildID, name string) (resolved, error) {
	var o maps.Overrides
	var note string
	if guildID != "" && b.Store != nil {
		gs, err := b.Store.GuildSettings(ctx, guildID)
		if err != nil {
			return resolved{}, fmt.Errorf("settings: %w", err)
		}
		if v := gs.Value(SettingCoords); v != "" {
			var perr error
			if o, perr = maps.ParseOverrides(v); perr != nil {
				o, note = nil, "The coords_overrides setting is not valid ("+perr.Error()+"); the built-in constants are used."
			}
		}
	}
	m, ok := o.Resolve(name)
	if !ok {
		return resolved{}, bots.Errorf("Unknown map %q.", embedSafe(name))
	}
	_, over := o[maps.Key(name)]
	return resolved{Map: m, Override: over, Note: note}, nil
}

// embedSafe shortens user text quoted back in a reply.
func embedSafe(s string) string { return bots.SanitizeChat(s, 100) }

// serverAutocomplete offers the guild's servers (value: service id).
func (b *bot) serverAutocomplete(ctx context.Context, c *bots.Ctx, f *discordgo.ApplicationCommandInteractionDataOption) ([]*discordgo.ApplicationCommandOptionChoice, error) {
	typed, _ := f.Value.(string)
	if f.Name == "name" && c.Command == "teleport" && c.Sub == "remove" {
		return b.teleportNames(ctx, c, typed)
	}
	if f.Name != "server" || b.Store == nil || c.GuildID == "" {
		return nil, nil
	}
	typed = strings.ToLower(strings.TrimSpace(typed))
	srvs, err := b.Store.Servers(ctx, c.GuildID)
	if err != nil {
		return nil, err
	}
	var out []*discordgo.ApplicationCommandOptionChoice
	for _, s := range srvs {
		id := strconv.FormatInt(s.ServiceID, 10)
		label := serverLabel(s)
		if typed != "" && !strings.Contains(strings.ToLower(label), typed) {
			continue
		}
		out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: label, Value: id})
		if len(out) == 25 {
			break
		}
	}
	return out, nil
}

func serverLabel(s bots.GameServer) string {
	l := s.Name
	if l == "" {
		l = "server"
	}
	if s.Cluster != "" {
		l += " (" + s.Cluster + ")"
	}
	return fmt.Sprintf("%s · %d", l, s.ServiceID)
}

// guildServer resolves the server option to one of the guild's servers.
func (b *bot) guildServer(ctx context.Context, c *bots.Ctx, v string) (bots.GameServer, error) {
	id, ok := bots.ParseServiceID(v)
	if !ok {
		return bots.GameServer{}, bots.Errorf("%q is not a server; pick one from the list.", v)
	}
	srvs, err := b.Store.Servers(ctx, c.GuildID)
	if err != nil {
		return bots.GameServer{}, err
	}
	for _, s := range srvs {
		if s.ServiceID == id {
			return s, nil
		}
	}
	return bots.GameServer{}, bots.Errorf("Server %d is not linked to this Discord server.", id)
}

// mapServersOpt returns the guild's servers whose latest snapshot is on
// map m, or only serverOpt (a service id) when given and on m.
func (b *bot) mapServersOpt(ctx context.Context, c *bots.Ctx, m maps.Map, serverOpt string) ([]bots.GameServer, error) {
	if b.World == nil || b.Store == nil || c.GuildID == "" {
		return nil, nil
	}
	var srvs []bots.GameServer
	if serverOpt != "" {
		s, err := b.guildServer(ctx, c, serverOpt)
		if err != nil {
			return nil, err
		}
		srvs = []bots.GameServer{s}
	} else {
		var err error
		if srvs, err = b.Store.Servers(ctx, c.GuildID); err != nil {
			return nil, fmt.Errorf("servers: %w", err)
		}
	}
	var out []bots.GameServer
	for _, s := range srvs {
		mn, err := b.World.ServerMap(ctx, s.ServiceID)
		if err != nil {
			return nil, fmt.Errorf("map of %d: %w", s.ServiceID, err)
		}
		if mn != "" && mapKey(mn) == m.Key {
			out = append(out, s)
		}
	}
	return out, nil
}

// mapName is a map's display name ("Ragnarok_WP" → "Ragnarok").
func mapName(name string) string {
	if m, ok := maps.Lookup(name); ok {
		return m.Name
	}
	return bots.SanitizeChat(name, 60)
}

// mapKey is the table key of a map name ("BobsMissions_WP" → "clubark").
func mapKey(name string) string {
	if m, ok := maps.Lookup(name); ok {
		return m.Key
	}
	return maps.Key(name)
}

func (b *bot) audit(ctx context.Context, c *bots.Ctx, action, target, detail, result string, ok bool) {
	if b.Audit == nil {
		return
	}
	if err := b.Audit.Audit(ctx, bots.AuditEntry{GuildID: c.GuildID, ActorID: c.User.ID, Actor: c.User.Username, Bot: c.Bot,
		Action: action, Target: target, Detail: detail, OK: ok, Result: result, At: b.Now()}); err != nil && c.Log != nil {
		c.Log.Warn("audit", "action", action, "err", err)
	}
}
