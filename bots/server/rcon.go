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

// maxRCONCommand caps what /rcon sends (one line).
const maxRCONCommand = 500

// sanitizeCommand makes staff input safe for RCON: one line of printable
// ASCII (accents folded, control characters and newlines dropped), capped.
func sanitizeCommand(s string) string { return rcon.SanitizeText(s, maxRCONCommand) }

func (b *bot) rconCmd(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	ss, where, err := b.resolve(ctx, c.GuildID, c.String(optServer), "")
	if err != nil {
		return nil, err
	}
	cmd := sanitizeCommand(c.String(optCommand))
	if cmd == "" {
		return nil, &bots.UserError{Msg: "The command is empty once control characters are removed."}
	}
	rs := b.exec(ctx, ss, cmd)
	ok, sum := summary("ran", rs)
	b.audit(ctx, c, bots.AuditEntry{Action: "rcon", Target: where, Server: serverList(ss), Detail: cmd, OK: ok, Result: sum})
	id, err := b.outputs.put(&rconOutput{guildID: c.GuildID, at: b.Now(), pages: rconPages(rs, cmd)}, b.Now())
	if err != nil {
		return nil, err
	}
	resp, err := c.Page(ctx, pgRCON, id, 0)
	if resp != nil {
		resp.Ephemeral = true
	}
	return resp, err
}

// chatCommand runs a message command (Broadcast, ServerChat) on targets.
func (b *bot) chatCommand(ctx context.Context, c *bots.Ctx, action string, build func(string) (string, error)) (*bots.Response, error) {
	ss, where, err := b.resolve(ctx, c.GuildID, c.String(optServer), targetAll)
	if err != nil {
		return nil, err
	}
	cmd, err := build(c.String(optMessage))
	if err != nil {
		return nil, &bots.UserError{Msg: "The message is empty once control characters are removed.", Err: err}
	}
	rs := b.exec(ctx, ss, cmd)
	ok, sum := summary("sent", rs)
	b.audit(ctx, c, bots.AuditEntry{Action: action, Target: where, Server: serverList(ss), Detail: cmd, OK: ok, Result: sum})
	return bots.Reply(resultsEmbed(strings.ToUpper(action[:1])+action[1:]+" → "+where, rs,
		func(result) string { return "sent" })), nil
}

func (b *bot) broadcast(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	return b.chatCommand(ctx, c, "broadcast", rcon.Broadcast)
}

func (b *bot) say(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	return b.chatCommand(ctx, c, "say", rcon.ServerChat)
}

func (b *bot) saveworld(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	ss, where, err := b.resolve(ctx, c.GuildID, c.String(optServer), targetAll)
	if err != nil {
		return nil, err
	}
	rs := b.exec(ctx, ss, rcon.SaveWorld())
	ok, sum := summary("saved", rs)
	b.audit(ctx, c, bots.AuditEntry{Action: "saveworld", Target: where, Server: serverList(ss), OK: ok, Result: sum})
	return bots.Reply(resultsEmbed("SaveWorld → "+where, rs, func(result) string { return "saved" })), nil
}

// player is a resolved player: EOS id plus a display name.
type player struct {
	EOS  string
	Name string
}

func (p player) String() string {
	if p.Name == "" {
		return p.EOS
	}
	return p.Name + " (" + p.EOS + ")"
}

