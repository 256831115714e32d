// The test's view of channels and messages: read them, wait for one, post
// as a user (with files), and the shared message storage and wire form.

package discordtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/bwmarrin/discordgo"
)

// Channel returns a snapshot of a channel (including threads and DMs).
func (s *Server) Channel(id string) (*discordgo.Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, ok := s.channels[id]
	if !ok {
		return nil, false
	}
	return cloneJSON(cs.ch), true
}

// Channels returns snapshots of the guild's channels and threads.
func (s *Server) Channels(guildID string) []*discordgo.Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	gs, ok := s.guilds[guildID]
	if !ok {
		return nil
	}
	var out []*discordgo.Channel
	for _, id := range gs.channelOrder {
		if cs, ok := s.channels[id]; ok {
			out = append(out, cloneJSON(cs.ch))
		}
	}
	return out
}

// Messages returns snapshots of the messages in a channel, oldest first.
// Ephemeral interaction responses are not channel messages.
func (s *Server) Messages(channelID string) []*discordgo.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, ok := s.channels[channelID]
	if !ok {
		return nil
	}
	out := make([]*discordgo.Message, 0, len(cs.msgs))
	for _, m := range cs.msgs {
		out = append(out, cloneMessage(m))
	}
	return out
}

// WaitMessage waits until a message in channelID satisfies match (nil
// matches any) and returns it. Messages already present count.
func (s *Server) WaitMessage(ctx context.Context, channelID string, match func(*discordgo.Message) bool) (*discordgo.Message, error) {
	for {
		s.mu.Lock()
		ch := s.msgNotify
		if cs, ok := s.channels[channelID]; ok {
			for _, m := range cs.msgs {
				if match == nil || match(m) {
					out := cloneMessage(m)
					s.mu.Unlock()
					return out, nil
				}
			}
		}
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("discordtest: waiting for message in %s: %w", channelID, ctx.Err())
		case <-ch:
		}
	}
}

func (s *Server) notifyMessagesLocked() {
	close(s.msgNotify)
	s.msgNotify = make(chan struct{})
}

// SendMessage posts a message from author (a user; unknown users are
// created) into channelID and sends MESSAGE_CREATE to every bot in the
// channel's guild (for a DM channel: to its bot).
func (s *Server) SendMessage(channelID string, author *discordgo.User, content string) (*discordgo.Message, error) {
	return s.SendFiles(channelID, author, content)
}

// SendFiles is SendMessage with uploaded files (attachments with CDN URLs
// whose bytes Attachment returns), within Discord's upload limits.
func (s *Server) SendFiles(channelID string, author *discordgo.User, content string, files ...File) (*discordgo.Message, error) {
	if len(files) > MaxFiles {
		return nil, fmt.Errorf("discordtest: %d files, Discord allows %d", len(files), MaxFiles)
	}
	for _, f := range files {
		if len(f.Data) > MaxFileSize || f.Name == "" {
			return nil, fmt.Errorf("discordtest: file %q: empty name or larger than %d bytes", f.Name, MaxFileSize)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, ok := s.channels[channelID]
	if !ok {
		return nil, fmt.Errorf("discordtest: unknown channel %s", channelID)
	}
	if author == nil || author.ID == "" {
		return nil, errors.New("discordtest: SendMessage needs an author with an ID")
	}
	if u, ok := s.users[author.ID]; ok && author.Username == "" {
		author = u
	}
	if !s.canSeeThreadLocked(cs, author.ID) {
		return nil, fmt.Errorf("discordtest: %s is not a member of private thread %s (and lacks Manage Threads); Discord would not let them post", author.ID, channelID)
	}
	if _, ok := s.users[author.ID]; !ok {
		s.users[author.ID] = cloneJSON(author)
	}
	m := &discordgo.Message{
		ID:        s.newIDLocked(),
		ChannelID: channelID,
		GuildID:   cs.ch.GuildID,
		Content:   content,
		Author:    cloneJSON(author),
		Timestamp: s.clock.Now().UTC(),
		Type:      discordgo.MessageTypeDefault,
	}
	m.Attachments = s.attachmentsLocked(m.ID, files)
	if gs, ok := s.guilds[cs.ch.GuildID]; ok {
		if mem, ok := gs.members[author.ID]; ok {
			m.Member = cloneJSON(mem)
			m.Member.User = nil
		}
	}
	s.storeMessageLocked(cs, m)
	s.threadMentionAddsLocked(cs, m, nil, m.Timestamp)
	return cloneMessage(m), nil
}

// storeMessageLocked appends m to the channel and dispatches MESSAGE_CREATE.
func (s *Server) storeMessageLocked(cs *channelState, m *discordgo.Message) {
	cs.msgs = append(cs.msgs, m)
	cs.ch.LastMessageID = m.ID
	if cs.ch.IsThread() {
		cs.ch.MessageCount++
	}
	s.fillMentionsLocked(m)
	s.notifyMessagesLocked()
	for _, b := range s.channelAudienceLocked(cs) {
		s.emitMessageLocked(b, "MESSAGE_CREATE", m)
	}
}

// channelAudienceLocked returns the bots that receive events for a channel.
func (s *Server) channelAudienceLocked(cs *channelState) []*botState {
	if gs, ok := s.guilds[cs.ch.GuildID]; ok {
		all := s.botsInGuildLocked(gs)
		if !cs.isPrivateThread() {
			return all
		}
		// Private threads: only bots that can see them.
		var out []*botState
		for _, b := range all {
			if s.canSeeThreadLocked(cs, b.bot.UserID) {
				out = append(out, b)
			}
		}
		return out
	}
	var out []*botState
	for _, r := range cs.ch.Recipients {
		if b, ok := s.botsByUser[r.ID]; ok {
			out = append(out, b)
		}
	}
	return out
}

// cloneMessage deep-copies m, components included (discordgo's Message
// does not marshal them: its Components field is json:"-").
func cloneMessage(m *discordgo.Message) *discordgo.Message {
	if m == nil {
		return nil
	}
	var out discordgo.Message
	if err := json.Unmarshal(mustJSON(wireMsg(m)), &out); err != nil {
		panic(err)
	}
	return &out
}

// wireMessage is a message as Discord sends it: with its components.
type wireMessage struct {
	*discordgo.Message
	Components []discordgo.MessageComponent `json:"components"`
}

// wireMsg returns m in its wire form for REST replies and dispatches.
func wireMsg(m *discordgo.Message) any {
	if m == nil {
		return nil
	}
	comps := m.Components
	if comps == nil {
		comps = []discordgo.MessageComponent{}
	}
	return wireMessage{m, comps}
}

func wireMsgs(ms []*discordgo.Message) []any {
	out := make([]any, 0, len(ms))
	for _, m := range ms {
		out = append(out, wireMsg(m))
	}
	return out
}
