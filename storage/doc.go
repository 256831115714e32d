// Package storage keeps Bliss's durable state in embedded, pure-Go stores:
// SQLite (modernc.org/sqlite) for relational data with embedded numbered
// migrations, and, in sub-packages, a bbolt state store for cursors and stale
// cache entries and a ristretto TTL cache with expiry callbacks.
//
// Open applies every migration in migrations/*.sql (NNNN_name.sql, each in
// its own transaction) and refuses a database that records a migration this
// binary does not know (ErrSchemaTooNew), so a downgrade never runs against a
// newer schema. Other packages add their tables by dropping the next numbered
// file into migrations/; the runner has no per-table knowledge.
//
// Every method that touches the database takes a context first. Callers
// branch on ErrNotFound, ErrConflict and ErrInvalid with errors.Is.
package storage
