package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// Incident states.
const (
	IncidentOpen    = "open"
	IncidentCleared = "cleared"
)

const incidentCols = `id, guild_id, dedupe_key, kind, subject, service_id, details, actions, state, repeats, ticket_id,
opened_at, last_at, cleared_at, clear_note`

func scanIncident(r rowScanner) (Incident, error) {
	var in Incident
	var acts string
	var opened, last, cleared int64
	if err := r.Scan(&in.ID, &in.GuildID, &in.DedupeKey, &in.Kind, &in.Subject, &in.ServiceID, &in.Details, &acts, &in.State,
		&in.Repeats, &in.TicketID, &opened, &last, &cleared, &in.ClearNote); err != nil {
		return Incident{}, err
	}
	var pair [2][]string
	if json.Unmarshal([]byte(acts), &pair) == nil && len(pair[0]) == len(pair[1]) {
		in.ActionLabels, in.ActionIDs = pair[0], pair[1]
	}
	in.OpenedAt, in.LastAt, in.ClearedAt = fromNanos(opened), fromNanos(last), fromNanos(cleared)
	return in, nil
}

// IncidentRaise records in: a new open incident (created=true), or, when
// (guild, dedupe key) already has an open one, a repeat of it (repeats+1,
// details and time updated; created=false). One write transaction, so two
// raises at once never open two.
func (db *DB) IncidentRaise(ctx context.Context, in Incident) (_ Incident, created bool, err error) {
	op := "raise incident " + in.DedupeKey
	switch {
	case in.GuildID == "" || in.DedupeKey == "" || len(in.DedupeKey) > 200 || in.Kind == "" || len(in.Kind) > 32:
		return Incident{}, false, fmt.Errorf("storage: %s: %w: guild, dedupe key (≤200) and kind (≤32) are required", op, ErrInvalid)
	case len(in.ActionLabels) != len(in.ActionIDs):
		return Incident{}, false, fmt.Errorf("storage: %s: %w: action labels and ids differ", op, ErrInvalid)
	}
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return Incident{}, false, wrap(op, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	now := db.clockNow()
	if !in.LastAt.IsZero() {
		now = in.LastAt
	}
	acts, _ := json.Marshal([2][]string{nonNil(in.ActionLabels), nonNil(in.ActionIDs)})
	res, err := tx.ExecContext(ctx, `UPDATE incidents SET repeats = repeats + 1, last_at = ?, details = ?, subject = ?
	WHERE guild_id = ? AND dedupe_key = ? AND state = 'open'`, nanos(now), in.Details, in.Subject, in.GuildID, in.DedupeKey)
	if err != nil {
		return Incident{}, false, wrap(op, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		created = true
		if _, err := tx.ExecContext(ctx, `INSERT INTO incidents (guild_id, dedupe_key, kind, subject, service_id, details, actions,
		state, opened_at, last_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)`, in.GuildID, in.DedupeKey, in.Kind, in.Subject,
			in.ServiceID, in.Details, string(acts), nanos(now), nanos(now)); err != nil {
			return Incident{}, false, wrap(op, err)
		}
	}
	out, err := scanIncident(tx.QueryRowContext(ctx, `SELECT `+incidentCols+` FROM incidents
	WHERE guild_id = ? AND dedupe_key = ? AND state = 'open'`, in.GuildID, in.DedupeKey))
	if err != nil {
		return Incident{}, false, wrap(op, err)
	}
	if err := tx.Commit(); err != nil {
		return Incident{}, false, wrap(op, err)
	}
	return out, created, nil
}

// IncidentSetTicket links an incident to its automatic ticket.
func (db *DB) IncidentSetTicket(ctx context.Context, id, ticketID int64) error {
	_, err := db.db.ExecContext(ctx, `UPDATE incidents SET ticket_id = ? WHERE id = ?`, ticketID, id)
	return wrap0("incident ticket", err)
}

// IncidentClear clears the open incident of (guild, dedupe key); ok is
// false when none was open.
func (db *DB) IncidentClear(ctx context.Context, guildID, dedupeKey, note string) (_ Incident, ok bool, err error) {
	op := "clear incident " + dedupeKey
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return Incident{}, false, wrap(op, err)
	}
	defer func() {
		if err != nil || !ok {
			_ = tx.Rollback()
		}
	}()
	in, err := scanIncident(tx.QueryRowContext(ctx, `SELECT `+incidentCols+` FROM incidents
	WHERE guild_id = ? AND dedupe_key = ? AND state = 'open'`, guildID, dedupeKey))
	if errors.Is(err, sql.ErrNoRows) {
		return Incident{}, false, nil
	}
	if err != nil {
		return Incident{}, false, wrap(op, err)
	}
	now := db.clockNow()
	if _, err := tx.ExecContext(ctx, `UPDATE incidents SET state = 'cleared', cleared_at = ?, clear_note = ? WHERE id = ?`,
		nanos(now), note, in.ID); err != nil {
		return Incident{}, false, wrap(op, err)
	}
	if err := tx.Commit(); err != nil {
		return Incident{}, false, wrap(op, err)
	}
	in.State, in.ClearedAt, in.ClearNote = IncidentCleared, now.UTC(), note
	return in, true, nil
}

// IncidentsWithoutTicket lists open incidents whose ticket is not created
// yet (the Ticket bot was offline or the guild has no ticket channel).
func (db *DB) IncidentsWithoutTicket(ctx context.Context) ([]Incident, error) {
	return db.queryIncidents(ctx, `WHERE state = 'open' AND ticket_id = 0 ORDER BY id`)
}

// IncidentsOpen lists a guild's open incidents ("" = every guild).
func (db *DB) IncidentsOpen(ctx context.Context, guildID string) ([]Incident, error) {
	if guildID == "" {
		return db.queryIncidents(ctx, `WHERE state = 'open' ORDER BY id`)
	}
	return db.queryIncidents(ctx, `WHERE state = 'open' AND guild_id = ? ORDER BY id`, guildID)
}

// IncidentByTicket returns the incident behind an automatic ticket.
func (db *DB) IncidentByTicket(ctx context.Context, ticketID int64) (Incident, error) {
	in, err := scanIncident(db.db.QueryRowContext(ctx, `SELECT `+incidentCols+` FROM incidents WHERE ticket_id = ? ORDER BY id DESC LIMIT 1`, ticketID))
	if errors.Is(err, sql.ErrNoRows) {
		return Incident{}, fmt.Errorf("storage: incident of ticket %d: %w", ticketID, ErrNotFound)
	}
	return in, wrap0("incident of ticket", err)
}

func (db *DB) queryIncidents(ctx context.Context, where string, args ...any) ([]Incident, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT `+incidentCols+` FROM incidents `+where, args...)
	if err != nil {
		return nil, wrap("incidents", err)
	}
	defer rows.Close()
	var out []Incident
	for rows.Next() {
		in, err := scanIncident(rows)
		if err != nil {
			return nil, wrap("incidents", err)
		}
		out = append(out, in)
	}
	return out, wrap0("incidents", rows.Err())
}

// IncidentCounts returns open and total incidents and total repeats
// (all guilds), for /status and /metrics.
func (db *DB) IncidentCounts(ctx context.Context) (open, total, repeats int, err error) {
	err = db.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(state = 'open'), 0), COUNT(*), COALESCE(SUM(repeats), 0) FROM incidents`).
		Scan(&open, &total, &repeats)
	return open, total, repeats, wrap0("incident counts", err)
}

