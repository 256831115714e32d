package bots

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots/embed"
)

// AuditStore persists audit entries; app wires the SQLite audit table.
type AuditStore interface {
	AddAudit(ctx context.Context, e AuditEntry) error
}

// PostFunc posts an embed to a channel (app passes one that uses a bot's
// live session).
type PostFunc func(ctx context.Context, channelID string, e *discordgo.MessageEmbed) error

// NewAuditor returns the one Auditor: it writes the audit row, then posts
// the entry to the guild's admin log channel (gs.LogChannels["admin"]) when
// one is set. The row is the record: a failed post is returned (wrapping
// ErrAuditPost) after the row was written. post may be nil (rows only).
func NewAuditor(store AuditStore, post PostFunc, guilds GuildStore) Auditor {
	return &auditor{store: store, post: post, guilds: guilds, now: time.Now}
}

type auditor struct {
	store  AuditStore
	post   PostFunc
	guilds GuildStore
	now    func() time.Time
}

// ErrAuditPost: the audit row was written but the admin-log post failed.
var ErrAuditPost = errors.New("audit: admin log post failed")

func (a *auditor) Audit(ctx context.Context, e AuditEntry) error {
	if e.GuildID == "" {
		return errors.New("audit: no guild")
	}
	if e.At.IsZero() {
		e.At = a.now()
	}
	e.Detail = SanitizeChat(e.Detail, 1000)
	e.Result = SanitizeChat(e.Result, 1000)
	if err := a.store.AddAudit(ctx, e); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if a.post == nil || a.guilds == nil {
		return nil
	}
	gs, err := a.guilds.GuildSettings(ctx, e.GuildID)
	if err != nil {
		return fmt.Errorf("%w: settings: %w", ErrAuditPost, err)
	}
	ch := gs.LogChannels["admin"]
	if ch == "" {
		return nil
	}
	if err := a.post(ctx, ch, AuditEmbed(e)); err != nil {
		return fmt.Errorf("%w: %w", ErrAuditPost, err)
	}
	return nil
}

// AuditEmbed renders an entry for the admin log channel: who, what, where,
// result.
func AuditEmbed(e AuditEntry) *discordgo.MessageEmbed {
	color, mark := embed.ColorSuccess, "✅"
	if !e.OK {
		color, mark = embed.ColorError, "❌"
	}
	who := "Bliss"
	if e.ActorID != "" {
		who = "<@" + e.ActorID + ">"
		if n := SanitizeName(e.Actor, 32); n != "" {
			who += " (" + n + ")"
		}
	}
	b := embed.New().Color(color).Title(mark + " " + embed.Truncate(SanitizeChat(e.Action, 200), 200)).Timestamp(e.At)
	b.Field("Who", who, true)
	if e.Target != "" {
		b.Field("Target", SanitizeChat(e.Target, 200), true)
	}
	if e.Server != "" {
		b.Field("Where", SanitizeChat(e.Server, 200), true)
	}
	if e.Detail != "" {
		b.Field("Detail", "`"+embed.Truncate(strings.ReplaceAll(e.Detail, "`", "'"), 1000)+"`", false)
	}
	if e.Result != "" {
		b.Field("Result", SanitizeChat(e.Result, 1000), false)
	}
	if e.Bot != "" {
		b.Footer(string(e.Bot))
	}
	return b.Embed()
}
