package server

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/rcon"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/embed"
)

// /info online and /info playtime read the play sessions the live feed
// writes (join/leave lines and ListPlayers rosters).

var errNoSessions = &bots.UserError{Msg: "Play sessions are not recorded on this appliance."}

func (b *bot) sessionStore() (SessionStore, error) {
	s, ok := b.Info.(SessionStore)
	if !ok || s == nil {
		return nil, errNoSessions
	}
	return s, nil
}

// defaultOnlineHours is the /info online chart window when none is given.
const defaultOnlineHours = 24

func (b *bot) infoOnline(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	st, err := b.sessionStore()
	if err != nil {
		return nil, err
	}
	sc, where, err := b.scope(ctx, c.GuildID, c.String(optServer))
	if err != nil {
		return nil, err
	}
	hours := int(c.Int(optHours))
	if hours <= 0 || hours > 168 {
		hours = defaultOnlineHours
	}
	now := b.Now()
	online, err := st.OnlineNow(ctx, sc.ids)
	if err != nil {
		return nil, fmt.Errorf("info online: %w", err)
	}
	per := map[int64][]string{}
	count := 0
	for _, s := range online {
		count++
		if len(per[s.ServerID]) < 25 {
			per[s.ServerID] = append(per[s.ServerID], fmt.Sprintf("%s (since %s)", orUnknown(bots.SanitizeName(s.Name, 32)), rel(s.Joined)))
		}
	}
	e := embed.New().Title(fmt.Sprintf("Online now — %s: %d", where, count))
	for i, id := range sc.ids {
		names := per[id]
		v := "nobody"
		if len(names) > 0 {
			v = embed.Truncate(strings.Join(names, "\n"), 1000)
		}
		if i < 20 {
			e.Field(fmt.Sprintf("%s (%d)", sc.name(id), len(names)), v, true)
		}
	}
	resp := &bots.Response{}
	ss, err := st.SessionsBetween(ctx, sc.ids, now.Add(-time.Duration(hours)*time.Hour), now)
	if err == nil {
		var f *discordgo.File
		if f, err = onlineChart(fmt.Sprintf("Players online - %s - last %d h", where, hours), ss, sc,
			now.Add(-time.Duration(hours)*time.Hour), now); err == nil {
			resp.Files = []*discordgo.File{f}
			e.Image("attachment://" + f.Name)
		}
	}
	if err != nil && c.Log != nil {
		c.Log.Warn("online chart failed", "err", err)
	}
	e.Footer(fmt.Sprintf("from play sessions · chart of the last %d h", hours))
	resp.Embeds = []*discordgo.MessageEmbed{e.Embed()}
	return resp, nil
}

// defaultPlaytimeDays is the /info playtime window when none is given.
const defaultPlaytimeDays = 30

func (b *bot) infoPlaytime(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	st, err := b.sessionStore()
	if err != nil {
		return nil, err
	}
	sc, _, err := b.scope(ctx, c.GuildID, targetAll)
	if err != nil {
		return nil, err
	}
	days := int(c.Int(optDays))
	if days <= 0 || days > 365 {
		days = defaultPlaytimeDays
	}
	typed := strings.TrimSpace(c.String(optPlayer))
	eos, name := "", ""
	if id, err := rcon.NormalizeEOSID(typed); err == nil {
		eos = id
	} else if id, err := st.PlayerByName(ctx, sc.ids, bots.SanitizeName(typed, 64)); err == nil && id != "" {
		eos, name = id, bots.SanitizeName(typed, 40)
	} else if p, err := b.resolvePlayer(ctx, c.GuildID, typed); err == nil {
		eos, name = p.EOS, p.Name
	}
	if eos == "" {
		return nil, bots.Errorf("No player %q has play sessions here; pick one from the list.", bots.SanitizeName(typed, 40))
	}
	now := b.Now()
	e := embed.New()
	for _, w := range []struct {
		label string
		d     time.Duration
	}{{"Last 24 h", 24 * time.Hour}, {"Last 7 days", 7 * 24 * time.Hour}, {fmt.Sprintf("Last %d days", days), time.Duration(days) * 24 * time.Hour}} {
		d, n, err := st.Playtime(ctx, sc.ids, eos, now.Add(-w.d))
		if err != nil {
			return nil, fmt.Errorf("info playtime: %w", err)
		}
		e.Field(w.label, fmt.Sprintf("%s · %d session%s", hm(d), n, plural(n)), true)
	}
	ss, err := st.SessionsBetween(ctx, sc.ids, now.Add(-time.Duration(days)*24*time.Hour), now)
	if err != nil {
		return nil, fmt.Errorf("info playtime: %w", err)
	}
	perServer := map[int64]time.Duration{}
	var last Session
	for _, s := range ss {
		if s.EOSID != eos {
			continue
		}
		if name == "" && s.Name != "" {
			name = bots.SanitizeName(s.Name, 40)
		}
		from, to := s.Joined, playedUntil(s)
		if lim := now.Add(-time.Duration(days) * 24 * time.Hour); from.Before(lim) {
			from = lim
		}
		if to.After(from) {
			perServer[s.ServerID] += to.Sub(from)
		}
		if s.Joined.After(last.Joined) {
			last = s
		}
	}
	var lines []string
	for _, id := range sc.ids {
		if d := perServer[id]; d > 0 {
			lines = append(lines, fmt.Sprintf("%s: %s", sc.name(id), hm(d)))
		}
	}
	if len(lines) > 0 {
		e.Field("By server", embed.Truncate(strings.Join(lines, "\n"), 1000), false)
	}
	switch {
	case last.Joined.IsZero():
	case last.Left.IsZero():
		e.Field("Now", "online on "+sc.name(last.ServerID)+" since "+rel(last.Joined), false)
	default:
		e.Field("Last seen", rel(last.Left)+" on "+sc.name(last.ServerID), false)
	}
	if name == "" {
		name = "player"
	}
	staff := b.isStaff(ctx, c)
	title := "Playtime of " + name
	if staff {
		e.Field("EOS id", "`"+eos+"`", false)
	}
	e.Title(title).Footer("from play sessions (join/leave lines and rosters)")
	return &bots.Response{Embeds: []*discordgo.MessageEmbed{e.Embed()}, Ephemeral: staff}, nil
}

// hm renders a duration as "12 h 05 min".
func hm(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	if h == 0 {
		return fmt.Sprintf("%d min", m)
	}
	return fmt.Sprintf("%d h %02d min", h, m)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
