package storage_test

import (
	"bytes"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blissark/bliss/storage"
)

func appliedMigrations(t *testing.T, db *sql.DB) []int {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestMigrations_FreshAndReapply(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "bliss.db")

	db, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	first := appliedMigrations(t, db.SQL())
	if len(first) == 0 || first[0] != 1 {
		t.Fatalf("applied = %v, want to start at 1", first)
	}
	for _, table := range []string{"guilds", "servers", "guild_settings"} {
		var n int
		err := db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, table).Scan(&n)
		if err != nil || n != 1 {
			t.Errorf("table %s: count=%d err=%v, want 1", table, n, err)
		}
	}
	var appliedAt string
	if err := db.SQL().QueryRowContext(ctx, `SELECT applied_at FROM schema_migrations WHERE version = 1`).Scan(&appliedAt); err != nil {
		t.Fatal(err)
	}
	mustGuild(t, db, "g1")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopening applies nothing and keeps data and records.
	db, err = storage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := appliedMigrations(t, db.SQL()); !equalInts(got, first) {
		t.Errorf("after reopen applied = %v, want %v", got, first)
	}
	var again string
	if err := db.SQL().QueryRowContext(ctx, `SELECT applied_at FROM schema_migrations WHERE version = 1`).Scan(&again); err != nil {
		t.Fatal(err)
	}
	if again != appliedAt {
		t.Errorf("applied_at changed on reopen: %s -> %s", appliedAt, again)
	}
	if _, err := db.Guild(ctx, "g1"); err != nil {
		t.Errorf("guild lost on reopen: %v", err)
	}
}

func TestMigrations_RefuseNewerSchema(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "bliss.db")
	db, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(ctx,
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', '2099-01-01T00:00:00Z')`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil { // checkpoints the WAL into the file
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	_, err = storage.Open(ctx, path)
	if !errors.Is(err, storage.ErrSchemaTooNew) {
		t.Fatalf("Open = %v, want ErrSchemaTooNew", err)
	}
	var tooNew *storage.SchemaTooNewError
	if !errors.As(err, &tooNew) || len(tooNew.Unknown) != 1 || tooNew.Unknown[0] != 9999 || tooNew.Latest < 1 {
		t.Errorf("SchemaTooNewError = %+v, want Unknown [9999] and Latest >= 1", tooNew)
	}
	if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "9999") {
		t.Errorf("error %q should name the path and the version", msg)
	}

	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("refused database file was modified")
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
