// Test-side setup of the fake: bots, guilds and members, and the guild
// state the REST and gateway sides read.

package discordtest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bwmarrin/discordgo"
)

func stripBot(token string) string {
	return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(token), "Bot "))
}

// AddBot registers a bot token and returns its identity. Registering the
// same token again returns the same Bot. The token may carry a "Bot " prefix.
func (s *Server) AddBot(token string) Bot {
	token = stripBot(token)
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.bots[token]; ok {
		return b.bot
	}
	n := len(s.bots) + 1
	b := &botState{
		bot: Bot{
			Token:    token,
			UserID:   s.newIDLocked(),
			AppID:    s.newIDLocked(),
			Username: fmt.Sprintf("bot-%d", n),
		},
		guildCmds: map[string][]*discordgo.ApplicationCommand{},
		dmByUser:  map[string]string{},
		statsCh:   make(chan struct{}),
	}
	s.bots[token] = b
	s.botsByUser[b.bot.UserID] = b
	s.users[b.bot.UserID] = &discordgo.User{ID: b.bot.UserID, Username: b.bot.Username, Bot: true}
	return b.bot
}

func (s *Server) botLocked(bot Bot) (*botState, error) {
	b, ok := s.bots[stripBot(bot.Token)]
	if !ok {
		return nil, fmt.Errorf("discordtest: unknown bot %q", bot.Username)
	}
	return b, nil
}

// AddGuild creates a guild with its channels, roles and members and returns
// it with generated IDs filled in. Adding an existing guild ID replaces
// that guild (its old channels and messages are dropped). Bots listed as members (by user ID) are
// in the guild; others can join via AddBotToGuild. Bots with a live session
// receive GUILD_CREATE.
func (s *Server) AddGuild(g Guild) Guild {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g.ID == "" {
		g.ID = s.newIDLocked()
	}
	if g.Name == "" {
		g.Name = "guild-" + g.ID
	}
	if old, ok := s.guilds[g.ID]; ok {
		for _, id := range old.channelOrder {
			delete(s.channels, id)
		}
	}
	gs := &guildState{id: g.ID, name: g.Name, ownerID: g.OwnerID, members: map[string]*discordgo.Member{}}
	hasEveryone := false
	for _, r := range g.Roles {
		r = cloneJSON(r)
		if r.ID == "" {
			r.ID = s.newIDLocked()
		}
		if r.ID == g.ID {
			hasEveryone = true
		}
		gs.roles = append(gs.roles, r)
	}
	if !hasEveryone {
		gs.roles = append([]*discordgo.Role{{ID: g.ID, Name: "@everyone", Permissions: discordgo.PermissionViewChannel | discordgo.PermissionSendMessages | discordgo.PermissionReadMessageHistory | discordgo.PermissionSendMessagesInThreads | discordgo.PermissionCreatePublicThreads | discordgo.PermissionAddReactions | discordgo.PermissionUseSlashCommands}}, gs.roles...)
	}
	s.guilds[g.ID] = gs
	for _, c := range g.Channels {
		c = cloneJSON(c)
		if c.ID == "" {
			c.ID = s.newIDLocked()
		}
		c.GuildID = g.ID
		if c.Type == discordgo.ChannelTypeGuildPublicThread || c.Type == discordgo.ChannelTypeGuildPrivateThread || c.Type == discordgo.ChannelTypeGuildNewsThread {
			if c.ThreadMetadata == nil {
				c.ThreadMetadata = &discordgo.ThreadMetadata{AutoArchiveDuration: 1440}
			}
		}
		s.channels[c.ID] = &channelState{ch: c, threadMessage: map[string]string{}}
		gs.channelOrder = append(gs.channelOrder, c.ID)
	}
	for _, m := range g.Members {
		s.addMemberLocked(gs, m, false)
	}
	out := s.guildPublicLocked(gs)
	for _, b := range s.botsInGuildLocked(gs) {
		s.emitLocked(b, "GUILD_CREATE", discordgo.IntentsGuilds, s.guildCreateLocked(gs))
	}
	return out
}

