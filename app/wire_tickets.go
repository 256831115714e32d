package app

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/rcon"
	"github.com/blissark/bliss/app/ticketstore"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/master"
	"github.com/blissark/bliss/bots/tickets"
	"github.com/blissark/bliss/jobs"
	"github.com/blissark/bliss/storage"
)

// Schedules of the ticket work.
const (
	ticketSweepSpec    = "@every 5m"
	incidentWatchSpec  = "@every 1m"
	ticketSweepJob     = "tickets/sweep"
	incidentWatchJob   = "incidents/watch"
	rconProbeTimeout   = 10 * time.Second
	incidentKindDown   = "server_down"
	incidentKindParse  = "parse_failing"
	incidentKindNitrdo = "nitrado_degraded"
)

// ticketTriggers is the Ticket bot's staff-trigger entry point.
type ticketTriggers interface {
	Trigger(ctx context.Context, guildID string, serviceID int64, kind, line string) (int, error)
}

// wireTickets builds the Ticket bot, exposes it as a.incidents (the one
// bots.Incidents every part raises through), schedules its sweep and the
// incident watch over app-level sources, and adds its /metrics.
func (a *appliance) wireTickets(ctx context.Context) error {
	bot := tickets.NewBot(tickets.Deps{
		Guilds:  a.guilds,
		Store:   ticketstore.New(a.db),
		Session: func() *discordgo.Session { return a.sup.Session(bots.Ticket) },
		Audit:   a.audit(),
		Forward: a.forwardAction,
		Log:     a.log.With("component", "tickets"),
	})
	if err := a.sup.Handle(bots.Ticket, bot.Router()); err != nil {
		return fmt.Errorf("bots: %w", err)
	}
	a.tickets, a.incidents = bot, bot
	a.watch = &incidentWatch{}
	if err := a.sched.Add(ticketSweepJob, ticketSweepSpec, func(ctx context.Context) error {
		res, err := bot.Sweep(ctx)
		if res != (tickets.SweepResult{}) {
			a.log.Info("ticket sweep", "incident_tickets", res.IncidentTickets, "warned", res.Warned, "closed", res.Closed)
		}
		return err
	}); err != nil {
		return fmt.Errorf("tickets: %w", err)
	}
	if err := a.sched.Add(incidentWatchJob, incidentWatchSpec, a.watchIncidents); err != nil {
		return fmt.Errorf("tickets: %w", err)
	}
	a.mon.metrics = append(a.mon.metrics, a.ticketMetrics)
	return nil
}

// forwardAction runs an automatic ticket's action button (an
// IncidentAction custom id) on the bot whose router serves its prefix.
func (a *appliance) forwardAction(ctx context.Context, c *bots.Ctx, customID string) (*bots.Response, error) {
	prefix, rest, _ := strings.Cut(customID, ":")
	for _, k := range bots.Kinds() {
		r := a.sup.Router(k)
		if r == nil || k == bots.Ticket {
			continue
		}
		run, access, ok := r.ComponentHandler(prefix)
		if !ok {
			continue
		}
		if access == bots.Staff && !c.Staff {
			return nil, &bots.UserError{Msg: "This needs a staff role.", Err: bots.ErrForbidden}
		}
		fc := *c
		fc.CustomID, fc.Args, fc.Bot = customID, rest, k
		resp, err := run(ctx, &fc)
		if err == nil && a.db != nil {
			// A Refund / Mark delivered on an order's ticket settles it now,
			// not at the next incident watch.
			if _, serr := settleOrderIncidents(ctx, a.db, a.incidents, c.GuildID); serr != nil {
				a.log.Warn("settle order incidents", "err", serr)
			}
		}
		return resp, err
	}
	return nil, bots.Errorf("no bot handles this action any more")
}

// RaiseIncident is the plain-argument form of Incidents.Raise for jobs,
// which may not import bots.
func (a *appliance) RaiseIncident(ctx context.Context, kind, guildID, subject string, serviceID int64, details, dedupeKey string) error {
	if a.incidents == nil {
		return errors.New("incidents: tickets not wired")
	}
	return a.incidents.Raise(ctx, bots.Incident{Kind: kind, GuildID: guildID, Subject: subject, ServiceID: serviceID,
		Details: details, DedupeKey: dedupeKey, At: time.Now()})
}

// ClearIncident is the plain-argument form of Incidents.Clear for jobs.
func (a *appliance) ClearIncident(ctx context.Context, guildID, dedupeKey, note string) error {
	if a.incidents == nil {
		return errors.New("incidents: tickets not wired")
	}
	return a.incidents.Clear(ctx, guildID, dedupeKey, note)
}

