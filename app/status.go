package app

import (
	"context"

	"github.com/blissark/bliss/bots/master"
	"github.com/blissark/bliss/jobs"
)

// AppStatus implements master.StatusSource for /status.
func (a *appliance) AppStatus(ctx context.Context) (master.AppStatus, error) {
	var st master.AppStatus
	if a.details != nil {
		state, reason, since := a.details.Health()
		st.Caches = append(st.Caches, master.Health{Name: "nitrado server details", OK: state == "ok", State: state, LastRun: since, LastError: reason})
	}
	names := map[string]string{}
	if servers, err := a.db.AllServers(ctx); err == nil {
		for _, s := range servers {
			names[jobs.ParseJobName(s.ServiceID)] = s.Name
		}
	}
	for _, j := range a.sched.States() {
		if j.Kind == jobs.KindParse {
			st.Servers = append(st.Servers, master.ServerParse{ServiceID: j.ServiceID, Name: names[j.Name], LastParse: j.LastRun, LastError: j.LastErr})
			continue
		}
		state := "idle"
		if j.Running {
			state = "running"
		}
		st.Jobs = append(st.Jobs, master.Health{Name: j.Name, OK: j.LastErr == "", State: state, LastRun: j.LastRun, LastError: j.LastErr})
	}
	a.incidentStatus(ctx, &st)
	a.economyStatus(&st)
	redactStatus(&st, a.redact)
	return st, nil
}
