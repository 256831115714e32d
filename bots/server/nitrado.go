package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/nitrado"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/embed"
)

func statusEmoji(status string) string {
	switch status {
	case "started":
		return "🟢"
	case "stopped":
		return "🔴"
	case "restarting", "starting", "stopping", "updating":
		return "🟡"
	case "":
		return "⚪"
	}
	return "🟠"
}

func (b *bot) one(ctx context.Context, c *bots.Ctx) (bots.GameServer, error) {
	ss, _, err := b.resolve(ctx, c.GuildID, c.String(optServer), "")
	if err != nil {
		return bots.GameServer{}, err
	}
	if len(ss) != 1 {
		return bots.GameServer{}, &bots.UserError{Msg: "Pick one server."}
	}
	return ss[0], nil
}

func failEmbed(s bots.GameServer, what string, err error) *discordgo.MessageEmbed {
	return embed.Error(serverName(s)+": "+what+" failed", cause(err))
}

// Schedules reads the tasks set up in Nitrado's web interface (scheduled
// restarts); *nitrado.Client implements it.
type Schedules interface {
	Tasks(ctx context.Context, serviceID int64) ([]nitrado.Task, error)
}

// tasksResult is the answer of the Tasks call /server info makes beside
// the Gameserver call.
type tasksResult struct {
	tasks []nitrado.Task
	err   error
}

func (b *bot) serverInfo(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	if b.Nitrado == nil {
		return nil, errNoNitrado
	}
	s, err := b.one(ctx, c)
	if err != nil {
		return nil, err
	}
	nctx, cancel := context.WithTimeout(ctx, b.NitradoTimeout)
	defer cancel()
	// Nitrado's schedule is read in parallel with the details, within the
	// same timeout; the goroutine has ended when serverInfo returns.
	var tasks chan tasksResult
	if b.Schedules != nil {
		tasks = make(chan tasksResult, 1)
		go func() {
			ts, err := b.Schedules.Tasks(nctx, s.ServiceID)
			tasks <- tasksResult{ts, err}
		}()
	}
	g, err := b.Nitrado.Gameserver(nctx, s.ServiceID)
	if err != nil {
		if tasks != nil {
			cancel()
			<-tasks
		}
		return bots.Reply(failEmbed(s, "Nitrado details", err)), nil
	}
	addr := "unknown"
	if g.IP != "" && g.Port > 0 {
		addr = net.JoinHostPort(g.IP, strconv.Itoa(g.Port))
	}
	e := embed.New().Title(statusEmoji(g.Status)+" "+serverName(s)).
		Field("Name in game", orDash(bots.SanitizeChat(g.ServerName(), 100)), false).
		Field("Map", orDash(bots.SanitizeChat(g.MapName(), 40)), true).
		Field("Status", orDash(bots.SanitizeChat(g.Status, 30)), true).
		Field("Players", fmt.Sprintf("%d / %d", g.Query.PlayerCurrent, max(g.Query.PlayerMax, g.Slots)), true).
		Field("Address", "`"+addr+"`", true).
		Field("Version", orDash(bots.SanitizeName(g.Query.Version, 30)), true)
	if g.LastStatusChange > 0 {
		// A running server's last status change is its last (re)start.
		label := "Last status change"
		if g.Status == "started" {
			label = "Last restart"
		}
		e.Field(label, rel(time.Unix(g.LastStatusChange, 0)), true)
	}
	var sched *tasksResult
	if tasks != nil {
		r := <-tasks
		sched = &r
	}
	e.Field("Next scheduled restart", b.nextRestart(ctx, c.GuildID, s.ServiceID, sched), true)
	if s.Cluster != "" {
		e.Field("Cluster", bots.SanitizeName(s.Cluster, 32), true)
	}
	e.Footer("Nitrado service " + strconv.FormatInt(s.ServiceID, 10))
	return bots.Reply(e.Embed()), nil
}

