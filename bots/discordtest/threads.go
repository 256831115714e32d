package discordtest

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/bwmarrin/discordgo"
)

type threadBody struct {
	Name                string                 `json:"name"`
	AutoArchiveDuration *int                   `json:"auto_archive_duration"`
	Type                *discordgo.ChannelType `json:"type"`
	Invitable           *bool                  `json:"invitable"`
	RateLimitPerUser    int                    `json:"rate_limit_per_user"`
	AppliedTags         []string               `json:"applied_tags"`
	Message             *messageBody           `json:"message"`
}

func validArchive(d int) bool { return d == 60 || d == 1440 || d == 4320 || d == 10080 }

func (s *Server) startThreadLocked(rc *reqCtx, parent *channelState, from *discordgo.Message) reply {
	var body threadBody
	if err := rc.decode(&body); err != nil {
		return badJSON(err)
	}
	pt := parent.ch.Type
	isForum := pt == discordgo.ChannelTypeGuildForum || pt == discordgo.ChannelTypeGuildMedia
	if parent.ch.GuildID == "" || parent.ch.IsThread() ||
		(pt != discordgo.ChannelTypeGuildText && pt != discordgo.ChannelTypeGuildNews && !isForum) {
		return errNotThread
	}
	f := &formErrors{}
	f.lenRange([]string{"name"}, body.Name, 1, MaxChannelName)
	archive := 4320
	if body.AutoArchiveDuration != nil && *body.AutoArchiveDuration != 0 {
		archive = *body.AutoArchiveDuration
		if !validArchive(archive) {
			f.add([]string{"auto_archive_duration"}, "BASE_TYPE_CHOICES", "Value must be one of {60, 1440, 4320, 10080}.")
		}
	}
	var typ discordgo.ChannelType
	switch {
	case from != nil:
		if parent.threadMessage[from.ID] != "" {
			return errThreadExists
		}
		typ = discordgo.ChannelTypeGuildPublicThread
		if pt == discordgo.ChannelTypeGuildNews {
			typ = discordgo.ChannelTypeGuildNewsThread
		}
		if isForum {
			return errNotThread
		}
	case isForum:
		typ = discordgo.ChannelTypeGuildPublicThread
		if body.Message == nil {
			f.add([]string{"message"}, "BASE_TYPE_REQUIRED", "This field is required")
		} else {
			validateMessage(f, []string{"message"}, body.Message, len(rc.files), true)
		}
	default:
		typ = discordgo.ChannelTypeGuildPrivateThread
		if body.Type != nil && *body.Type != 0 {
			typ = *body.Type
		}
		if typ != discordgo.ChannelTypeGuildPrivateThread && typ != discordgo.ChannelTypeGuildPublicThread && typ != discordgo.ChannelTypeGuildNewsThread {
			f.add([]string{"type"}, "BASE_TYPE_CHOICES", "Value must be one of {10, 11, 12}.")
		}
	}
	if !f.empty() {
		return formErr(f)
	}
	perm := int64(discordgo.PermissionViewChannel | discordgo.PermissionCreatePublicThreads)
	switch {
	case isForum:
		perm = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages
	case typ == discordgo.ChannelTypeGuildPrivateThread:
		perm = discordgo.PermissionViewChannel | discordgo.PermissionCreatePrivateThreads
	}
	if r := s.need(rc, parent, perm); r != nil {
		return *r
	}
	id := s.newIDLocked()
	if from != nil {
		id = from.ID // a thread started from a message shares its ID
	}
	invitable := true
	if body.Invitable != nil {
		invitable = *body.Invitable
	}
	th := &discordgo.Channel{
		ID: id, GuildID: parent.ch.GuildID, ParentID: parent.ch.ID, Type: typ, Name: body.Name,
		OwnerID: rc.bot.bot.UserID, RateLimitPerUser: body.RateLimitPerUser, AppliedTags: body.AppliedTags,
		ThreadMetadata: &discordgo.ThreadMetadata{AutoArchiveDuration: archive, ArchiveTimestamp: rc.now.UTC()},
		MemberCount:    1,
		Member:         &discordgo.ThreadMember{ID: id, UserID: rc.bot.bot.UserID, JoinTimestamp: rc.now.UTC()},
	}
	if typ == discordgo.ChannelTypeGuildPrivateThread {
		th.ThreadMetadata.Invitable = invitable
	}
	tcs := &channelState{ch: th, threadMessage: map[string]string{}, threadFor: ""}
	tcs.addThreadMember(rc.bot.bot.UserID)
	s.channels[id] = tcs
	gs := s.guilds[parent.ch.GuildID]
	gs.channelOrder = append(gs.channelOrder, id)
	if from != nil {
		tcs.threadFor = from.ID
		parent.threadMessage[from.ID] = id
		from.Flags |= discordgo.MessageFlagsHasThread
		from.Thread = cloneJSON(th)
	}
	for _, b := range s.botsInGuildLocked(gs) {
		ev := cloneJSON(th)
		if b != rc.bot {
			ev.Member = nil
		}
		s.emitLocked(b, "THREAD_CREATE", discordgo.IntentsGuilds, &discordgo.ThreadCreate{Channel: ev, NewlyCreated: true})
	}
	if isForum && body.Message != nil {
		m := s.newBotMessageLocked(rc.bot, id, th.GuildID, rc.now)
		m.ID = id
		s.applyMessageLocked(m, body.Message, rc.files)
		s.storeMessageLocked(tcs, m)
		out := cloneJSON(th)
		return created(struct {
			*discordgo.Channel
			Message any `json:"message"`
		}{out, wireMsg(m)})
	}
	return created(th)
}

