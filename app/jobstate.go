package app

import (
	"context"
	"log/slog"

	"github.com/blissark/bliss/jobs"
	"github.com/blissark/bliss/storage/state"
)

// jobStateStore persists scheduler states in bbolt (jobs.StateStore), so
// a restart keeps each job's last run and error (/status does not say
// "never parsed" after every restart).
type jobStateStore struct{ st *state.Store }

func (s jobStateStore) PutJobState(_ context.Context, js jobs.JobState) error {
	return s.st.PutJobState(js.Name, state.JobState{
		Name: js.Name, LastRun: js.LastRun, LastDuration: js.LastDuration, LastErr: js.LastErr,
	})
}

// restoreJobStates seeds the scheduler with the states saved by the
// previous process; jobs added later under the same names start from them.
func restoreJobStates(s *jobs.Scheduler, st *state.Store, log *slog.Logger) {
	saved, err := st.JobStates()
	if err != nil {
		log.Warn("restore job states", "err", err)
		return
	}
	out := make([]jobs.JobState, 0, len(saved))
	for _, js := range saved {
		out = append(out, jobs.JobState{Name: js.Name, LastRun: js.LastRun, LastDuration: js.LastDuration, LastErr: js.LastErr})
	}
	s.Restore(out)
}