func (s *Server) guildPublicLocked(gs *guildState) Guild {
	g := Guild{ID: gs.id, Name: gs.name, OwnerID: gs.ownerID}
	for _, r := range gs.roles {
		g.Roles = append(g.Roles, cloneJSON(r))
	}
	for _, id := range gs.channelOrder {
		if cs, ok := s.channels[id]; ok {
			g.Channels = append(g.Channels, cloneJSON(cs.ch))
		}
	}
	for _, id := range gs.memberOrder {
		g.Members = append(g.Members, cloneJSON(gs.members[id]))
	}
	return g
}

func (s *Server) addMemberLocked(gs *guildState, m *discordgo.Member, announce bool) *discordgo.Member {
	m = cloneJSON(m)
	if m.User == nil {
		m.User = &discordgo.User{}
	}
	if m.User.ID == "" {
		m.User.ID = s.newIDLocked()
	}
	if m.User.Username == "" {
		if u, ok := s.users[m.User.ID]; ok {
			m.User = cloneJSON(u)
		} else {
			m.User.Username = "user-" + m.User.ID
		}
	}
	if m.JoinedAt.IsZero() {
		m.JoinedAt = s.clock.Now().UTC()
	}
	if m.Roles == nil {
		m.Roles = []string{}
	}
	m.GuildID = gs.id
	if _, exists := gs.members[m.User.ID]; !exists {
		gs.memberOrder = append(gs.memberOrder, m.User.ID)
	}
	gs.members[m.User.ID] = m
	if _, ok := s.users[m.User.ID]; !ok {
		s.users[m.User.ID] = cloneJSON(m.User)
	}
	if announce {
		for _, b := range s.botsInGuildLocked(gs) {
			if b.bot.UserID == m.User.ID {
				continue
			}
			s.emitLocked(b, "GUILD_MEMBER_ADD", discordgo.IntentsGuildMembers, m)
		}
	}
	return m
}

// AddMember adds (or replaces) a guild member and sends GUILD_MEMBER_ADD to
// the bots in the guild. A missing user ID is generated. Returns the stored member.
func (s *Server) AddMember(guildID string, m *discordgo.Member) (*discordgo.Member, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gs, ok := s.guilds[guildID]
	if !ok {
		return nil, fmt.Errorf("discordtest: unknown guild %s", guildID)
	}
	return cloneJSON(s.addMemberLocked(gs, m, true)), nil
}

// RemoveMember makes a user leave a guild, as when they leave or are
// kicked elsewhere: GUILD_MEMBER_REMOVE to the guild's bots, and the user
// leaves every thread of the guild (THREAD_MEMBERS_UPDATE). A user who
// then shares no guild with a bot cannot be DMed by it (50007).
func (s *Server) RemoveMember(guildID, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	gs, ok := s.guilds[guildID]
	if !ok {
		return fmt.Errorf("discordtest: unknown guild %s", guildID)
	}
	m, ok := gs.members[userID]
	if !ok {
		return fmt.Errorf("discordtest: unknown member %s", userID)
	}
	delete(gs.members, userID)
	gs.memberOrder = slices.DeleteFunc(gs.memberOrder, func(id string) bool { return id == userID })
	for _, b := range s.botsInGuildLocked(gs) {
		s.emitLocked(b, "GUILD_MEMBER_REMOVE", discordgo.IntentsGuildMembers, map[string]any{"guild_id": gs.id, "user": m.User})
	}
	for _, id := range gs.channelOrder {
		cs, ok := s.channels[id]
		if !ok || !cs.ch.IsThread() || !cs.threadMembers[userID] {
			continue
		}
		delete(cs.threadMembers, userID)
		cs.ch.MemberCount = len(cs.threadMembers)
		ev := map[string]any{"id": cs.ch.ID, "guild_id": gs.id, "removed_member_ids": []string{userID}, "member_count": cs.ch.MemberCount}
		for _, b := range s.botsInGuildLocked(gs) {
			s.emitLocked(b, "THREAD_MEMBERS_UPDATE", discordgo.IntentsGuildMembers, ev)
		}
	}
	if s.left == nil {
		s.left = map[string]bool{}
	}
	s.left[userID] = true
	return nil
}