func (cs *channelState) addThreadMember(uid string) bool {
	if cs.threadMembers == nil {
		cs.threadMembers = map[string]bool{}
	}
	if cs.threadMembers[uid] {
		return false
	}
	cs.threadMembers[uid] = true
	cs.ch.MemberCount = len(cs.threadMembers)
	return true
}

func (cs *channelState) threadMemberIDs() []string {
	out := make([]string, 0, len(cs.threadMembers))
	for id := range cs.threadMembers {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return idLess(out[i], out[j]) })
	return out
}

func (s *Server) threadMemberLocked(rc *reqCtx, cs *channelState, uid string) reply {
	if !cs.ch.IsThread() {
		return errNotThread
	}
	if uid == "@me" {
		uid = rc.bot.bot.UserID
	}
	gs := s.guilds[cs.ch.GuildID]
	if _, ok := gs.members[uid]; !ok {
		return errUnknownMember
	}
	if md := cs.ch.ThreadMetadata; md != nil && md.Archived && rc.method != http.MethodGet {
		return derr(http.StatusBadRequest, 50083, "Thread is archived")
	}
	if uid != rc.bot.bot.UserID && rc.method != http.MethodGet {
		if r := s.need(rc, cs, discordgo.PermissionViewChannel|discordgo.PermissionSendMessagesInThreads); r != nil {
			return *r
		}
	}
	ev := map[string]any{"id": cs.ch.ID, "guild_id": cs.ch.GuildID}
	switch rc.method {
	case http.MethodGet:
		if !cs.threadMembers[uid] {
			return errUnknownMember
		}
		return ok(&discordgo.ThreadMember{ID: cs.ch.ID, UserID: uid})
	case http.MethodPut:
		if !cs.addThreadMember(uid) {
			return noContent()
		}
		ev["added_members"] = []*discordgo.ThreadMember{{ID: cs.ch.ID, UserID: uid, JoinTimestamp: rc.now.UTC()}}
	case http.MethodDelete:
		if !cs.threadMembers[uid] {
			return noContent()
		}
		delete(cs.threadMembers, uid)
		cs.ch.MemberCount = len(cs.threadMembers)
		ev["removed_member_ids"] = []string{uid}
	default:
		return errMethod
	}
	ev["member_count"] = cs.ch.MemberCount
	for _, b := range s.botsInGuildLocked(gs) {
		// Discord: GUILD_MEMBERS, or GUILDS when only the bot itself changed.
		intent := discordgo.IntentsGuildMembers
		if uid == b.bot.UserID {
			intent = discordgo.IntentsGuilds
		}
		s.emitLocked(b, "THREAD_MEMBERS_UPDATE", intent, ev)
	}
	return noContent()
}