// nextRestart names the next scheduled restart (or stop) of a server: the
// earlier of Bliss's next pending countdown and the next run of an enabled
// restart task set up in Nitrado's web interface (sched, the answer of
// GET /services/{id}/tasks; nil when Schedules is not wired). When one
// source cannot be read, the other is still shown and the field says
// which part is unknown and why.
func (b *bot) nextRestart(ctx context.Context, guildID string, id int64, sched *tasksResult) string {
	now := b.Now()
	type cand struct {
		at   time.Time
		text string
	}
	var best *cand
	consider := func(c cand) {
		if best == nil || c.at.Before(best.at) {
			best = &c
		}
	}
	var notes []string
	cdErr := false
	if b.Countdowns != nil {
		p, ok, err := b.Countdowns.Next(ctx, guildID, id)
		switch {
		case err != nil:
			cdErr = true
			notes = append(notes, "countdowns unknown ("+cause(err)+")")
		case !ok:
		case !p.At.After(now):
			consider(cand{now, fmt.Sprintf("%s in progress (countdown #%d)", p.Action, p.ID)})
		case p.Action == "stop":
			consider(cand{p.At, fmt.Sprintf("stop %s (countdown #%d)", rel(p.At), p.ID)})
		default:
			consider(cand{p.At, fmt.Sprintf("%s (countdown #%d)", rel(p.At), p.ID)})
		}
	}
	if sched != nil {
		if sched.err != nil {
			notes = append(notes, "Nitrado schedule unavailable ("+scheduleCause(sched.err)+")")
		}
		for _, t := range sched.tasks {
			if !t.Enabled() || !t.IsRestart() {
				continue
			}
			if at := t.Next(now); !at.IsZero() {
				consider(cand{at, rel(at) + " (Nitrado schedule)"})
			}
		}
	}
	var out string
	switch {
	case best != nil:
		out = best.text
	case len(notes) == 0:
		out = "none scheduled"
	case cdErr && (sched == nil || sched.err != nil):
		out, notes = strings.Join(notes, " · "), nil // nothing known: only the causes
	case cdErr:
		out = "none on Nitrado's schedule"
	default:
		out = "no countdown"
	}
	if len(notes) > 0 {
		out += " · " + strings.Join(notes, " · ")
	}
	return out
}

// scheduleCause says why Nitrado's schedule could not be read.
func scheduleCause(err error) string {
	switch {
	case errors.Is(err, nitrado.ErrForbidden), errors.Is(err, nitrado.ErrInvalidToken):
		return "token lacks the scheduled-restart read permission"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "Nitrado did not answer in time"
	case errors.Is(err, nitrado.ErrBadResponse):
		return "Nitrado's answer could not be read"
	}
	return cause(err)
}

func (b *bot) serverStatus(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	ss, err := b.servers(ctx, c.GuildID)
	if err != nil {
		return nil, err
	}
	if len(ss) == 0 {
		return nil, &bots.UserError{Msg: "No game servers are linked yet (staff: /servers add)."}
	}
	if b.Details == nil {
		return nil, errNoNitrado
	}
	type line struct {
		st  ServerState
		err error
	}
	lines := make([]line, len(ss))
	each(ctx, ss, b.NitradoTimeout, func(ctx context.Context, s bots.GameServer) (string, error) {
		for i := range ss {
			if ss[i].ServiceID == s.ServiceID {
				st, err := b.Details.Details(ctx, s.ServiceID)
				lines[i] = line{st, err}
			}
		}
		return "", nil
	})
	var out []string
	stale := false
	for i, s := range ss {
		l := lines[i]
		if l.err != nil {
			out = append(out, "⚠️ **"+serverName(s)+"** — "+cause(l.err))
			continue
		}
		t := fmt.Sprintf("%s **%s** — %s · %s · %d/%d", statusEmoji(l.st.Status), serverName(s),
			orDash(bots.SanitizeChat(l.st.Map, 30)), orDash(bots.SanitizeChat(l.st.Status, 20)), l.st.Players, l.st.Slot)
		if s.Cluster != "" {
			t += " · " + bots.SanitizeName(s.Cluster, 20)
		}
		if l.st.Stale {
			stale = true
			t += " · (stale)"
		}
		out = append(out, t)
	}
	e := embed.New().Title("Servers").Description(strings.Join(out, "\n"))
	if stale {
		e.Footer("Nitrado is not answering: some lines are the last known state.").Color(embed.ColorWarning)
	}
	return bots.Reply(e.Embed()), nil
}

