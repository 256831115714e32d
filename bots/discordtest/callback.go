package discordtest

import (
	"encoding/json"
	"fmt"

	"github.com/bwmarrin/discordgo"
)

type callbackBody struct {
	Type discordgo.InteractionResponseType `json:"type"`
	Data json.RawMessage                   `json:"data"`
}

func (s *Server) interactionCallbackLocked(rc *reqCtx, id, token string) reply {
	rec := s.interByID[id]
	if rec == nil || rec.token != token {
		return errUnknownInter
	}
	if rec.acked {
		return errAlreadyAcked
	}
	if rc.now.Sub(rec.created) > s.opts.AckDeadline {
		return errUnknownInter
	}
	var cb callbackBody
	if err := rc.decode(&cb); err != nil {
		return badJSON(err)
	}
	var data messageBody
	if len(cb.Data) > 0 && string(cb.Data) != "null" {
		if err := json.Unmarshal(cb.Data, &data); err != nil {
			return badJSON(err)
		}
	}
	if r := validateCallback(rec, &cb, &data, len(rc.files)); r != nil {
		return *r
	}

	rec.acked = true
	rec.ackType = cb.Type
	resp := Response{Kind: KindCallback, Type: cb.Type, Data: responseData(&data, cb.Data, rc.files), At: rc.now}
	switch cb.Type {
	case discordgo.InteractionResponseChannelMessageWithSource, discordgo.InteractionResponseDeferredChannelMessageWithSource:
		m := s.newBotMessageLocked(rec.bot, rec.channelID, rec.guildID, rc.now)
		m.Interaction = &discordgo.MessageInteraction{ID: rec.id, Type: rec.typ, User: interactionUser(rec.payload)}
		m.InteractionMetadata = &discordgo.MessageInteractionMetadata{ID: rec.id, Type: rec.typ, User: interactionUser(rec.payload)}
		m.WebhookID = rec.bot.bot.AppID
		if cb.Type == discordgo.InteractionResponseChannelMessageWithSource {
			s.applyMessageLocked(m, &data, rc.files)
		} else {
			m.Flags = discordgo.MessageFlagsLoading | (data.flags() & discordgo.MessageFlagsEphemeral)
		}
		rec.originalID = m.ID
		rec.original = m
		rec.ephemeral = m.Flags&discordgo.MessageFlagsEphemeral != 0
		if !rec.ephemeral {
			if cs, ok2 := s.channels[rec.channelID]; ok2 {
				s.storeMessageLocked(cs, m)
			}
		}
		resp.MessageID = m.ID
	case discordgo.InteractionResponseDeferredMessageUpdate, discordgo.InteractionResponseUpdateMessage:
		m := s.findComponentMessageLocked(rec)
		if m != nil {
			if cb.Type == discordgo.InteractionResponseUpdateMessage {
				s.applyEditLocked(m, &data, rc.files, rc.now)
				s.messageUpdatedLocked(rec, m)
			}
			rec.original = m
			resp.MessageID = m.ID
		}
	}
	rec.addResponseLocked(resp)
	return noContent()
}

// validateCallback checks a callback's type against the interaction's and
// its data against Discord's limits; nil when Discord would accept it.
func validateCallback(rec *interactionRec, cb *callbackBody, data *messageBody, nfiles int) *reply {
	f := &formErrors{}
	isComponent := rec.typ == discordgo.InteractionMessageComponent ||
		(rec.typ == discordgo.InteractionModalSubmit && rec.payload.Message != nil)
	badType := func() *reply {
		f.add([]string{"type"}, "INTERACTION_RESPONSE_TYPE_INVALID", fmt.Sprintf("Interaction response type %d is not valid for interaction type %d", cb.Type, rec.typ))
		r := formErr(f)
		return &r
	}
	switch cb.Type {
	case discordgo.InteractionResponseChannelMessageWithSource:
		if rec.typ == discordgo.InteractionApplicationCommandAutocomplete {
			return badType()
		}
		validateMessage(f, []string{"data"}, data, nfiles, true)
	case discordgo.InteractionResponseDeferredChannelMessageWithSource:
		if rec.typ == discordgo.InteractionApplicationCommandAutocomplete {
			return badType()
		}
	case discordgo.InteractionResponseDeferredMessageUpdate:
		if !isComponent {
			return badType()
		}
	case discordgo.InteractionResponseUpdateMessage:
		if !isComponent {
			return badType()
		}
		validateMessage(f, []string{"data"}, data, nfiles, false)
	case discordgo.InteractionApplicationCommandAutocompleteResult:
		if rec.typ != discordgo.InteractionApplicationCommandAutocomplete {
			return badType()
		}
		validateChoices(f, []string{"data"}, data)
	case discordgo.InteractionResponseModal:
		if rec.typ == discordgo.InteractionApplicationCommandAutocomplete || rec.typ == discordgo.InteractionModalSubmit {
			return badType()
		}
		validateModal(f, []string{"data"}, data)
	default:
		return badType()
	}
	if !f.empty() {
		r := formErr(f)
		return &r
	}
	return nil

}

func interactionUser(it *discordgo.Interaction) *discordgo.User {
	if it.Member != nil && it.Member.User != nil {
		return it.Member.User
	}
	return it.User
}

// findComponentMessageLocked returns the live message a component
// interaction came from (stored channel message or ephemeral record).
func (s *Server) findComponentMessageLocked(rec *interactionRec) *discordgo.Message {
	if rec.payload.Message == nil {
		return nil
	}
	id := rec.payload.Message.ID
	if cs, ok := s.channels[rec.channelID]; ok {
		for _, m := range cs.msgs {
			if m.ID == id {
				return m
			}
		}
	}
	for _, other := range s.interByID {
		if other.original != nil && other.original.ID == id {
			return other.original
		}
		if m, ok := other.followups[id]; ok {
			return m
		}
	}
	// A stub message only the interaction knows about.
	if rec.original == nil {
		rec.original = cloneMessage(rec.payload.Message)
	}
	return rec.original
}

func responseData(m *messageBody, raw json.RawMessage, files []File) ResponseData {
	d := ResponseData{TTS: m.TTS, CustomID: m.CustomID, Title: m.Title, Files: files, Raw: raw}
	if m.Content != nil {
		d.Content = *m.Content
	}
	d.Embeds = m.embeds()
	d.Components = decodeComponents(m.components())
	d.Flags = m.flags()
	if m.Choices != nil {
		d.Choices = *m.Choices
	}
	return d
}

func decodeComponents(raws []json.RawMessage) []discordgo.MessageComponent {
	var out []discordgo.MessageComponent
	for _, r := range raws {
		c, err := discordgo.MessageComponentFromJSON(r)
		if err == nil {
			out = append(out, c)
		}
	}
	return out
}
