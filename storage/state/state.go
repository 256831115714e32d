package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Bucket names. They are part of the file format.
var (
	bucketCursors     = []byte("cursors")
	bucketByteCursors = []byte("byte_cursors")
	bucketStale       = []byte("stale")
	bucketJobs        = []byte("jobs")
	bucketCountdowns  = []byte("countdowns")
)

// DefaultTimeout is how long Open waits for the file lock.
const DefaultTimeout = time.Second

// Sentinel errors callers branch on with errors.Is.
var (
	ErrLocked  = errors.New("locked by another process")
	ErrInvalid = errors.New("invalid input")
)

// Options configures Open. The zero value is usable.
type Options struct {
	// Timeout bounds the wait for the file lock held by another process;
	// 0 means DefaultTimeout. bbolt would otherwise wait forever.
	Timeout time.Duration
	// Mode is the permission of a newly created file; 0 means 0600.
	Mode fs.FileMode
}

// Store is the bbolt state database.
type Store struct {
	db   *bolt.DB
	path string
}

// Open opens or creates the state file at path. If another process holds
// it, Open fails after opts.Timeout with ErrLocked.
func Open(path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, fmt.Errorf("state: open: %w: empty path", ErrInvalid)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Mode == 0 {
		opts.Mode = 0o600
	}
	db, err := bolt.Open(path, opts.Mode, &bolt.Options{Timeout: opts.Timeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("state: open %s: %w (timeout %s)", path, ErrLocked, opts.Timeout)
	}
	if err != nil {
		// Drop os.PathError's own "open PATH:" so the path appears once.
		var pe *fs.PathError
		if errors.As(err, &pe) && pe.Path == path {
			err = pe.Err
		}
		return nil, fmt.Errorf("state: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketCursors, bucketByteCursors, bucketStale, bucketJobs, bucketCountdowns} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("bucket %s: %w", b, err)
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("state: open %s: %w", path, err)
	}
	return &Store{db: db, path: path}, nil
}

// Path returns the file path the store was opened with.
func (s *Store) Path() string { return s.path }

// Close releases the file and its lock. It is safe to call more than once.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("state: close %s: %w", s.path, err)
	}
	return nil
}

// Size returns the file size in bytes, for /status.
func (s *Store) Size() (int64, error) {
	fi, err := os.Stat(s.path)
	if err != nil {
		return 0, fmt.Errorf("state: size: %w", err)
	}
	return fi.Size(), nil
}

func checkName(what, name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty %s", ErrInvalid, what)
	}
	if len(name) > bolt.MaxKeySize {
		return fmt.Errorf("%w: %s longer than %d bytes", ErrInvalid, what, bolt.MaxKeySize)
	}
	return nil
}
