package state

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// StaleEntry is the last good copy of cached data, kept without TTL so the
// app can serve it while the upstream API is down.
type StaleEntry struct {
	Key     string    `json:"-"`
	Value   []byte    `json:"value"`
	SavedAt time.Time `json:"saved_at"`
}

// PutStale stores value under (kind, key), replacing any previous copy.
// Kind groups entries, for example "server_details".
func (s *Store) PutStale(kind, key string, value []byte, savedAt time.Time) error {
	if err := checkKindKey(kind, key); err != nil {
		return fmt.Errorf("state: put stale: %w", err)
	}
	buf, err := json.Marshal(StaleEntry{Value: value, SavedAt: savedAt.UTC()})
	if err != nil {
		return fmt.Errorf("state: put stale %s/%s: %w", kind, key, err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bucketStale).CreateBucketIfNotExists([]byte(kind))
		if err != nil {
			return err
		}
		return b.Put([]byte(key), buf)
	})
	if err != nil {
		return fmt.Errorf("state: put stale %s/%s: %w", kind, key, err)
	}
	return nil
}

// Stale returns the entry under (kind, key) and whether it exists.
func (s *Store) Stale(kind, key string) (StaleEntry, bool, error) {
	if err := checkKindKey(kind, key); err != nil {
		return StaleEntry{}, false, fmt.Errorf("state: stale: %w", err)
	}
	var e StaleEntry
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketStale).Bucket([]byte(kind))
		if b == nil {
			return nil
		}
		raw := b.Get([]byte(key))
		if raw == nil {
			return nil
		}
		ok = true
		return decodeStale(key, raw, &e)
	})
	if err != nil {
		return StaleEntry{}, false, fmt.Errorf("state: stale %s/%s: %w", kind, key, err)
	}
	return e, ok, nil
}

// StaleAll returns every entry of kind in key order. Entries are copied
// out so callers may take their time without holding a transaction open.
func (s *Store) StaleAll(kind string) ([]StaleEntry, error) {
	if err := checkName("kind", kind); err != nil {
		return nil, fmt.Errorf("state: stale all: %w", err)
	}
	var es []StaleEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketStale).Bucket([]byte(kind))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var e StaleEntry
			if err := decodeStale(string(k), v, &e); err != nil {
				return err
			}
			es = append(es, e)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("state: stale all %s: %w", kind, err)
	}
	return es, nil
}

// DeleteStale removes the entry under (kind, key); a missing one is fine.
func (s *Store) DeleteStale(kind, key string) error {
	if err := checkKindKey(kind, key); err != nil {
		return fmt.Errorf("state: delete stale: %w", err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketStale).Bucket([]byte(kind))
		if b == nil {
			return nil
		}
		return b.Delete([]byte(key))
	})
	if err != nil {
		return fmt.Errorf("state: delete stale %s/%s: %w", kind, key, err)
	}
	return nil
}

func decodeStale(key string, raw []byte, e *StaleEntry) error {
	// json.Unmarshal copies into fresh memory, so nothing aliases bbolt's.
	if err := json.Unmarshal(raw, e); err != nil {
		return fmt.Errorf("decode %s: %w", key, err)
	}
	e.Key = key
	if e.Value == nil {
		e.Value = []byte{}
	}
	return nil
}

func checkKindKey(kind, key string) error {
	if err := checkName("kind", kind); err != nil {
		return err
	}
	return checkName("key", key)
}
