// Package tickets is the Ticket bot: panels with one button per ticket
// type, a modal, a private thread per ticket, claims, notes, close with a
// reason and reopen, inactivity warnings and auto-close, transcripts
// (every thread message stored as it happens; an HTML file on close) and
// automatic tickets raised by other parts of the appliance (Incidents).
//
// App builds it with NewBot (New returns just the router), hands the
// router to bots.Supervisor.Handle(bots.Ticket, ...), schedules Sweep, and
// passes the Bot as the bots.Incidents of other bots.
package tickets

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
)

// Errors a Store returns (wrapped).
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	ErrLimit    = errors.New("open ticket limit reached")
	ErrCooldown = errors.New("ticket cooldown")
)

// Ticket states.
const (
	StateOpening = "opening"
	StateOpen    = "open"
	StateClosed  = "closed"
)

// Type is one ticket type (a panel button).
type Type struct {
	ID         int64
	GuildID    string
	Label      string
	Emoji      string
	Questions  []string // modal questions, 0-5 (labels ≤ 45)
	StaffRoles []string // roles that handle it; none: the guild's staff roles
	UserLimit  int      // open tickets of this type per user; 0: no type limit
	CreatedAt  time.Time
}

// Ticket is one ticket.
type Ticket struct {
	ID          int64
	GuildID     string
	Number      int64
	TypeID      int64 // 0: automatic ticket
	TypeLabel   string
	OpenerID    string // "" for automatic tickets
	OpenerName  string
	ThreadID    string
	ParentID    string
	State       string
	Subject     string
	Questions   []string
	Answers     []string
	ClaimedBy   string
	ClosedBy    string
	CloseReason string
	CreatedAt   time.Time
	ClosedAt    time.Time
	LastActive  time.Time
	WarnedAt    time.Time
}

// Message is one stored thread message, or a staff note (Note).
type Message struct {
	TicketID        int64
	MessageID       string
	AuthorID        string
	AuthorName      string
	AuthorBot       bool
	Content         string
	Embeds          string
	AttachmentNames []string
	AttachmentURLs  []string
	Note            bool
	Deleted         bool
	CreatedAt       time.Time
	EditedAt        time.Time
}

// IncidentRecord is a stored incident.
type IncidentRecord struct {
	ID           int64
	GuildID      string
	DedupeKey    string
	Kind         string
	Subject      string
	ServiceID    int64
	Details      string
	ActionLabels []string
	ActionIDs    []string
	State        string // "open" or "cleared"
	Repeats      int
	TicketID     int64
	OpenedAt     time.Time
	LastAt       time.Time
	ClearedAt    time.Time
	ClearNote    string
}

// Trigger is a staff-defined regular expression over live-feed lines.
type Trigger struct {
	ID        int64
	GuildID   string
	Kind      string // line kind: "chat", "tribe", ...
	Pattern   string
	ServiceID int64 // 0: every server
	Label     string
	CreatedBy string
	CreatedAt time.Time
}

// Panel is a posted panel message.
type Panel struct {
	GuildID   string
	ChannelID string
	MessageID string
}

// Store persists tickets; app wires SQLite. Not-found lookups return an
// error wrapping ErrNotFound; Reserve refuses with ErrLimit / ErrCooldown.
type Store interface {
	Types(ctx context.Context, guildID string) ([]Type, error)
	Type(ctx context.Context, guildID string, id int64) (Type, error)
	AddType(ctx context.Context, t Type) (Type, error) // ErrConflict: label taken
	UpdateType(ctx context.Context, t Type) error
	DeleteType(ctx context.Context, guildID string, id int64) (bool, error)
	AddPanel(ctx context.Context, p Panel) error
	RemovePanel(ctx context.Context, messageID string) error
	Panels(ctx context.Context, guildID string) ([]Panel, error)

	Reserve(ctx context.Context, t Ticket, userLimit, typeLimit int, cooldown time.Duration) (Ticket, error)
	Opened(ctx context.Context, id int64, threadID, parentID string) error
	Discard(ctx context.Context, id int64) error
	DiscardStale(ctx context.Context, before time.Time) (int, error)
	ByID(ctx context.Context, id int64) (Ticket, error)
	ByThread(ctx context.Context, threadID string) (Ticket, error)
	ByNumber(ctx context.Context, guildID string, number int64) (Ticket, error)
	Claim(ctx context.Context, id int64, staffID string) (bool, error)
	Unclaim(ctx context.Context, id int64) (bool, error)
	Close(ctx context.Context, id int64, by, reason string) (bool, error)
	Reopen(ctx context.Context, id int64, within time.Duration) (bool, error)
	Touch(ctx context.Context, id int64, at time.Time) error
	Warned(ctx context.Context, id int64) error
	OpenTickets(ctx context.Context) ([]Ticket, error)
	PutMessage(ctx context.Context, m Message) error
	DeleteMessage(ctx context.Context, ticketID int64, messageID string) error
	Messages(ctx context.Context, ticketID int64) ([]Message, error)

	RaiseIncident(ctx context.Context, in IncidentRecord) (IncidentRecord, bool, error)
	SetIncidentTicket(ctx context.Context, id, ticketID int64) error
	ClearIncident(ctx context.Context, guildID, dedupeKey, note string) (IncidentRecord, bool, error)
	IncidentsWithoutTicket(ctx context.Context) ([]IncidentRecord, error)
	IncidentByTicket(ctx context.Context, ticketID int64) (IncidentRecord, error)

	AddTrigger(ctx context.Context, t Trigger) (Trigger, error) // ErrConflict: exists
	RemoveTrigger(ctx context.Context, guildID string, id int64) (bool, error)
	Triggers(ctx context.Context, guildID string) ([]Trigger, error)
}

