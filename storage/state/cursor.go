package state

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Cursor returns the numeric cursor name (a line count, offset or
// timestamp) and whether it was ever set.
func (s *Store) Cursor(name string) (uint64, bool, error) {
	if err := checkName("cursor name", name); err != nil {
		return 0, false, fmt.Errorf("state: cursor: %w", err)
	}
	var v uint64
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCursors).Get([]byte(name))
		if b == nil {
			return nil
		}
		if len(b) != 8 {
			return fmt.Errorf("corrupt value of %d bytes", len(b))
		}
		v, ok = binary.BigEndian.Uint64(b), true
		return nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("state: cursor %q: %w", name, err)
	}
	return v, ok, nil
}

// SetCursor durably stores a numeric cursor; it is on disk when SetCursor
// returns.
func (s *Store) SetCursor(name string, v uint64) error {
	if err := checkName("cursor name", name); err != nil {
		return fmt.Errorf("state: set cursor: %w", err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCursors).Put([]byte(name), binary.BigEndian.AppendUint64(nil, v))
	})
	if err != nil {
		return fmt.Errorf("state: set cursor %q: %w", name, err)
	}
	return nil
}

// ByteCursor returns an opaque cursor (for example the last log line seen,
// or its hash) and whether it was ever set. The slice is the caller's.
func (s *Store) ByteCursor(name string) ([]byte, bool, error) {
	if err := checkName("cursor name", name); err != nil {
		return nil, false, fmt.Errorf("state: byte cursor: %w", err)
	}
	var v []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		// bbolt's slices are only valid inside the transaction.
		if b := tx.Bucket(bucketByteCursors).Get([]byte(name)); b != nil {
			v = bytes.Clone(b)
			if v == nil {
				v = []byte{}
			}
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("state: byte cursor %q: %w", name, err)
	}
	return v, v != nil, nil
}

// SetByteCursor durably stores an opaque cursor. An empty value is stored
// as set-but-empty.
func (s *Store) SetByteCursor(name string, v []byte) error {
	if err := checkName("cursor name", name); err != nil {
		return fmt.Errorf("state: set byte cursor: %w", err)
	}
	if v == nil {
		v = []byte{}
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketByteCursors).Put([]byte(name), v)
	})
	if err != nil {
		return fmt.Errorf("state: set byte cursor %q: %w", name, err)
	}
	return nil
}

// DeleteCursor forgets both the numeric and the byte cursor name.
func (s *Store) DeleteCursor(name string) error {
	if err := checkName("cursor name", name); err != nil {
		return fmt.Errorf("state: delete cursor: %w", err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketCursors).Delete([]byte(name)); err != nil {
			return err
		}
		return tx.Bucket(bucketByteCursors).Delete([]byte(name))
	})
	if err != nil {
		return fmt.Errorf("state: delete cursor %q: %w", name, err)
	}
	return nil
}
