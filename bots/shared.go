package bots

import (
	"context"
	"time"
)

// AuditEntry is one staff action (RCON, kick/ban, restart, point
// adjustments, refunds, ticket actions). Every staff action is one audit row
// and one post in the guild's admin log channel; Auditor does both.
type AuditEntry struct {
	GuildID string
	ActorID string // Discord user id; "" for the appliance itself
	Actor   string // display name at the time
	Bot     BotKind
	Action  string // short verb phrase: "rcon", "ban", "restart", "ap give"
	Target  string // player, server, order… in words
	Server  string // Nitrado service id, when the action was on one server
	Detail  string // the command or reason, already sanitised
	OK      bool
	Result  string // what happened: "kicked on 3 of 3 servers", the error
	At      time.Time
}

// Auditor records staff actions. App wires the one implementation (an
// audit row in SQLite, then a post to the admin log channel); bots take it
// through their Deps.
type Auditor interface {
	Audit(ctx context.Context, e AuditEntry) error
}

// Incident is a problem some part of the appliance raises (failed delivery,
// server down, parse failing, Nitrado degraded, a staff trigger). The
// Tickets bot turns incidents into automatic tickets; /status and /metrics
// count them. One open incident per (GuildID, DedupeKey): a repeat adds to
// it, it never opens a second.
type Incident struct {
	Kind      string // "delivery_failed", "server_down", "parse_failing", "nitrado_degraded", "trigger"
	GuildID   string
	Subject   string // the player or server it is about, in words
	ServiceID int64  // Nitrado service id, when about one server (0: none)
	Details   string
	DedupeKey string
	// Actions are extra buttons offered on the ticket, as custom ids routed
	// by the bot that raised it (e.g. "aporder:refund:42"), with labels.
	Actions []IncidentAction
	At      time.Time
}

// IncidentAction is one button on an automatic ticket.
type IncidentAction struct {
	Label    string
	CustomID string
}

// Incidents raises and clears incidents. Jobs, which may not import bots,
// declare the same two methods with plain arguments and app adapts.
type Incidents interface {
	Raise(ctx context.Context, in Incident) error
	// Clear closes the open incident of (guildID, dedupeKey), if any, with a
	// note saying the condition cleared.
	Clear(ctx context.Context, guildID, dedupeKey, note string) error
}
