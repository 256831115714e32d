package state

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Countdowns (jobs/countdown) are job state: a scheduled restart, stop or
// start that must survive an appliance restart. Only active countdowns are
// stored; one that ends is deleted (its outcome is in the audit log). Each
// value is the JSON its owner encodes, keyed by an id from the bucket's
// sequence, so the store keeps no look-alike struct of its own.

// CountdownEntry is one stored countdown: its id and its JSON value.
type CountdownEntry struct {
	ID    int64
	Value []byte
}

func countdownKey(id int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(id)) }

// AddCountdown stores a new countdown under the next id. encode is given
// the id and returns the JSON value (it may embed the id).
func (s *Store) AddCountdown(encode func(id int64) ([]byte, error)) (int64, error) {
	var id int64
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCountdowns)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		id = int64(seq)
		v, err := encode(id)
		if err != nil {
			return err
		}
		if !json.Valid(v) {
			return fmt.Errorf("%w: value is not JSON", ErrInvalid)
		}
		return b.Put(countdownKey(id), v)
	})
	if err != nil {
		return 0, fmt.Errorf("state: add countdown: %w", err)
	}
	return id, nil
}

// PutCountdown stores value under id, replacing any value there, and
// makes later ids larger than id (for countdowns moved from an older
// store, whose ids live on in Discord buttons).
func (s *Store) PutCountdown(id int64, value []byte) error {
	if id <= 0 {
		return fmt.Errorf("state: put countdown: %w: id %d", ErrInvalid, id)
	}
	if !json.Valid(value) {
		return fmt.Errorf("state: put countdown %d: %w: value is not JSON", id, ErrInvalid)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCountdowns)
		if b.Sequence() < uint64(id) {
			if err := b.SetSequence(uint64(id)); err != nil {
				return err
			}
		}
		return b.Put(countdownKey(id), value)
	})
	if err != nil {
		return fmt.Errorf("state: put countdown %d: %w", id, err)
	}
	return nil
}

// ReserveCountdownIDs makes later ids larger than id.
func (s *Store) ReserveCountdownIDs(id int64) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCountdowns)
		if id > 0 && b.Sequence() < uint64(id) {
			return b.SetSequence(uint64(id))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("state: reserve countdown ids: %w", err)
	}
	return nil
}

// Countdown returns the value of countdown id and whether it is stored.
func (s *Store) Countdown(id int64) ([]byte, bool, error) {
	var v []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		v = bytes.Clone(tx.Bucket(bucketCountdowns).Get(countdownKey(id)))
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("state: countdown %d: %w", id, err)
	}
	return v, v != nil, nil
}

// Countdowns returns every stored countdown, by id.
func (s *Store) Countdowns() ([]CountdownEntry, error) {
	var out []CountdownEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCountdowns).ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				return fmt.Errorf("corrupt key of %d bytes", len(k))
			}
			out = append(out, CountdownEntry{ID: int64(binary.BigEndian.Uint64(k)), Value: bytes.Clone(v)})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("state: countdowns: %w", err)
	}
	return out, nil
}

// CountdownChange is what an UpdateCountdown callback decides.
type CountdownChange int

const (
	CountdownKeep   CountdownChange = iota // leave the stored value as it is
	CountdownWrite                         // store the returned value
	CountdownDelete                        // delete the countdown (it ended)
)

// UpdateCountdown reads countdown id and applies update's decision in the
// same transaction, so a concurrent cancel and progress write cannot both
// win. found is false (and update is not called) when id is not stored.
func (s *Store) UpdateCountdown(id int64, update func(old []byte) ([]byte, CountdownChange, error)) (found bool, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCountdowns)
		k := countdownKey(id)
		old := b.Get(k)
		if old == nil {
			return nil
		}
		found = true
		v, change, err := update(bytes.Clone(old))
		if err != nil {
			return err
		}
		switch change {
		case CountdownWrite:
			if !json.Valid(v) {
				return fmt.Errorf("%w: value is not JSON", ErrInvalid)
			}
			return b.Put(k, v)
		case CountdownDelete:
			return b.Delete(k)
		}
		return nil
	})
	if err != nil {
		return found, fmt.Errorf("state: update countdown %d: %w", id, err)
	}
	return found, nil
}