func stat(ss []nitrado.Sample) (last, avg, peak float64, ok bool) {
	n := 0
	for _, s := range ss {
		if !s.Valid {
			continue
		}
		last, avg, peak = s.Value, avg+s.Value, max(peak, s.Value)
		n++
	}
	if n == 0 {
		return 0, 0, 0, false
	}
	return last, avg / float64(n), peak, true
}

func (b *bot) serverStats(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	if b.Nitrado == nil {
		return nil, errNoNitrado
	}
	s, err := b.one(ctx, c)
	if err != nil {
		return nil, err
	}
	hours := int(c.Int(optHours))
	if hours <= 0 || hours > 168 {
		hours = 24
	}
	nctx, cancel := context.WithTimeout(ctx, b.NitradoTimeout)
	defer cancel()
	st, err := b.Nitrado.Stats(nctx, s.ServiceID, hours)
	if err != nil {
		return bots.Reply(failEmbed(s, "Nitrado stats", err)), nil
	}
	e := embed.New().Title(fmt.Sprintf("%s — last %d h", serverName(s), hours))
	for _, row := range []struct {
		name, unit string
		ss         []nitrado.Sample
	}{{"Players", "", st.CurrentPlayers}, {"CPU", " %", st.CPUUsage}, {"Memory", " MB", st.MemoryUsage}} {
		last, avg, peak, ok := stat(row.ss)
		v := "no data"
		if ok {
			v = fmt.Sprintf("now %.0f%s · avg %.1f%s · peak %.0f%s", last, row.unit, avg, row.unit, peak, row.unit)
		}
		e.Field(row.name, v, false)
	}
	resp := &bots.Response{}
	if f, err := statsChart(serverName(s), st, hours); err == nil {
		resp.Files = []*discordgo.File{f}
		e.Image("attachment://" + f.Name)
	} else if c.Log != nil {
		c.Log.Warn("stats chart failed", "err", err)
	}
	resp.Embeds = []*discordgo.MessageEmbed{e.Footer("Nitrado samples every 5 minutes").Embed()}
	return resp, nil
}

// defaultCountdown is the countdown length when none is given and the
// guild setting cannot be read.
const defaultCountdown = 5

func (b *bot) countdown(action string) bots.HandlerFunc {
	return func(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
		if b.Countdowns == nil {
			return nil, errNoNitrado
		}
		ss, where, err := b.resolve(ctx, c.GuildID, c.String(optServer), "")
		if err != nil {
			return nil, err
		}
		minutes := defaultCountdown
		if gs, err := b.Store.GuildSettings(ctx, c.GuildID); err == nil {
			minutes = int(gs.Number(settingCountdown))
		}
		if c.Has(optMinutes) {
			minutes = int(min(max(c.Int(optMinutes), 0), 60))
		}
		if action == "start" {
			minutes = 0
		}
		reason := bots.SanitizeChat(c.String(optReason), 120)
		id, fireAt, err := b.Countdowns.Schedule(ctx, CountdownRequest{GuildID: c.GuildID, Action: action, Servers: ids(ss),
			Minutes: minutes, Reason: reason, ActorID: c.User.ID, Actor: c.User.Username, ChannelID: c.ChannelID})
		if err != nil {
			b.audit(ctx, c, bots.AuditEntry{Action: action + " scheduled", Target: where, Server: serverList(ss), Detail: reason, Result: cause(err)})
			return nil, fmt.Errorf("countdown: %w", err)
		}
		b.audit(ctx, c, bots.AuditEntry{Action: action + " scheduled", Target: where, Server: serverList(ss), Detail: reason, OK: true,
			Result: fmt.Sprintf("countdown #%d, %d min, fires %s", id, minutes, fireAt.UTC().Format(time.RFC3339))})
		verb := map[string]string{"restart": "Restart", "stop": "Stop", "start": "Start"}[action]
		desc := fmt.Sprintf("%s of %s %s.", verb, serverList(ss), rel(fireAt))
		if minutes > 0 {
			desc += fmt.Sprintf("\nPlayers are warned in game; the world is saved before the %s.", action)
		}
		if len(ss) > 1 {
			desc += "\nServers go one after the other; each waits until Nitrado reports the previous one done."
		}
		e := embed.New().Color(embed.ColorWarning).Title(fmt.Sprintf("⏳ %s scheduled — %s", verb, where)).Description(desc)
		if reason != "" {
			e.Field("Reason", reason, false)
		}
		e.Footer(fmt.Sprintf("countdown #%d · the result is posted here", id))
		cancel := []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "Cancel " + action, Style: discordgo.DangerButton,
				CustomID: bots.MustCustomID(prefixCancel, "cancel", strconv.FormatInt(id, 10))},
		}}}
		if minutes == 0 {
			return &bots.Response{Embeds: []*discordgo.MessageEmbed{e.Embed()}}, nil
		}
		// The countdown is announced in the channel, where any staff member
		// can cancel it; the announcement loses its button when the
		// countdown ends (the runner edits it, also after a restart).
		if b.announce(ctx, c, id, e.Embed(), cancel) {
			return &bots.Response{Embeds: []*discordgo.MessageEmbed{embed.New().Color(embed.ColorWarning).
				Title(fmt.Sprintf("⏳ Countdown #%d scheduled", id)).
				Description("Announced in this channel with a Cancel button.").Embed()}}, nil
		}
		return &bots.Response{Embeds: []*discordgo.MessageEmbed{e.Embed()}, Components: cancel}, nil
	}
}

