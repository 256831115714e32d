package state

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// JobState is what /status shows about a scheduled job. The scheduler
// computes it and PutJobState replaces the stored copy.
type JobState struct {
	Name                string        `json:"name"`
	LastRun             time.Time     `json:"last_run"`
	LastDuration        time.Duration `json:"last_duration"`
	LastErr             string        `json:"last_err,omitempty"` // "" when the last run succeeded
	LastSuccess         time.Time     `json:"last_success,omitzero"`
	ConsecutiveFailures int           `json:"consecutive_failures,omitempty"`
}

// PutJobState stores the state of job name (js.Name is set to name).
func (s *Store) PutJobState(name string, js JobState) error {
	if err := checkName("job name", name); err != nil {
		return fmt.Errorf("state: put job state: %w", err)
	}
	js.Name = name
	buf, err := json.Marshal(js)
	if err != nil {
		return fmt.Errorf("state: put job state %q: %w", name, err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketJobs).Put([]byte(name), buf)
	})
	if err != nil {
		return fmt.Errorf("state: put job state %q: %w", name, err)
	}
	return nil
}

// JobState returns the state of job name and whether it ever ran.
func (s *Store) JobState(name string) (JobState, bool, error) {
	if err := checkName("job name", name); err != nil {
		return JobState{}, false, fmt.Errorf("state: job state: %w", err)
	}
	var js JobState
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketJobs).Get([]byte(name))
		if raw == nil {
			return nil
		}
		ok = true
		return decodeJob(name, raw, &js)
	})
	if err != nil {
		return JobState{}, false, fmt.Errorf("state: job state %q: %w", name, err)
	}
	return js, ok, nil
}

// JobStates returns all job states ordered by name.
func (s *Store) JobStates() ([]JobState, error) {
	var jss []JobState
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketJobs).ForEach(func(k, v []byte) error {
			var js JobState
			if err := decodeJob(string(k), v, &js); err != nil {
				return err
			}
			jss = append(jss, js)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("state: job states: %w", err)
	}
	return jss, nil
}

func decodeJob(name string, raw []byte, js *JobState) error {
	if err := json.Unmarshal(raw, js); err != nil {
		return fmt.Errorf("decode %s: %w", name, err)
	}
	js.Name = name
	return nil
}