// TriggerLine hands one live-feed line to the staff triggers (the live
// feed's event hook calls it); see tickets.Bot.Trigger.
func (a *appliance) TriggerLine(ctx context.Context, guildID string, serviceID int64, kind, line string) (int, error) {
	if a.tickets == nil {
		return 0, nil
	}
	return a.tickets.Trigger(ctx, guildID, serviceID, kind, line)
}

func (a *appliance) ticketMetrics(m *metricWriter) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	open, total, repeats, err := a.db.IncidentCounts(ctx)
	if err == nil {
		m.gauge("bliss_incidents_open", "Incidents whose condition has not cleared.", float64(open))
		m.counter("bliss_incidents_total", "Incidents raised (first occurrences).", float64(total))
		m.counter("bliss_incident_repeats_total", "Repeats added to open incidents.", float64(repeats))
	}
	counts, err := a.db.TicketCounts(ctx)
	if err == nil {
		for _, st := range []string{storage.TicketOpen, storage.TicketClosed} {
			m.gauge("bliss_tickets", "Tickets by state.", float64(counts[st]), "state", st)
		}
	}
}

// incidentStatus adds the incident counts to /status.
func (a *appliance) incidentStatus(ctx context.Context, st *master.AppStatus) {
	open, total, _, err := a.db.IncidentCounts(ctx)
	h := master.Health{Name: "incidents", OK: err == nil && open == 0, State: fmt.Sprintf("%d open, %d raised", open, total)}
	if err != nil {
		h.State, h.LastError = "unknown", err.Error()
	}
	st.Jobs = append(st.Jobs, h)
}

// ---- app-level incident sources ----

// incidentWatch turns app state into incidents: a server down (Nitrado
// status) or unreachable by RCON longer than incident_server_down_after, a
// save parse failing incident_parse_failures times in a row, Nitrado
// degraded longer than incident_nitrado_after. It raises once when a
// threshold is crossed and clears when the condition ends.
type incidentWatch struct {
	mu        sync.Mutex
	downSince map[int64]time.Time // server -> first seen down
	downWhy   map[int64]string
	parse     map[int64]parseObs
	raised    map[string]bool // guild + "\x00" + dedupe key
	seeded    bool            // raised holds the stored open incidents
}

// isSeeded reports whether seed ran.
func (w *incidentWatch) isSeeded() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seeded
}

// seed takes over the watch's incidents still open from before a restart
// (stored), so their conditions clearing is still said in their tickets.
func (w *incidentWatch) seed(open []storage.Incident) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.init()
	for _, in := range open {
		switch in.Kind {
		case incidentKindDown, incidentKindParse, incidentKindNitrdo:
			w.raised[in.GuildID+"\x00"+in.DedupeKey] = true
		}
	}
	w.seeded = true
}

func (w *incidentWatch) init() {
	if w.downSince == nil {
		w.downSince, w.downWhy, w.parse, w.raised = map[int64]time.Time{}, map[int64]string{}, map[int64]parseObs{}, map[string]bool{}
	}
}

type parseObs struct {
	lastRun time.Time
	consec  int
}

// serverObs is one look at a linked server.
type serverObs struct {
	serviceID int64
	name      string
	guilds    []string
	down      bool
	unknown   bool // no details (Nitrado unreachable): keep the last state
	why       string
	parse     jobs.JobState
	hasParse  bool
}

// watchObs is one look at everything the watch follows.
type watchObs struct {
	now          time.Time
	servers      []serverObs
	nitradoBad   bool
	nitradoWhy   string
	nitradoSince time.Time
	guilds       []string // every guild with linked servers
}

// thresholds reads a guild's incident settings.
type thresholds func(ctx context.Context, guildID string) (down time.Duration, parseN int, nitrado time.Duration)

func (a *appliance) thresholds(ctx context.Context, guildID string) (time.Duration, int, time.Duration) {
	gs, err := a.guilds.GuildSettings(ctx, guildID)
	if err != nil {
		gs = bots.GuildSettings{GuildID: guildID}
	}
	return gs.Duration(tickets.SettingServerDownAfter), int(gs.Number(tickets.SettingParseFailures)), gs.Duration(tickets.SettingNitradoAfter)
}

