package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/blissark/bliss/jobs"
	"github.com/blissark/bliss/storage/state"
)

// jobStateStore persists scheduler states in bbolt (jobs.StateStore), so
// a restart keeps each job's last run, error and counters (/status does not
// say "never parsed" after every restart). The record is the scheduler's
// own jobs.JobState, stored as its JSON: no look-alike struct in between.
type jobStateStore struct{ st *state.Store }

func (s jobStateStore) PutJobState(_ context.Context, js jobs.JobState) error {
	b, err := json.Marshal(js)
	if err != nil {
		return fmt.Errorf("job state %q: %w", js.Name, err)
	}
	return s.st.PutJobState(js.Name, b)
}

// restoreJobStates seeds the scheduler with the states saved by the
// previous process; jobs added later under the same names start from them.
// A record that does not decode is logged and skipped.
func restoreJobStates(s *jobs.Scheduler, st *state.Store, log *slog.Logger) {
	saved, err := st.JobStates()
	if err != nil {
		log.Warn("restore job states", "err", err)
		return
	}
	out := make([]jobs.JobState, 0, len(saved))
	for _, e := range saved {
		var js jobs.JobState
		if err := json.Unmarshal(e.Value, &js); err != nil {
			log.Warn("restore job state", "job", e.Name, "err", err)
			continue
		}
		js.Name = e.Name
		out = append(out, js)
	}
	s.Restore(out)
}
