package tickets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// ticketOfChannel returns the open-or-closed ticket whose thread is
// channelID, or false. discordgo's State tells the bot's private threads
// from other channels, so ordinary messages cost no query.
func (b *Bot) ticketOfChannel(ctx context.Context, s *discordgo.Session, channelID string) (Ticket, bool) {
	if s != nil && s.State != nil {
		if ch, err := s.State.Channel(channelID); err == nil {
			s.State.RLock()
			// Ticket threads are private threads this bot created; the
			// chat bridge's public threads never cost a query.
			mine := ch.Type == discordgo.ChannelTypeGuildPrivateThread &&
				(ch.OwnerID == "" || s.State.User == nil || ch.OwnerID == s.State.User.ID)
			s.State.RUnlock()
			if !mine {
				return Ticket{}, false
			}
		}
	}
	t, err := b.d.Store.ByThread(ctx, channelID)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			b.log.Warn("ticket of channel", "channel", channelID, "err", err)
		}
		return Ticket{}, false
	}
	return t, true
}

func embedsText(es []*discordgo.MessageEmbed) string {
	var parts []string
	for _, e := range es {
		if e == nil {
			continue
		}
		var lines []string
		if e.Author != nil && e.Author.Name != "" {
			lines = append(lines, e.Author.Name)
		}
		for _, s := range []string{e.Title, e.Description} {
			if s != "" {
				lines = append(lines, s)
			}
		}
		for _, f := range e.Fields {
			if f != nil {
				lines = append(lines, f.Name+": "+f.Value)
			}
		}
		if e.Footer != nil && e.Footer.Text != "" {
			lines = append(lines, e.Footer.Text)
		}
		for _, u := range []string{imageURL(e.Image), thumbURL(e.Thumbnail)} {
			if u != "" {
				lines = append(lines, "[image] "+u)
			}
		}
		if len(lines) > 0 {
			// Bots escape user text for Discord (escapeMarkdown); the
			// transcript shows it as written.
			parts = append(parts, unescapeMarkdown(strings.Join(lines, "\n")))
		}
	}
	return strings.Join(parts, "\n---\n")
}

func imageURL(i *discordgo.MessageEmbedImage) string {
	if i == nil {
		return ""
	}
	return i.URL
}

func thumbURL(i *discordgo.MessageEmbedThumbnail) string {
	if i == nil {
		return ""
	}
	return i.URL
}

// unescapeMarkdown undoes escapeMarkdown's backslashes.
func unescapeMarkdown(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		if rs[i] == '\\' && i+1 < len(rs) && strings.ContainsRune(markdownSpecials, rs[i+1]) {
			i++
		}
		b.WriteRune(rs[i])
	}
	return b.String()
}

func toMessage(t Ticket, m *discordgo.Message) Message {
	out := Message{TicketID: t.ID, MessageID: m.ID, Content: m.Content, Embeds: embedsText(m.Embeds), CreatedAt: m.Timestamp}
	if m.Author != nil {
		out.AuthorID, out.AuthorBot = m.Author.ID, m.Author.Bot
		out.AuthorName = displayName(m.Author, m.Member)
	}
	if m.EditedTimestamp != nil {
		out.EditedAt = *m.EditedTimestamp
	}
	if out.CreatedAt.IsZero() {
		if ts, err := discordgo.SnowflakeTimestamp(m.ID); err == nil {
			out.CreatedAt = ts
		}
	}
	for _, a := range m.Attachments {
		if a != nil {
			out.AttachmentNames = append(out.AttachmentNames, a.Filename)
			out.AttachmentURLs = append(out.AttachmentURLs, a.URL)
		}
	}
	return out
}

func (b *Bot) onMessageCreate(ctx context.Context, s *discordgo.Session, ev *discordgo.MessageCreate) {
	if ev.GuildID == "" {
		return
	}
	t, ok := b.ticketOfChannel(ctx, s, ev.ChannelID)
	if !ok {
		return
	}
	m := toMessage(t, ev.Message)
	if err := b.d.Store.PutMessage(ctx, m); err != nil {
		b.log.Warn("record ticket message", "ticket", t.ID, "err", err)
	}
	if b.refuseMessage(ctx, s, t, ev) {
		return // other staff in a read-only claimed ticket: removed, not activity
	}
	if !m.AuthorBot && t.State == StateOpen {
		at := m.CreatedAt
		if at.IsZero() || at.After(b.d.Now()) {
			at = b.d.Now()
		}
		if err := b.d.Store.Touch(ctx, t.ID, at); err != nil {
			b.log.Warn("touch ticket", "ticket", t.ID, "err", err)
		}
	}
}

func (b *Bot) onMessageUpdate(ctx context.Context, s *discordgo.Session, ev *discordgo.MessageUpdate) {
	if ev.GuildID == "" || ev.Message.Author == nil { // an embed-only update carries no author
		return
	}
	t, ok := b.ticketOfChannel(ctx, s, ev.ChannelID)
	if !ok {
		return
	}
	m := toMessage(t, ev.Message)
	if m.EditedAt.IsZero() {
		m.EditedAt = time.Now().UTC()
	}
	if err := b.d.Store.PutMessage(ctx, m); err != nil {
		b.log.Warn("record ticket edit", "ticket", t.ID, "err", err)
	}
}

func (b *Bot) onMessageDelete(ctx context.Context, s *discordgo.Session, ev *discordgo.MessageDelete) {
	t, ok := b.ticketOfChannel(ctx, s, ev.ChannelID)
	if !ok {
		return
	}
	if err := b.d.Store.DeleteMessage(ctx, t.ID, ev.ID); err != nil {
		b.log.Warn("record ticket delete", "ticket", t.ID, "err", err)
	}
}

// maxBackfillPages bounds a backfill (100 messages a page).
const maxBackfillPages = 50

// backfill reads the thread's history over REST and stores every message,
// so messages sent while the bot was offline still reach the transcript.
// Stored copies are upserted (idempotent); notes and deletions are kept.
func (b *Bot) backfill(ctx context.Context, s *discordgo.Session, t Ticket) error {
	if s == nil || t.ThreadID == "" {
		return nil
	}
	after := "0"
	for page := 0; page < maxBackfillPages; page++ {
		msgs, err := s.ChannelMessages(t.ThreadID, 100, "", after, "", discordgo.WithContext(ctx))
		if err != nil {
			return fmt.Errorf("backfill ticket %d: %w", t.ID, err)
		}
		if len(msgs) == 0 {
			return nil
		}
		// Discord returns newest first.
		for i := len(msgs) - 1; i >= 0; i-- {
			m := msgs[i]
			if m == nil {
				continue
			}
			if err := b.d.Store.PutMessage(ctx, toMessage(t, m)); err != nil {
				return fmt.Errorf("backfill ticket %d: %w", t.ID, err)
			}
			if idLess(after, m.ID) {
				after = m.ID
			}
		}
		if len(msgs) < 100 {
			return nil
		}
	}
	return nil
}

// idLess compares snowflakes numerically.
func idLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}
