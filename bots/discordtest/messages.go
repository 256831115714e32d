package discordtest

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
)

// messageUpdatedLocked dispatches MESSAGE_UPDATE if m is a channel message.
// editMessageLocked applies a PATCH of message m (a channel message or an
// interaction's original/followup): decode, validate against Discord's
// limits, apply, emit MESSAGE_UPDATE. A non-nil reply is the error to send.
func (s *Server) editMessageLocked(rec *interactionRec, m *discordgo.Message, rc *reqCtx) (*messageBody, *reply) {
	var body messageBody
	if err := rc.decode(&body); err != nil {
		r := badJSON(err)
		return nil, &r
	}
	f := &formErrors{}
	validateMessage(f, nil, &body, len(rc.files), false)
	if !f.empty() {
		r := formErr(f)
		return nil, &r
	}
	s.applyEditLocked(m, &body, rc.files, rc.now)
	s.messageUpdatedLocked(rec, m)
	return &body, nil
}

func (s *Server) messageUpdatedLocked(_ *interactionRec, m *discordgo.Message) {
	cs, ok := s.channels[m.ChannelID]
	if !ok || !slices.Contains(cs.msgs, m) {
		return
	}
	s.fillMentionsLocked(m)
	s.notifyMessagesLocked()
	for _, b := range s.channelAudienceLocked(cs) {
		s.emitMessageLocked(b, "MESSAGE_UPDATE", m)
	}
}

func (s *Server) messageDeletedLocked(m *discordgo.Message) {
	cs, ok := s.channels[m.ChannelID]
	if !ok {
		return
	}
	i := slices.Index(cs.msgs, m)
	if i < 0 {
		return
	}
	cs.msgs = slices.Delete(cs.msgs, i, i+1)
	s.notifyMessagesLocked()
	for _, b := range s.channelAudienceLocked(cs) {
		s.emitLocked(b, "MESSAGE_DELETE", messageIntent(m), map[string]any{"id": m.ID, "channel_id": m.ChannelID, "guild_id": m.GuildID})
	}
}

func (s *Server) newBotMessageLocked(b *botState, channelID, guildID string, now time.Time) *discordgo.Message {
	return &discordgo.Message{
		ID:          s.newIDLocked(),
		ChannelID:   channelID,
		GuildID:     guildID,
		Author:      cloneJSON(s.users[b.bot.UserID]),
		Timestamp:   now.UTC(),
		Type:        discordgo.MessageTypeDefault,
		Embeds:      []*discordgo.MessageEmbed{},
		Attachments: []*discordgo.MessageAttachment{},
		Mentions:    []*discordgo.User{},
		Components:  []discordgo.MessageComponent{},
	}
}

// applyMessage fills a new message from a create payload.
func (s *Server) applyMessageLocked(m *discordgo.Message, body *messageBody, files []File) {
	if body.Content != nil {
		m.Content = *body.Content
	}
	if e := body.embeds(); e != nil {
		m.Embeds = normEmbeds(e)
	}
	if body.Components != nil {
		m.Components = decodeComponents(*body.Components)
	}
	m.Flags = body.flags() & (discordgo.MessageFlagsEphemeral | discordgo.MessageFlagsSuppressEmbeds | discordgo.MessageFlagsIsComponentsV2 | discordgo.MessageFlagsSuppressNotifications)
	m.TTS = body.TTS
	m.Attachments = s.attachmentsLocked(m.ID, files)
}

// applyEdit applies a PATCH payload to an existing message.
func (s *Server) applyEditLocked(m *discordgo.Message, body *messageBody, files []File, now time.Time) {
	if body.Content != nil {
		m.Content = *body.Content
	}
	if e := body.embeds(); e != nil || body.Embeds != nil {
		m.Embeds = normEmbeds(e)
	}
	if body.Components != nil {
		m.Components = decodeComponents(*body.Components)
	}
	if body.Flags != nil {
		keep := m.Flags & discordgo.MessageFlagsEphemeral
		m.Flags = keep | (*body.Flags & (discordgo.MessageFlagsSuppressEmbeds | discordgo.MessageFlagsIsComponentsV2))
	}
	m.Flags &^= discordgo.MessageFlagsLoading
	if len(files) > 0 {
		m.Attachments = append(m.Attachments, s.attachmentsLocked(m.ID, files)...)
	}
	t := now.UTC()
	m.EditedTimestamp = &t
}

