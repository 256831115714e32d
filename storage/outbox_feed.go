package storage

import (
	"context"
	"time"
)

// Outbox helpers of the live feed (jobs/livefeed), on top of outbox.go.

// RecordStreamCreated is RecordStream reporting, per item, whether it was
// new (the feed applies play sessions only for events seen the first time).
func (db *DB) RecordStreamCreated(ctx context.Context, cursorKey, cursorValue string, items []OutboxItem) (created []bool, err error) {
	op := "record stream " + cursorKey
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	now := time.Now()
	created = make([]bool, len(items))
	for i, it := range items {
		_, ok, err := outboxAddTx(ctx, tx, it, now)
		if err != nil {
			return nil, wrap(op, err)
		}
		created[i] = ok
	}
	if cursorKey != "" {
		if err := setCursorTx(ctx, tx, cursorKey, cursorValue, now); err != nil {
			return nil, wrap(op, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, wrap(op, err)
	}
	return created, nil
}

// OutboxDoneBatch marks rows done and deletes the cursor batchKey (the
// record of which rows one Discord message carries), in one transaction.
func (db *DB) OutboxDoneBatch(ctx context.Context, ids []int64, batchKey string) (err error) {
	const op = "outbox done batch"
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return wrap(op, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	now := time.Now().UnixNano()
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'done', last_error = '', updated_at = ? WHERE id = ?`, now, id); err != nil {
			return wrap(op, err)
		}
	}
	if batchKey != "" {
		if _, err := tx.ExecContext(ctx, `DELETE FROM cursors WHERE key = ?`, batchKey); err != nil {
			return wrap(op, err)
		}
	}
	return wrap2(op, tx.Commit())
}

// OutboxRecent returns the rows of kind for a server created at or after
// since, oldest first (the feed reconciles them with the game log).
func (db *DB) OutboxRecent(ctx context.Context, kind string, serviceID int64, since time.Time) ([]OutboxItem, error) {
	op := "outbox recent " + kind
	rows, err := db.db.QueryContext(ctx, `SELECT `+outboxCols+` FROM outbox
	WHERE kind = ? AND service_id = ? AND created_at >= ? ORDER BY id`, kind, serviceID, since.UnixNano())
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
	return out, wrap2(op, rows.Err())
}
