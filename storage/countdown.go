package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Countdown is a scheduled restart/stop/start of one or more servers (see
// jobs/countdown). It is stored so that it survives an appliance restart.
type Countdown struct {
	ID        int64
	GuildID   string
	Action    string  // "restart", "stop" or "start"
	Servers   []int64 // Nitrado service ids, handled in order
	Step      int     // index into Servers of the server in progress
	Sent      bool    // the action of Step was sent to Nitrado
	Reason    string
	ActorID   string
	Actor     string
	ChannelID string // where the result is posted
	MessageID string // the countdown's announcement in ChannelID ("" none)
	FireAt    time.Time
	Warned    int    // last minute mark announced (-1: none)
	State     string // pending, running, done, cancelled, failed
	Result    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Countdown states.
const (
	CountdownPending   = "pending"
	CountdownRunning   = "running"
	CountdownDone      = "done"
	CountdownCancelled = "cancelled"
	CountdownFailed    = "failed"
)

const countdownCols = `id, guild_id, action, servers, step, sent, reason, actor_id, actor, channel_id, fire_at, warned,
	state, result, created_at, updated_at, message_id`

// AddCountdown stores c (state pending) and returns its id.
func (db *DB) AddCountdown(ctx context.Context, c Countdown) (int64, error) {
	if c.GuildID == "" || len(c.Servers) == 0 {
		return 0, fmt.Errorf("storage: add countdown: %w: guild and servers are required", ErrInvalid)
	}
	srv, err := json.Marshal(c.Servers)
	if err != nil {
		return 0, fmt.Errorf("storage: add countdown: %w", err)
	}
	now := db.Now().UTC().UnixNano()
	var id int64
	err = db.db.QueryRowContext(ctx, `INSERT INTO countdowns (guild_id, action, servers, step, reason, actor_id, actor,
	channel_id, fire_at, warned, state, result, created_at, updated_at)
VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, -1, 'pending', '', ?, ?) RETURNING id`,
		c.GuildID, c.Action, string(srv), auditCut(c.Reason, auditShort), c.ActorID, auditCut(c.Actor, auditShort),
		c.ChannelID, c.FireAt.UTC().UnixNano(), now, now).Scan(&id)
	if err != nil {
		return 0, wrap("add countdown for guild "+c.GuildID, err)
	}
	return id, nil
}

func scanCountdown(sc interface{ Scan(...any) error }) (Countdown, error) {
	var c Countdown
	var srv string
	var fire, created, updated int64
	if err := sc.Scan(&c.ID, &c.GuildID, &c.Action, &srv, &c.Step, &c.Sent, &c.Reason, &c.ActorID, &c.Actor, &c.ChannelID,
		&fire, &c.Warned, &c.State, &c.Result, &created, &updated, &c.MessageID); err != nil {
		return c, err
	}
	if err := json.Unmarshal([]byte(srv), &c.Servers); err != nil {
		return c, fmt.Errorf("servers: %w", err)
	}
	c.FireAt, c.CreatedAt, c.UpdatedAt = time.Unix(0, fire).UTC(), time.Unix(0, created).UTC(), time.Unix(0, updated).UTC()
	return c, nil
}

// SetCountdownMessage records the announcement message of countdown id of
// guildID (whose Cancel button is removed when the countdown ends).
func (db *DB) SetCountdownMessage(ctx context.Context, guildID string, id int64, messageID string) error {
	_, err := db.db.ExecContext(ctx, `UPDATE countdowns SET message_id = ? WHERE id = ? AND guild_id = ?`,
		auditCut(messageID, auditShort), id, guildID)
	if err != nil {
		return wrap(fmt.Sprintf("countdown %d message", id), err)
	}
	return nil
}

// GetCountdown returns countdown id, or ErrNotFound.
func (db *DB) GetCountdown(ctx context.Context, id int64) (Countdown, error) {
	op := fmt.Sprintf("countdown %d", id)
	c, err := scanCountdown(db.db.QueryRowContext(ctx, `SELECT `+countdownCols+` FROM countdowns WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("storage: %s: %w", op, ErrNotFound)
	}
	if err != nil {
		return c, wrap(op, err)
	}
	return c, nil
}

// ActiveCountdowns returns the pending and running countdowns, soonest first.
func (db *DB) ActiveCountdowns(ctx context.Context) ([]Countdown, error) {
	const op = "active countdowns"
	rows, err := db.db.QueryContext(ctx, `SELECT `+countdownCols+` FROM countdowns
	WHERE state IN ('pending', 'running') ORDER BY fire_at, id`)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []Countdown
	for rows.Next() {
		c, err := scanCountdown(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// UpdateCountdown writes the progress fields of c (step, sent, fire_at, warned,
// state, result) if the stored row is still active; false when it is not
// (cancelled meanwhile).
func (db *DB) UpdateCountdown(ctx context.Context, c Countdown) (bool, error) {
	res, err := db.db.ExecContext(ctx, `UPDATE countdowns SET step = ?, sent = ?, fire_at = ?, warned = ?, state = ?, result = ?,
	updated_at = ? WHERE id = ? AND state IN ('pending', 'running')`, c.Step, c.Sent, c.FireAt.UTC().UnixNano(), c.Warned,
		c.State, auditCut(c.Result, auditLong), db.Now().UTC().UnixNano(), c.ID)
	if err != nil {
		return false, wrap(fmt.Sprintf("update countdown %d", c.ID), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, wrap(fmt.Sprintf("update countdown %d", c.ID), err)
	}
	return n == 1, nil
}

// CancelCountdown cancels countdown id of guildID if it is still pending
// or running (the servers not yet handled are skipped). It
// returns false when there was nothing to cancel. Another guild's id is
// never touched.
func (db *DB) CancelCountdown(ctx context.Context, guildID string, id int64, result string) (bool, error) {
	res, err := db.db.ExecContext(ctx, `UPDATE countdowns SET state = 'cancelled', result = ?, updated_at = ?
	WHERE id = ? AND guild_id = ? AND state IN ('pending', 'running')`, auditCut(result, auditLong), db.Now().UTC().UnixNano(), id, guildID)
	if err != nil {
		return false, wrap(fmt.Sprintf("cancel countdown %d", id), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, wrap(fmt.Sprintf("cancel countdown %d", id), err)
	}
	return n == 1, nil
}
