package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// AwardSession is a play session as the awards job reads it.
type AwardSession struct {
	ServiceID int64
	EOSID     string
	Joined    time.Time
	Left      time.Time // zero: open
	Seen      time.Time
}

// maxAwardServers bounds one query's IN list.
const maxAwardServers = 500

// AwardSessions returns the sessions on serviceIDs that overlap [from, to)
// (open sessions up to their last-seen time), for the awards job.
func (db *DB) AwardSessions(ctx context.Context, serviceIDs []int64, from, to time.Time) ([]AwardSession, error) {
	const op = "award sessions"
	if len(serviceIDs) == 0 || len(serviceIDs) > maxAwardServers {
		return nil, fmt.Errorf("storage: %s: %w: %d servers", op, ErrInvalid, len(serviceIDs))
	}
	args := make([]any, 0, len(serviceIDs)+2)
	for _, id := range serviceIDs {
		args = append(args, id)
	}
	args = append(args, to.UnixNano(), from.UnixNano())
	rows, err := db.db.QueryContext(ctx, `SELECT service_id, eos_id, joined_at, left_at, seen_at FROM sessions
	WHERE service_id IN (`+placeholders(len(serviceIDs))+`) AND joined_at < ? AND coalesce(left_at, seen_at) > ?`, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []AwardSession
	for rows.Next() {
		var s AwardSession
		var j, seen int64
		var left sql.NullInt64
		if err := rows.Scan(&s.ServiceID, &s.EOSID, &j, &left, &seen); err != nil {
			return nil, wrap(op, err)
		}
		s.Joined, s.Seen = time.Unix(0, j).UTC(), time.Unix(0, seen).UTC()
		if left.Valid {
			s.Left = time.Unix(0, left.Int64).UTC()
		}
		out = append(out, s)
	}
	return out, wrap2(op, rows.Err())
}

// LinkedAccounts maps a guild's linked EOS ids to Discord accounts.
func (db *DB) LinkedAccounts(ctx context.Context, guildID string) (map[string]string, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT eos_id, discord_id FROM links WHERE guild_id = ?`, guildID)
	if err != nil {
		return nil, wrap("linked accounts", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var e, d string
		if err := rows.Scan(&e, &d); err != nil {
			return nil, wrap("linked accounts", err)
		}
		out[e] = d
	}
	return out, wrap2("linked accounts", rows.Err())
}
