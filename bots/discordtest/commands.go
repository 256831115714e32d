package discordtest

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/bwmarrin/discordgo"
)

// Application flags of the privileged intents an unverified app (in fewer
// than 100 servers) has switched on; verified apps get the unlimited bits
// (1<<12, 1<<14, 1<<18), which bots must accept too.
const (
	flagPresenceLimited       = 1 << 13
	flagGuildMembersLimited   = 1 << 15
	flagMessageContentLimited = 1 << 19
)

// currentAppLocked answers GET /applications/@me and
// /oauth2/applications/@me: the bot's application, whose flags say which
// privileged intents are switched on.
func (s *Server) currentAppLocked(rc *reqCtx) reply {
	if rc.method != http.MethodGet {
		return errMethod
	}
	b := rc.bot
	on := privilegedIntents &^ b.portalOff
	flags := 0
	for _, f := range []struct {
		in   discordgo.Intent
		flag int
	}{{discordgo.IntentGuildPresences, flagPresenceLimited}, {discordgo.IntentGuildMembers, flagGuildMembersLimited},
		{discordgo.IntentMessageContent, flagMessageContentLimited}} {
		if on&f.in != 0 {
			flags |= f.flag
		}
	}
	return ok(map[string]any{"id": b.bot.AppID, "name": b.bot.Username, "description": "", "bot_public": true,
		"bot_require_code_grant": false, "verify_key": "", "flags": flags,
		"bot": map[string]any{"id": b.bot.UserID, "username": b.bot.Username, "bot": true}})
}

func (s *Server) applicationsLocked(rc *reqCtx) reply {
	sg := rc.segs
	b := rc.bot
	if len(sg) < 3 {
		return errNotFound
	}
	if sg[1] != b.bot.AppID {
		return errMissingAccess
	}
	sc := cmdScope{b: b}
	var rest []string
	switch {
	case sg[2] == "commands":
		rest = sg[3:]
	case sg[2] == "guilds" && len(sg) >= 5 && sg[4] == "commands":
		sc.guildID = sg[3]
		if _, ok2 := s.guilds[sc.guildID]; !ok2 {
			return errUnknownGuild
		}
		if !s.botInGuildLocked(b, sc.guildID) {
			return errMissingAccess
		}
		rest = sg[5:]
	default:
		return errNotFound
	}
	switch len(rest) {
	case 0:
		return s.commandsLocked(rc, sc)
	case 1:
		return s.commandLocked(rc, sc, rest[0])
	}
	return errNotFound
}

// cmdScope is one bot's command list: global, or in one guild.
type cmdScope struct {
	b       *botState
	guildID string // "" = global
}

func (sc cmdScope) list() []*discordgo.ApplicationCommand {
	if sc.guildID == "" {
		return sc.b.globalCmds
	}
	return sc.b.guildCmds[sc.guildID]
}

func (sc cmdScope) store(l []*discordgo.ApplicationCommand) {
	if sc.guildID == "" {
		sc.b.globalCmds = l
	} else {
		sc.b.guildCmds[sc.guildID] = l
	}
}

// commandsLocked serves the list: GET, PUT (bulk overwrite: the new list
// replaces the old one whole) and POST (create or replace by name and type).
func (s *Server) commandsLocked(rc *reqCtx, sc cmdScope) reply {
	list := sc.list()
	switch rc.method {
	case http.MethodGet:
		if list == nil {
			return ok([]any{})
		}
		return ok(list)
	case http.MethodPut:
		var cmds []*discordgo.ApplicationCommand
		if err := rc.decode(&cmds); err != nil {
			return badJSON(err)
		}
		f := &formErrors{}
		validateCommands(f, cmds)
		if !f.empty() {
			return formErr(f)
		}
		out := make([]*discordgo.ApplicationCommand, 0, len(cmds))
		for _, c := range cmds {
			out = append(out, s.finishCommandLocked(sc.b, sc.guildID, list, c))
		}
		sc.store(out)
		return ok(out)
	case http.MethodPost:
		var c discordgo.ApplicationCommand
		if err := rc.decode(&c); err != nil {
			return badJSON(err)
		}
		next := slices.Clone(list)
		existing := -1
		for i, old := range list {
			if old.Name == c.Name && cmdType(old) == cmdType(&c) {
				existing = i
			}
		}
		fc := s.finishCommandLocked(sc.b, sc.guildID, list, &c)
		if existing >= 0 {
			next[existing] = fc
		} else {
			next = append(next, fc)
		}
		f := &formErrors{}
		validateCommands(f, next)
		if !f.empty() {
			return formErr(f)
		}
		sc.store(next)
		if existing >= 0 {
			return ok(fc)
		}
		return created(fc)
	}
	return errMethod
}

// commandLocked serves one command by id: GET, DELETE, PATCH.
func (s *Server) commandLocked(rc *reqCtx, sc cmdScope, id string) reply {
	list := sc.list()
	idx := slices.IndexFunc(list, func(c *discordgo.ApplicationCommand) bool { return c.ID == id })
	if idx < 0 {
		return errUnknownCommand
	}
	switch rc.method {
	case http.MethodGet:
		return ok(list[idx])
	case http.MethodDelete:
		sc.store(slices.Delete(slices.Clone(list), idx, idx+1))
		return noContent()
	case http.MethodPatch:
		merged := cloneJSON(list[idx])
		if err := json.Unmarshal(rc.body, merged); err != nil {
			return badJSON(err)
		}
		next := slices.Clone(list)
		next[idx] = merged
		f := &formErrors{}
		validateCommands(f, next)
		if !f.empty() {
			return formErr(f)
		}
		merged.ID = list[idx].ID
		merged.Version = s.newIDLocked()
		sc.store(next)
		return ok(merged)
	}
	return errMethod
}

func cmdType(c *discordgo.ApplicationCommand) discordgo.ApplicationCommandType {
	if c.Type == 0 {
		return discordgo.ChatApplicationCommand
	}
	return c.Type
}

// finishCommandLocked assigns IDs, keeping the ID of an existing command
// with the same name and type (as Discord does on overwrite).
func (s *Server) finishCommandLocked(b *botState, guildID string, old []*discordgo.ApplicationCommand, c *discordgo.ApplicationCommand) *discordgo.ApplicationCommand {
	c = cloneJSON(c)
	c.Type = cmdType(c)
	c.ApplicationID = b.bot.AppID
	c.GuildID = guildID
	c.ID = ""
	for _, o := range old {
		if o.Name == c.Name && cmdType(o) == c.Type {
			c.ID = o.ID
		}
	}
	if c.ID == "" {
		c.ID = s.newIDLocked()
	}
	c.Version = s.newIDLocked()
	return c
}
