package discordtest

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/bwmarrin/discordgo"
)

// channelAccessLocked returns the channel if bot may access it.
func (s *Server) channelAccessLocked(b *botState, id string) (*channelState, *reply) {
	cs, ok := s.channels[id]
	if !ok {
		r := errUnknownChannel
		return nil, &r
	}
	if cs.ch.GuildID != "" {
		if !s.botInGuildLocked(b, cs.ch.GuildID) {
			r := errMissingAccess
			return nil, &r
		}
		return cs, nil
	}
	for _, u := range cs.ch.Recipients {
		if u.ID == b.bot.UserID {
			return cs, nil
		}
	}
	r := errMissingAccess
	return nil, &r
}

func (s *Server) channelsLocked(rc *reqCtx) reply {
	sg := rc.segs
	b := rc.bot
	if len(sg) < 2 {
		return errNotFound
	}
	cs, bad := s.channelAccessLocked(b, sg[1])
	if bad != nil {
		return *bad
	}
	if !s.canSeeThreadLocked(cs, b.bot.UserID) {
		return errMissingAccess
	}
	switch {
	case len(sg) == 2:
		return s.channelLocked(rc, cs)
	case len(sg) == 3 && sg[2] == "messages":
		switch rc.method {
		case http.MethodGet:
			if r := s.need(rc, cs, discordgo.PermissionViewChannel|discordgo.PermissionReadMessageHistory); r != nil {
				return *r
			}
			return s.listMessagesLocked(rc, cs)
		case http.MethodPost:
			return s.createMessageLocked(rc, cs)
		}
		return errMethod
	case len(sg) == 3 && sg[2] == "typing":
		return noContent()
	case len(sg) == 4 && sg[2] == "permissions":
		return s.channelPermissionLocked(rc, cs, sg[3])
	case len(sg) == 4 && sg[2] == "messages" && sg[3] == "bulk-delete" && rc.method == http.MethodPost:
		return s.bulkDeleteLocked(rc, cs)
	case len(sg) == 3 && sg[2] == "threads" && rc.method == http.MethodPost:
		return s.startThreadLocked(rc, cs, nil)
	case len(sg) == 4 && sg[2] == "messages":
		return s.messageLocked(rc, cs, sg[3])
	case len(sg) == 5 && sg[2] == "messages" && sg[4] == "threads" && rc.method == http.MethodPost:
		m := findMessage(cs, sg[3])
		if m == nil {
			return errUnknownMessage
		}
		return s.startThreadLocked(rc, cs, m)
	case len(sg) >= 6 && sg[2] == "messages" && sg[4] == "reactions":
		return s.reactionsLocked(rc, cs, sg[3])
	case len(sg) == 4 && sg[2] == "pins":
		if findMessage(cs, sg[3]) == nil {
			return errUnknownMessage
		}
		if r := s.need(rc, cs, discordgo.PermissionManageMessages); r != nil {
			return *r
		}
		return noContent()
	case len(sg) == 4 && sg[2] == "thread-members":
		return s.threadMemberLocked(rc, cs, sg[3])
	case len(sg) == 3 && sg[2] == "thread-members" && rc.method == http.MethodGet:
		if !cs.ch.IsThread() {
			return errNotThread
		}
		out := []*discordgo.ThreadMember{}
		for _, uid := range cs.threadMemberIDs() {
			out = append(out, &discordgo.ThreadMember{ID: cs.ch.ID, UserID: uid, JoinTimestamp: rc.now.UTC()})
		}
		return ok(out)
	}
	return errNotFound
}

