package app

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/blissark/bliss/app/nitrado"
	"github.com/blissark/bliss/app/rcon"
	"github.com/blissark/bliss/jobs"
	"github.com/blissark/bliss/jobs/serverdetails"
	"github.com/blissark/bliss/jobs/serversync"
	"github.com/blissark/bliss/storage"
)

// detailsHealth is the part of the server-details cache /status reads.
type detailsHealth interface {
	Health() (state, reason string, since time.Time)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// syncSpec is how often linked servers are reconciled with the details
// cache and the parse jobs, so /servers add|remove take effect without a
// restart.
const syncSpec = "@every 1m"

// wireServers connects the per-server work: the server-details cache (which
// pauses parsing while Nitrado is degraded), the RCON pool, and one parse
// job per linked server.
func (a *appliance) wireServers(ctx context.Context) error {
	sd, err := serverdetails.New(serverdetails.Options{
		Source:       learnSecrets{a.nitrado, a.redact},
		Stale:        staleStore{a.state},
		NewMem:       newDetailsMem,
		TTL:          a.cfg.CacheTTL,
		PingInterval: a.cfg.PingInterval,
		// The Nitrado client already retries each call; the cache adds a
		// coarse outer layer that decides "Nitrado is down".
		RetryMax: 2,
		Logger:   a.log.With("component", "serverdetails"),
	})
	if err != nil {
		return fmt.Errorf("server details: %w", err)
	}
	sd.OnHealthChange(func(healthy bool, reason string) {
		if healthy {
			a.sched.Resume()
			return
		}
		a.sched.Pause("nitrado degraded: " + reason)
	})
	a.details, a.sd = sd, sd
	a.svcs = append(a.svcs, service{"serverdetails", sd.Run})
	a.mon.sources = append(a.mon.sources, a.nitradoStatus)
	a.mon.metrics = append(a.mon.metrics, a.detailsMetrics)

	if a.pipe, err = a.newPipeline(); err != nil {
		return err
	}
	a.rcon = rcon.NewPool(func(ctx context.Context, id int64) (rcon.Target, error) {
		d, err := sd.Get(ctx, id)
		if err != nil {
			return rcon.Target{}, err
		}
		a.redact.Add(d.RCONPassword.Reveal()) // before any RCON error can quote it
		return rcon.Target{Name: d.Name, Addr: d.RCONAddr(), Password: d.RCONPassword.Reveal()}, nil
	}, rcon.Options{Logger: a.log.With("component", "rcon")})
	a.onClose("rcon", a.rcon.Close)

	// Load the last known details from bbolt so a restart during a Nitrado
	// outage still knows every server; drop copies of unlinked servers.
	stored, err := sd.Preload()
	if err != nil {
		a.log.Warn("preload server details", "err", err)
	}
	a.serverSync, err = serversync.New(serversync.Options{
		Store: linkStore{a.db}, Tracker: sd, Scheduler: a.sched, ParseSpec: a.cfg.ParseSchedule,
		ParseJob: func(id int64) jobs.Job { return a.parseJob(id) }, Logger: a.log.With("component", "serversync"),
	})
	if err != nil {
		return err
	}
	if err := a.syncServers(ctx); err != nil {
		return err
	}
	a.serverSync.ForgetUnwanted(stored)
	return a.sched.Add("servers/sync", syncSpec, a.syncServers)
}

// syncServers reconciles linked servers with the details cache and the
// parse jobs (jobs/serversync).
func (a *appliance) syncServers(ctx context.Context) error { return a.serverSync.Sync(ctx) }

// linkStore is SQLite as serversync's Store.
type linkStore struct{ db *storage.DB }

func (l linkStore) LinkedServers(ctx context.Context) ([]serversync.Linked, error) {
	servers, err := l.db.AllServers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]serversync.Linked, len(servers))
	for i, s := range servers {
		out[i] = serversync.Linked{ServiceID: s.ServiceID, Enabled: s.Enabled}
	}
	return out, nil
}

func (l linkStore) DeleteSnapshots(ctx context.Context, id int64) error {
	return l.db.DeleteSnapshots(ctx, id)
}

func (a *appliance) nitradoStatus(context.Context) []ComponentStatus {
	state, reason, _ := a.sd.Health()
	st := ComponentStatus{Name: "nitrado", State: StateOK, Detail: fmt.Sprintf("%d servers tracked", len(a.sd.Servers()))}
	if state != "ok" {
		st.State, st.Detail = StateDegraded, reason
	}
	return []ComponentStatus{st}
}

func (a *appliance) detailsMetrics(m *metricWriter) {
	state, _, _ := a.sd.Health()
	v := 1.0
	if state != "ok" {
		v = 0
	}
	m.gauge("bliss_nitrado_healthy", "1 while Nitrado answers, 0 while degraded (stale server details served).", v)
	met := a.sd.Metrics()
	m.counter("bliss_nitrado_refreshes_total", "Server-details refreshes.", float64(met.Refreshes))
	m.counter("bliss_nitrado_refresh_failures_total", "Failed server-details refreshes.", float64(met.RefreshFailures))
	m.counter("bliss_nitrado_stale_served_total", "Server details served from the stale copy.", float64(met.StaleServed))
	m.counter("bliss_nitrado_degraded_transitions_total", "Times Nitrado became degraded.", float64(met.DegradedTransitions))
	m.counter("bliss_nitrado_degraded_seconds_total", "Seconds spent degraded.", met.DegradedSeconds)
	m.gauge("bliss_nitrado_servers_tracked", "Servers whose details are kept warm.", float64(met.Tracked))
}

// learnSecrets tells the redactor every RCON password Nitrado returns,
// before anything can quote it in a log line, /healthz or a reply.
type learnSecrets struct {
	serverdetails.Source
	r *redactor
}

func (l learnSecrets) Gameserver(ctx context.Context, serviceID int64) (*nitrado.Gameserver, error) {
	g, err := l.Source.Gameserver(ctx, serviceID)
	if g != nil {
		l.r.Add(g.RCONPassword().Reveal())
	}
	return g, err
}
