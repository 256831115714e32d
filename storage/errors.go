package storage

import (
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Sentinel errors callers branch on with errors.Is.
var (
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("conflict")
	ErrInvalid      = errors.New("invalid input")
	ErrSchemaTooNew = errors.New("database schema is newer than this binary")
)

// SchemaTooNewError reports migrations recorded in the database that this
// binary does not know. It unwraps to ErrSchemaTooNew.
type SchemaTooNewError struct {
	Unknown []int // versions recorded in the database but not embedded
	Latest  int   // highest version this binary knows (0 if none)
}

func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("%v: database records migration(s) %v, binary knows up to %d; upgrade bliss or restore a backup",
		ErrSchemaTooNew, e.Unknown, e.Latest)
}

func (e *SchemaTooNewError) Unwrap() error { return ErrSchemaTooNew }

// sqliteCode returns the extended SQLite result code of err, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// constraintKind maps a SQLite constraint violation to a sentinel: a missing
// parent row (foreign key) is ErrNotFound, any other violation ErrConflict.
// It returns nil when err is not a constraint violation.
func constraintKind(err error) error {
	code := sqliteCode(err)
	switch {
	case code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return ErrNotFound
	case code&0xff == sqlite3.SQLITE_CONSTRAINT:
		return ErrConflict
	}
	return nil
}

// wrap prefixes err with "storage: op: " and, for constraint violations,
// also wraps the matching sentinel so errors.Is works on both.
func wrap(op string, err error) error {
	if kind := constraintKind(err); kind != nil {
		return fmt.Errorf("storage: %s: %w: %w", op, kind, err)
	}
	return fmt.Errorf("storage: %s: %w", op, err)
}