// watchIncidents is the incidents/watch job.
func (a *appliance) watchIncidents(ctx context.Context) error {
	if !a.watch.isSeeded() {
		open, err := a.db.IncidentsOpen(ctx, "")
		if err != nil {
			return fmt.Errorf("incident watch: %w", err)
		}
		a.watch.seed(open)
	}
	_, serr := settleOrderIncidents(ctx, a.db, a.incidents, "")
	obs, err := a.observe(ctx)
	if err != nil {
		return errors.Join(serr, err)
	}
	return errors.Join(serr, a.watch.apply(ctx, obs, a.thresholds, a.incidents))
}

// orderIncidentStore is what settleOrderIncidents reads; *storage.DB fits.
type orderIncidentStore interface {
	IncidentsOpen(ctx context.Context, guildID string) ([]storage.Incident, error)
	GetOrder(ctx context.Context, id int64) (storage.Order, error)
}

// orderIncidentPrefix starts the dedupe key of the incidents jobs/delivery
// raises about one shop order ("order:<order id>"; delivery_unconfirmed,
// delivery_failed).
const orderIncidentPrefix = "order:"

// settleOrderIncidents clears the open order incidents (guildID "" = every
// guild) whose order reached a final state after the incident opened:
// delivered (a resend worked, or staff marked it delivered) or refunded
// (by staff or by the delivery job's retry budget). jobs/delivery only
// raises; whoever settles the order (the job, /orders pending, the
// ticket's own Refund / Resend / Mark delivered buttons) changes its state
// in storage, so this one look covers every path. An order that was
// already final when its incident opened (delivery_failed is raised right
// after the automatic refund) is not "cleared later": that ticket stays for
// staff to read and close. It returns how many incidents it cleared.
func settleOrderIncidents(ctx context.Context, db orderIncidentStore, inc bots.Incidents, guildID string) (int, error) {
	if inc == nil {
		return 0, nil
	}
	open, err := db.IncidentsOpen(ctx, guildID)
	if err != nil {
		return 0, fmt.Errorf("order incidents: %w", err)
	}
	n := 0
	var errs []error
	for _, in := range open {
		idText, ok := strings.CutPrefix(in.DedupeKey, orderIncidentPrefix)
		if !ok {
			continue
		}
		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil || id <= 0 {
			continue
		}
		o, err := db.GetOrder(ctx, id)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("order incidents: %w", err))
			continue
		}
		if o.GuildID != in.GuildID || !o.UpdatedAt.After(in.OpenedAt) {
			continue
		}
		var note string
		switch o.State {
		case storage.OrderDelivered, storage.OrderFulfilled:
			note = fmt.Sprintf("Order #%d (%s) was delivered", o.ID, o.ItemName)
		case storage.OrderRefunded, storage.OrderRefused:
			note = fmt.Sprintf("Order #%d (%s) was refunded", o.ID, o.ItemName)
		default:
			continue
		}
		if o.Note != "" {
			note += ": " + o.Note
		}
		if err := inc.Clear(ctx, in.GuildID, in.DedupeKey, note+"."); err != nil {
			errs = append(errs, fmt.Errorf("order incidents: %w", err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

func (a *appliance) observe(ctx context.Context) (watchObs, error) {
	obs := watchObs{now: time.Now()}
	servers, err := a.db.AllServers(ctx)
	if err != nil {
		return obs, fmt.Errorf("incident watch: %w", err)
	}
	byID := map[int64]*serverObs{}
	guilds := map[string]bool{}
	var order []int64
	for _, s := range servers {
		if !s.Enabled {
			continue
		}
		guilds[s.GuildID] = true
		o := byID[s.ServiceID]
		if o == nil {
			o = &serverObs{serviceID: s.ServiceID, name: s.Name}
			byID[s.ServiceID] = o
			order = append(order, s.ServiceID)
		}
		o.guilds = append(o.guilds, s.GuildID)
	}
	for g := range guilds {
		obs.guilds = append(obs.guilds, g)
	}
	sort.Strings(obs.guilds)
	states := map[int64]jobs.JobState{}
	for _, j := range a.sched.States() {
		if j.Kind != jobs.KindParse {
			continue
		}
		// Parse jobs are named "parse/<service id>".
		if id, err := strconv.ParseInt(j.Name[strings.LastIndexByte(j.Name, '/')+1:], 10, 64); err == nil {
			states[id] = j
		}
	}
	state, reason, since := a.sd.Health()
	obs.nitradoBad, obs.nitradoWhy, obs.nitradoSince = state != "ok", reason, since
	for _, id := range order {
		o := byID[id]
		o.parse, o.hasParse = states[id]
		d, err := a.sd.Get(ctx, id)
		switch {
		case err != nil:
			// Without details (Nitrado down) the server's state is unknown:
			// the Nitrado incident covers it.
			o.unknown = true
		case d.Status != "" && d.Status != "started":
			o.down, o.why = true, "Nitrado reports the server "+d.Status
		default:
			pctx, cancel := context.WithTimeout(ctx, rconProbeTimeout)
			_, err := a.rcon.Exec(pctx, id, rcon.ListPlayers())
			cancel()
			if err != nil && ctx.Err() == nil {
				o.down, o.why = true, "RCON does not answer: "+oneLineErr(err)
			}
		}
		if o.name == "" {
			o.name = d.Name
		}
		obs.servers = append(obs.servers, *o)
	}
	return obs, nil
}

func oneLineErr(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

// apply updates the watch with obs and raises or clears incidents.
func (w *incidentWatch) apply(ctx context.Context, obs watchObs, th thresholds, inc bots.Incidents) error {
	if inc == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.init()
	var errs []error
	raise := func(in bots.Incident) {
		k := in.GuildID + "\x00" + in.DedupeKey
		if w.raised[k] {
			return
		}
		if err := inc.Raise(ctx, in); err != nil {
			errs = append(errs, err)
			return
		}
		w.raised[k] = true
	}
	clear := func(guildID, key, note string) {
		k := guildID + "\x00" + key
		if !w.raised[k] {
			return
		}
		if err := inc.Clear(ctx, guildID, key, note); err != nil {
			errs = append(errs, err)
			return
		}
		delete(w.raised, k)
	}
	for _, s := range obs.servers {
		name := s.name
		if name == "" {
			name = fmt.Sprintf("server %d", s.serviceID)
		}
		downKey := fmt.Sprintf("%s:%d", incidentKindDown, s.serviceID)
		if s.unknown {
			continue
		}
		if s.down {
			if _, ok := w.downSince[s.serviceID]; !ok {
				w.downSince[s.serviceID] = obs.now
			}
			w.downWhy[s.serviceID] = s.why
		} else {
			delete(w.downSince, s.serviceID)
		}
		// Consecutive parse failures: count each new run once.
		p := w.parse[s.serviceID]
		if s.hasParse && !s.parse.LastRun.IsZero() && !s.parse.LastRun.Equal(p.lastRun) {
			p.lastRun = s.parse.LastRun
			if s.parse.LastErr != "" {
				p.consec++
			} else {
				p.consec = 0
			}
			w.parse[s.serviceID] = p
		}
		parseKey := fmt.Sprintf("%s:%d", incidentKindParse, s.serviceID)
		for _, g := range s.guilds {
			downAfter, parseN, _ := th(ctx, g)
			if since, ok := w.downSince[s.serviceID]; ok && downAfter > 0 && obs.now.Sub(since) >= downAfter {
				raise(bots.Incident{Kind: incidentKindDown, GuildID: g, Subject: name, ServiceID: s.serviceID, DedupeKey: downKey, At: obs.now,
					Details: fmt.Sprintf("%s has been down since %s: %s.", name, since.UTC().Format(time.RFC3339), w.downWhy[s.serviceID])})
			} else if !s.down {
				clear(g, downKey, fmt.Sprintf("%s is up again.", name))
			}
			if parseN > 0 && p.consec >= parseN {
				raise(bots.Incident{Kind: incidentKindParse, GuildID: g, Subject: name, ServiceID: s.serviceID, DedupeKey: parseKey, At: obs.now,
					Details: fmt.Sprintf("The save parse of %s failed %d times in a row; last error: %s", name, p.consec, s.parse.LastErr)})
			} else if p.consec == 0 && !p.lastRun.IsZero() { // a run seen to work (not merely none seen yet, after a restart)
				clear(g, parseKey, fmt.Sprintf("The save parse of %s works again.", name))
			}
		}
	}
	nitKey := incidentKindNitrdo
	for _, g := range obs.guilds {
		_, _, after := th(ctx, g)
		if obs.nitradoBad && after > 0 && obs.now.Sub(obs.nitradoSince) >= after {
			raise(bots.Incident{Kind: incidentKindNitrdo, GuildID: g, Subject: "Nitrado API", DedupeKey: nitKey, At: obs.now,
				Details: fmt.Sprintf("Nitrado has been degraded since %s: %s. Server details are served from the last copy; save parses are paused.",
					obs.nitradoSince.UTC().Format(time.RFC3339), obs.nitradoWhy)})
		} else if !obs.nitradoBad {
			clear(g, nitKey, "Nitrado answers again.")
		}
	}
	return errors.Join(errs...)
}
