// Package server is the Server management bot: RCON moderation (/rcon,
// /players, /broadcast, /say, /kick, /ban, /unban, /saveworld), Nitrado
// control with countdowns (/server info|status|stats|restart|stop|start)
// and the save-data views (/info ...). App builds its router with New and
// hands it to bots.Supervisor.Handle(bots.Server, ...).
//
// Every server a command names is resolved against the caller's guild's
// linked servers, so a guild never sees or touches another guild's
// servers; every staff action goes through bots.Auditor.
package server

import (
	"context"
	"time"

	"github.com/blissark/bliss/app/nitrado"
	"github.com/blissark/bliss/bots"
)

// RCON runs one command on a server; *rcon.Pool implements it.
type RCON interface {
	Exec(ctx context.Context, serverID int64, cmd string) (string, error)
}

// Nitrado is the part of the Nitrado API the bot reads; *nitrado.Client
// implements it.
type Nitrado interface {
	Gameserver(ctx context.Context, serviceID int64) (*nitrado.Gameserver, error)
	Stats(ctx context.Context, serviceID int64, hours int) (*nitrado.Stats, error)
}

// ServerState is the cached view of a server (app adapts the server-details
// cache).
type ServerState struct {
	Name          string
	Map           string
	Status        string // Nitrado gameserver status: started, stopped, restarting...
	Addr          string // ip:port
	Players, Slot int
	Stale         bool // Nitrado unreachable: last known copy
	SavedAt       time.Time
}

// Details returns the cached state of a server.
type Details interface {
	Details(ctx context.Context, serviceID int64) (ServerState, error)
}

// CountdownRequest asks for a restart, stop or start of servers after a
// countdown of Minutes (in-game warnings, SaveWorld before the action).
type CountdownRequest struct {
	GuildID   string
	Action    string // "restart", "stop", "start"
	Servers   []int64
	Minutes   int
	Reason    string
	ActorID   string
	Actor     string
	ChannelID string // where the result is posted
}

// Countdowns schedules and cancels countdowns (app adapts jobs/countdown).
type Countdowns interface {
	Schedule(ctx context.Context, r CountdownRequest) (id int64, fireAt time.Time, err error)
	// Cancel cancels countdown id of guildID; false when it was not active
	// (done, cancelled, another guild's).
	Cancel(ctx context.Context, guildID string, id int64, by string) (bool, error)
	// Attach records the public announcement (with the Cancel button) of
	// countdown id, so it is updated when the countdown ends.
	Attach(ctx context.Context, guildID string, id int64, messageID string) error
	// Next is the earliest pending restart or stop of serverID scheduled by
	// guildID; ok false when none is.
	Next(ctx context.Context, guildID string, serverID int64) (next Pending, ok bool, err error)
}

// Pending is a scheduled countdown as /server info shows it.
type Pending struct {
	ID     int64
	Action string
	At     time.Time
}

// Deps are the Server bot's dependencies. Nitrado, Details and Countdowns
// may be nil (those commands then say they are unavailable).
type Deps struct {
	Store   bots.GuildStore
	RCON    RCON
	Nitrado Nitrado
	Details Details
	// Info reads the snapshots. When it also implements MapStore, /info
	// bases and the decay post attach base maps; when it implements
	// SessionStore, /info online and /info playtime read play sessions.
	Info       InfoStore
	Audit      bots.Auditor
	Countdowns Countdowns
	// Schedules reads Nitrado's own scheduled restarts for /server info;
	// nil shows only Bliss's countdowns.
	Schedules Schedules
	// RCONTimeout bounds one server's RCON call (default 8 s); a cluster
	// command's servers run in parallel, each within it.
	RCONTimeout time.Duration
	// NitradoTimeout bounds one Nitrado call (default 10 s).
	NitradoTimeout time.Duration
	// Backgrounds are the map pictures staff set (/server mapimage) that
	// the base and decay maps draw under the grid; nil: bare grids, and
	// /server mapimage says it is unavailable.
	Backgrounds *Backgrounds
	Now         func() time.Time
}

type bot struct {
	Deps
	staff   bots.StaffSource
	outputs *outputStore // recent /rcon results, for their pages
}

// Pager kinds and component prefixes.
const (
	pgPlayers    = "ipl"
	pgTribes     = "itr"
	pgDinos      = "idn"
	pgBases      = "ibs"
	pgDecay      = "idc"
	pgStructures = "ist"
	pgRCON       = "rcn"

	prefixBan     = "srvban" // srvban:<yes|no>:<eos>:<target>
	prefixSelect  = "srvsel" // srvsel:<kick|ban>:<target>
	prefixCancel  = "srvcd"  // srvcd:cancel:<id>
	pageSize      = 10
	maxTargets    = 25
	defaultRCONTO = 8 * time.Second
)