// isPrivateThread reports whether cs is a private thread.
func (cs *channelState) isPrivateThread() bool {
	return cs.ch.Type == discordgo.ChannelTypeGuildPrivateThread
}

// canSeeThreadLocked: a private thread is visible to its members and to
// members with MANAGE_THREADS (or Administrator) on the parent, as on
// Discord; any other channel to everyone here.
func (s *Server) canSeeThreadLocked(cs *channelState, userID string) bool {
	if !cs.isPrivateThread() || cs.threadMembers[userID] {
		return true
	}
	// Administrator implies every permission; discordgo's PermissionAll
	// (which the fake's permission computation returns for it) predates
	// MANAGE_THREADS, so test the bit itself too.
	return s.channelPermissionsLocked(cs, userID, nil)&(discordgo.PermissionManageThreads|discordgo.PermissionAdministrator) != 0
}

// allowedMentions is the allowed_mentions object of a message payload.
type allowedMentions struct {
	Parse []string `json:"parse"`
	Users []string `json:"users"`
	Roles []string `json:"roles"`
}

// threadMentionAddsLocked adds the members a message in a private thread
// mentions (users, and the members of mentioned roles) to the thread, as
// Discord does, when they can view the parent channel and allowed_mentions
// lets the mention ping. Each addition sends THREAD_MEMBERS_UPDATE.
func (s *Server) threadMentionAddsLocked(cs *channelState, m *discordgo.Message, rawAllowed json.RawMessage, now time.Time) {
	if !cs.isPrivateThread() {
		return
	}
	gs, ok := s.guilds[cs.ch.GuildID]
	if !ok {
		return
	}
	var am *allowedMentions
	if len(rawAllowed) > 0 && string(rawAllowed) != "null" {
		am = &allowedMentions{}
		if json.Unmarshal(rawAllowed, am) != nil {
			return
		}
	}
	userOK := func(id string) bool {
		return am == nil || slices.Contains(am.Parse, "users") || slices.Contains(am.Users, id)
	}
	roleOK := func(id string) bool {
		return am == nil || slices.Contains(am.Parse, "roles") || slices.Contains(am.Roles, id)
	}
	var add []string
	for _, u := range m.Mentions {
		if u != nil && userOK(u.ID) {
			add = append(add, u.ID)
		}
	}
	for _, r := range m.MentionRoles {
		if !roleOK(r) {
			continue
		}
		for _, id := range gs.memberOrder {
			if mem := gs.members[id]; mem != nil && slices.Contains(mem.Roles, r) && s.botsByUser[id] == nil {
				add = append(add, id)
			}
		}
	}
	parent, ok := s.channels[cs.ch.ParentID]
	if !ok {
		return
	}
	var added []*discordgo.ThreadMember
	for _, id := range add {
		if _, member := gs.members[id]; !member {
			continue
		}
		if s.channelPermissionsLocked(parent, id, nil)&discordgo.PermissionViewChannel == 0 {
			continue
		}
		if cs.addThreadMember(id) {
			added = append(added, &discordgo.ThreadMember{ID: cs.ch.ID, UserID: id, JoinTimestamp: now.UTC()})
		}
	}
	if len(added) == 0 {
		return
	}
	ev := map[string]any{"id": cs.ch.ID, "guild_id": cs.ch.GuildID, "added_members": added, "member_count": cs.ch.MemberCount}
	for _, b := range s.botsInGuildLocked(gs) {
		s.emitLocked(b, "THREAD_MEMBERS_UPDATE", discordgo.IntentsGuildMembers, ev)
	}
}

// ThreadMembers returns the user IDs in a thread, sorted.
func (s *Server) ThreadMembers(threadID string) ([]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, ok := s.channels[threadID]
	if !ok || !cs.ch.IsThread() {
		return nil, false
	}
	return cs.threadMemberIDs(), true
}
