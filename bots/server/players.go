package server

import (
	"context"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/rcon"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/embed"
)

// onlineServer is one server's ListPlayers answer.
type onlineServer struct {
	server  bots.GameServer
	players []rcon.Player
	err     error
}

// online asks every server of ss for its players, in one parallel round.
func (b *bot) online(ctx context.Context, ss []bots.GameServer) []onlineServer {
	rs := b.exec(ctx, ss, rcon.ListPlayers())
	out := make([]onlineServer, len(rs))
	for i, r := range rs {
		out[i] = onlineServer{server: r.Server, err: r.Err}
		if r.Err == nil {
			// Malformed lines are skipped; the parsable ones are shown.
			out[i].players, _ = rcon.ParsePlayers(r.Out)
		}
	}
	return out
}

// fold lower-cases and strips accents for matching typed names against
// live ListPlayers names.
func fold(s string) string {
	if a := rcon.SanitizeText(s, 200); a != "" {
		return strings.ToLower(a)
	}
	return strings.ToLower(strings.TrimSpace(s))
}

func (b *bot) players(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	target := strings.TrimSpace(c.String(optServer))
	if target == "" {
		target = targetAll
	}
	ss, where, err := b.resolve(ctx, c.GuildID, target, targetAll)
	if err != nil {
		return nil, err
	}
	staff := b.isStaff(ctx, c)
	on := b.online(ctx, ss)
	total, failed := 0, 0
	e := embed.New().Title("Players online — " + where)
	var opts []discordgo.SelectMenuOption
	seen := map[string]bool{}
	for _, o := range on {
		name := serverName(o.server)
		if o.err != nil {
			failed++
			e.Field("❌ "+name, cause(o.err), false)
			continue
		}
		total += len(o.players)
		var lines []string
		for _, p := range o.players {
			n := bots.SanitizeName(p.Name, 32)
			if n == "" {
				n = "(no name)"
			}
			if staff {
				lines = append(lines, n+" `"+p.EOSID+"`")
				if !seen[p.EOSID] && len(opts) < 25 {
					seen[p.EOSID] = true
					opts = append(opts, discordgo.SelectMenuOption{Label: embed.Truncate(n, 90), Value: p.EOSID,
						Description: embed.Truncate(name, 90)})
				}
			} else {
				lines = append(lines, n)
			}
		}
		v := strings.Join(lines, "\n")
		if v == "" {
			v = "nobody"
		}
		e.Field(fmt.Sprintf("%s (%d)", name, len(o.players)), embed.Truncate(v, 1000), true)
	}
	desc := fmt.Sprintf("**%d** online on %d servers.", total, len(ss)-failed)
	if failed > 0 {
		desc += fmt.Sprintf(" %d did not answer.", failed)
	}
	e.Description(desc)
	switch {
	case failed == len(ss):
		e.Color(embed.ColorError)
	case failed > 0:
		e.Color(embed.ColorWarning)
	}
	resp := &bots.Response{Embeds: e.Build(), Ephemeral: staff}
	if staff && len(opts) > 0 {
		kick, err1 := bots.CustomID(prefixSelect, "kick", target)
		ban, err2 := bots.CustomID(prefixSelect, "ban", target)
		if err1 == nil && err2 == nil {
			resp.Components = []discordgo.MessageComponent{
				discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.SelectMenu{
					MenuType: discordgo.StringSelectMenu, CustomID: kick, Placeholder: "Kick a player…", Options: opts}}},
				discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.SelectMenu{
					MenuType: discordgo.StringSelectMenu, CustomID: ban, Placeholder: "Ban a player…", Options: opts}}},
			}
		}
	}
	return resp, nil
}