// resolvePlayer turns the player option (an EOS id from autocomplete, or a
// typed name) into one player, looking names up in the guild's snapshot
// and in who is online.
func (b *bot) resolvePlayer(ctx context.Context, guildID, value string) (player, error) {
	v := strings.TrimSpace(value)
	ss, err := b.servers(ctx, guildID)
	if err != nil {
		return player{}, err
	}
	if id, err := rcon.NormalizeEOSID(v); err == nil {
		p := player{EOS: id}
		if b.Info != nil && len(ss) > 0 {
			if ps, err := b.Info.FindPlayers(ctx, ids(ss), id, 1); err == nil && len(ps) > 0 {
				p.Name = bots.SanitizeName(displayName(ps[0]), 40)
			}
		}
		return p, nil
	}
	if v == "" || len(ss) == 0 {
		return player{}, &bots.UserError{Msg: "Pick a player from the list (or give a 32-hex EOS id)."}
	}
	found := map[string]string{}
	if b.Info != nil {
		if ps, err := b.Info.FindPlayers(ctx, ids(ss), v, 10); err == nil {
			for _, p := range ps {
				if p.EOSID != "" {
					found[strings.ToLower(p.EOSID)] = displayName(p)
				}
			}
		}
	}
	if len(found) == 0 {
		for _, o := range b.online(ctx, ss) {
			for _, p := range o.players {
				if fold(p.Name) == fold(v) {
					found[p.EOSID] = p.Name
				}
			}
		}
	}
	switch len(found) {
	case 0:
		return player{}, bots.Errorf("No player %q found; pick one from the list.", bots.SanitizeName(v, 40))
	case 1:
		for id, n := range found {
			return player{EOS: id, Name: bots.SanitizeName(n, 40)}, nil
		}
	}
	return player{}, bots.Errorf("%d players match %q; pick one from the list.", len(found), bots.SanitizeName(v, 40))
}

func displayName(p Player) string {
	switch {
	case p.Character != "" && p.Platform != "":
		return p.Character + " / " + p.Platform
	case p.Character != "":
		return p.Character
	}
	return p.Platform
}

func (b *bot) playerAction(ctx context.Context, c *bots.Ctx, action string, p player, ss []bots.GameServer, where, reason string,
	build func(string) (string, error)) (*bots.Response, error) {
	cmd, err := build(p.EOS)
	if err != nil {
		return nil, &bots.UserError{Msg: "That is not a valid EOS id.", Err: err}
	}
	rs := b.exec(ctx, ss, cmd)
	ok, sum := summary(action+"ned", rs)
	if action == "kick" {
		ok, sum = summary("kicked", rs)
	}
	b.audit(ctx, c, bots.AuditEntry{Action: action, Target: p.String(), Server: serverList(ss), Detail: reason, OK: ok, Result: sum})
	title := fmt.Sprintf("%s %s → %s", strings.ToUpper(action[:1])+action[1:], p.String(), where)
	e := resultsEmbed(title, rs, func(result) string { return "done" })
	if reason != "" {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: "Reason", Value: bots.SanitizeChat(reason, 200)})
	}
	return &bots.Response{Embeds: []*discordgo.MessageEmbed{e}}, nil
}

func (b *bot) kick(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	p, err := b.resolvePlayer(ctx, c.GuildID, c.String(optPlayer))
	if err != nil {
		return nil, err
	}
	ss, where, err := b.resolve(ctx, c.GuildID, c.String(optServer), targetAll)
	if err != nil {
		return nil, err
	}
	return b.playerAction(ctx, c, "kick", p, ss, where, bots.SanitizeChat(c.String(optReason), 200), rcon.KickPlayer)
}

func (b *bot) unban(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	p, err := b.resolvePlayer(ctx, c.GuildID, c.String(optPlayer))
	if err != nil {
		return nil, err
	}
	ss, where, err := b.resolve(ctx, c.GuildID, c.String(optServer), targetAll)
	if err != nil {
		return nil, err
	}
	return b.playerAction(ctx, c, "unban", p, ss, where, "", rcon.UnbanPlayer)
}

// maxBanReason caps the reason sent with BanPlayer.
const maxBanReason = 120

// banCommand builds "BanPlayer <eos id> <reason>": ASA's BanPlayer takes two
// strings (addendum §4), the second one the reason. UE passes the rest of
// the line to a trailing string parameter, so the reason needs no quotes;
// it is one line of printable ASCII without quotes. No reason: the plain
// one-argument form.
func banCommand(reason string) func(string) (string, error) {
	r := strings.TrimSpace(strings.ReplaceAll(rcon.SanitizeText(reason, maxBanReason), `"`, "'"))
	return func(eos string) (string, error) {
		cmd, err := rcon.BanPlayer(eos)
		if err != nil || r == "" {
			return cmd, err
		}
		return cmd + " " + r, nil
	}
}

