package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// OutboxState is where an outbox row stands.
type OutboxState string

// Outbox states. Pending rows are due once NextAt has passed; Unconfirmed
// rows were performed but nothing proved they took effect (an RCON command
// with a silent reply): they are never retried blindly, staff resolve them.
const (
	OutboxPending     OutboxState = "pending"
	OutboxDone        OutboxState = "done"
	OutboxUnconfirmed OutboxState = "unconfirmed"
	OutboxFailed      OutboxState = "failed"
)

// OutboxItem is one thing to do exactly once outside the process.
type OutboxItem struct {
	ID        int64
	Kind      string // "chat", "log", "delivery", ...
	Key       string // idempotency key, unique across kinds
	GuildID   string
	ServiceID int64
	Target    string // consumer-defined: a channel or thread id, a player id
	Payload   []byte // consumer-defined, usually JSON
	State     OutboxState
	Attempts  int
	NextAt    time.Time
	LastError string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// maxOutboxPayload bounds one row; a chat batch or an order is far smaller.
const maxOutboxPayload = 1 << 20

// OutboxNonce is the Discord nonce for row id (Discord allows 25
// characters): sent with enforce_nonce, it makes a re-sent post after a
// crash return the first message instead of a second one.
func OutboxNonce(id int64) string { return "bl" + strconv.FormatInt(id, 36) }

// execer is what outbox writes need: a *sql.DB or a *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func checkOutboxItem(it OutboxItem) error {
	switch {
	case it.Kind == "" || len(it.Kind) > 32:
		return fmt.Errorf("%w: outbox kind must be 1-32 bytes", ErrInvalid)
	case it.Key == "" || len(it.Key) > 512:
		return fmt.Errorf("%w: outbox key must be 1-512 bytes", ErrInvalid)
	case len(it.Payload) > maxOutboxPayload:
		return fmt.Errorf("%w: outbox payload of %d bytes exceeds %d", ErrInvalid, len(it.Payload), maxOutboxPayload)
	}
	return nil
}

// outboxAddTx inserts it unless a row with its Key exists. It returns the
// row's id (the existing one on a duplicate) and whether it was created.
// Callers inside storage use it to commit a row with other writes (a
// ledger debit and its delivery) in one transaction.
func outboxAddTx(ctx context.Context, x execer, it OutboxItem, now time.Time) (int64, bool, error) {
	if err := checkOutboxItem(it); err != nil {
		return 0, false, err
	}
	if it.Payload == nil {
		it.Payload = []byte{}
	}
	next := int64(0)
	if !it.NextAt.IsZero() {
		next = it.NextAt.UnixNano()
	}
	res, err := x.ExecContext(ctx, `INSERT INTO outbox
	(kind, key, guild_id, service_id, target, payload, state, next_at, created_at, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
		it.Kind, it.Key, it.GuildID, it.ServiceID, it.Target, it.Payload, next, now.UnixNano(), now.UnixNano())
	if err != nil {
		return 0, false, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		id, err := res.LastInsertId()
		return id, true, err
	}
	var id int64
	if err := x.QueryRowContext(ctx, `SELECT id FROM outbox WHERE key = ?`, it.Key).Scan(&id); err != nil {
		return 0, false, err
	}
	return id, false, nil
}

// OutboxAdd records it once: a second add with the same Key returns the
// first row's id and created=false.
func (db *DB) OutboxAdd(ctx context.Context, it OutboxItem) (id int64, created bool, err error) {
	id, created, err = outboxAddTx(ctx, db.db, it, time.Now())
	if err != nil {
		return 0, false, wrap("outbox add "+it.Kind, err)
	}
	return id, created, nil
}

// RecordStream commits what was read from a stream: it inserts items
// (deduplicated on Key) and sets cursor key to value, in one transaction,
// so a crash leaves either both or neither. An empty cursorKey records the
// items only. It returns how many items were new.
func (db *DB) RecordStream(ctx context.Context, cursorKey, cursorValue string, items []OutboxItem) (created int, err error) {
	op := "record stream " + cursorKey
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, wrap(op, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	now := time.Now()
	for _, it := range items {
		_, ok, err := outboxAddTx(ctx, tx, it, now)
		if err != nil {
			return 0, wrap(op, err)
		}
		if ok {
			created++
		}
	}
	if cursorKey != "" {
		if err := setCursorTx(ctx, tx, cursorKey, cursorValue, now); err != nil {
			return 0, wrap(op, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, wrap(op, err)
	}
	return created, nil
}

func setCursorTx(ctx context.Context, x execer, key, value string, now time.Time) error {
	if key == "" || len(key) > 256 {
		return fmt.Errorf("%w: cursor key must be 1-256 bytes", ErrInvalid)
	}
	_, err := x.ExecContext(ctx, `INSERT INTO cursors (key, value, updated_at) VALUES (?, ?, ?)
	ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, value, now.UnixNano())
	return err
}

// SetCursor sets a durable cursor without recording items.
func (db *DB) SetCursor(ctx context.Context, key, value string) error {
	if err := setCursorTx(ctx, db.db, key, value, time.Now()); err != nil {
		return wrap("set cursor "+key, err)
	}
	return nil
}

