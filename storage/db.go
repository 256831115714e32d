package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// DB is the SQLite database. It is safe for concurrent use.
type DB struct {
	db   *sql.DB
	path string
	gc   groupCommit // batches small concurrent write transactions (batch.go)
	// stmts holds prepared statements of hot queries (stmtcache.go).
	stmts stmtCache

	// Now returns the current time for created_at columns. Tests may
	// replace it right after Open, before the DB is shared.
	Now func() time.Time
}

// Open opens (creating if needed) the SQLite database at path, applies
// pending migrations and returns it ready for use. The parent directory must
// exist; Open does not create it. Errors name the path.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, fmt.Errorf("storage: open: %w: empty path", ErrInvalid)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	if err := checkDir(filepath.Dir(abs)); err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", abs, err)
	}
	if err := createPrivate(abs); err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", abs, err)
	}
	if err := migrateRetry(ctx, abs); err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", abs, explain(err))
	}

	sqldb, err := sql.Open("sqlite", dsn(abs, true))
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", abs, err)
	}
	// Idle connections are kept so the per-connection DSN pragmas do not
	// re-run on every query.
	sqldb.SetMaxIdleConns(8)
	if err := sqldb.PingContext(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("storage: open %s: %w", abs, explain(err))
	}
	if err := fillFolds(ctx, sqldb); err != nil { // rows stored before migration 0014
		sqldb.Close()
		return nil, fmt.Errorf("storage: open %s: %w", abs, err)
	}
	d := &DB{db: sqldb, path: abs, Now: time.Now}
	d.gc.stmts = &d.stmts
	return d, nil
}

// migrateRetry runs the migrations, retrying for up to busyWait while
// another process holds the file: switching a fresh file to WAL can fail
// with SQLITE_BUSY at once, without SQLite's busy handler, when two
// processes (say `bliss check` and a starting service) open it together.
func migrateRetry(ctx context.Context, path string) error {
	const busyWait = 5 * time.Second
	deadline := time.Now().Add(busyWait)
	wait := 10 * time.Millisecond
	for {
		err := migrateFile(ctx, path, migrationFS)
		if err == nil || sqliteCode(err)&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// dsn builds the modernc DSN. Pragmas go in the DSN so that every pooled
// connection gets them, not just the first one. Migrations use a separate
// handle with foreign keys off, as SQLite's table-rebuild procedure requires.
func dsn(path string, foreignKeys bool) string {
	fk := "1"
	if !foreignKeys {
		fk = "0"
	}
	// busy_timeout comes first: pragmas run in order, and switching a fresh
	// file to WAL needs a lock that a concurrent opener may hold.
	return "file:" + escapePath(path) +
		"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(" + fk + ")" +
		"&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// uriEscaper escapes the characters that end or alter the path part of a
// SQLite URI filename.
var uriEscaper = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

func escapePath(p string) string { return uriEscaper.Replace(p) }

// checkDir gives a clearer error than SQLite's "unable to open database
// file" when the directory is missing or not a directory.
func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	return nil
}

// createPrivate creates the database file 0600 before SQLite opens it
// (SQLite would create it 0644 under the usual umask; its -wal and -shm
// files take the database's mode), and tightens an existing file that is
// readable by others. Creating it here also turns an unwritable directory
// into a plain "permission denied" instead of SQLite's CANTOPEN, which
// modernc reports as "out of memory (14)".
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		return f.Close()
	case errors.Is(err, fs.ErrExist):
		fi, serr := os.Stat(path)
		if serr != nil {
			return serr
		}
		if fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0 {
			if cerr := os.Chmod(path, fi.Mode().Perm()&0o700); cerr != nil && !errors.Is(cerr, fs.ErrPermission) {
				return cerr
			}
		}
		return nil
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("directory %s is not writable by this user: %w", filepath.Dir(path), err)
	}
	return err
}

// explain adds an operator hint to SQLite errors that are about the file
// rather than the query.
func explain(err error) error {
	switch sqliteCode(err) & 0xff {
	case sqlite3.SQLITE_CANTOPEN:
		return fmt.Errorf("%w (is the directory writable by this user?)", err)
	case sqlite3.SQLITE_READONLY:
		return fmt.Errorf("%w (is the file writable by this user?)", err)
	case sqlite3.SQLITE_BUSY:
		return fmt.Errorf("%w (another process holds a write lock)", err)
	}
	return err
}

// Path returns the absolute path of the database file.
func (db *DB) Path() string { return db.path }