func normEmbeds(e []*discordgo.MessageEmbed) []*discordgo.MessageEmbed {
	out := make([]*discordgo.MessageEmbed, 0, len(e))
	for _, x := range e {
		if x == nil {
			continue
		}
		x = cloneJSON(x)
		if x.Type == "" {
			x.Type = discordgo.EmbedTypeRich
		}
		out = append(out, x)
	}
	return out
}

func findMessage(cs *channelState, id string) *discordgo.Message {
	for _, m := range cs.msgs {
		if m.ID == id {
			return m
		}
	}
	return nil
}

func (s *Server) createMessageLocked(rc *reqCtx, cs *channelState) reply {
	var body messageBody
	if err := rc.decode(&body); err != nil {
		return badJSON(err)
	}
	f := &formErrors{}
	validateMessage(f, nil, &body, len(rc.files), true)
	checkNonce(f, &body)
	if body.flags()&discordgo.MessageFlagsEphemeral != 0 {
		f.add([]string{"flags"}, "MESSAGE_FLAGS_INVALID", "Ephemeral messages can only be sent as interaction responses.")
	}
	if body.MessageReference != nil && body.MessageReference.MessageID != "" {
		refCh := body.MessageReference.ChannelID
		if refCh == "" || refCh == cs.ch.ID {
			if findMessage(cs, body.MessageReference.MessageID) == nil {
				f.add([]string{"message_reference"}, "REPLIES_UNKNOWN_MESSAGE", "Unknown message")
			}
		}
	}
	if !f.empty() {
		return formErr(f)
	}
	send := int64(discordgo.PermissionViewChannel | discordgo.PermissionSendMessages)
	if cs.ch.IsThread() {
		send = discordgo.PermissionViewChannel | discordgo.PermissionSendMessagesInThreads
	}
	if len(rc.files) > 0 {
		send |= discordgo.PermissionAttachFiles
	}
	if r := s.need(rc, cs, send); r != nil {
		return *r
	}
	if r := s.dmBlockedLocked(cs); r != nil {
		return *r
	}
	if md := cs.ch.ThreadMetadata; cs.ch.IsThread() && md != nil && md.Archived {
		if md.Locked && s.need(rc, cs, discordgo.PermissionManageThreads) != nil {
			return derr(http.StatusBadRequest, 50083, "Thread is archived")
		}
		// Sending to an archived (unlocked) thread unarchives it.
		md.Archived = false
		md.ArchiveTimestamp = rc.now.UTC()
		for _, b := range s.channelAudienceLocked(cs) {
			s.emitLocked(b, "THREAD_UPDATE", discordgo.IntentsGuilds, cs.ch)
		}
	}
	if prev := s.nonceMessageLocked(cs, rc, &body); prev != nil {
		return ok(wireMsg(prev)) // enforce_nonce: the earlier message, no second one
	}
	m := s.newBotMessageLocked(rc.bot, cs.ch.ID, cs.ch.GuildID, rc.now)
	s.applyMessageLocked(m, &body, rc.files)
	if body.MessageReference != nil && body.MessageReference.MessageID != "" {
		m.Type = discordgo.MessageTypeReply
		m.MessageReference = body.MessageReference
		m.ReferencedMessage = findMessage(cs, body.MessageReference.MessageID)
		if m.ReferencedMessage != nil {
			m.ReferencedMessage = cloneMessage(m.ReferencedMessage)
		}
	}
	s.storeMessageLocked(cs, m)
	s.rememberNonceLocked(cs, rc, &body, m)
	s.threadMentionAddsLocked(cs, m, body.AllowedMentions, rc.now)
	return ok(wireMsg(m))
}

