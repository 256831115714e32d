package tickets

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/embed"
)

// incidentState guards incident ticket creation and caches triggers.
type incidentState struct {
	mu       sync.Mutex          // one incident ticket created at a time; guards posted
	posted   map[int64]time.Time // incident -> last repeat message
	trigMu   sync.Mutex
	triggers map[string]cachedTriggers // by guild
	ro       readOnlyState
}

type cachedTriggers struct {
	at   time.Time
	list []compiledTrigger
}

type compiledTrigger struct {
	Trigger
	re *regexp.Regexp
}

const (
	triggerCacheTTL = 30 * time.Second
	repeatEvery     = time.Minute // at most one repeat message per incident
	// staleReservation: a reserved number whose thread was never recorded
	// after this long (the process stopped mid-open) is discarded.
	staleReservation = 15 * time.Minute
)

func incidentTitle(kind string) string {
	switch kind {
	case "delivery_failed":
		return "delivery failed"
	case "server_down":
		return "server down"
	case "parse_failing":
		return "save parse failing"
	case "nitrado_degraded":
		return "Nitrado degraded"
	case "trigger":
		return "trigger matched"
	}
	return strings.ReplaceAll(kind, "_", " ")
}

func clip(s string, n int) string { return embed.Truncate(s, n) }

// Raise implements bots.Incidents: the first raise of (guild, dedupe key)
// opens an automatic ticket; a repeat while it is open adds a message to
// that ticket. When the Ticket bot is offline or the guild has no ticket
// channel yet, the incident is stored and Sweep opens its ticket later.
func (b *Bot) Raise(ctx context.Context, in bots.Incident) error {
	if in.GuildID == "" || in.DedupeKey == "" || in.Kind == "" {
		return errors.New("raise incident: guild, kind and dedupe key are required")
	}
	rec := IncidentRecord{GuildID: in.GuildID, DedupeKey: clip(in.DedupeKey, 200), Kind: clip(in.Kind, 32), Subject: clip(in.Subject, 200),
		ServiceID: in.ServiceID, Details: clip(in.Details, 1500), LastAt: in.At}
	for _, a := range in.Actions {
		if a.Label != "" && a.CustomID != "" && len(a.CustomID) <= bots.MaxCustomID {
			rec.ActionLabels, rec.ActionIDs = append(rec.ActionLabels, a.Label), append(rec.ActionIDs, a.CustomID)
		}
	}
	b.inc.mu.Lock()
	defer b.inc.mu.Unlock()
	rec, created, err := b.d.Store.RaiseIncident(ctx, rec)
	if err != nil {
		return fmt.Errorf("raise incident: %w", err)
	}
	if rec.TicketID == 0 {
		_, err := b.openIncidentTicket(ctx, rec)
		return err
	}
	if created {
		return nil
	}
	t, err := b.d.Store.ByID(ctx, rec.TicketID)
	if err != nil || t.State != StateOpen {
		return err
	}
	s := b.d.Session()
	if s == nil {
		return nil
	}
	// A flood of repeats (a burst of matching log lines) posts at most one
	// message a minute; the count keeps every repeat.
	now := b.d.Now()
	if last, ok := b.inc.posted[rec.ID]; ok && now.Sub(last) < repeatEvery {
		return nil
	}
	if b.inc.posted == nil {
		b.inc.posted = map[int64]time.Time{}
	}
	b.inc.posted[rec.ID] = now
	e := embed.New().Color(embed.ColorWarning).Title(fmt.Sprintf("Again (%d repeats)", rec.Repeats)).
		Description(escapeMarkdown(rec.Details)).Timestamp(b.d.Now()).Embed()
	if err := b.post(ctx, s, t.ThreadID, e); err != nil {
		return fmt.Errorf("incident repeat: %w", err)
	}
	return nil
}

// ticketParent is where a guild's automatic tickets open: the ticket
// channel, else the channel of its newest panel, else the ticket log.
func (b *Bot) ticketParent(ctx context.Context, gs bots.GuildSettings) string {
	if ch := gs.Value(SettingChannel); ch != "" {
		return ch
	}
	if ps, err := b.d.Store.Panels(ctx, gs.GuildID); err == nil && len(ps) > 0 {
		return ps[len(ps)-1].ChannelID
	}
	return gs.LogChannels["tickets"]
}

