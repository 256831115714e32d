package storage

import (
	"context"
	"fmt"
	"time"
)

// AuditRecord is one staff action in a guild's audit log (see
// bots.AuditEntry, which app maps to it).
type AuditRecord struct {
	ID      int64
	GuildID string
	ActorID string
	Actor   string
	Bot     string
	Action  string
	Target  string
	Server  string
	Detail  string
	OK      bool
	Result  string
	At      time.Time
}

// Caps on stored audit text; longer values are cut (an audit row must
// never fail because a reason was long).
const (
	auditShort = 200
	auditLong  = 2000
)

func auditCut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// AddAudit appends r to its guild's audit log and returns the row id. At
// defaults to db.Now().
func (db *DB) AddAudit(ctx context.Context, r AuditRecord) (int64, error) {
	if r.GuildID == "" || r.Action == "" {
		return 0, fmt.Errorf("storage: add audit: %w: guild and action are required", ErrInvalid)
	}
	if r.At.IsZero() {
		r.At = db.Now()
	}
	var id int64
	err := db.db.QueryRowContext(ctx, `INSERT INTO audit_log
	(guild_id, actor_id, actor, bot, action, target, server, detail, ok, result, at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.GuildID, auditCut(r.ActorID, 32), auditCut(r.Actor, auditShort), auditCut(r.Bot, 32), auditCut(r.Action, auditShort),
		auditCut(r.Target, auditShort), auditCut(r.Server, auditShort), auditCut(r.Detail, auditLong), r.OK,
		auditCut(r.Result, auditLong), r.At.UTC().UnixNano()).Scan(&id)
	if err != nil {
		return 0, wrap("add audit for guild "+r.GuildID, err)
	}
	return id, nil
}

// AuditLog returns guildID's audit rows, newest first, paginated (limit ≤ 0:
// 25). Only that guild's rows are ever returned.
func (db *DB) AuditLog(ctx context.Context, guildID string, limit, offset int) ([]AuditRecord, error) {
	op := "audit log of guild " + guildID
	limit, offset = pageArgs(limit, offset)
	rows, err := db.db.QueryContext(ctx, `SELECT id, guild_id, actor_id, actor, bot, action, target, server,
	detail, ok, result, at FROM audit_log WHERE guild_id = ? ORDER BY id DESC LIMIT ? OFFSET ?`, guildID, limit, offset)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []AuditRecord
	for rows.Next() {
		var r AuditRecord
		var at int64
		if err := rows.Scan(&r.ID, &r.GuildID, &r.ActorID, &r.Actor, &r.Bot, &r.Action, &r.Target, &r.Server,
			&r.Detail, &r.OK, &r.Result, &at); err != nil {
			return nil, wrap(op, err)
		}
		r.At = time.Unix(0, at).UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// MarkDecayPosted records that the decay warning of (guildID, serverID,
// runID) was posted. It returns false when it already was (post nothing).
func (db *DB) MarkDecayPosted(ctx context.Context, guildID string, serverID int64, runID string) (bool, error) {
	res, err := db.db.ExecContext(ctx, `INSERT INTO decay_posts (guild_id, server_id, run_id, at) VALUES (?, ?, ?, ?)
	ON CONFLICT DO NOTHING`, guildID, serverID, runID, db.Now().UTC().UnixNano())
	if err != nil {
		return false, wrap("mark decay posted for guild "+guildID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, wrap("mark decay posted for guild "+guildID, err)
	}
	return n == 1, nil
}

// UnmarkDecayPosted forgets a mark (the post failed; try again next time).
func (db *DB) UnmarkDecayPosted(ctx context.Context, guildID string, serverID int64, runID string) error {
	_, err := db.db.ExecContext(ctx, `DELETE FROM decay_posts WHERE guild_id = ? AND server_id = ? AND run_id = ?`,
		guildID, serverID, runID)
	if err != nil {
		return wrap("unmark decay posted for guild "+guildID, err)
	}
	return nil
}