// SessionSource returns the Ticket bot's live session (nil while it is not
// connected); *bots.Supervisor's Session(bots.Ticket) fits.
type SessionSource func() *discordgo.Session

// Deps are the Ticket bot's dependencies. Audit and Log may be nil.
type Deps struct {
	Guilds  bots.GuildStore
	Store   Store
	Session SessionSource
	Audit   bots.Auditor
	Log     *slog.Logger
	// Forward runs an automatic ticket's action button (an IncidentAction
	// custom id such as "apadm:refund:42") on the bot that raised it:
	// Discord delivers a click to the bot that posted the message, the
	// Ticket bot, which hands it on. Staff only. Nil: actions are shown
	// disabled.
	Forward func(ctx context.Context, c *bots.Ctx, customID string) (*bots.Response, error)
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Bot is the Ticket bot.
type Bot struct {
	d      Deps
	log    *slog.Logger
	router *bots.Router
	inc    incidentState
}

// Settings of the Ticket bot (declared on its router; /config lists them).
var (
	SettingChannel      = bots.Setting{Key: "ticket_channel", Kind: bots.SettingChannel, Help: "Text channel for ticket threads; members must be able to view it (default: the panel's channel)"}
	SettingUserLimit    = bots.Setting{Key: "ticket_user_limit", Kind: bots.SettingNumber, Default: "3", Min: 1, Max: 50, Help: "Open tickets per member"}
	SettingCooldown     = bots.Setting{Key: "ticket_cooldown", Kind: bots.SettingDuration, Default: "1m", Help: "Minimum time between two tickets of one member"}
	SettingReopenWindow = bots.Setting{Key: "ticket_reopen_window", Kind: bots.SettingDuration, Default: "24h", Help: "How long a closed ticket can be reopened (0: never)"}
	SettingWarnAfter    = bots.Setting{Key: "ticket_inactive_warn", Kind: bots.SettingDuration, Default: "48h", Help: "Warn in a ticket after this long without a message (0: never)"}
	SettingCloseAfter   = bots.Setting{Key: "ticket_inactive_close", Kind: bots.SettingDuration, Default: "72h", Help: "Close a ticket after this long without a message (0: never)"}
	SettingWelcome      = bots.Setting{Key: "ticket_welcome", Kind: bots.SettingText, Default: "Thank you for contacting support. Please describe your issue; a staff member will be with you shortly.", Help: "First line of every ticket (staff-written markdown)"}
	SettingIncidentAuto = bots.Setting{Key: "ticket_incident_autoclose", Kind: bots.SettingBool, Default: "true", Help: "Close automatic tickets when their condition clears"}
	// Thresholds of the app-level incident sources (app reads them).
	SettingServerDownAfter = bots.Setting{Key: "incident_server_down_after", Kind: bots.SettingDuration, Default: "10m", Help: "Open a ticket when a server is down or unreachable by RCON this long (0: never)"}
	SettingParseFailures   = bots.Setting{Key: "incident_parse_failures", Kind: bots.SettingNumber, Default: "3", Min: 0, Max: 100, Help: "Open a ticket after this many failed save parses in a row (0: never)"}
	SettingNitradoAfter    = bots.Setting{Key: "incident_nitrado_after", Kind: bots.SettingDuration, Default: "15m", Help: "Open a ticket when Nitrado is degraded this long (0: never)"}
)

// AllSettings lists the settings the Ticket bot declares.
func AllSettings() []bots.Setting {
	return []bots.Setting{SettingChannel, SettingUserLimit, SettingCooldown, SettingReopenWindow, SettingWarnAfter, SettingWelcome,
		SettingCloseAfter, SettingClaimReadOnly, SettingIncidentAuto, SettingServerDownAfter, SettingParseFailures, SettingNitradoAfter}
}

// NewBot builds the Ticket bot.
func NewBot(d Deps) *Bot {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Session == nil {
		d.Session = func() *discordgo.Session { return nil }
	}
	b := &Bot{d: d, log: d.Log}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	b.router = b.buildRouter()
	return b
}

// New returns the Ticket bot's router (the layout convention); use NewBot
// to also get Incidents, Sweep and Trigger.
func New(d Deps) *bots.Router { return NewBot(d).Router() }

// Router returns the bot's router.
func (b *Bot) Router() *bots.Router { return b.router }

var _ bots.Incidents = (*Bot)(nil)

func (b *Bot) buildRouter() *bots.Router {
	r := bots.NewRouter()
	r.Settings(AllSettings()...)
	r.Command(&bots.Command{Spec: ticketSpec(), Access: bots.Staff, Ephemeral: true, Subcommands: map[string]bots.HandlerFunc{
		"panel":          b.cmdPanel,
		"type add":       b.cmdTypeAdd,
		"type edit":      b.cmdTypeEdit,
		"type remove":    b.cmdTypeRemove,
		"type list":      b.cmdTypeList,
		"add":            b.cmdAddMember,
		"remove":         b.cmdRemoveMember,
		"rename":         b.cmdRename,
		"note":           b.cmdNote,
		"claim":          b.cmdClaim,
		"unclaim":        b.cmdUnclaim,
		"close":          b.cmdClose,
		"reopen":         b.cmdReopen,
		"transcript":     b.cmdTranscript,
		"trigger add":    b.cmdTriggerAdd,
		"trigger remove": b.cmdTriggerRemove,
		"trigger list":   b.cmdTriggerList,
	}, Autocomplete: b.autocomplete})
	r.Component(&bots.Component{Prefix: prefixOpen, Access: bots.Everyone, Ephemeral: true, Run: b.onOpenButton})
	r.Modal(&bots.Component{Prefix: prefixForm, Access: bots.Everyone, Ephemeral: true, Run: b.onOpenForm})
	r.Component(&bots.Component{Prefix: prefixClaim, Access: bots.Everyone, Ephemeral: true, Run: b.onClaim})
	r.Component(&bots.Component{Prefix: prefixClose, Access: bots.Everyone, Ephemeral: true, Run: b.onCloseButton})
	r.Modal(&bots.Component{Prefix: prefixCloseForm, Access: bots.Everyone, Ephemeral: true, Run: b.onCloseForm})
	r.Component(&bots.Component{Prefix: prefixReopen, Access: bots.Everyone, Ephemeral: true, Run: b.onReopen})
	r.Component(&bots.Component{Prefix: prefixAction, Access: bots.Staff, Ephemeral: true, Run: b.onAction})
	r.Messages(bots.MessageHandlers{Create: b.onMessageCreate, Update: b.onMessageUpdate, Delete: b.onMessageDelete})
	return r
}

// Custom id prefixes.
const (
	prefixOpen      = "tkopen"   // tkopen:<type id>
	prefixForm      = "tkform"   // tkform:<type id>
	prefixClaim     = "tkclaim"  // tkclaim:<ticket id>
	prefixClose     = "tkclose"  // tkclose:<ticket id>
	prefixCloseForm = "tkclosef" // tkclosef:<ticket id>
	prefixReopen    = "tkreopen" // tkreopen:<ticket id>
	prefixAction    = "tkact"    // tkact:<incident id>:<action index>
)

func (b *Bot) settings(ctx context.Context, guildID string) bots.GuildSettings {
	gs, err := b.d.Guilds.GuildSettings(ctx, guildID)
	if err != nil {
		b.log.Warn("guild settings", "guild", guildID, "err", err)
		return bots.GuildSettings{GuildID: guildID}
	}
	return gs
}

func (b *Bot) audit(ctx context.Context, e bots.AuditEntry) {
	if b.d.Audit == nil {
		return
	}
	e.Bot = bots.Ticket
	if e.At.IsZero() {
		e.At = b.d.Now()
	}
	if err := b.d.Audit.Audit(ctx, e); err != nil {
		b.log.Warn("audit", "action", e.Action, "err", err)
	}
}
