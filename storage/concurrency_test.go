package storage_test

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/blissark/bliss/storage"
)

// Writers wait for each other (busy_timeout + BEGIN IMMEDIATE) instead of
// failing with SQLITE_BUSY.
func TestConcurrentWrites(t *testing.T) {
	t.Parallel()
	db := MustOpen(t)
	ctx := t.Context()
	mustGuild(t, db, "g")
	const n = 32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if err := db.AddServer(ctx, &storage.Server{GuildID: "g", ServiceID: int64(i + 1)}); err != nil {
				errs <- err
			}
			if _, err := db.ListServers(ctx, "g"); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if ss, err := db.ListServers(ctx, "g"); err != nil || len(ss) != n {
		t.Errorf("ListServers = %d, %v; want %d", len(ss), err, n)
	}
}

// Two processes starting on a fresh file apply each migration once.
func TestConcurrentOpen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "bliss.db")
	const n = 4
	dbs := make([]*storage.DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = storage.Open(ctx, path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("Open #%d: %v", i, errs[i])
			continue
		}
		defer dbs[i].Close()
	}
	if t.Failed() {
		return
	}
	var total, distinct int
	err := dbs[0].SQL().QueryRowContext(ctx, `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&total, &distinct)
	if err != nil || total != distinct || total == 0 {
		t.Errorf("schema_migrations: %d rows, %d versions, %v", total, distinct, err)
	}
}