// channelLocked serves /channels/{id}: get, edit or delete.
func (s *Server) channelLocked(rc *reqCtx, cs *channelState) reply {
	switch rc.method {
	case http.MethodGet:
		if r := s.need(rc, cs, discordgo.PermissionViewChannel); r != nil {
			return *r
		}
		return ok(cs.ch)
	case http.MethodPatch:
		return s.channelEditLocked(rc, cs)
	case http.MethodDelete:
		perm := int64(discordgo.PermissionManageChannels)
		if cs.ch.IsThread() {
			perm = discordgo.PermissionManageThreads
		}
		if r := s.need(rc, cs, perm); r != nil {
			return *r
		}
		return s.channelDeleteLocked(cs)
	}
	return errMethod
}

func (s *Server) channelEditLocked(rc *reqCtx, cs *channelState) reply {
	var raw map[string]json.RawMessage
	if err := rc.decode(&raw); err != nil {
		return badJSON(err)
	}
	f := &formErrors{}
	ch := cloneJSON(cs.ch)
	str := func(k string, dst *string) {
		if v, ok := raw[k]; ok {
			if err := json.Unmarshal(v, dst); err != nil {
				f.add([]string{k}, "BASE_TYPE_BAD_TYPE", "Invalid value")
			}
		}
	}
	str("name", &ch.Name)
	if _, ok := raw["name"]; ok {
		f.lenRange([]string{"name"}, ch.Name, 1, MaxChannelName)
	}
	str("topic", &ch.Topic)
	f.maxLen([]string{"topic"}, ch.Topic, 1024)
	str("parent_id", &ch.ParentID)
	if v, ok := raw["permission_overwrites"]; ok {
		if err := json.Unmarshal(v, &ch.PermissionOverwrites); err != nil {
			f.add([]string{"permission_overwrites"}, "BASE_TYPE_BAD_TYPE", "Invalid value")
		}
	}
	if v, ok := raw["position"]; ok {
		_ = json.Unmarshal(v, &ch.Position)
	}
	if v, ok := raw["nsfw"]; ok {
		_ = json.Unmarshal(v, &ch.NSFW)
	}
	if v, ok := raw["rate_limit_per_user"]; ok {
		_ = json.Unmarshal(v, &ch.RateLimitPerUser)
	}
	if ch.IsThread() {
		editThreadMetadata(ch, raw, f, rc.now)
	}
	if ch.ParentID != "" && ch.ParentID != cs.ch.ParentID && !ch.IsThread() {
		p, ok := s.channels[ch.ParentID]
		if !ok || p.ch.Type != discordgo.ChannelTypeGuildCategory || p.ch.GuildID != ch.GuildID {
			f.add([]string{"parent_id"}, "CHANNEL_PARENT_INVALID_TYPE", "Not a category")
		}
	}
	if !f.empty() {
		return formErr(f)
	}
	if cs.ch.IsThread() {
		if cs.ch.OwnerID != rc.bot.bot.UserID {
			if r := s.need(rc, cs, discordgo.PermissionManageThreads); r != nil {
				return *r
			}
		}
	} else {
		perm := int64(discordgo.PermissionManageChannels)
		if _, ok := raw["permission_overwrites"]; ok {
			perm |= discordgo.PermissionManageRoles
		}
		if r := s.need(rc, cs, perm); r != nil {
			return *r
		}
	}
	if s.opts.EnforceRenameLimit && (ch.Name != cs.ch.Name || ch.Topic != cs.ch.Topic) {
		cs.renames = slices.DeleteFunc(cs.renames, func(t time.Time) bool { return rc.now.Sub(t) >= renameWindow })
		if len(cs.renames) >= renameLimit {
			wait := renameWindow - rc.now.Sub(cs.renames[0])
			return reply{http.StatusTooManyRequests, map[string]any{
				"message": "You are being rate limited.", "retry_after": wait.Seconds(), "global": false}}
		}
		cs.renames = append(cs.renames, rc.now)
	}
	cs.ch = ch
	ev := "CHANNEL_UPDATE"
	if ch.IsThread() {
		ev = "THREAD_UPDATE"
	}
	for _, b := range s.channelAudienceLocked(cs) {
		s.emitLocked(b, ev, discordgo.IntentsGuilds, ch)
	}
	return ok(ch)
}

