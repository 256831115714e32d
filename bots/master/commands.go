package master

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/embed"
)

// ---- /servers ----

func (m *master) serversAdd(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	id := strings.TrimSpace(c.String("service_id"))
	sid, ok := bots.ParseServiceID(id)
	if !ok {
		return nil, bots.Errorf("a Nitrado service id is a number, like 1234567")
	}
	name := bots.SanitizeName(c.String("name"), 64)
	if name == "" {
		name = "Server " + id
	}
	cluster := bots.SanitizeName(c.String("cluster"), 32)
	gs := bots.GameServer{GuildID: c.GuildID, ServiceID: sid, Name: name, Cluster: cluster}
	if c.Has("decay_multiplier") {
		mult := c.Number("decay_multiplier")
		if !(mult > 0 && mult <= 100) {
			return nil, bots.Errorf("the decay multiplier is a number above 0 and at most 100, like 2.5")
		}
		gs.DecayMultiplier = mult
	} else if old, ok := m.linked(ctx, c.GuildID, sid); ok {
		gs.DecayMultiplier = old.DecayMultiplier // renaming keeps the override
	}
	if err := m.Store.AddServer(ctx, gs); err != nil {
		return nil, fmt.Errorf("servers: add %s: %w", id, err)
	}
	desc := fmt.Sprintf("**%s** (service %s)", name, id)
	if cluster != "" {
		desc += " in cluster **" + cluster + "**"
	}
	desc += "\n" + decayLine(gs.DecayMultiplier)
	return bots.Reply(embed.Success("Server linked", desc)), nil
}

// linked returns the guild's link of service sid, if any.
func (m *master) linked(ctx context.Context, guildID string, sid int64) (bots.GameServer, bool) {
	all, err := m.Store.Servers(ctx, guildID)
	if err != nil {
		return bots.GameServer{}, false
	}
	for _, s := range all {
		if s.ServiceID == sid {
			return s, true
		}
	}
	return bots.GameServer{}, false
}

// hasDecayOverride reports a staff override of the decay multiplier (1
// is the game's default, the same as none).
func hasDecayOverride(mult float64) bool { return mult > 0 && mult != 1 }

// decayLine says which decay multiplier the server's timers use.
func decayLine(mult float64) string {
	if hasDecayOverride(mult) {
		return "Decay timers use multiplier **" + strconv.FormatFloat(mult, 'g', -1, 64) + "** (staff override)."
	}
	return "Decay timers use the server's own decay multiplier (from its Nitrado settings)."
}

func (m *master) serversRemove(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	id := strings.TrimSpace(c.String("service_id"))
	sid, valid := bots.ParseServiceID(id)
	if !valid {
		return nil, bots.Errorf("service %s is not linked to this Discord server", bots.SanitizeChat(id, 20))
	}
	ok, err := m.Store.RemoveServer(ctx, c.GuildID, sid)
	if err != nil {
		return nil, fmt.Errorf("servers: remove %s: %w", id, err)
	}
	if !ok {
		return nil, bots.Errorf("service %s is not linked to this Discord server", bots.SanitizeChat(id, 20))
	}
	return bots.Reply(embed.Success("Server unlinked", "Service "+id+" removed.")), nil
}

func (m *master) serversList(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	return c.Page(ctx, serversPagerKey, bots.SanitizeName(c.String("cluster"), 32), 0)
}

