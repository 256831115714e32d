package serverstore

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/embed"
	"github.com/blissark/bliss/jobs/countdown"
)

// EditFunc replaces the embeds of a message the bot posted and removes its
// components (the countdown announcement's Cancel button).
type EditFunc func(ctx context.Context, channelID, messageID string, e *discordgo.MessageEmbed) error

// Report returns the countdown reporter: the result is posted where the
// countdown was started and audited (which also posts it to the admin log),
// and the countdown's announcement (when it has one and edit is set) shows
// the outcome without its Cancel button. A failed post is returned so the
// runner tries again; a failed edit (the message was deleted) is logged.
func Report(post bots.PostFunc, edit EditFunc, audit bots.Auditor, log *slog.Logger) countdown.Report {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context, c countdown.Countdown, ok bool, summary string) error {
		title := fmt.Sprintf("✅ %s #%d finished", titleCase(c.Action), c.ID)
		color := embed.ColorSuccess
		switch {
		case c.State == countdown.StateCancelled:
			title, color = fmt.Sprintf("✋ %s #%d cancelled", titleCase(c.Action), c.ID), embed.ColorWarning
		case !ok:
			title, color = fmt.Sprintf("❌ %s #%d had failures", titleCase(c.Action), c.ID), embed.ColorError
		}
		if edit != nil && c.MessageID != "" && c.ChannelID != "" {
			desc := "Finished."
			if summary != "" {
				desc = bots.SanitizeChat(strings.ReplaceAll(summary, "\n", " · "), 2000)
			}
			e := embed.New().Color(color).Title(title).Description(desc).Embed()
			if err := edit(ctx, c.ChannelID, c.MessageID, e); err != nil {
				log.Warn("countdown announcement not updated", "countdown", c.ID, "err", err)
			}
		}
		if post != nil && c.ChannelID != "" && c.State != countdown.StateCancelled {
			e := embed.New().Color(color).Title(title).Description(bots.SanitizeChat(strings.ReplaceAll(summary, "\n", " · "), 2000)).Embed()
			if err := post(ctx, c.ChannelID, e); err != nil {
				return fmt.Errorf("countdown %d: post result: %w", c.ID, err)
			}
		}
		if audit != nil && c.State != countdown.StateCancelled {
			err := audit.Audit(ctx, bots.AuditEntry{GuildID: c.GuildID, Bot: bots.Server, Action: c.Action + " result",
				Target: fmt.Sprintf("countdown #%d by %s", c.ID, c.Actor), Detail: c.Reason, OK: ok,
				Result: strings.ReplaceAll(summary, "\n", "; ")})
			if err != nil {
				log.Warn("countdown audit failed", "countdown", c.ID, "err", err)
			}
		}
		return nil
	}
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