// ---- triggers ----

// TriggerAdd stores a staff trigger; the same (kind, pattern, server) twice
// is ErrConflict.
func (db *DB) TriggerAdd(ctx context.Context, t TicketTrigger) (TicketTrigger, error) {
	if t.GuildID == "" || t.Kind == "" || t.Pattern == "" || len(t.Pattern) > 500 {
		return TicketTrigger{}, fmt.Errorf("storage: add trigger: %w", ErrInvalid)
	}
	t.CreatedAt = db.clockNow().UTC()
	res, err := db.db.ExecContext(ctx, `INSERT INTO ticket_triggers (guild_id, kind, pattern, service_id, label, created_by, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?)`, t.GuildID, t.Kind, t.Pattern, t.ServiceID, t.Label, t.CreatedBy, nanos(t.CreatedAt))
	if err != nil {
		return TicketTrigger{}, wrap("add trigger", err)
	}
	t.ID, _ = res.LastInsertId()
	return t, nil
}

// TriggerRemove deletes a guild's trigger.
func (db *DB) TriggerRemove(ctx context.Context, guildID string, id int64) (bool, error) {
	res, err := db.db.ExecContext(ctx, `DELETE FROM ticket_triggers WHERE guild_id = ? AND id = ?`, guildID, id)
	if err != nil {
		return false, wrap("remove trigger", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Triggers lists a guild's triggers.
func (db *DB) Triggers(ctx context.Context, guildID string) ([]TicketTrigger, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT id, guild_id, kind, pattern, service_id, label, created_by, created_at
	FROM ticket_triggers WHERE guild_id = ? ORDER BY id`, guildID)
	if err != nil {
		return nil, wrap("triggers", err)
	}
	defer rows.Close()
	var out []TicketTrigger
	for rows.Next() {
		var t TicketTrigger
		var created int64
		if err := rows.Scan(&t.ID, &t.GuildID, &t.Kind, &t.Pattern, &t.ServiceID, &t.Label, &t.CreatedBy, &created); err != nil {
			return nil, wrap("triggers", err)
		}
		t.CreatedAt = fromNanos(created)
		out = append(out, t)
	}
	return out, wrap0("triggers", rows.Err())
}
