package discordtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/bwmarrin/discordgo"
)

var errMissingPerms = derr(http.StatusForbidden, 50013, "Missing Permissions")

// dmPermissions are what a user has in a DM channel.
const dmPermissions = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
	discordgo.PermissionReadMessageHistory | discordgo.PermissionEmbedLinks |
	discordgo.PermissionAttachFiles | discordgo.PermissionAddReactions

// channelPermissionsLocked computes userID's permissions in a channel,
// with permission overwrites (threads use their parent's overwrites).
func (s *Server) channelPermissionsLocked(cs *channelState, userID string, roles []string) int64 {
	ch := cs.ch
	if ch.GuildID == "" {
		return dmPermissions
	}
	gs, ok := s.guilds[ch.GuildID]
	if !ok {
		return 0
	}
	if roles == nil {
		mem, ok := gs.members[userID]
		if !ok {
			return 0
		}
		roles = mem.Roles
	}
	perms := s.memberPermissionsLocked(gs, userID, roles)
	if perms == discordgo.PermissionAll {
		return perms
	}
	target := ch
	if ch.IsThread() {
		if p, ok := s.channels[ch.ParentID]; ok {
			target = p.ch
		}
	}
	var roleAllow, roleDeny int64
	var member *discordgo.PermissionOverwrite
	for _, o := range target.PermissionOverwrites {
		switch {
		case o.Type == discordgo.PermissionOverwriteTypeRole && o.ID == gs.id:
			perms &^= o.Deny
			perms |= o.Allow
		case o.Type == discordgo.PermissionOverwriteTypeRole && slices.Contains(roles, o.ID):
			roleAllow |= o.Allow
			roleDeny |= o.Deny
		case o.Type == discordgo.PermissionOverwriteTypeMember && o.ID == userID:
			member = o
		}
	}
	perms &^= roleDeny
	perms |= roleAllow
	if member != nil {
		perms &^= member.Deny
		perms |= member.Allow
	}
	if perms&discordgo.PermissionViewChannel == 0 {
		return 0
	}
	return perms
}

// Permissions returns userID's permissions in channelID as the fake
// computes them (roles, @everyone, owner, administrator, overwrites).
func (s *Server) Permissions(channelID, userID string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, ok := s.channels[channelID]
	if !ok {
		return 0, fmt.Errorf("discordtest: unknown channel %s", channelID)
	}
	return s.channelPermissionsLocked(cs, userID, nil), nil
}

// need checks (when Options.EnforcePermissions) that the calling bot has
// all of perms in cs; it returns a reply to send on failure.
func (s *Server) need(rc *reqCtx, cs *channelState, perms int64) *reply {
	if !s.opts.EnforcePermissions {
		return nil
	}
	have := s.channelPermissionsLocked(cs, rc.bot.bot.UserID, nil)
	if have&perms != perms {
		r := errMissingPerms
		if have&discordgo.PermissionViewChannel == 0 {
			r = errMissingAccess
		}
		return &r
	}
	return nil
}

// needGuild is need for guild-level permissions.
func (s *Server) needGuild(rc *reqCtx, gs *guildState, perms int64) *reply {
	if !s.opts.EnforcePermissions {
		return nil
	}
	mem := gs.members[rc.bot.bot.UserID]
	have := s.memberPermissionsLocked(gs, rc.bot.bot.UserID, mem.Roles)
	if have&perms != perms {
		r := errMissingPerms
		return &r
	}
	return nil
}

// highestRoleLocked returns the highest role position of a member.
func highestRolePosition(gs *guildState, roles []string) int {
	best := 0
	for _, r := range gs.roles {
		if slices.Contains(roles, r.ID) && r.Position > best {
			best = r.Position
		}
	}
	return best
}

// ---- interaction option checks ------------------------------------------------

// checkOptions verifies that given options fit the registered command
// definition. full requires required options (not for autocomplete).
func checkOptions(defs []*discordgo.ApplicationCommandOption, given []*discordgo.ApplicationCommandInteractionDataOption, full bool, path string) error {
	for _, g := range given {
		if g == nil {
			continue
		}
		i := slices.IndexFunc(defs, func(d *discordgo.ApplicationCommandOption) bool { return d != nil && d.Name == g.Name })
		if i < 0 {
			return fmt.Errorf("option %s%s is not defined by the registered command", path, g.Name)
		}
		d := defs[i]
		if d.Type != g.Type {
			return fmt.Errorf("option %s%s has type %d, the command defines %d", path, g.Name, g.Type, d.Type)
		}
		switch d.Type {
		case discordgo.ApplicationCommandOptionSubCommand, discordgo.ApplicationCommandOptionSubCommandGroup:
			if err := checkOptions(d.Options, g.Options, full, path+g.Name+" "); err != nil {
				return err
			}
			continue
		}
		if g.Focused && !d.Autocomplete {
			return fmt.Errorf("option %s%s is focused but has no autocomplete", path, g.Name)
		}
		if full && len(d.Choices) > 0 && !slices.ContainsFunc(d.Choices, func(c *discordgo.ApplicationCommandOptionChoice) bool {
			return fmt.Sprint(c.Value) == fmt.Sprint(g.Value)
		}) {
			return fmt.Errorf("option %s%s value %v is not one of the command's choices", path, g.Name, g.Value)
		}
	}
	if full {
		hasSub := false
		for _, d := range defs {
			if d == nil {
				continue
			}
			if d.Type == discordgo.ApplicationCommandOptionSubCommand || d.Type == discordgo.ApplicationCommandOptionSubCommandGroup {
				hasSub = true
				continue
			}
			if d.Required && !slices.ContainsFunc(given, func(g *discordgo.ApplicationCommandInteractionDataOption) bool { return g != nil && g.Name == d.Name }) {
				return fmt.Errorf("required option %s%s is missing", path, d.Name)
			}
		}
		if hasSub && len(given) != 1 {
			return fmt.Errorf("exactly one subcommand of %q must be given", strings.TrimSpace(path))
		}
	}
	return nil
}