// New returns the Server bot's router.
func New(d Deps) *bots.Router {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.RCONTimeout <= 0 {
		d.RCONTimeout = defaultRCONTO
	}
	if d.NitradoTimeout <= 0 {
		d.NitradoTimeout = 10 * time.Second
	}
	b := &bot{Deps: d, staff: bots.StaffFromStore(d.Store), outputs: newOutputStore()}
	r := bots.NewRouter()
	ac := b.autocomplete
	r.Command(&bots.Command{Spec: rconSpec(), Access: bots.Staff, Ephemeral: true, Run: b.rconCmd, Autocomplete: ac})
	r.Command(&bots.Command{Spec: playersSpec(), Access: bots.Everyone, Ephemeral: true, Run: b.players, Autocomplete: ac})
	r.Command(&bots.Command{Spec: broadcastSpec(), Access: bots.Staff, Ephemeral: true, Run: b.broadcast, Autocomplete: ac})
	r.Command(&bots.Command{Spec: saySpec(), Access: bots.Staff, Ephemeral: true, Run: b.say, Autocomplete: ac})
	r.Command(&bots.Command{Spec: kickSpec(), Access: bots.Staff, Ephemeral: true, Run: b.kick, Autocomplete: ac})
	r.Command(&bots.Command{Spec: banSpec(), Access: bots.Staff, Ephemeral: true, Run: b.ban, Autocomplete: ac})
	r.Command(&bots.Command{Spec: unbanSpec(), Access: bots.Staff, Ephemeral: true, Run: b.unban, Autocomplete: ac})
	r.Command(&bots.Command{Spec: saveworldSpec(), Access: bots.Staff, Ephemeral: true, Run: b.saveworld, Autocomplete: ac})
	r.Command(&bots.Command{Spec: serverSpec(), Access: bots.Staff, Ephemeral: true, Autocomplete: ac,
		Subcommands: map[string]bots.HandlerFunc{
			"info": b.serverInfo, "status": b.serverStatus, "stats": b.serverStats,
			"restart": b.countdown("restart"), "stop": b.countdown("stop"), "start": b.countdown("start"),
			subMapSet: b.mapimageSet, subMapClr: b.mapimageClear, subMapShow: b.mapimageShow,
		}})
	r.Command(&bots.Command{Spec: infoSpec(), Access: bots.Everyone, Autocomplete: ac,
		SubAccess: map[string]bots.Access{"decay": bots.Staff}, // staff-only, so ephemeral
		Subcommands: map[string]bots.HandlerFunc{
			"players": b.infoPlayers, "player": b.infoPlayer, "tribes": b.infoTribes, "tribe": b.infoTribe,
			"dinos": b.infoDinos, "bases": b.infoBases, "decay": b.infoDecay, "structures": b.infoStructures,
			"online": b.infoOnline, "playtime": b.infoPlaytime,
		}})
	r.Component(&bots.Component{Prefix: prefixBan, Access: bots.Staff, Ephemeral: true, UpdateMessage: true, Run: b.banButton})
	r.Component(&bots.Component{Prefix: prefixSelect, Access: bots.Staff, Ephemeral: true, Run: b.playerSelect})
	r.Component(&bots.Component{Prefix: prefixCancel, Access: bots.Staff, Ephemeral: true, UpdateMessage: true, Run: b.cancelButton})
	r.Settings(settingCountdown, settingDecayHours)
	r.Pager(pgPlayers, bots.Everyone, b.pagePlayers)
	r.Pager(pgTribes, bots.Everyone, b.pageTribes)
	r.Pager(pgDinos, bots.Everyone, b.pageDinos)
	r.Pager(pgBases, bots.Everyone, b.pageBases)
	r.Pager(pgDecay, bots.Staff, b.pageDecay)
	r.Pager(pgStructures, bots.Everyone, b.pageStructures)
	r.Pager(pgRCON, bots.Staff, b.pageRCON)
	return r
}

// Per-guild settings of the Server bot (shown by /setup and /config).
var (
	settingCountdown = bots.Setting{Key: "restart_countdown_minutes", Kind: bots.SettingNumber, Default: "5", Min: 0, Max: 60,
		Help: "Default countdown of /server restart and /server stop, in minutes"}
	settingDecayHours = bots.Setting{Key: "decay_warning_hours", Kind: bots.SettingNumber, Default: "24", Min: 1, Max: 720,
		Help: "The admin log lists bases decaying within this many hours, once per save"}
)

var errNoNitrado = &bots.UserError{Msg: "Nitrado control is not available on this appliance."}

// audit records a staff action; a failed audit is logged, never shown.
func (b *bot) audit(ctx context.Context, c *bots.Ctx, e bots.AuditEntry) {
	if b.Audit == nil {
		return
	}
	e.GuildID, e.ActorID, e.Bot = c.GuildID, c.User.ID, bots.Server
	e.Actor = c.User.Username
	if c.Member != nil && c.Member.Nick != "" {
		e.Actor = c.Member.Nick
	}
	e.At = b.Now()
	if err := b.Audit.Audit(ctx, e); err != nil && c.Log != nil {
		c.Log.Warn("audit failed", "action", e.Action, "err", err)
	}
}

func ptr[T any](v T) *T { return &v }

// isStaff reports whether the caller of an Everyone route is staff.
func (b *bot) isStaff(ctx context.Context, c *bots.Ctx) bool {
	if c.Staff {
		return true
	}
	ok, err := bots.IsStaff(ctx, b.staff, c.GuildID, c.Member)
	return err == nil && ok
}
