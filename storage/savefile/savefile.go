// Package savefile opens ARK: Survival Ascended world saves (.ark, SQLite 3
// databases) read-only with the pure-Go modernc.org/sqlite driver and exposes
// them as an arksave.Source.
package savefile

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/blissark/bliss/arksave"
	_ "modernc.org/sqlite" // registers driver "sqlite"
)

// File is an open .ark save. It is safe for concurrent use.
type File struct {
	db    *sql.DB
	path  string
	mtime time.Time
	size  int64
}

var _ arksave.Source = (*File)(nil)

// Open opens the save at path read-only and immutable (no locks, no journal,
// no writes), so the file is never modified. Immutable also means SQLite
// assumes nobody else writes it: open a downloaded or copied save, not one a
// server is writing at the same moment (a torn read shows up as failed rows
// or a container error, never as a crash).
func Open(ctx context.Context, path string) (*File, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("savefile: open: %w", err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("savefile: open: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("savefile: open: %s is not a regular file", path)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: "mode=ro&immutable=1"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, fmt.Errorf("savefile: open: %w", err)
	}
	db.SetMaxOpenConns(4) // one scan plus concurrent Custom reads
	f := &File{db: db, path: abs, mtime: st.ModTime(), size: st.Size()}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN ('game','custom')").Scan(&n); err != nil {
		db.Close()
		return nil, fmt.Errorf("savefile: open %s: %w", filepath.Base(path), err)
	}
	if n != 2 {
		db.Close()
		return nil, fmt.Errorf("savefile: open %s: not an ASA save (missing game/custom tables)", filepath.Base(path))
	}
	return f, nil
}

// Close closes the database.
func (f *File) Close() error { return f.db.Close() }

// ModTime is the file's modification time at Open.
func (f *File) ModTime() time.Time { return f.mtime }

// Size is the file size in bytes at Open.
func (f *File) Size() int64 { return f.size }

// Custom returns a custom-table value.
func (f *File) Custom(ctx context.Context, key string) ([]byte, error) {
	var b []byte
	err := f.db.QueryRowContext(ctx, "SELECT value FROM custom WHERE key = ?", key).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("savefile: custom %q: %w", key, arksave.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("savefile: custom %q: %w", key, err)
	}
	return b, nil
}

// ScanGame streams every game row. value is only valid during fn.
func (f *File) ScanGame(ctx context.Context, fn func(key arksave.GUID, value []byte) error) error {
	rows, err := f.db.QueryContext(ctx, "SELECT key, value FROM game")
	if err != nil {
		return fmt.Errorf("savefile: scan: %w", err)
	}
	defer rows.Close()
	var key, val sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&key, &val); err != nil {
			return fmt.Errorf("savefile: scan: %w", err)
		}
		var g arksave.GUID
		if len(key) != len(g) {
			return fmt.Errorf("savefile: scan: key of %d bytes", len(key))
		}
		copy(g[:], key)
		if err := fn(g, val); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("savefile: scan: %w", err)
	}
	return nil
}