// openIncidentTicket opens the automatic ticket of rec (caller holds inc.mu).
func (b *Bot) openIncidentTicket(ctx context.Context, rec IncidentRecord) (bool, error) {
	s := b.d.Session()
	if s == nil {
		return false, nil // Sweep retries
	}
	gs := b.settings(ctx, rec.GuildID)
	parent := b.ticketParent(ctx, gs)
	if parent == "" {
		b.log.Info("incident waits for a ticket channel", "guild", rec.GuildID, "incident", rec.DedupeKey)
		return false, nil
	}
	tk, err := b.d.Store.Reserve(ctx, Ticket{GuildID: rec.GuildID, TypeLabel: incidentTitle(rec.Kind), Subject: rec.Subject, ParentID: parent,
		Questions: []string{}, Answers: []string{}}, 0, 0, 0)
	if err != nil {
		return false, fmt.Errorf("incident ticket: %w", err)
	}
	if _, err := b.startThread(ctx, s, tk, gs.StaffRoleIDs, &rec); err != nil {
		return false, fmt.Errorf("incident ticket: %w", err)
	}
	if err := b.d.Store.SetIncidentTicket(ctx, rec.ID, tk.ID); err != nil {
		return false, fmt.Errorf("incident ticket: %w", err)
	}
	b.audit(ctx, bots.AuditEntry{GuildID: rec.GuildID, Actor: "Bliss", Action: "ticket open (automatic)",
		Target: fmt.Sprintf("#%d %s", tk.Number, incidentTitle(rec.Kind)), Server: serverStr(rec.ServiceID), Detail: rec.Details, OK: true})
	return true, nil
}

