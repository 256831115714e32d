package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Play sessions (table sessions, migration 0005). The live feed opens and
// closes them from join/leave lines and ListPlayers diffs; /info online,
// /info playtime and the Activity Points economy read them.

// Session sources.
const (
	SessionSourceLog         = "log"
	SessionSourceListPlayers = "listplayers"
)

// Session is one stay of a player on a server. Left is zero while open.
type Session struct {
	ID        int64
	ServiceID int64
	EOSID     string
	Name      string
	Joined    time.Time
	Left      time.Time // zero: still online
	Seen      time.Time // last time the player was seen online
	Source    string
}

// Open reports whether the player is still online in this session.
func (s Session) Open() bool { return s.Left.IsZero() }

// OnlinePlayer is one entry of a roster poll.
type OnlinePlayer struct {
	EOSID string
	Name  string
}

const (
	maxSessionName  = 128
	maxSessionScope = 64 // servers one query may name
)

// sessionsTx runs fn in a transaction, committed when fn returns nil.
func (db *DB) sessionsTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func checkSessionPlayer(serviceID int64, eos string) error {
	if serviceID <= 0 {
		return fmt.Errorf("%w: session service id %d", ErrInvalid, serviceID)
	}
	if eos == "" || len(eos) > 64 {
		return fmt.Errorf("%w: session EOS id must be 1-64 bytes", ErrInvalid)
	}
	return nil
}

// SessionJoin records that a player joined at (a join line): it opens a
// session unless one is open, in which case only name and seen_at move.
func (db *DB) SessionJoin(ctx context.Context, serviceID int64, eos, name string, at time.Time, source string) error {
	eos = strings.ToLower(eos)
	if err := checkSessionPlayer(serviceID, eos); err != nil {
		return err
	}
	return wrap2("session join", db.sessionsTx(ctx, func(tx *sql.Tx) error {
		return sessionSeenTx(ctx, tx, serviceID, eos, name, at, source)
	}))
}

func sessionSeenTx(ctx context.Context, tx *sql.Tx, serviceID int64, eos, name string, at time.Time, source string) error {
	name = capText(name, maxSessionName)
	// A session a roster poll opened started at the poll that first listed
	// the player; an earlier join (the join line, the roster lagging behind
	// it) moves its start back.
	res, err := tx.ExecContext(ctx, `UPDATE sessions SET seen_at = max(seen_at, ?),
	joined_at = CASE WHEN source = 'listplayers' AND ? < joined_at THEN ? ELSE joined_at END,
	name = CASE WHEN ? = '' THEN name ELSE ? END
	WHERE service_id = ? AND eos_id = ? AND left_at IS NULL`, at.UnixNano(), at.UnixNano(), at.UnixNano(), name, name, serviceID, eos)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO sessions (service_id, eos_id, name, joined_at, source, seen_at)
	VALUES (?, ?, ?, ?, ?, ?)`, serviceID, eos, name, at.UnixNano(), source, at.UnixNano())
	return err
}

// SessionLeave closes the player's open session at at (a leave line). A
// leave without an open session is ignored. A leave stamped before the
// session's join (clock skew between sources) closes it at the join.
func (db *DB) SessionLeave(ctx context.Context, serviceID int64, eos string, at time.Time) error {
	eos = strings.ToLower(eos)
	if err := checkSessionPlayer(serviceID, eos); err != nil {
		return err
	}
	_, err := db.db.ExecContext(ctx, `UPDATE sessions SET left_at = max(joined_at, ?), seen_at = max(seen_at, ?)
	WHERE service_id = ? AND eos_id = ? AND left_at IS NULL`, at.UnixNano(), at.UnixNano(), serviceID, eos)
	return wrap2("session leave", err)
}

// SessionsRoster applies a ListPlayers poll taken at at: players online
// get a session (opened at at unless one is open) and seen_at = at, in one
// transaction. Players who left are closed with SessionsGone (the feed
// diffs consecutive rosters, so a player a roster never listed, e.g. one
// still loading after the join line, is not closed by it).
func (db *DB) SessionsRoster(ctx context.Context, serviceID int64, online []OnlinePlayer, at time.Time) error {
	if serviceID <= 0 {
		return fmt.Errorf("%w: session service id %d", ErrInvalid, serviceID)
	}
	return wrap2("sessions roster", db.sessionsTx(ctx, func(tx *sql.Tx) error {
		for _, p := range online {
			eos := strings.ToLower(p.EOSID)
			if checkSessionPlayer(serviceID, eos) != nil {
				continue
			}
			if err := sessionSeenTx(ctx, tx, serviceID, eos, p.Name, at, SessionSourceListPlayers); err != nil {
				return err
			}
		}
		return nil
	}))
}

// SessionsGone closes the open sessions of players who dropped out of the
// roster at their seen_at, the last poll that listed them.
func (db *DB) SessionsGone(ctx context.Context, serviceID int64, eosIDs []string) error {
	return wrap2("sessions gone", db.sessionsTx(ctx, func(tx *sql.Tx) error {
		for _, eos := range eosIDs {
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET left_at = seen_at
			WHERE service_id = ? AND eos_id = ? AND left_at IS NULL`, serviceID, strings.ToLower(eos)); err != nil {
				return err
			}
		}
		return nil
	}))
}

