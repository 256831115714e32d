package discordtest

import (
	"net/http"
	"sort"

	"github.com/bwmarrin/discordgo"
)

// ---- users ---------------------------------------------------------------

func (s *Server) usersLocked(rc *reqCtx) reply {
	sg := rc.segs
	b := rc.bot
	switch {
	case len(sg) == 2 && rc.method == http.MethodGet:
		id := sg[1]
		if id == "@me" {
			id = b.bot.UserID
		}
		u, ok2 := s.users[id]
		if !ok2 {
			return errUnknownUser
		}
		return ok(u)
	case len(sg) == 3 && sg[1] == "@me" && sg[2] == "channels" && rc.method == http.MethodPost:
		var body struct {
			RecipientID string `json:"recipient_id"`
		}
		if err := rc.decode(&body); err != nil {
			return badJSON(err)
		}
		u, ok2 := s.users[body.RecipientID]
		if !ok2 {
			f := &formErrors{}
			f.add([]string{"recipient_id"}, "USER_NOT_FOUND", "Unknown user")
			return formErr(f)
		}
		return ok(s.dmChannelLocked(b, u).ch)
	case len(sg) == 3 && sg[1] == "@me" && sg[2] == "guilds" && rc.method == http.MethodGet:
		var out []map[string]any
		ids := make([]string, 0)
		for id, gs := range s.guilds {
			if _, ok2 := gs.members[b.bot.UserID]; ok2 {
				ids = append(ids, id)
			}
		}
		sort.Slice(ids, func(i, j int) bool { return idLess(ids[i], ids[j]) })
		for _, id := range ids {
			out = append(out, map[string]any{"id": id, "name": s.guilds[id].name})
		}
		if out == nil {
			out = []map[string]any{}
		}
		return ok(out)
	}
	return errNotFound
}

// dmChannelLocked returns (creating if needed) the DM channel between b and user.
func (s *Server) dmChannelLocked(b *botState, user *discordgo.User) *channelState {
	if id, ok := b.dmByUser[user.ID]; ok {
		if cs, ok := s.channels[id]; ok {
			return cs
		}
	}
	ch := &discordgo.Channel{
		ID:   s.newIDLocked(),
		Type: discordgo.ChannelTypeDM,
		Recipients: []*discordgo.User{
			cloneJSON(user),
			cloneJSON(s.users[b.bot.UserID]),
		},
	}
	cs := &channelState{ch: ch, threadMessage: map[string]string{}}
	s.channels[ch.ID] = cs
	b.dmByUser[user.ID] = ch.ID
	return cs
}

// DMChannel returns the ID of the DM channel between bot and userID,
// creating it if needed (the bot itself creates it via POST /users/@me/channels).
func (s *Server) DMChannel(bot Bot, userID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.botLocked(bot)
	if err != nil {
		return "", err
	}
	u, ok := s.users[userID]
	if !ok {
		u = &discordgo.User{ID: userID, Username: "user-" + userID}
		s.users[userID] = u
	}
	return s.dmChannelLocked(b, u).ch.ID, nil
}

// errCannotDM is Discord's answer when a user does not accept DMs from the bot.
var errCannotDM = derr(http.StatusForbidden, 50007, "Cannot send messages to this user")

// SetDMsClosed makes DMs to userID fail (or work again) like a user who
// turned off direct messages from server members: creating the DM channel
// still works, sending in it answers 403 {"code":50007}.
func (s *Server) SetDMsClosed(userID string, closed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dmClosed == nil {
		s.dmClosed = map[string]bool{}
	}
	s.dmClosed[userID] = closed
}

// dmBlockedLocked refuses a bot's message in a DM whose user closed DMs.
func (s *Server) dmBlockedLocked(cs *channelState) *reply {
	if cs.ch.GuildID != "" || cs.ch.Type != discordgo.ChannelTypeDM {
		return nil
	}
	var bot *botState
	for _, u := range cs.ch.Recipients {
		if u != nil && s.botsByUser[u.ID] != nil {
			bot = s.botsByUser[u.ID]
		}
	}
	for _, u := range cs.ch.Recipients {
		if u == nil || s.botsByUser[u.ID] != nil {
			continue
		}
		if s.dmClosed[u.ID] || (s.left[u.ID] && bot != nil && !s.sharesGuildLocked(bot, u.ID)) {
			r := errCannotDM
			return &r
		}
	}
	return nil
}

// sharesGuildLocked reports whether userID is in a guild with bot b.
func (s *Server) sharesGuildLocked(b *botState, userID string) bool {
	for _, gs := range s.guilds {
		_, u := gs.members[userID]
		_, me := gs.members[b.bot.UserID]
		if u && me {
			return true
		}
	}
	return false
}