func (b *bot) ban(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	p, err := b.resolvePlayer(ctx, c.GuildID, c.String(optPlayer))
	if err != nil {
		return nil, err
	}
	target := strings.TrimSpace(c.String(optServer))
	if target == "" {
		target = targetAll
	}
	ss, where, err := b.resolve(ctx, c.GuildID, target, targetAll)
	if err != nil {
		return nil, err
	}
	reason := bots.SanitizeChat(c.String(optReason), 200)
	if len(ss) == 1 {
		return b.playerAction(ctx, c, "ban", p, ss, where, reason, banCommand(reason))
	}
	return b.banConfirm(p, ss, target, where, reason)
}

func (b *bot) banConfirm(p player, ss []bots.GameServer, target, where, reason string) (*bots.Response, error) {
	yes, err := bots.CustomID(prefixBan, "yes", p.EOS, target)
	if err != nil {
		return nil, &bots.UserError{Msg: "That target name is too long for a confirmation; pick it from the list.", Err: err}
	}
	e := embed.New().Color(embed.ColorWarning).Title("Ban "+p.String()+" on "+where+"?").
		Description(fmt.Sprintf("This bans the player on %d servers: %s.", len(ss), serverList(ss))).
		Field("Reason", orNone(reason), false).Embed()
	return &bots.Response{Embeds: []*discordgo.MessageEmbed{e}, Ephemeral: true, Components: []discordgo.MessageComponent{
		discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "Ban on " + embed.Truncate(where, 60), Style: discordgo.DangerButton, CustomID: yes},
			discordgo.Button{Label: "Cancel", Style: discordgo.SecondaryButton, CustomID: prefixBan + ":no"},
		}},
	}}, nil
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "none given"
	}
	return s
}

// banButton confirms or cancels a cluster ban. The target is resolved
// again against the clicking member's guild.
func (b *bot) banButton(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	parts := strings.SplitN(c.Args, ":", 3)
	if parts[0] == "no" {
		return &bots.Response{Update: true, Components: []discordgo.MessageComponent{},
			Embeds: []*discordgo.MessageEmbed{embed.New().Title("Ban cancelled").Description("Nothing was done.").Embed()}}, nil
	}
	if len(parts) != 3 || parts[0] != "yes" {
		return nil, &bots.UserError{Msg: "This button is no longer valid."}
	}
	p, err := b.resolvePlayer(ctx, c.GuildID, parts[1])
	if err != nil {
		return nil, err
	}
	ss, where, err := b.resolve(ctx, c.GuildID, parts[2], targetAll)
	if err != nil {
		return nil, err
	}
	reason := ""
	if m := c.Interaction.Message; m != nil {
		for _, e := range m.Embeds {
			for _, f := range e.Fields {
				if f != nil && f.Name == "Reason" && f.Value != "none given" {
					reason = bots.SanitizeChat(f.Value, 200)
				}
			}
		}
	}
	resp, err := b.playerAction(ctx, c, "ban", p, ss, where, reason, banCommand(reason))
	if resp != nil {
		resp.Update, resp.Components = true, []discordgo.MessageComponent{}
	}
	return resp, err
}

// playerSelect serves the kick/ban selects on the /players page.
func (b *bot) playerSelect(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	action, target, _ := strings.Cut(c.Args, ":")
	if len(c.Values) != 1 {
		return nil, &bots.UserError{Msg: "Pick one player."}
	}
	p, err := b.resolvePlayer(ctx, c.GuildID, c.Values[0])
	if err != nil {
		return nil, err
	}
	ss, where, err := b.resolve(ctx, c.GuildID, target, targetAll)
	if err != nil {
		return nil, err
	}
	switch action {
	case "kick":
		return b.playerAction(ctx, c, "kick", p, ss, where, "", rcon.KickPlayer)
	case "ban":
		return b.banConfirm(p, ss, target, where, "")
	}
	return nil, &bots.UserError{Msg: "This menu is no longer valid."}
}
