package discordtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
)

func (s *Server) guildsLocked(rc *reqCtx) reply {
	sg := rc.segs
	if len(sg) < 2 {
		return errNotFound
	}
	gs, ok2 := s.guilds[sg[1]]
	if !ok2 {
		return errUnknownGuild
	}
	if !s.botInGuildLocked(rc.bot, gs.id) {
		return errMissingAccess
	}
	switch {
	case len(sg) == 2 && rc.method == http.MethodGet:
		g := s.guildCreateLocked(gs)
		g.Channels, g.Threads, g.Members = nil, nil, nil
		return ok(g)
	case len(sg) == 3 && sg[2] == "channels":
		switch rc.method {
		case http.MethodGet:
			out := []*discordgo.Channel{}
			for _, id := range gs.channelOrder {
				if c, ok := s.channels[id]; ok && !c.ch.IsThread() {
					out = append(out, c.ch)
				}
			}
			return ok(out)
		case http.MethodPost:
			return s.createChannelLocked(rc, gs)
		}
		return errMethod
	case len(sg) == 3 && sg[2] == "roles":
		switch rc.method {
		case http.MethodGet:
			return ok(gs.roles)
		case http.MethodPost:
			return s.roleWriteLocked(rc, gs, nil)
		}
		return errMethod
	case len(sg) == 4 && sg[2] == "roles":
		return s.roleLocked(rc, gs, sg[3])
	case len(sg) == 4 && sg[2] == "threads" && sg[3] == "active" && rc.method == http.MethodGet:
		return s.activeThreadsLocked(rc, gs)
	case len(sg) == 3 && sg[2] == "members" && rc.method == http.MethodGet:
		return s.listMembersLocked(rc, gs)
	case len(sg) == 4 && sg[2] == "members":
		return s.memberLocked(rc, gs, sg[3])
	case len(sg) == 6 && sg[2] == "members" && sg[4] == "roles":
		return s.memberRoleLocked(rc, gs, sg[3], sg[5])
	}
	return errNotFound
}

// roleLocked serves /guilds/{id}/roles/{role}: edit or delete.
func (s *Server) roleLocked(rc *reqCtx, gs *guildState, roleID string) reply {
	ri := slices.IndexFunc(gs.roles, func(r *discordgo.Role) bool { return r.ID == roleID })
	if ri < 0 {
		return errUnknownRole
	}
	switch rc.method {
	case http.MethodPatch:
		return s.roleWriteLocked(rc, gs, gs.roles[ri])
	case http.MethodDelete:
		if r := s.needGuild(rc, gs, discordgo.PermissionManageRoles); r != nil {
			return *r
		}
		if gs.roles[ri].ID == gs.id {
			return derr(http.StatusBadRequest, 50028, "Invalid role")
		}
		id := gs.roles[ri].ID
		gs.roles = slices.Delete(gs.roles, ri, ri+1)
		for _, m := range gs.members {
			m.Roles = slices.DeleteFunc(m.Roles, func(r string) bool { return r == id })
		}
		for _, ob := range s.botsInGuildLocked(gs) {
			s.emitLocked(ob, "GUILD_ROLE_DELETE", discordgo.IntentsGuilds, map[string]any{"guild_id": gs.id, "role_id": id})
		}
		return noContent()
	}
	return errMethod
}

// activeThreadsLocked serves GET /guilds/{id}/threads/active.
func (s *Server) activeThreadsLocked(rc *reqCtx, gs *guildState) reply {
	b := rc.bot
	out := &discordgo.ThreadsList{Threads: []*discordgo.Channel{}, Members: []*discordgo.ThreadMember{}}
	for _, id := range gs.channelOrder {
		c, ok := s.channels[id]
		if !ok || !c.ch.IsThread() || (c.ch.ThreadMetadata != nil && c.ch.ThreadMetadata.Archived) {
			continue
		}
		out.Threads = append(out.Threads, c.ch)
		if c.threadMembers[b.bot.UserID] {
			out.Members = append(out.Members, &discordgo.ThreadMember{ID: id, UserID: b.bot.UserID})
		}
	}
	return ok(out)
}

// listMembersLocked serves GET /guilds/{id}/members (limit, after).
func (s *Server) listMembersLocked(rc *reqCtx, gs *guildState) reply {
	limit := 1
	if v := rc.query.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			f := &formErrors{}
			f.add([]string{"limit"}, "NUMBER_TYPE_MAX", "int value should be between 1 and 1000.")
			return formErr(f)
		}
		limit = n
	}
	after := rc.query.Get("after")
	ids := slices.Clone(gs.memberOrder)
	sort.Slice(ids, func(i, j int) bool { return idLess(ids[i], ids[j]) })
	out := []*discordgo.Member{}
	for _, id := range ids {
		if after != "" && !idLess(after, id) {
			continue
		}
		out = append(out, gs.members[id])
		if len(out) == limit {
			break
		}
	}
	return ok(out)
}

// memberLocked serves /guilds/{id}/members/{user}: get, edit or kick.
func (s *Server) memberLocked(rc *reqCtx, gs *guildState, uid string) reply {
	if uid == "@me" {
		uid = rc.bot.bot.UserID
	}
	m, found := gs.members[uid]
	if !found {
		return errUnknownMember
	}
	switch rc.method {
	case http.MethodGet:
		return ok(m)
	case http.MethodPatch:
		return s.memberEditLocked(rc, gs, m)
	case http.MethodDelete:
		if r := s.needGuild(rc, gs, discordgo.PermissionKickMembers); r != nil {
			return *r
		}
		delete(gs.members, uid)
		gs.memberOrder = slices.DeleteFunc(gs.memberOrder, func(id string) bool { return id == uid })
		for _, ob := range s.botsInGuildLocked(gs) {
			s.emitLocked(ob, "GUILD_MEMBER_REMOVE", discordgo.IntentsGuildMembers, map[string]any{"guild_id": gs.id, "user": m.User})
		}
		return noContent()
	}
	return errMethod
}

