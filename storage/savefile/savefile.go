// Package savefile opens ARK: Survival Ascended world saves (.ark, SQLite 3
// databases) read-only and exposes them as an arksave.Source.
//
// [Open] reads the file with a small native reader of SQLite table b-trees
// (internal/btree: full rowid-order scan of game, key lookup in custom, no copies
// of rows that fit a page, values streamed page by page) and falls back to
// the pure-Go modernc.org/sqlite driver for files it does not support.
// [OpenSQLite] always uses the driver; tests use it as the oracle (identical
// game stream and custom values on every sample and on synthetic saves).
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
	"github.com/blissark/bliss/storage/savefile/internal/btree"
	_ "modernc.org/sqlite" // registers driver "sqlite"
)

// File is an open .ark save. It is safe for concurrent use.
type File struct {
	db    *sql.DB     // driver (OpenSQLite or fallback), else nil
	bt    *btree.Tree // native reader, else nil
	osf   *os.File    // file behind bt
	path  string
	mtime time.Time
	size  int64
}

// Errors that tell a person what is wrong with a file (wrapped with
// details; test with errors.Is).
var (
	ErrNotSQLite = btree.ErrNotSQLite // "not an ARK save (not a SQLite database)"
	ErrTruncated = btree.ErrTruncated // "the file is truncated or not a complete save"
	ErrCorrupt   = btree.ErrCorrupt   // "the save is corrupt"
)

var (
	_ arksave.Source         = (*File)(nil)
	_ arksave.CustomStreamer = (*File)(nil)
)

// Open opens the save at path read-only with the native reader, or with the
// SQLite driver (see OpenSQLite) when the file uses features the native
// reader does not handle (the file is never modified either way).
func Open(ctx context.Context, path string) (*File, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("savefile: open: %w", err)
	}
	osf, err := os.Open(abs)
	if err != nil {
		return nil, fmt.Errorf("savefile: open: %w", err)
	}
	st, err := osf.Stat()
	if err != nil {
		osf.Close()
		return nil, fmt.Errorf("savefile: open: %w", err)
	}
	if !st.Mode().IsRegular() {
		osf.Close()
		return nil, fmt.Errorf("savefile: open: %s is not a regular file", path)
	}
	bt, err := btree.Open(osf, st.Size())
	if errors.Is(err, btree.ErrUnsupported) {
		osf.Close()
		return OpenSQLite(ctx, path)
	}
	if err != nil {
		osf.Close()
		return nil, fmt.Errorf("savefile: open %s: %w", filepath.Base(path), err)
	}
	return &File{bt: bt, osf: osf, path: abs, mtime: st.ModTime(), size: st.Size()}, nil
}

// OpenSQLite opens the save at path with the modernc.org/sqlite driver,
// read-only and immutable (no locks, no journal, no writes), so the file is
// never modified. Immutable also means SQLite
// assumes nobody else writes it: open a downloaded or copied save, not one a
// server is writing at the same moment (a torn read shows up as failed rows
// or a container error, never as a crash).
func OpenSQLite(ctx context.Context, path string) (*File, error) {
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

// Close closes the file.
func (f *File) Close() error {
	if f.bt != nil {
		return f.osf.Close()
	}
	return f.db.Close()
}

// Native reports whether the file is read by the native b-tree reader
// (false: the SQLite driver).
func (f *File) Native() bool { return f.bt != nil }

// ModTime is the file's modification time at Open.
func (f *File) ModTime() time.Time { return f.mtime }

// Size is the file size in bytes at Open.
func (f *File) Size() int64 { return f.size }

// Custom returns a custom-table value.
func (f *File) Custom(ctx context.Context, key string) ([]byte, error) {
	if f.bt != nil {
		b, found, err := f.bt.Custom(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("savefile: custom %q: %w", key, err)
		}
		if !found {
			return nil, fmt.Errorf("savefile: custom %q: %w", key, arksave.ErrNotFound)
		}
		return b, nil
	}
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

// StreamCustom feeds a custom-table value to fn in pieces (page-sized with
// the native reader), so large values such as ActorTransforms are never held
// whole. p is valid only during the call.
func (f *File) StreamCustom(ctx context.Context, key string, fn func(p []byte) error) error {
	if f.bt == nil {
		b, err := f.Custom(ctx, key)
		if err != nil {
			return err
		}
		return fn(b)
	}
	found, err := f.bt.StreamCustom(ctx, key, fn)
	if err != nil {
		return fmt.Errorf("savefile: custom %q: %w", key, err)
	}
	if !found {
		return fmt.Errorf("savefile: custom %q: %w", key, arksave.ErrNotFound)
	}
	return nil
}

// ScanGame streams every game row in rowid order (the order of SELECT key,
// value FROM game). value is only valid during fn.
func (f *File) ScanGame(ctx context.Context, fn func(key arksave.GUID, value []byte) error) error {
	if f.bt != nil {
		if err := f.bt.ScanGame(ctx, fn); err != nil {
			return fmt.Errorf("savefile: scan: %w", err)
		}
		return nil
	}
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