// editThreadMetadata applies the thread fields of a channel edit to ch
// (archived, locked, invitable, auto_archive_duration).
func editThreadMetadata(ch *discordgo.Channel, raw map[string]json.RawMessage, f *formErrors, now time.Time) {
	md := ch.ThreadMetadata
	if md == nil {
		md = &discordgo.ThreadMetadata{}
		ch.ThreadMetadata = md
	}
	if v, ok := raw["archived"]; ok {
		var a bool
		_ = json.Unmarshal(v, &a)
		if a != md.Archived {
			md.ArchiveTimestamp = now.UTC()
		}
		md.Archived = a
	}
	if v, ok := raw["locked"]; ok {
		_ = json.Unmarshal(v, &md.Locked)
	}
	if v, ok := raw["invitable"]; ok {
		_ = json.Unmarshal(v, &md.Invitable)
	}
	if v, ok := raw["auto_archive_duration"]; ok {
		_ = json.Unmarshal(v, &md.AutoArchiveDuration)
		if !validArchive(md.AutoArchiveDuration) {
			f.add([]string{"auto_archive_duration"}, "BASE_TYPE_CHOICES", "Value must be one of {60, 1440, 4320, 10080}.")
		}
	}
}

func (s *Server) channelDeleteLocked(cs *channelState) reply {
	if cs.ch.GuildID == "" {
		return ok(cs.ch) // closing a DM is a no-op here
	}
	gs := s.guilds[cs.ch.GuildID]
	aud := s.botsInGuildLocked(gs)
	del := func(c *channelState) {
		delete(s.channels, c.ch.ID)
		if i := slices.Index(gs.channelOrder, c.ch.ID); i >= 0 {
			gs.channelOrder = slices.Delete(gs.channelOrder, i, i+1)
		}
		ev, payload := "CHANNEL_DELETE", any(c.ch)
		if c.ch.IsThread() {
			ev = "THREAD_DELETE"
			payload = map[string]any{"id": c.ch.ID, "guild_id": c.ch.GuildID, "parent_id": c.ch.ParentID, "type": c.ch.Type}
		}
		for _, b := range aud {
			s.emitLocked(b, ev, discordgo.IntentsGuilds, payload)
		}
	}
	// Deleting a channel deletes its threads.
	for _, id := range slices.Clone(gs.channelOrder) {
		if c, ok := s.channels[id]; ok && c.ch.IsThread() && c.ch.ParentID == cs.ch.ID {
			del(c)
		}
	}
	del(cs)
	if cs.ch.Type == discordgo.ChannelTypeGuildCategory {
		// Children lose their parent.
		for _, id := range gs.channelOrder {
			if c, ok := s.channels[id]; ok && c.ch.ParentID == cs.ch.ID {
				c.ch.ParentID = ""
				for _, b := range aud {
					s.emitLocked(b, "CHANNEL_UPDATE", discordgo.IntentsGuilds, c.ch)
				}
			}
		}
	}
	return ok(cs.ch)
}