// SetMemberRoles replaces a member's roles and sends GUILD_MEMBER_UPDATE.
func (s *Server) SetMemberRoles(guildID, userID string, roles []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	gs, ok := s.guilds[guildID]
	if !ok {
		return fmt.Errorf("discordtest: unknown guild %s", guildID)
	}
	m, ok := gs.members[userID]
	if !ok {
		return fmt.Errorf("discordtest: unknown member %s", userID)
	}
	m.Roles = slices.Clone(roles)
	for _, b := range s.botsInGuildLocked(gs) {
		s.emitLocked(b, "GUILD_MEMBER_UPDATE", discordgo.IntentsGuildMembers, m)
	}
	return nil
}

// AddBotToGuild makes bot a member of the guild (with the given roles) and
// sends it GUILD_CREATE if it is connected; other bots get GUILD_MEMBER_ADD.
func (s *Server) AddBotToGuild(bot Bot, guildID string, roles ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.botLocked(bot)
	if err != nil {
		return err
	}
	gs, ok := s.guilds[guildID]
	if !ok {
		return fmt.Errorf("discordtest: unknown guild %s", guildID)
	}
	s.addMemberLocked(gs, &discordgo.Member{User: cloneJSON(s.users[b.bot.UserID]), Roles: roles}, true)
	s.emitLocked(b, "GUILD_CREATE", discordgo.IntentsGuilds, s.guildCreateLocked(gs))
	return nil
}

// GuildState returns a snapshot of a guild as the fake sees it.
func (s *Server) GuildState(guildID string) (Guild, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gs, ok := s.guilds[guildID]
	if !ok {
		return Guild{}, false
	}
	return s.guildPublicLocked(gs), true
}

func (s *Server) botsInGuildLocked(gs *guildState) []*botState {
	var out []*botState
	for _, id := range gs.memberOrder {
		if b, ok := s.botsByUser[id]; ok {
			out = append(out, b)
		}
	}
	return out
}

func (s *Server) botInGuildLocked(b *botState, guildID string) bool {
	gs, ok := s.guilds[guildID]
	if !ok {
		return false
	}
	_, ok = gs.members[b.bot.UserID]
	return ok
}

func (s *Server) guildCreateLocked(gs *guildState) *discordgo.Guild {
	g := &discordgo.Guild{
		ID:          gs.id,
		Name:        gs.name,
		OwnerID:     gs.ownerID,
		MemberCount: len(gs.members),
		JoinedAt:    s.clock.Now().UTC(),
	}
	for _, r := range gs.roles {
		g.Roles = append(g.Roles, cloneJSON(r))
	}
	for _, id := range gs.channelOrder {
		cs, ok := s.channels[id]
		if !ok {
			continue
		}
		if cs.ch.IsThread() {
			if cs.ch.ThreadMetadata == nil || !cs.ch.ThreadMetadata.Archived {
				g.Threads = append(g.Threads, cloneJSON(cs.ch))
			}
			continue
		}
		g.Channels = append(g.Channels, cloneJSON(cs.ch))
	}
	for _, id := range gs.memberOrder {
		g.Members = append(g.Members, cloneJSON(gs.members[id]))
	}
	return g
}

// memberPermissionsLocked ORs the permissions of @everyone and the member's roles.
func (s *Server) memberPermissionsLocked(gs *guildState, userID string, roles []string) int64 {
	if gs.ownerID != "" && gs.ownerID == userID {
		return discordgo.PermissionAll
	}
	var p int64
	for _, r := range gs.roles {
		if r.ID == gs.id || slices.Contains(roles, r.ID) {
			p |= r.Permissions
		}
	}
	if p&discordgo.PermissionAdministrator != 0 {
		return discordgo.PermissionAll
	}
	return p
}
