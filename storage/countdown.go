package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Countdown is a scheduled restart/stop/start as releases before the
// state file kept it in the countdowns table (migration 0004). Countdowns
// now live in the bbolt state file (jobs/countdown, app/serverstore); this
// table is only read once, to move the active ones there.
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
	ChannelID string
	MessageID string
	FireAt    time.Time
	Warned    int    // last minute mark announced (-1: none)
	State     string // pending or running
	Result    string
}

// LegacyCountdowns returns the active countdowns of the countdowns table,
// soonest first, and the largest id the table ever gave (0 for none).
func (db *DB) LegacyCountdowns(ctx context.Context) ([]Countdown, int64, error) {
	const op = "legacy countdowns"
	var maxID int64
	if err := db.db.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM countdowns`).Scan(&maxID); err != nil {
		return nil, 0, wrap(op, err)
	}
	rows, err := db.db.QueryContext(ctx, `SELECT id, guild_id, action, servers, step, sent, reason, actor_id, actor,
	channel_id, fire_at, warned, state, result, message_id FROM countdowns
	WHERE state IN ('pending', 'running') ORDER BY fire_at, id`)
	if err != nil {
		return nil, 0, wrap(op, err)
	}
	defer rows.Close()
	var out []Countdown
	for rows.Next() {
		var c Countdown
		var srv string
		var fire int64
		if err := rows.Scan(&c.ID, &c.GuildID, &c.Action, &srv, &c.Step, &c.Sent, &c.Reason, &c.ActorID, &c.Actor,
			&c.ChannelID, &fire, &c.Warned, &c.State, &c.Result, &c.MessageID); err != nil {
			return nil, 0, wrap(op, err)
		}
		if err := json.Unmarshal([]byte(srv), &c.Servers); err != nil {
			return nil, 0, fmt.Errorf("storage: %s: countdown %d servers: %w", op, c.ID, err)
		}
		c.FireAt = time.Unix(0, fire).UTC()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, wrap(op, err)
	}
	return out, maxID, nil
}

// DeleteLegacyCountdowns deletes countdowns by id from the countdowns
// table (after they were moved to the state file).
func (db *DB) DeleteLegacyCountdowns(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	j, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("storage: delete legacy countdowns: %w", err)
	}
	if _, err := db.db.ExecContext(ctx, `DELETE FROM countdowns WHERE id IN (SELECT value FROM json_each(?))`, string(j)); err != nil {
		return wrap("delete legacy countdowns", err)
	}
	return nil
}

// AddLegacyCountdown writes a countdown row as an older release did; for
// tests of the move.
func (db *DB) AddLegacyCountdown(ctx context.Context, c Countdown) (int64, error) {
	srv, err := json.Marshal(c.Servers)
	if err != nil {
		return 0, fmt.Errorf("storage: add legacy countdown: %w", err)
	}
	now := db.Now().UTC().UnixNano()
	var id int64
	err = db.db.QueryRowContext(ctx, `INSERT INTO countdowns (guild_id, action, servers, step, sent, reason, actor_id, actor,
	channel_id, fire_at, warned, state, result, created_at, updated_at, message_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.GuildID, c.Action, string(srv), c.Step, c.Sent, c.Reason, c.ActorID, c.Actor, c.ChannelID, c.FireAt.UTC().UnixNano(),
		c.Warned, c.State, c.Result, now, now, c.MessageID).Scan(&id)
	if err != nil {
		return 0, wrap("add legacy countdown", err)
	}
	return id, nil
}