func (s *Server) createChannelLocked(rc *reqCtx, gs *guildState) reply {
	var body discordgo.GuildChannelCreateData
	if err := rc.decode(&body); err != nil {
		return badJSON(err)
	}
	f := &formErrors{}
	f.lenRange([]string{"name"}, body.Name, 1, MaxChannelName)
	f.maxLen([]string{"topic"}, body.Topic, 1024)
	switch body.Type {
	case discordgo.ChannelTypeGuildText, discordgo.ChannelTypeGuildVoice, discordgo.ChannelTypeGuildCategory,
		discordgo.ChannelTypeGuildNews, discordgo.ChannelTypeGuildStageVoice, discordgo.ChannelTypeGuildForum, discordgo.ChannelTypeGuildMedia:
	default:
		f.add([]string{"type"}, "BASE_TYPE_CHOICES", "Value must be one of {0, 2, 4, 5, 13, 15, 16}.")
	}
	total, inParent := 0, 0
	for _, id := range gs.channelOrder {
		c, ok := s.channels[id]
		if !ok || c.ch.IsThread() {
			continue
		}
		total++
		if body.ParentID != "" && c.ch.ParentID == body.ParentID {
			inParent++
		}
	}
	if body.ParentID != "" {
		p, ok := s.channels[body.ParentID]
		if !ok || p.ch.Type != discordgo.ChannelTypeGuildCategory || p.ch.GuildID != gs.id {
			f.add([]string{"parent_id"}, "CHANNEL_PARENT_INVALID_TYPE", "Not a category")
		} else if body.Type == discordgo.ChannelTypeGuildCategory {
			f.add([]string{"parent_id"}, "CHANNEL_PARENT_INVALID_TYPE", "Categories cannot have a parent")
		} else if inParent >= 50 {
			f.add([]string{"parent_id"}, "CHANNEL_PARENT_MAX_CHANNELS", "Maximum number of channels in category reached (50)")
		}
	}
	if !f.empty() {
		return formErr(f)
	}
	perm := int64(discordgo.PermissionManageChannels)
	if len(body.PermissionOverwrites) > 0 {
		perm |= discordgo.PermissionManageRoles
	}
	if r := s.needGuild(rc, gs, perm); r != nil {
		return *r
	}
	if total >= 500 {
		return errTooManyChans
	}
	ch := &discordgo.Channel{
		ID: s.newIDLocked(), GuildID: gs.id, Name: body.Name, Type: body.Type, Topic: body.Topic,
		Bitrate: body.Bitrate, UserLimit: body.UserLimit, RateLimitPerUser: body.RateLimitPerUser,
		Position: body.Position, PermissionOverwrites: body.PermissionOverwrites, ParentID: body.ParentID, NSFW: body.NSFW,
	}
	if ch.PermissionOverwrites == nil {
		ch.PermissionOverwrites = []*discordgo.PermissionOverwrite{}
	}
	s.channels[ch.ID] = &channelState{ch: ch, threadMessage: map[string]string{}}
	gs.channelOrder = append(gs.channelOrder, ch.ID)
	for _, b := range s.botsInGuildLocked(gs) {
		s.emitLocked(b, "CHANNEL_CREATE", discordgo.IntentsGuilds, ch)
	}
	return created(ch)
}

// channelPermissionLocked handles PUT/DELETE /channels/{c}/permissions/{id}.
func (s *Server) channelPermissionLocked(rc *reqCtx, cs *channelState, target string) reply {
	if cs.ch.GuildID == "" || cs.ch.IsThread() {
		return errNotThread
	}
	if r := s.need(rc, cs, discordgo.PermissionManageRoles); r != nil {
		return *r
	}
	ch := cloneJSON(cs.ch)
	ch.PermissionOverwrites = slices.DeleteFunc(ch.PermissionOverwrites, func(o *discordgo.PermissionOverwrite) bool { return o.ID == target })
	switch rc.method {
	case http.MethodPut:
		var o discordgo.PermissionOverwrite
		if err := rc.decode(&o); err != nil {
			return badJSON(err)
		}
		o.ID = target
		if o.Type != discordgo.PermissionOverwriteTypeRole && o.Type != discordgo.PermissionOverwriteTypeMember {
			f := &formErrors{}
			f.add([]string{"type"}, "BASE_TYPE_CHOICES", "Value must be one of {0, 1}.")
			return formErr(f)
		}
		ch.PermissionOverwrites = append(ch.PermissionOverwrites, &o)
	case http.MethodDelete:
	default:
		return errMethod
	}
	cs.ch = ch
	for _, b := range s.channelAudienceLocked(cs) {
		s.emitLocked(b, "CHANNEL_UPDATE", discordgo.IntentsGuilds, ch)
	}
	return noContent()
}
