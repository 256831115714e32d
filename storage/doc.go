// Package storage keeps Bliss's durable state in embedded, pure-Go stores:
// SQLite (modernc.org/sqlite) for relational data with embedded numbered
// migrations, and, in sub-packages, a bbolt state store for cursors and stale
// cache entries and a ristretto TTL cache with expiry callbacks.
package storage
