package storage_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/blissark/bliss/storage"
)

// MustOpen opens a fresh database file under tb.TempDir and closes it at
// the end of the test.
func MustOpen(tb testing.TB) *storage.DB {
	tb.Helper()
	db, err := storage.Open(tb.Context(), filepath.Join(tb.TempDir(), "bliss.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Error(err)
		}
	})
	return db
}

func TestOpen_PragmasOnEveryConnection(t *testing.T) {
	t.Parallel()
	db := MustOpen(t)
	ctx := t.Context()

	// Hold n connections at once so the pool must open distinct ones.
	const n = 16
	conns := make([]*sql.Conn, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			c, err := db.SQL().Conn(ctx)
			if err != nil {
				errs <- err
				return
			}
			conns[i] = c
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i, c := range conns {
		var fk, busy int
		var mode string
		if err := c.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&busy); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if fk != 1 || busy != 5000 || mode != "wal" {
			t.Errorf("conn %d: foreign_keys=%d busy_timeout=%d journal_mode=%s, want 1 5000 wal", i, fk, busy, mode)
		}
		// Enforcement, not just the pragma value.
		_, err := c.ExecContext(ctx, `INSERT INTO servers (guild_id, service_id, created_at) VALUES ('nope', ?, 'x')`, i+1)
		if err == nil {
			t.Errorf("conn %d: insert with missing guild succeeded, want foreign key error", i)
		}
	}
	for _, c := range conns {
		c.Close()
	}
}

func TestOpen_BadDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "nope", "bliss.db"), "no such file or directory"},
		{"not a directory", filepath.Join(file, "bliss.db"), "is not a directory"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := storage.Open(t.Context(), tt.path)
			if err == nil {
				t.Fatal("Open succeeded, want error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "storage: open "+tt.path+": ") || !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Errorf("error = %q, want one line naming %s and containing %q", msg, tt.path, tt.want)
			}
		})
	}
}

// TestOpen_Locked takes busy_timeout (5s): another process holding an
// exclusive lock must give a clear error, not a hang.
func TestOpen_Locked(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for busy_timeout; skipped with -short")
	}
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "bliss.db")
	other, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{`BEGIN EXCLUSIVE`, `CREATE TABLE t (x)`} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	defer conn.ExecContext(context.Background(), `ROLLBACK`)

	_, err = storage.Open(ctx, path)
	if err == nil {
		t.Fatal("Open of a locked database succeeded")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "storage: open "+path+": ") || !strings.Contains(msg, "locked") {
		t.Errorf("error = %q, want it to name %s and say locked", msg, path)
	}
	if testing.Verbose() {
		t.Log(msg)
	}
}

func TestOpen_OddPath(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a b#c?d%20")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "bliss.db")
	db, err := storage.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not created at the exact path: %v", err)
	}
}

func TestPingClose(t *testing.T) {
	t.Parallel()
	db, err := storage.Open(t.Context(), filepath.Join(t.TempDir(), "bliss.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(t.Context()); err == nil {
		t.Error("Ping after Close succeeded")
	}
}

func TestBackup(t *testing.T) {
	t.Parallel()
	db := MustOpen(t)
	ctx := t.Context()
	mustGuild(t, db, "g1")
	if err := db.AddServer(ctx, &storage.Server{GuildID: "g1", ServiceID: 42, Name: "Island", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "backup.db")
	for range 2 { // the second run replaces the first backup
		if err := db.Backup(ctx, dst); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(dst + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file left behind: %v", err)
	}
	b, err := storage.Open(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ss, err := b.ListServers(ctx, "g1")
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 1 || ss[0].ServiceID != 42 {
		t.Errorf("backup servers = %+v, want service 42", ss)
	}

	err = db.Backup(ctx, filepath.Join(t.TempDir(), "nope", "b.db"))
	if err == nil {
		t.Error("backup into a missing directory succeeded")
	}
}

func mustGuild(tb testing.TB, db *storage.DB, id string) *storage.Guild {
	tb.Helper()
	g := &storage.Guild{ID: id, Name: "guild " + id}
	if err := db.UpsertGuild(context.Background(), g); err != nil {
		tb.Fatal(err)
	}
	return g
}
