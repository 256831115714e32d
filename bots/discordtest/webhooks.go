package discordtest

import (
	"net/http"

	"github.com/bwmarrin/discordgo"
)

func (s *Server) webhooksLocked(rc *reqCtx) reply {
	sg := rc.segs
	if len(sg) < 3 {
		return errNotFound
	}
	app, token := sg[1], sg[2]
	rec := s.interByTok[token]
	if rec == nil || rec.bot.bot.AppID != app {
		return errUnknownWebhook
	}
	if rc.now.Sub(rec.created) > s.opts.TokenLifetime {
		return errBadWebhookTok
	}
	if len(sg) == 3 {
		if rc.method != http.MethodPost {
			return errMethod
		}
		return s.followupLocked(rc, rec)
	}
	if len(sg) != 5 || sg[3] != "messages" {
		return errNotFound
	}
	mid := sg[4]
	var m *discordgo.Message
	original := mid == "@original"
	if original || mid == rec.originalID {
		original = true
		m = rec.original
		if !rec.acked || rec.ackType == discordgo.InteractionApplicationCommandAutocompleteResult || rec.ackType == discordgo.InteractionResponseModal {
			m = nil
		}
	} else {
		m = rec.followups[mid]
	}
	if m == nil {
		return errUnknownMessage
	}
	switch rc.method {
	case http.MethodGet:
		return ok(wireMsg(m))
	case http.MethodPatch:
		body, bad := s.editMessageLocked(rec, m, rc)
		if bad != nil {
			return *bad
		}
		kind := KindEditFollowup
		if original {
			kind = KindEditOriginal
		}
		rec.addResponseLocked(Response{Kind: kind, Data: responseData(body, rc.body, rc.files), MessageID: m.ID, At: rc.now})
		return ok(wireMsg(m))
	case http.MethodDelete:
		s.messageDeletedLocked(m)
		kind := KindDeleteFollowup
		if original {
			kind = KindDeleteOriginal
			rec.original = nil
		} else {
			delete(rec.followups, mid)
		}
		rec.addResponseLocked(Response{Kind: kind, MessageID: m.ID, At: rc.now})
		return noContent()
	}
	return errMethod
}

func (s *Server) followupLocked(rc *reqCtx, rec *interactionRec) reply {
	if !rec.acked {
		return errUnknownWebhook
	}
	var body messageBody
	if err := rc.decode(&body); err != nil {
		return badJSON(err)
	}
	f := &formErrors{}
	validateMessage(f, nil, &body, len(rc.files), true)
	if !f.empty() {
		return formErr(f)
	}
	var m *discordgo.Message
	if rec.ackType == discordgo.InteractionResponseDeferredChannelMessageWithSource && rec.original != nil &&
		rec.original.Flags&discordgo.MessageFlagsLoading != 0 {
		// Discord: the first followup after a deferred response replaces
		// the "thinking" message (keeping the deferral's ephemerality).
		m = rec.original
		eph := m.Flags & discordgo.MessageFlagsEphemeral
		s.applyEditLocked(m, &body, rc.files, rc.now)
		m.EditedTimestamp = nil
		m.Flags |= eph
		s.messageUpdatedLocked(rec, m)
	} else {
		m = s.newBotMessageLocked(rec.bot, rec.channelID, rec.guildID, rc.now)
		m.WebhookID = rec.bot.bot.AppID
		m.InteractionMetadata = &discordgo.MessageInteractionMetadata{ID: rec.id, Type: rec.typ, User: interactionUser(rec.payload)}
		s.applyMessageLocked(m, &body, rc.files)
		rec.followups[m.ID] = m
		if m.Flags&discordgo.MessageFlagsEphemeral == 0 {
			if cs, ok2 := s.channels[rec.channelID]; ok2 {
				s.storeMessageLocked(cs, m)
			}
		}
	}
	rec.addResponseLocked(Response{Kind: KindFollowup, Data: responseData(&body, rc.body, rc.files), MessageID: m.ID, At: rc.now})
	if rc.query.Get("wait") == "true" {
		return ok(wireMsg(m))
	}
	return noContent()
}