// Cursor returns a durable cursor's value, "" when unset.
func (db *DB) Cursor(ctx context.Context, key string) (string, error) {
	var v string
	err := db.db.QueryRowContext(ctx, `SELECT value FROM cursors WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", wrap("cursor "+key, err)
	}
	return v, nil
}

const outboxCols = `id, kind, key, guild_id, service_id, target, payload, state, attempts, next_at, last_error, created_at, updated_at`

type rowScanner interface{ Scan(dest ...any) error }

func scanOutbox(r rowScanner) (OutboxItem, error) {
	var it OutboxItem
	var state string
	var next, created, updated int64
	if err := r.Scan(&it.ID, &it.Kind, &it.Key, &it.GuildID, &it.ServiceID, &it.Target, &it.Payload,
		&state, &it.Attempts, &next, &it.LastError, &created, &updated); err != nil {
		return OutboxItem{}, err
	}
	it.State = OutboxState(state)
	if next != 0 {
		it.NextAt = time.Unix(0, next).UTC()
	}
	it.CreatedAt, it.UpdatedAt = time.Unix(0, created).UTC(), time.Unix(0, updated).UTC()
	return it, nil
}

// OutboxDue returns up to limit pending rows of kind whose NextAt has
// passed at now, oldest first (the order they were recorded in).
func (db *DB) OutboxDue(ctx context.Context, kind string, now time.Time, limit int) ([]OutboxItem, error) {
	op := "outbox due " + kind
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.db.QueryContext(ctx, `SELECT `+outboxCols+` FROM outbox
	WHERE kind = ? AND state = 'pending' AND next_at <= ? ORDER BY id LIMIT ?`, kind, now.UnixNano(), limit)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []OutboxItem
	for rows.Next() {
		it, err := scanOutbox(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// OutboxGet returns one row, or ErrNotFound.
func (db *DB) OutboxGet(ctx context.Context, id int64) (OutboxItem, error) {
	it, err := scanOutbox(db.db.QueryRowContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return OutboxItem{}, fmt.Errorf("storage: outbox row %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return OutboxItem{}, wrap(fmt.Sprintf("outbox row %d", id), err)
	}
	return it, nil
}

// OutboxByKey returns the row recorded under key, or ErrNotFound.
func (db *DB) OutboxByKey(ctx context.Context, key string) (OutboxItem, error) {
	it, err := scanOutbox(db.db.QueryRowContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE key = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return OutboxItem{}, fmt.Errorf("storage: outbox key %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return OutboxItem{}, wrap("outbox key", err)
	}
	return it, nil
}

func (db *DB) outboxUpdate(ctx context.Context, op string, q string, args ...any) error {
	res, err := db.db.ExecContext(ctx, q, args...)
	if err != nil {
		return wrap(op, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage: %s: %w", op, ErrNotFound)
	}
	return nil
}

// OutboxDone marks a row performed. Marking a done row again is harmless.
func (db *DB) OutboxDone(ctx context.Context, id int64) error {
	return db.outboxUpdate(ctx, fmt.Sprintf("outbox done %d", id),
		`UPDATE outbox SET state = 'done', last_error = '', updated_at = ? WHERE id = ?`, time.Now().UnixNano(), id)
}

// OutboxRetry counts a failed attempt and leaves the row pending until next.
func (db *DB) OutboxRetry(ctx context.Context, id int64, next time.Time, errText string) error {
	return db.outboxUpdate(ctx, fmt.Sprintf("outbox retry %d", id),
		`UPDATE outbox SET attempts = attempts + 1, next_at = ?, last_error = ?, updated_at = ?
		WHERE id = ? AND state = 'pending'`, next.UnixNano(), capText(errText, 1000), time.Now().UnixNano(), id)
}

// OutboxSetState moves a row to state (unconfirmed, failed, done, or back to
// pending for a staff "resend"), with an optional note.
func (db *DB) OutboxSetState(ctx context.Context, id int64, state OutboxState, errText string) error {
	switch state {
	case OutboxPending, OutboxDone, OutboxUnconfirmed, OutboxFailed:
	default:
		return fmt.Errorf("storage: outbox state %q: %w", state, ErrInvalid)
	}
	return db.outboxUpdate(ctx, fmt.Sprintf("outbox %d to %s", id, state),
		`UPDATE outbox SET state = ?, last_error = ?, next_at = 0, updated_at = ? WHERE id = ?`,
		string(state), capText(errText, 1000), time.Now().UnixNano(), id)
}

// OutboxCounts returns the number of rows of kind in each state.
func (db *DB) OutboxCounts(ctx context.Context, kind string) (map[OutboxState]int, error) {
	op := "outbox counts " + kind
	rows, err := db.db.QueryContext(ctx, `SELECT state, count(*) FROM outbox WHERE kind = ? GROUP BY state`, kind)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	out := map[OutboxState]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, wrap(op, err)
		}
		out[OutboxState(s)] = n
	}
	return out, wrap2(op, rows.Err())
}

// OutboxPrune deletes done rows older than before, keeping the table small;
// their keys stop deduplicating then, so before must be well past any
// window in which the same thing could be recorded again.
func (db *DB) OutboxPrune(ctx context.Context, kind string, before time.Time) (int64, error) {
	res, err := db.db.ExecContext(ctx, `DELETE FROM outbox WHERE kind = ? AND state = 'done' AND updated_at < ?`,
		kind, before.UnixNano())
	if err != nil {
		return 0, wrap("outbox prune "+kind, err)
	}
	return res.RowsAffected()
}

func wrap2(op string, err error) error {
	if err == nil {
		return nil
	}
	return wrap(op, err)
}

func capText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 { // do not cut a UTF-8 sequence
		n--
	}
	return s[:n]
}