// memberRoleLocked serves PUT/DELETE /guilds/{id}/members/{user}/roles/{role}.
func (s *Server) memberRoleLocked(rc *reqCtx, gs *guildState, uid, roleID string) reply {
	m, ok := gs.members[uid]
	if !ok {
		return errUnknownMember
	}
	ri := slices.IndexFunc(gs.roles, func(r *discordgo.Role) bool { return r.ID == roleID })
	if ri < 0 {
		return errUnknownRole
	}
	if r := s.needGuild(rc, gs, discordgo.PermissionManageRoles); r != nil {
		return *r
	}
	if s.opts.EnforcePermissions && gs.ownerID != rc.bot.bot.UserID &&
		gs.roles[ri].Position >= highestRolePosition(gs, gs.members[rc.bot.bot.UserID].Roles) {
		return errMissingPerms // role hierarchy: the bot's top role must be above the role
	}
	switch rc.method {
	case http.MethodPut:
		if !slices.Contains(m.Roles, roleID) {
			m.Roles = append(m.Roles, roleID)
		}
	case http.MethodDelete:
		m.Roles = slices.DeleteFunc(m.Roles, func(r string) bool { return r == roleID })
	default:
		return errMethod
	}
	for _, ob := range s.botsInGuildLocked(gs) {
		s.emitLocked(ob, "GUILD_MEMBER_UPDATE", discordgo.IntentsGuildMembers, m)
	}
	return noContent()
}

func (s *Server) roleWriteLocked(rc *reqCtx, gs *guildState, existing *discordgo.Role) reply {
	if r := s.needGuild(rc, gs, discordgo.PermissionManageRoles); r != nil {
		return *r
	}
	var body discordgo.RoleParams
	if len(bytes.TrimSpace(rc.body)) > 0 {
		if err := json.Unmarshal(rc.body, &body); err != nil {
			return badJSON(err)
		}
	}
	f := &formErrors{}
	f.maxLen([]string{"name"}, body.Name, 100)
	if !f.empty() {
		return formErr(f)
	}
	ev := "GUILD_ROLE_UPDATE"
	role := existing
	if role == nil {
		if len(gs.roles) >= 250 {
			return derr(http.StatusBadRequest, 30005, "Maximum number of guild roles reached (250)")
		}
		role = &discordgo.Role{ID: s.newIDLocked(), Name: "new role", Position: 1}
		for _, r := range gs.roles {
			if r.ID != gs.id {
				r.Position++
			}
		}
		gs.roles = append(gs.roles, role)
		ev = "GUILD_ROLE_CREATE"
	} else if s.opts.EnforcePermissions && gs.ownerID != rc.bot.bot.UserID &&
		role.Position >= highestRolePosition(gs, gs.members[rc.bot.bot.UserID].Roles) {
		return errMissingPerms
	}
	if body.Name != "" {
		role.Name = body.Name
	}
	if body.Color != nil {
		role.Color = *body.Color
	}
	if body.Hoist != nil {
		role.Hoist = *body.Hoist
	}
	if body.Permissions != nil {
		role.Permissions = *body.Permissions
	}
	if body.Mentionable != nil {
		role.Mentionable = *body.Mentionable
	}
	for _, ob := range s.botsInGuildLocked(gs) {
		s.emitLocked(ob, ev, discordgo.IntentsGuilds, map[string]any{"guild_id": gs.id, "role": role})
	}
	return ok(role)
}

func (s *Server) memberEditLocked(rc *reqCtx, gs *guildState, m *discordgo.Member) reply {
	var raw map[string]json.RawMessage
	if err := rc.decode(&raw); err != nil {
		return badJSON(err)
	}
	next := cloneJSON(m)
	if v, ok := raw["nick"]; ok {
		if r := s.needGuild(rc, gs, discordgo.PermissionManageNicknames); r != nil && m.User.ID != rc.bot.bot.UserID {
			return *r
		}
		var nick *string
		_ = json.Unmarshal(v, &nick)
		next.Nick = ""
		if nick != nil {
			next.Nick = *nick
		}
	}
	if v, ok := raw["roles"]; ok {
		if r := s.needGuild(rc, gs, discordgo.PermissionManageRoles); r != nil {
			return *r
		}
		var roles []string
		if err := json.Unmarshal(v, &roles); err != nil {
			return badJSON(err)
		}
		top := highestRolePosition(gs, gs.members[rc.bot.bot.UserID].Roles)
		for _, id := range roles {
			ri := slices.IndexFunc(gs.roles, func(r *discordgo.Role) bool { return r.ID == id })
			if ri < 0 {
				return errUnknownRole
			}
			if s.opts.EnforcePermissions && gs.ownerID != rc.bot.bot.UserID && !slices.Contains(m.Roles, id) && gs.roles[ri].Position >= top {
				return errMissingPerms
			}
		}
		next.Roles = roles
	}
	if v, ok := raw["communication_disabled_until"]; ok {
		if r := s.needGuild(rc, gs, discordgo.PermissionModerateMembers); r != nil {
			return *r
		}
		var until *time.Time
		_ = json.Unmarshal(v, &until)
		next.CommunicationDisabledUntil = until
	}
	*m = *next
	for _, ob := range s.botsInGuildLocked(gs) {
		s.emitLocked(ob, "GUILD_MEMBER_UPDATE", discordgo.IntentsGuildMembers, m)
	}
	return ok(m)
}
