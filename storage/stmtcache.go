package storage

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache holds one prepared statement per query text, so the hot paths
// (grouped writes, /info pages) skip SQLite's parser and planner, which
// were a third of a purchase's CPU time. database/sql prepares a cached
// statement once on each pooled connection that runs it; SQLite re-prepares
// it by itself after a schema change.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// maxCachedStmts bounds the cache: query texts are constants or built from
// a few shapes (placeholder counts), so the bound is never reached in
// practice; past it a query simply runs unprepared.
const maxCachedStmts = 512

// get returns the prepared statement for q, preparing it on first use. It
// returns nil (run q unprepared) when the cache is full or preparing fails;
// running q then reports the error the caller would have seen anyway.
func (c *stmtCache) get(ctx context.Context, db *sql.DB, q string) *sql.Stmt {
	c.mu.Lock()
	s, ok := c.m[q]
	full := len(c.m) >= maxCachedStmts
	c.mu.Unlock()
	if ok || full {
		return s
	}
	s, err := db.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if have, ok := c.m[q]; ok { // prepared concurrently: keep one
		_ = s.Close()
		return have
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[q] = s
	return s
}

// close finalizes every cached statement (before the pool is closed).
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.m {
		_ = s.Close()
	}
	c.m = nil
}

// query, queryRow and exec run q on the pool through the cache.
func (db *DB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s := db.stmts.get(ctx, db.db, q); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return db.db.QueryContext(ctx, q, args...)
}

func (db *DB) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if s := db.stmts.get(ctx, db.db, q); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return db.db.QueryRowContext(ctx, q, args...)
}
