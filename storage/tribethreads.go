package storage

// Tribe log threads: what the live feed's membership sync reads (the feed's
// thread cursors, linked players and their tribes in the latest snapshot)
// and the members it added (migration 0015).

import (
	"context"
	"fmt"
	"time"
)

// CursorsWithPrefix returns the durable cursors whose key starts with
// prefix (non-empty), key → value.
func (db *DB) CursorsWithPrefix(ctx context.Context, prefix string) (map[string]string, error) {
	op := "cursors " + prefix
	if prefix == "" {
		return nil, fmt.Errorf("storage: %s: %w: empty prefix", op, ErrInvalid)
	}
	// A range over the primary key: prefix ≤ key < prefix with its last
	// byte incremented (no upper bound after a 0xff byte; the substr test
	// filters then).
	q, args := `SELECT key, value FROM cursors WHERE key >= ?1 AND substr(key, 1, length(?1)) = ?1`, []any{prefix}
	if last := prefix[len(prefix)-1]; last < 0xff {
		q += ` AND key < ?2`
		args = append(args, prefix[:len(prefix)-1]+string([]byte{last + 1}))
	}
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, wrap(op, err)
		}
		out[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// TribePlayer is a linked Discord user's player in the latest snapshot of
// a server, with the player's tribe.
type TribePlayer struct {
	DiscordID string
	EOSID     string
	ServerID  int64
	TribeID   int64
	TribeName string // the player's tribe name, else the tribe's (same snapshot)
}

// TribePlayers returns, for the Discord users linked in guildID, their
// players that are in a tribe in the latest snapshot of servers, ordered by
// server, tribe name and Discord id. A link made in another guild never
// appears.
func (db *DB) TribePlayers(ctx context.Context, guildID string, servers []int64) ([]TribePlayer, error) {
	const op = "tribe players"
	in, args, err := scopeArgs(op, servers)
	if err != nil {
		return nil, err
	}
	// Links keep EOS ids lower-case; snapshot rows keep them as decoded.
	// CROSS JOIN keeps the guild's links outside: each is one or two seeks
	// in players_eos_id (eos_id, server_id), never a scan of the players.
	rows, err := db.query(ctx, `SELECT l.discord_id, l.eos_id, p.server_id, p.tribe_id,
	CASE WHEN p.tribe_name <> '' THEN p.tribe_name
		ELSE coalesce((SELECT t.name FROM tribes t WHERE t.server_id = p.server_id AND t.tribe_id = p.tribe_id LIMIT 1), '') END
	FROM links l CROSS JOIN players p
	WHERE l.guild_id = ? AND p.eos_id IN (l.eos_id, upper(l.eos_id)) AND p.server_id IN `+in+` AND p.tribe_id <> 0
	ORDER BY 3, 5, 1`, append([]any{guildID}, args...)...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []TribePlayer
	for rows.Next() {
		var p TribePlayer
		if err := rows.Scan(&p.DiscordID, &p.EOSID, &p.ServerID, &p.TribeID, &p.TribeName); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// Tribe thread member states.
const (
	ThreadMemberAdded  = "member" // the user was added to the thread
	ThreadMemberFailed = "failed" // adding was refused; retried at NextAt
)

// TribeThreadMember is a user the membership sync added (or failed to add)
// to a tribe's thread.
type TribeThreadMember struct {
	GuildID   string
	ThreadID  string
	DiscordID string
	State     string // ThreadMemberAdded or ThreadMemberFailed
	Attempts  int
	NextAt    time.Time // a failed add waits until then
	LastError string
	UpdatedAt time.Time
}

// TribeThreadMembers returns the recorded members of a tribe thread, by
// user.
func (db *DB) TribeThreadMembers(ctx context.Context, threadID string) ([]TribeThreadMember, error) {
	const op = "tribe thread members"
	rows, err := db.query(ctx, `SELECT guild_id, thread_id, discord_id, state, attempts, next_at, last_error, updated_at
	FROM tribe_thread_members WHERE thread_id = ? ORDER BY discord_id`, threadID)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []TribeThreadMember
	for rows.Next() {
		var m TribeThreadMember
		var next, upd int64
		if err := rows.Scan(&m.GuildID, &m.ThreadID, &m.DiscordID, &m.State, &m.Attempts, &next, &m.LastError, &upd); err != nil {
			return nil, wrap(op, err)
		}
		if next != 0 {
			m.NextAt = time.Unix(0, next).UTC()
		}
		m.UpdatedAt = time.Unix(0, upd).UTC()
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// PutTribeThreadMember records (replacing) a user's membership of a
// thread.
func (db *DB) PutTribeThreadMember(ctx context.Context, m TribeThreadMember) error {
	op := "put tribe thread member " + m.ThreadID + "/" + m.DiscordID
	if m.GuildID == "" || m.ThreadID == "" || m.DiscordID == "" {
		return fmt.Errorf("storage: %s: %w: guild, thread and user are required", op, ErrInvalid)
	}
	if m.State != ThreadMemberAdded && m.State != ThreadMemberFailed {
		return fmt.Errorf("storage: %s: %w: state %q", op, ErrInvalid, m.State)
	}
	var next int64
	if !m.NextAt.IsZero() {
		next = m.NextAt.UnixNano()
	}
	_, err := db.db.ExecContext(ctx, `INSERT INTO tribe_thread_members
	(guild_id, thread_id, discord_id, state, attempts, next_at, last_error, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (thread_id, discord_id) DO UPDATE SET guild_id = excluded.guild_id, state = excluded.state,
		attempts = excluded.attempts, next_at = excluded.next_at, last_error = excluded.last_error, updated_at = excluded.updated_at`,
		m.GuildID, m.ThreadID, m.DiscordID, m.State, m.Attempts, next, m.LastError, db.now().UnixNano())
	return wrapIf(op, err)
}

// DeleteTribeThreadMember forgets a user's membership of a thread.
func (db *DB) DeleteTribeThreadMember(ctx context.Context, threadID, discordID string) error {
	_, err := db.db.ExecContext(ctx, `DELETE FROM tribe_thread_members WHERE thread_id = ? AND discord_id = ?`, threadID, discordID)
	return wrapIf("delete tribe thread member "+threadID+"/"+discordID, err)
}