func (m *master) serversPage(ctx context.Context, c *bots.Ctx, cluster string, page int) ([]*discordgo.MessageEmbed, int, error) {
	all, err := m.Store.Servers(ctx, c.GuildID)
	if err != nil {
		return nil, 0, fmt.Errorf("servers: list: %w", err)
	}
	var list []bots.GameServer
	for _, s := range all {
		if cluster == "" || strings.EqualFold(s.Cluster, cluster) {
			list = append(list, s)
		}
	}
	pages := max(1, (len(list)+serversPerPage-1)/serversPerPage)
	page = min(max(page, 0), pages-1)
	b := embed.New().Title("Linked servers")
	if cluster != "" {
		b.Title("Linked servers — " + cluster)
	}
	if len(list) == 0 {
		b.Description("No servers linked yet. Add one with `/servers add`.")
	}
	for _, s := range list[min(page*serversPerPage, len(list)):min((page+1)*serversPerPage, len(list))] {
		cl := s.Cluster
		if cl == "" {
			cl = "no cluster"
		}
		line := fmt.Sprintf("service `%d` · %s", s.ServiceID, cl)
		if hasDecayOverride(s.DecayMultiplier) {
			line += " · decay ×" + strconv.FormatFloat(s.DecayMultiplier, 'g', -1, 64) + " (override)"
		}
		b.Field(s.Name, line, false)
	}
	b.Footer(fmt.Sprintf("Page %d of %d · %d servers", page+1, pages, len(list)))
	return []*discordgo.MessageEmbed{b.Embed()}, pages, nil
}

func (m *master) serversAutocomplete(ctx context.Context, c *bots.Ctx, focused *discordgo.ApplicationCommandInteractionDataOption) ([]*discordgo.ApplicationCommandOptionChoice, error) {
	typed, _ := focused.Value.(string)
	all, err := m.Store.Servers(ctx, c.GuildID)
	if err != nil {
		return nil, fmt.Errorf("servers: autocomplete: %w", err)
	}
	var out []*discordgo.ApplicationCommandOptionChoice
	for _, s := range all {
		label := fmt.Sprintf("%s (%d)", s.Name, s.ServiceID)
		if typed == "" || strings.Contains(strings.ToLower(label), strings.ToLower(typed)) {
			out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: label, Value: strconv.FormatInt(s.ServiceID, 10)})
		}
		if len(out) == 25 {
			break
		}
	}
	return out, nil
}

// ---- /status ----

func (m *master) status(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	b := embed.New().Title("Bliss status").Timestamp(time.Now())
	var lines []string
	if m.Bots != nil {
		for _, s := range m.Bots.Status() {
			icon := map[bots.SessionState]string{bots.StateConnected: "🟢", bots.StateConnecting: "🟠", bots.StateFailed: "🔴"}[s.State]
			if icon == "" {
				icon = "⚪"
			}
			line := fmt.Sprintf("%s %s — %s", icon, s.Kind.Info().DisplayName, s.State)
			if s.State == bots.StateConnected {
				line += fmt.Sprintf(", %d guilds", s.Guilds)
			}
			if s.LastError != "" && s.State != bots.StateConnected {
				line += " — " + s.LastError
			}
			lines = append(lines, line)
		}
	}
	b.Field("Sessions", strings.Join(lines, "\n"), false)
	if m.Status == nil {
		b.Field("Appliance", "status source not wired", false)
		return bots.Reply(b.Embed()), nil
	}
	st, err := m.Status.AppStatus(ctx)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	b.Field("Caches", healthLines(st.Caches), false)
	var parses []string
	for _, p := range st.Servers {
		line := fmt.Sprintf("%s (`%d`): ", p.Name, p.ServiceID)
		if p.LastParse.IsZero() {
			line += "never parsed"
		} else {
			line += fmt.Sprintf("<t:%d:R>", p.LastParse.Unix())
		}
		if p.LastError != "" {
			line += " — ⚠️ " + p.LastError
		}
		parses = append(parses, line)
	}
	b.Field("Last save parse", orNone(parses), false)
	b.Field("Jobs", healthLines(st.Jobs), false)
	return bots.Reply(b.Build()...), nil
}

func healthLines(hs []Health) string {
	var lines []string
	for _, h := range hs {
		icon := "🟢"
		if !h.OK {
			icon = "🔴"
		}
		line := icon + " " + h.Name
		if h.State != "" {
			line += " — " + h.State
		}
		if !h.LastRun.IsZero() {
			line += fmt.Sprintf(", last <t:%d:R>", h.LastRun.Unix())
		}
		if h.LastError != "" {
			line += " — " + h.LastError
		}
		lines = append(lines, line)
	}
	return orNone(lines)
}

func orNone(lines []string) string {
	if len(lines) == 0 {
		return "none"
	}
	return strings.Join(lines, "\n")
}