// SQL returns the underlying handle for packages that own their own tables.
// Their schema belongs in a numbered file under migrations/.
func (db *DB) SQL() *sql.DB { return db.db }

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.db.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("storage: ping: %w", err)
	}
	return nil
}

// Close closes the database. It is safe to call more than once.
func (db *DB) Close() error {
	db.stmts.close()
	if err := db.db.Close(); err != nil {
		return fmt.Errorf("storage: close: %w", err)
	}
	return nil
}

// Backup writes a consistent snapshot of the database to dst with VACUUM
// INTO. It writes dst.tmp, syncs it and renames it over dst, so dst is
// either the old backup or the complete new one, never a partial file.
func (db *DB) Backup(ctx context.Context, dst string) (err error) {
	if dst == "" {
		return fmt.Errorf("storage: backup: %w: empty path", ErrInvalid)
	}
	tmp := dst + ".tmp"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("storage: backup %s: %w", dst, err)
	}
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if _, err := db.db.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		return fmt.Errorf("storage: backup %s: %w", dst, explain(err))
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("storage: backup %s: %w", dst, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("storage: backup %s: %w", dst, err)
	}
	if err := syncFile(filepath.Dir(dst)); err != nil {
		return fmt.Errorf("storage: backup %s: %w", dst, err)
	}
	return nil
}

// syncFile fsyncs a file or directory by path.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return f.Close()
}

// timeFormat is how timestamps are stored: UTC RFC 3339 with nanoseconds,
// which sorts lexically and reads well in the sqlite3 shell.
const timeFormat = time.RFC3339Nano

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeFormat, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse time %q: %w", s, err)
	}
	return t, nil
}

// Inspection is what `bliss check` reports about an existing database.
type Inspection struct {
	Applied int // migrations recorded in the file
	Pending int // migrations this binary would apply on Open
	// Newer: versions the file records that this binary does not know
	// (Open refuses such a file).
	Newer []int
}

// Inspect reads the database at path without changing it (read-only
// connection; no migrations): its integrity (quick_check) and how many
// migrations Open would apply.
func Inspect(ctx context.Context, path string) (Inspection, error) {
	var in Inspection
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		return in, fmt.Errorf("storage: inspect: %w", err)
	}
	if _, err := os.Stat(path); err != nil {
		return in, fmt.Errorf("storage: inspect %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", readOnlyDSN(path))
	if err != nil {
		return in, fmt.Errorf("storage: inspect %s: %w", path, err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&check); err != nil {
		return in, fmt.Errorf("storage: inspect %s: %w", path, explain(err))
	}
	if check != "ok" {
		return in, fmt.Errorf("storage: inspect %s: database is damaged: quick_check: %s", path, check)
	}
	applied := map[int]bool{}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n); err != nil {
		return in, fmt.Errorf("storage: inspect %s: %w", path, explain(err))
	}
	if n > 0 {
		rows, err := db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return in, fmt.Errorf("storage: inspect %s: %w", path, err)
		}
		defer rows.Close()
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				return in, fmt.Errorf("storage: inspect %s: %w", path, err)
			}
			applied[v] = true
		}
		if err := rows.Err(); err != nil {
			return in, fmt.Errorf("storage: inspect %s: %w", path, err)
		}
	}
	known := map[int]bool{}
	for _, m := range ms {
		known[m.version] = true
		if !applied[m.version] {
			in.Pending++
		}
	}
	for v := range applied {
		in.Applied++
		if !known[v] {
			in.Newer = append(in.Newer, v)
		}
	}
	return in, nil
}

// OpenReadOnly opens an existing database through a read-only connection,
// without applying migrations (for `bliss check`, which changes nothing on
// disk). Writes through it fail.
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", abs, err)
	}
	sqldb, err := sql.Open("sqlite", readOnlyDSN(abs))
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", abs, err)
	}
	if err := sqldb.PingContext(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("storage: open %s: %w", abs, explain(err))
	}
	d := &DB{db: sqldb, path: abs, Now: time.Now}
	d.gc.stmts = &d.stmts
	return d, nil
}

// readOnlyDSN opens path read-only without creating anything next to it.
// A read-only connection to a WAL database creates -wal and -shm files when
// they are missing; they are missing only when no process has the database
// open (a WAL connection keeps them), so then the file is opened immutable,
// which needs neither. With them present (serve running), mode=ro shares
// the live WAL index.
func readOnlyDSN(path string) string {
	q := "?mode=ro&_pragma=busy_timeout(5000)"
	if _, err := os.Stat(path + "-wal"); errors.Is(err, fs.ErrNotExist) {
		q = "?mode=ro&immutable=1"
	}
	return "file:" + escapePath(path) + q
}
