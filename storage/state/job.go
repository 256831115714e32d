package state

import (
	"bytes"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Job states are the scheduler's own values (jobs.JobState), stored as the
// JSON their owner encodes: the store keeps no look-alike struct of its own,
// so a field the scheduler adds is persisted without an edit here.

// JobEntry is one stored job state: the job's name and its JSON value.
type JobEntry struct {
	Name  string
	Value []byte
}

// PutJobState replaces the stored state of job name with value, a JSON
// document (the scheduler's state, encoded by the caller).
func (s *Store) PutJobState(name string, value []byte) error {
	if err := checkName("job name", name); err != nil {
		return fmt.Errorf("state: put job state: %w", err)
	}
	if !json.Valid(value) {
		return fmt.Errorf("state: put job state %q: %w: value is not JSON", name, ErrInvalid)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketJobs).Put([]byte(name), value)
	})
	if err != nil {
		return fmt.Errorf("state: put job state %q: %w", name, err)
	}
	return nil
}

// JobState returns the stored state of job name and whether it ever ran.
// The bytes are a copy (they do not alias bbolt's memory).
func (s *Store) JobState(name string) ([]byte, bool, error) {
	if err := checkName("job name", name); err != nil {
		return nil, false, fmt.Errorf("state: job state: %w", err)
	}
	var v []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		v = bytes.Clone(tx.Bucket(bucketJobs).Get([]byte(name)))
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("state: job state %q: %w", name, err)
	}
	return v, v != nil, nil
}

// JobStates returns every stored job state, ordered by name.
func (s *Store) JobStates() ([]JobEntry, error) {
	var out []JobEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketJobs).ForEach(func(k, v []byte) error {
			out = append(out, JobEntry{Name: string(k), Value: bytes.Clone(v)})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("state: job states: %w", err)
	}
	return out, nil
}