func (s *Server) listMessagesLocked(rc *reqCtx, cs *channelState) reply {
	limit := 50
	if v := rc.query.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			f := &formErrors{}
			f.add([]string{"limit"}, "NUMBER_TYPE_MAX", "int value should be between 1 and 100.")
			return formErr(f)
		}
		limit = n
	}
	msgs := cs.msgs // oldest first
	var sel []*discordgo.Message
	switch {
	case rc.query.Get("after") != "":
		after := rc.query.Get("after")
		for _, m := range msgs {
			if idLess(after, m.ID) {
				sel = append(sel, m)
				if len(sel) == limit {
					break
				}
			}
		}
	case rc.query.Get("around") != "":
		around := rc.query.Get("around")
		i := slices.IndexFunc(msgs, func(m *discordgo.Message) bool { return !idLess(m.ID, around) })
		if i < 0 {
			i = len(msgs)
		}
		lo := max(0, i-limit/2)
		hi := min(len(msgs), lo+limit)
		sel = msgs[lo:hi]
	default:
		before := rc.query.Get("before")
		for i := len(msgs) - 1; i >= 0 && len(sel) < limit; i-- {
			if before == "" || idLess(msgs[i].ID, before) {
				sel = append(sel, msgs[i])
			}
		}
		slices.Reverse(sel)
	}
	// Discord returns newest first.
	out := slices.Clone(sel)
	slices.Reverse(out)
	if out == nil {
		out = []*discordgo.Message{}
	}
	return ok(wireMsgs(out))
}

// bulkDeleteLocked handles POST /channels/{c}/messages/bulk-delete.
func (s *Server) bulkDeleteLocked(rc *reqCtx, cs *channelState) reply {
	var body struct {
		Messages []string `json:"messages"`
	}
	if err := rc.decode(&body); err != nil {
		return badJSON(err)
	}
	f := &formErrors{}
	if len(body.Messages) < 2 || len(body.Messages) > 100 {
		f.add([]string{"messages"}, "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 100 in length.")
	}
	for i, id := range body.Messages {
		if t, err := discordgo.SnowflakeTimestamp(id); err == nil && rc.now.Sub(t) > 14*24*time.Hour {
			f.add([]string{"messages", strconv.Itoa(i)}, "MESSAGE_BULK_DELETE_TOO_OLD", "You can only bulk delete messages that are under 14 days old.")
		}
	}
	if !f.empty() {
		return formErr(f)
	}
	if r := s.need(rc, cs, discordgo.PermissionManageMessages); r != nil {
		return *r
	}
	var deleted []string
	for _, id := range body.Messages {
		if m := findMessage(cs, id); m != nil {
			i := slices.Index(cs.msgs, m)
			cs.msgs = slices.Delete(cs.msgs, i, i+1)
			deleted = append(deleted, id)
		}
	}
	if len(deleted) > 0 {
		s.notifyMessagesLocked()
		for _, b := range s.channelAudienceLocked(cs) {
			s.emitLocked(b, "MESSAGE_DELETE_BULK", discordgo.IntentsGuildMessages,
				map[string]any{"ids": deleted, "channel_id": cs.ch.ID, "guild_id": cs.ch.GuildID})
		}
	}
	return noContent()
}

// messageLocked serves /channels/{id}/messages/{msg}: get, edit (own
// messages) or delete.
func (s *Server) messageLocked(rc *reqCtx, cs *channelState, id string) reply {
	m := findMessage(cs, id)
	if m == nil {
		return errUnknownMessage
	}
	own := m.Author != nil && m.Author.ID == rc.bot.bot.UserID
	switch rc.method {
	case http.MethodGet:
		if r := s.need(rc, cs, discordgo.PermissionViewChannel|discordgo.PermissionReadMessageHistory); r != nil {
			return *r
		}
		return ok(wireMsg(m))
	case http.MethodPatch:
		if !own {
			return errNotAuthor
		}
		if _, bad := s.editMessageLocked(nil, m, rc); bad != nil {
			return *bad
		}
		return ok(wireMsg(m))
	case http.MethodDelete:
		if !own {
			if r := s.need(rc, cs, discordgo.PermissionManageMessages); r != nil {
				return *r
			}
		}
		s.messageDeletedLocked(m)
		return noContent()
	}
	return errMethod
}

// reactionsLocked serves /channels/{id}/messages/{msg}/reactions/…: adding
// needs Add Reactions; the fake keeps no reactions.
func (s *Server) reactionsLocked(rc *reqCtx, cs *channelState, id string) reply {
	if findMessage(cs, id) == nil {
		return errUnknownMessage
	}
	if rc.method == http.MethodPut {
		if r := s.need(rc, cs, discordgo.PermissionAddReactions|discordgo.PermissionReadMessageHistory); r != nil {
			return *r
		}
	}
	if rc.method == http.MethodPut || rc.method == http.MethodDelete {
		return noContent()
	}
	return ok([]any{})
}
