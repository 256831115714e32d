package server

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/embed"
)

// autocompleteOnline bounds the ListPlayers round of a player autocomplete
// (Discord waits 3 s for choices).
const autocompleteOnline = 1200 * time.Millisecond

type choice = discordgo.ApplicationCommandOptionChoice

func (b *bot) autocomplete(ctx context.Context, c *bots.Ctx, focused *discordgo.ApplicationCommandInteractionDataOption) ([]*choice, error) {
	typed, _ := focused.Value.(string)
	typed = strings.TrimSpace(typed)
	switch focused.Name {
	case optServer:
		return b.serverChoices(ctx, c.GuildID, typed)
	case optPlayer:
		return b.playerChoices(ctx, c, typed)
	case optName:
		return b.nameChoices(ctx, c.GuildID, typed)
	case optTribe:
		return b.tribeChoices(ctx, c.GuildID, typed)
	case optMap:
		return mapChoices(typed), nil
	}
	return nil, nil
}

func matches(name, typed string) bool {
	return typed == "" || strings.Contains(fold(name), fold(typed))
}

func (b *bot) serverChoices(ctx context.Context, guildID, typed string) ([]*choice, error) {
	ss, err := b.servers(ctx, guildID)
	if err != nil {
		return nil, err
	}
	var out []*choice
	if len(ss) > 1 && matches("all servers", typed) {
		out = append(out, &choice{Name: "All servers", Value: targetAll})
	}
	seen := map[string]bool{}
	for _, s := range ss {
		if s.Cluster != "" && !seen[strings.ToLower(s.Cluster)] && matches("cluster "+s.Cluster, typed) {
			seen[strings.ToLower(s.Cluster)] = true
			out = append(out, &choice{Name: "Cluster " + bots.SanitizeName(s.Cluster, 32), Value: clusterPrefix + s.Cluster})
		}
	}
	for _, s := range ss {
		if matches(s.Name, typed) || strings.Contains(strconv.FormatInt(s.ServiceID, 10), typed) {
			out = append(out, &choice{Name: serverName(s) + " (" + strconv.FormatInt(s.ServiceID, 10) + ")",
				Value: strconv.FormatInt(s.ServiceID, 10)})
		}
	}
	return out, nil
}

// playerChoices offers online players (ListPlayers, one parallel round)
// first, then players of the latest snapshot; values are EOS ids.
func (b *bot) playerChoices(ctx context.Context, c *bots.Ctx, typed string) ([]*choice, error) {
	ss, err := b.servers(ctx, c.GuildID)
	if err != nil || len(ss) == 0 {
		return nil, err
	}
	var out []*choice
	seen := map[string]bool{}
	octx, cancel := context.WithTimeout(ctx, autocompleteOnline)
	on := b.online(octx, ss)
	cancel()
	for _, o := range on {
		for _, p := range o.players {
			if seen[p.EOSID] || !(matches(p.Name, typed) || strings.HasPrefix(p.EOSID, strings.ToLower(typed))) {
				continue
			}
			seen[p.EOSID] = true
			out = append(out, &choice{Name: embed.Truncate(bots.SanitizeName(p.Name, 40)+" · online on "+serverName(o.server), 100), Value: p.EOSID})
		}
	}
	if b.Info != nil && len(out) < 25 {
		ps, _, err := b.Info.Players(ctx, ids(ss), typed, 25, 0)
		if err == nil {
			for _, p := range ps {
				id := strings.ToLower(p.EOSID)
				if id == "" || seen[id] {
					continue
				}
				seen[id] = true
				label := displayName(p)
				if p.Tribe != "" {
					label += " [" + p.Tribe + "]"
				}
				out = append(out, &choice{Name: embed.Truncate(bots.SanitizeName(label, 80), 100), Value: id})
			}
		}
	}
	return out, nil
}

func (b *bot) nameChoices(ctx context.Context, guildID, typed string) ([]*choice, error) {
	ss, err := b.servers(ctx, guildID)
	if err != nil || len(ss) == 0 || b.Info == nil {
		return nil, err
	}
	ps, _, err := b.Info.Players(ctx, ids(ss), typed, 25, 0)
	if err != nil {
		return nil, err
	}
	var out []*choice
	seen := map[string]bool{}
	for _, p := range ps {
		n := p.Character
		if n == "" {
			n = p.Platform
		}
		if n == "" || seen[n] || len([]rune(n)) > 100 {
			continue
		}
		seen[n] = true
		out = append(out, &choice{Name: embed.Truncate(bots.SanitizeName(displayName(p), 90), 100), Value: n})
	}
	return out, nil
}

func (b *bot) tribeChoices(ctx context.Context, guildID, typed string) ([]*choice, error) {
	ss, err := b.servers(ctx, guildID)
	if err != nil || len(ss) == 0 || b.Info == nil {
		return nil, err
	}
	ts, _, err := b.Info.Tribes(ctx, ids(ss), typed, 25, 0)
	if err != nil {
		return nil, err
	}
	var out []*choice
	seen := map[string]bool{}
	for _, t := range ts {
		if t.Name == "" || seen[t.Name] || len([]rune(t.Name)) > 100 {
			continue
		}
		seen[t.Name] = true
		out = append(out, &choice{Name: embed.Truncate(bots.SanitizeName(t.Name, 60), 100), Value: t.Name})
	}
	return out, nil
}