// announce posts the countdown's announcement in the command's channel and
// attaches it to the countdown; false when it could not be posted (the
// reply then carries the Cancel button).
func (b *bot) announce(ctx context.Context, c *bots.Ctx, id int64, e *discordgo.MessageEmbed, comps []discordgo.MessageComponent) bool {
	if c.Session == nil || c.ChannelID == "" {
		return false
	}
	m, err := c.Session.ChannelMessageSendComplex(c.ChannelID, &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{e},
		Components: comps, AllowedMentions: &discordgo.MessageAllowedMentions{}}, discordgo.WithContext(ctx))
	if err != nil {
		if c.Log != nil {
			c.Log.Warn("countdown announcement failed", "countdown", id, "err", err)
		}
		return false
	}
	if err := b.Countdowns.Attach(ctx, c.GuildID, id, m.ID); err != nil {
		if c.Log != nil {
			c.Log.Warn("countdown announcement not attached", "countdown", id, "err", err)
		}
		// The button still works; only its removal at the end is lost.
	}
	return true
}

func (b *bot) cancelButton(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	if b.Countdowns == nil {
		return nil, errNoNitrado
	}
	verb, arg, _ := strings.Cut(c.Args, ":")
	id, err := strconv.ParseInt(arg, 10, 64)
	if verb != "cancel" || err != nil || id <= 0 {
		return nil, &bots.UserError{Msg: "This button is no longer valid."}
	}
	ok, err := b.Countdowns.Cancel(ctx, c.GuildID, id, c.User.Username)
	if err != nil {
		return nil, fmt.Errorf("cancel countdown: %w", err)
	}
	if !ok {
		return &bots.Response{Update: true, Components: []discordgo.MessageComponent{}, Embeds: []*discordgo.MessageEmbed{
			embed.New().Title("Nothing to cancel").Description(fmt.Sprintf("Countdown #%d already finished or was cancelled.", id)).Embed()}}, nil
	}
	b.audit(ctx, c, bots.AuditEntry{Action: "countdown cancelled", Target: fmt.Sprintf("countdown #%d", id), OK: true, Result: "cancelled"})
	return &bots.Response{Update: true, Components: []discordgo.MessageComponent{}, Embeds: []*discordgo.MessageEmbed{
		embed.New().Color(embed.ColorSuccess).Title("✋ Countdown cancelled").
			Description(fmt.Sprintf("Countdown #%d was cancelled by %s; players were told in game.", id, bots.SanitizeName(c.User.Username, 32))).Embed()}}, nil
}