func serverStr(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// Clear implements bots.Incidents: the open incident of (guildID,
// dedupeKey) is marked cleared, its ticket says so and, unless the guild
// turned ticket_incident_autoclose off, closes itself.
func (b *Bot) Clear(ctx context.Context, guildID, dedupeKey, note string) error {
	b.inc.mu.Lock()
	defer b.inc.mu.Unlock()
	rec, ok, err := b.d.Store.ClearIncident(ctx, guildID, clip(dedupeKey, 200), clip(note, 500))
	if err != nil || !ok || rec.TicketID == 0 {
		return err
	}
	t, err := b.d.Store.ByID(ctx, rec.TicketID)
	if err != nil || t.State != StateOpen {
		return err
	}
	s := b.d.Session()
	if s == nil {
		return nil
	}
	msg := "The condition cleared."
	if note != "" {
		msg += " " + escapeMarkdown(note)
	}
	if err := b.post(ctx, s, t.ThreadID, embed.Success("Cleared", msg)); err != nil {
		b.log.Warn("post incident cleared", "ticket", t.ID, "err", err)
	}
	if !b.settings(ctx, guildID).Bool(SettingIncidentAuto) {
		return nil
	}
	reason := "condition cleared"
	if note != "" {
		reason += ": " + note
	}
	_, err = b.closeTicket(ctx, s, t, "", "Bliss", clip(reason, 500))
	return err
}

// Trigger matches one live-feed line (kind "chat", "tribe", ... as the
// live feed classifies it) of server serviceID against the guild's staff
// triggers and raises a "trigger" incident per matching trigger (dedupe
// key "trigger:<id>:<server>", so a flood of matching lines becomes one
// ticket with repeats). It returns how many triggers matched. Safe for
// concurrent use; the live feed's event hook calls it for every line.
func (b *Bot) Trigger(ctx context.Context, guildID string, serviceID int64, kind, line string) (int, error) {
	trs, err := b.compiledTriggers(ctx, guildID)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, t := range trs {
		if (t.Kind != kind && t.Kind != "any") || (t.ServiceID != 0 && t.ServiceID != serviceID) || !t.re.MatchString(line) {
			continue
		}
		n++
		subject := t.Label
		if subject == "" {
			subject = "pattern " + t.Pattern
		}
		if serviceID != 0 {
			subject += fmt.Sprintf(" (server %d)", serviceID)
		}
		errs = append(errs, b.Raise(ctx, bots.Incident{Kind: "trigger", GuildID: guildID, Subject: subject, ServiceID: serviceID,
			Details: kind + ": " + line, DedupeKey: fmt.Sprintf("trigger:%d:%d", t.ID, serviceID), At: b.d.Now()}))
	}
	return n, errors.Join(errs...)
}

func (b *Bot) compiledTriggers(ctx context.Context, guildID string) ([]compiledTrigger, error) {
	b.inc.trigMu.Lock()
	c, ok := b.inc.triggers[guildID]
	b.inc.trigMu.Unlock()
	if ok && b.d.Now().Sub(c.at) < triggerCacheTTL {
		return c.list, nil
	}
	trs, err := b.d.Store.Triggers(ctx, guildID)
	if err != nil {
		return nil, fmt.Errorf("triggers: %w", err)
	}
	list := make([]compiledTrigger, 0, len(trs))
	for _, t := range trs {
		re, err := compilePattern(t.Pattern)
		if err != nil {
			b.log.Warn("bad trigger pattern", "trigger", t.ID, "err", err)
			continue
		}
		list = append(list, compiledTrigger{t, re})
	}
	b.inc.trigMu.Lock()
	if b.inc.triggers == nil {
		b.inc.triggers = map[string]cachedTriggers{}
	}
	b.inc.triggers[guildID] = cachedTriggers{at: b.d.Now(), list: list}
	b.inc.trigMu.Unlock()
	return list, nil
}

func (b *Bot) forgetTriggers(guildID string) {
	b.inc.trigMu.Lock()
	delete(b.inc.triggers, guildID)
	b.inc.trigMu.Unlock()
}

func compilePattern(p string) (*regexp.Regexp, error) {
	if p == "" || len(p) > 200 {
		return nil, errors.New("pattern must be 1-200 characters")
	}
	return regexp.Compile("(?i)" + p)
}

// ---- trigger commands ----

func (b *Bot) cmdTriggerAdd(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	t := Trigger{GuildID: c.GuildID, Kind: c.String("kind"), Pattern: c.String("pattern"), Label: strings.TrimSpace(c.String("label")), CreatedBy: c.User.ID}
	if _, err := compilePattern(t.Pattern); err != nil {
		return nil, bots.Errorf("pattern: %v", err)
	}
	if s := c.String("server"); s != "" {
		id, ok := bots.ParseServiceID(s)
		if !ok {
			return nil, bots.Errorf("server %q is not a Nitrado service id", embed.Truncate(s, 30))
		}
		t.ServiceID = id
	}
	t, err := b.d.Store.AddTrigger(ctx, t)
	if errors.Is(err, ErrConflict) {
		return nil, bots.Errorf("that trigger exists already")
	}
	if err != nil {
		return nil, fmt.Errorf("add trigger: %w", err)
	}
	b.forgetTriggers(c.GuildID)
	b.audit(ctx, bots.AuditEntry{GuildID: c.GuildID, ActorID: c.User.ID, Actor: displayName(c.User, c.Member), Action: "ticket trigger add",
		Target: t.Kind, Detail: t.Pattern, Server: serverStr(t.ServiceID), OK: true})
	return bots.Reply(embed.Success("Trigger added", triggerLine(t))), nil
}

func triggerLine(t Trigger) string {
	where := "every server"
	if t.ServiceID != 0 {
		where = "server " + strconv.FormatInt(t.ServiceID, 10)
	}
	s := fmt.Sprintf("`%d` %s lines on %s matching `%s`", t.ID, t.Kind, where, strings.ReplaceAll(t.Pattern, "`", "'"))
	if t.Label != "" {
		s += " — " + escapeMarkdown(t.Label)
	}
	return s
}

func (b *Bot) cmdTriggerRemove(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	ok, err := b.d.Store.RemoveTrigger(ctx, c.GuildID, c.Int("id"))
	if err != nil {
		return nil, fmt.Errorf("remove trigger: %w", err)
	}
	if !ok {
		return nil, bots.Errorf("there is no trigger %d", c.Int("id"))
	}
	b.forgetTriggers(c.GuildID)
	b.audit(ctx, bots.AuditEntry{GuildID: c.GuildID, ActorID: c.User.ID, Actor: displayName(c.User, c.Member), Action: "ticket trigger remove",
		Target: strconv.FormatInt(c.Int("id"), 10), OK: true})
	return bots.Reply(embed.Success("Trigger removed", fmt.Sprintf("Trigger %d is gone.", c.Int("id")))), nil
}

func (b *Bot) cmdTriggerList(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	trs, err := b.d.Store.Triggers(ctx, c.GuildID)
	if err != nil {
		return nil, err
	}
	if len(trs) == 0 {
		return bots.Reply(embed.New().Title("Triggers").Description("None. Add one with `/ticket trigger add`.").Embed()), nil
	}
	var lines []string
	for _, t := range trs {
		lines = append(lines, triggerLine(t))
	}
	return bots.Reply(embed.New().Title("Triggers").Description(strings.Join(lines, "\n")).Build()...), nil
}

// ---- sweep ----

// SweepResult is what one Sweep did.
type SweepResult struct {
	IncidentTickets int // automatic tickets opened for stored incidents
	Warned          int
	Closed          int
}

// Sweep runs the periodic work (app schedules it every few minutes): it
// opens the tickets of incidents stored while the bot was offline, warns
// in tickets without a message for ticket_inactive_warn and closes those
// idle for ticket_inactive_close (tickets that never got a message too;
// automatic tickets wait for their condition to clear instead).
func (b *Bot) Sweep(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	s := b.d.Session()
	if s == nil {
		return res, nil
	}
	var errs []error
	b.inc.mu.Lock()
	pending, err := b.d.Store.IncidentsWithoutTicket(ctx)
	for _, in := range pending {
		opened, err := b.openIncidentTicket(ctx, in)
		if err != nil {
			errs = append(errs, err)
		} else if opened {
			res.IncidentTickets++
		}
	}
	b.inc.mu.Unlock()
	if err != nil {
		return res, fmt.Errorf("sweep: %w", err)
	}
	if n, err := b.d.Store.DiscardStale(ctx, b.d.Now().Add(-staleReservation)); err != nil {
		errs = append(errs, err)
	} else if n > 0 {
		b.log.Info("discarded stale ticket reservations", "count", n)
	}
	open, err := b.d.Store.OpenTickets(ctx)
	if err != nil {
		return res, fmt.Errorf("sweep: %w", err)
	}
	now := b.d.Now()
	settings := map[string]bots.GuildSettings{}
	for _, t := range open {
		if t.TypeID == 0 && t.OpenerID == "" {
			continue
		}
		gs, ok := settings[t.GuildID]
		if !ok {
			gs = b.settings(ctx, t.GuildID)
			settings[t.GuildID] = gs
		}
		idle := now.Sub(t.LastActive)
		warnAfter, closeAfter := gs.Duration(SettingWarnAfter), gs.Duration(SettingCloseAfter)
		switch {
		case closeAfter > 0 && idle >= closeAfter:
			if _, err := b.closeTicket(ctx, s, t, "", "Bliss", fmt.Sprintf("no message for %s", humanDur(roundDur(idle)))); err != nil {
				errs = append(errs, err)
				continue
			}
			res.Closed++
		case warnAfter > 0 && idle >= warnAfter && t.WarnedAt.IsZero():
			msg := fmt.Sprintf("No message for %s.", humanDur(roundDur(idle)))
			if closeAfter > 0 {
				msg += fmt.Sprintf(" This ticket closes by itself in %s unless someone writes.", humanDur(roundDur(closeAfter-idle)))
			}
			ping := ""
			if t.OpenerID != "" {
				ping = "<@" + t.OpenerID + ">"
			}
			_, err := s.ChannelMessageSendComplex(t.ThreadID, &discordgo.MessageSend{Content: ping,
				Embeds:          []*discordgo.MessageEmbed{embed.New().Color(embed.ColorWarning).Title("Still there?").Description(msg).Embed()},
				AllowedMentions: &discordgo.MessageAllowedMentions{Users: []string{t.OpenerID}}}, discordgo.WithContext(ctx))
			if err != nil {
				errs = append(errs, fmt.Errorf("warn ticket %d: %w", t.ID, err))
				continue
			}
			if err := b.d.Store.Warned(ctx, t.ID); err != nil {
				errs = append(errs, err)
			}
			res.Warned++
		}
	}
	return res, errors.Join(errs...)
}

func roundDur(d time.Duration) time.Duration {
	if d > time.Hour {
		return d.Round(time.Hour)
	}
	return d.Round(time.Minute)
}

// onAction hands an automatic ticket's action button to the bot that
// raised the incident.
func (b *Bot) onAction(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	inID, idx, _ := strings.Cut(c.Args, ":")
	id, ok1 := parseID(inID)
	i, err := strconv.Atoi(idx)
	if !ok1 || err != nil || i < 0 {
		return nil, bots.Errorf("this button is no longer valid")
	}
	t, err := b.ticketHere(ctx, c)
	if err != nil {
		return nil, err
	}
	in, err := b.d.Store.IncidentByTicket(ctx, t.ID)
	if errors.Is(err, ErrNotFound) || (err == nil && (in.ID != id || i >= len(in.ActionIDs))) {
		return nil, bots.Errorf("this button is no longer valid")
	}
	if err != nil {
		return nil, err
	}
	if b.d.Forward == nil {
		return nil, bots.Errorf("this action is not available")
	}
	resp, err := b.d.Forward(ctx, c, in.ActionIDs[i])
	if err != nil {
		return nil, err
	}
	if resp != nil {
		resp.Update = false // never replace the ticket's opening message
	}
	b.audit(ctx, bots.AuditEntry{GuildID: c.GuildID, ActorID: c.User.ID, Actor: displayName(c.User, c.Member), Action: "ticket action",
		Target: fmt.Sprintf("#%d %s", t.Number, in.ActionLabels[i]), Detail: in.ActionIDs[i], OK: true})
	return resp, nil
}