func countFocused(opts []*discordgo.ApplicationCommandInteractionDataOption) int {
	n := 0
	for _, o := range opts {
		if o == nil {
			continue
		}
		if o.Focused {
			n++
		}
		n += countFocused(o.Options)
	}
	return n
}

// resolveOptionsLocked fills resolved users/members/roles/channels for
// user, role, mentionable and channel options, as Discord does.
func (s *Server) resolveOptionsLocked(guildID string, opts []*discordgo.ApplicationCommandInteractionDataOption, res *discordgo.ApplicationCommandInteractionDataResolved) {
	gs := s.guilds[guildID]
	addUser := func(id string) bool {
		u, ok := s.users[id]
		if !ok {
			return false
		}
		if res.Users == nil {
			res.Users = map[string]*discordgo.User{}
		}
		res.Users[id] = cloneJSON(u)
		if gs != nil {
			if m, ok := gs.members[id]; ok {
				if res.Members == nil {
					res.Members = map[string]*discordgo.Member{}
				}
				mc := cloneJSON(m)
				mc.User = nil
				res.Members[id] = mc
			}
		}
		return true
	}
	addRole := func(id string) bool {
		if gs == nil {
			return false
		}
		for _, r := range gs.roles {
			if r.ID == id {
				if res.Roles == nil {
					res.Roles = map[string]*discordgo.Role{}
				}
				res.Roles[id] = cloneJSON(r)
				return true
			}
		}
		return false
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		id, _ := o.Value.(string)
		switch o.Type {
		case discordgo.ApplicationCommandOptionUser:
			addUser(id)
		case discordgo.ApplicationCommandOptionRole:
			addRole(id)
		case discordgo.ApplicationCommandOptionMentionable:
			if !addUser(id) {
				addRole(id)
			}
		case discordgo.ApplicationCommandOptionChannel:
			if cs, ok := s.channels[id]; ok {
				if res.Channels == nil {
					res.Channels = map[string]*discordgo.Channel{}
				}
				res.Channels[id] = &discordgo.Channel{ID: id, Name: cs.ch.Name, Type: cs.ch.Type, ParentID: cs.ch.ParentID, ThreadMetadata: cs.ch.ThreadMetadata}
			}
		case discordgo.ApplicationCommandOptionSubCommand, discordgo.ApplicationCommandOptionSubCommandGroup:
			s.resolveOptionsLocked(guildID, o.Options, res)
		}
	}
}

// ---- op 8: request guild members -----------------------------------------------

func (s *Server) guildMembersChunkLocked(c *gwConn, d json.RawMessage) {
	var req struct {
		GuildID json.RawMessage `json:"guild_id"`
		Query   *string         `json:"query"`
		Limit   int             `json:"limit"`
		UserIDs json.RawMessage `json:"user_ids"`
		Nonce   string          `json:"nonce"`
	}
	if json.Unmarshal(d, &req) != nil || c.bot == nil {
		return
	}
	var ids []string
	var one string
	if json.Unmarshal(req.GuildID, &one) == nil {
		ids = []string{one}
	} else {
		_ = json.Unmarshal(req.GuildID, &ids)
	}
	var users []string
	if len(req.UserIDs) > 0 {
		if json.Unmarshal(req.UserIDs, &one) == nil {
			users = []string{one}
		} else {
			_ = json.Unmarshal(req.UserIDs, &users)
		}
	}
	for _, gid := range ids {
		gs, ok := s.guilds[gid]
		if !ok || !s.botInGuildLocked(c.bot, gid) {
			continue
		}
		chunk := &discordgo.GuildMembersChunk{GuildID: gid, Members: []*discordgo.Member{}, ChunkCount: 1, Nonce: req.Nonce}
		if users != nil {
			for _, u := range users {
				if m, ok := gs.members[u]; ok {
					chunk.Members = append(chunk.Members, m)
				} else {
					chunk.NotFound = append(chunk.NotFound, u)
				}
			}
		} else {
			q := ""
			if req.Query != nil {
				q = strings.ToLower(*req.Query)
			}
			for _, id := range gs.memberOrder {
				m := gs.members[id]
				if q == "" || strings.HasPrefix(strings.ToLower(m.User.Username), q) || strings.HasPrefix(strings.ToLower(m.Nick), q) {
					chunk.Members = append(chunk.Members, m)
					if req.Limit > 0 && len(chunk.Members) == req.Limit {
						break
					}
				}
			}
		}
		s.dispatchLocked(c.bot, "GUILD_MEMBERS_CHUNK", chunk)
	}
}