// SessionsCloseBefore closes the open sessions of a server that began
// before at (the game server restarted at at: its log was reopened) at the
// last time the player was seen, never later than at. Sessions opened at
// or after at (players back after the restart) stay open.
func (db *DB) SessionsCloseBefore(ctx context.Context, serviceID int64, at time.Time) (int64, error) {
	if serviceID <= 0 {
		return 0, fmt.Errorf("%w: session service id %d", ErrInvalid, serviceID)
	}
	res, err := db.db.ExecContext(ctx, `UPDATE sessions SET left_at = max(joined_at, min(seen_at, ?))
	WHERE service_id = ? AND left_at IS NULL AND joined_at < ?`, at.UnixNano(), serviceID, at.UnixNano())
	if err != nil {
		return 0, wrap("sessions close before", err)
	}
	return res.RowsAffected()
}

// SessionsCloseOpen closes every open session of a server (serviceID 0:
// of every server) at its seen_at, the last time the player was seen; it
// is called when the appliance starts and when a game server restarts.
func (db *DB) SessionsCloseOpen(ctx context.Context, serviceID int64) (int64, error) {
	q, args := `UPDATE sessions SET left_at = seen_at WHERE left_at IS NULL`, []any{}
	if serviceID != 0 {
		q, args = q+` AND service_id = ?`, append(args, serviceID)
	}
	res, err := db.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, wrap("sessions close open", err)
	}
	return res.RowsAffected()
}

const sessionCols = `id, service_id, eos_id, name, joined_at, left_at, source, seen_at`

func scanSession(r rowScanner) (Session, error) {
	var s Session
	var joined, seen int64
	var left sql.NullInt64
	if err := r.Scan(&s.ID, &s.ServiceID, &s.EOSID, &s.Name, &joined, &left, &s.Source, &seen); err != nil {
		return Session{}, err
	}
	s.Joined, s.Seen = time.Unix(0, joined).UTC(), time.Unix(0, seen).UTC()
	if left.Valid {
		s.Left = time.Unix(0, left.Int64).UTC()
	}
	return s, nil
}

func sessionScope(serviceIDs []int64) (string, []any, error) {
	if len(serviceIDs) == 0 || len(serviceIDs) > maxSessionScope {
		return "", nil, fmt.Errorf("%w: scope of %d servers (want 1-%d)", ErrInvalid, len(serviceIDs), maxSessionScope)
	}
	args := make([]any, len(serviceIDs))
	for i, id := range serviceIDs {
		args[i] = id
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?,", len(serviceIDs)), ",") + ")", args, nil
}

// OnlineNow returns the open sessions on the given servers, by server and
// join time (for /info online).
func (db *DB) OnlineNow(ctx context.Context, serviceIDs []int64) ([]Session, error) {
	in, args, err := sessionScope(serviceIDs)
	if err != nil {
		return nil, err
	}
	return db.querySessions(ctx, "online now", `SELECT `+sessionCols+` FROM sessions
	WHERE left_at IS NULL AND service_id IN `+in+` ORDER BY service_id, joined_at, id`, args...)
}

// PlaySessions returns a player's sessions on the given servers that
// overlap [since, now), oldest first.
func (db *DB) PlaySessions(ctx context.Context, serviceIDs []int64, eos string, since time.Time) ([]Session, error) {
	in, args, err := sessionScope(serviceIDs)
	if err != nil {
		return nil, err
	}
	args = append(args, strings.ToLower(eos), since.UnixNano())
	return db.querySessions(ctx, "play sessions", `SELECT `+sessionCols+` FROM sessions
	WHERE service_id IN `+in+` AND eos_id = ? AND coalesce(left_at, seen_at) >= ? ORDER BY joined_at, id`, args...)
}

// Playtime is a player's time online on the given servers since since
// (sessions clipped to it); open sessions count up to their seen_at, so a
// crashed appliance never inflates it. It also returns the session count.
func (db *DB) Playtime(ctx context.Context, serviceIDs []int64, eos string, since time.Time) (time.Duration, int, error) {
	ss, err := db.PlaySessions(ctx, serviceIDs, eos, since)
	if err != nil {
		return 0, 0, err
	}
	var total time.Duration
	for _, s := range ss {
		from, to := s.Joined, s.Left
		if to.IsZero() {
			to = s.Seen
		}
		if from.Before(since) {
			from = since
		}
		if to.After(from) {
			total += to.Sub(from)
		}
	}
	return total, len(ss), nil
}

// SessionPlayerByName finds the EOS id of the most recent session whose name is
// name (case-insensitive, ASCII), for "/info playtime <player>".
func (db *DB) SessionPlayerByName(ctx context.Context, serviceIDs []int64, name string) (string, error) {
	in, args, err := sessionScope(serviceIDs)
	if err != nil {
		return "", err
	}
	args = append(args, name)
	var eos string
	err = db.db.QueryRowContext(ctx, `SELECT eos_id FROM sessions WHERE service_id IN `+in+`
	AND name = ? COLLATE NOCASE ORDER BY joined_at DESC LIMIT 1`, args...).Scan(&eos)
	if err == sql.ErrNoRows {
		return "", fmt.Errorf("storage: player %q: %w", name, ErrNotFound)
	}
	return eos, wrap2("player by name", err)
}

func (db *DB) querySessions(ctx context.Context, op, q string, args ...any) ([]Session, error) {
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, s)
	}
	return out, wrap2(op, rows.Err())
}
