package storage

import "context"

// TestPanicInGroup runs a grouped write that panics (tests only).
func (db *DB) TestPanicInGroup(ctx context.Context) error {
	return db.inTx(ctx, "panic", func(txn) error { panic("boom") })
}

// TestPanicInCleanGroup runs a savepoint-free grouped write that panics.
func (db *DB) TestPanicInCleanGroup(ctx context.Context) error {
	return db.inTxClean(ctx, "panic", func(txn) error { panic("boom") })
}
