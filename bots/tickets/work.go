package tickets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/embed"
)

// ticketFromArgs loads the ticket a button's custom id names.
func (b *Bot) ticketFromArgs(ctx context.Context, c *bots.Ctx) (Ticket, error) {
	id, ok := parseID(strings.SplitN(c.Args, ":", 2)[0])
	if !ok {
		return Ticket{}, bots.Errorf("this button is no longer valid")
	}
	t, err := b.d.Store.ByID(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && t.GuildID != c.GuildID) {
		return Ticket{}, bots.Errorf("this ticket no longer exists")
	}
	return t, err
}

// ticketHere is the ticket whose thread the command runs in.
func (b *Bot) ticketHere(ctx context.Context, c *bots.Ctx) (Ticket, error) {
	t, err := b.d.Store.ByThread(ctx, c.ChannelID)
	if errors.Is(err, ErrNotFound) || (err == nil && t.GuildID != c.GuildID) {
		return Ticket{}, bots.Errorf("run this inside a ticket thread")
	}
	return t, err
}

func (b *Bot) ticketByNumber(ctx context.Context, c *bots.Ctx) (Ticket, error) {
	t, err := b.d.Store.ByNumber(ctx, c.GuildID, c.Int("number"))
	if errors.Is(err, ErrNotFound) {
		return Ticket{}, bots.Errorf("there is no ticket #%d", c.Int("number"))
	}
	return t, err
}

// isStaffFor reports whether the caller is staff (guild staff or a staff
// role of the ticket's type).
func (b *Bot) isStaffFor(ctx context.Context, c *bots.Ctx, t Ticket) (bool, error) {
	if c.Staff {
		return true, nil
	}
	return b.staffMember(ctx, c.GuildID, c.Member, t)
}

func (b *Bot) requireStaff(ctx context.Context, c *bots.Ctx, t Ticket) error {
	ok, err := b.isStaffFor(ctx, c, t)
	if err != nil {
		return fmt.Errorf("staff check: %w", err)
	}
	if !ok {
		return &bots.UserError{Msg: "Only the staff handling this ticket can do that.", Err: bots.ErrForbidden}
	}
	return nil
}

func (b *Bot) post(ctx context.Context, s *discordgo.Session, channelID string, e *discordgo.MessageEmbed, comps ...discordgo.MessageComponent) error {
	if s == nil {
		return errors.New("ticket bot is not connected")
	}
	m := &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{e}, AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}}
	if len(comps) > 0 {
		m.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: comps}}
	}
	_, err := s.ChannelMessageSendComplex(channelID, m, discordgo.WithContext(ctx))
	return err
}

// ---- claim ----

func (b *Bot) onClaim(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	t, err := b.ticketFromArgs(ctx, c)
	if err != nil {
		return nil, err
	}
	return b.claim(ctx, c, t)
}

func (b *Bot) cmdClaim(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	t, err := b.ticketHere(ctx, c)
	if err != nil {
		return nil, err
	}
	return b.claim(ctx, c, t)
}

func (b *Bot) claim(ctx context.Context, c *bots.Ctx, t Ticket) (*bots.Response, error) {
	if err := b.requireStaff(ctx, c, t); err != nil {
		return nil, err
	}
	if t.State != StateOpen {
		return nil, bots.Errorf("ticket #%d is closed", t.Number)
	}
	won, err := b.d.Store.Claim(ctx, t.ID, c.User.ID)
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	if !won {
		cur, _ := b.d.Store.ByID(ctx, t.ID)
		if cur.ClaimedBy == c.User.ID {
			return bots.Reply(embed.Success("Already yours", fmt.Sprintf("You have claimed ticket #%d.", t.Number))), nil
		}
		return nil, bots.Errorf("ticket #%d is already claimed by <@%s>", t.Number, cur.ClaimedBy)
	}
	if err := c.Session.ThreadMemberAdd(t.ThreadID, c.User.ID, discordgo.WithContext(ctx)); err != nil {
		b.log.Warn("add claimer to thread", "ticket", t.ID, "err", err)
	}
	msg := fmt.Sprintf("<@%s> is handling this ticket.", c.User.ID)
	if b.settings(ctx, t.GuildID).Bool(SettingClaimReadOnly) {
		msg += " Other staff read along; their messages here are removed until it is unclaimed."
	}
	if err := b.post(ctx, c.Session, t.ThreadID, embed.Success("Claimed", msg)); err != nil {
		b.log.Warn("post claim", "ticket", t.ID, "err", err)
	}
	b.audit(ctx, bots.AuditEntry{GuildID: c.GuildID, ActorID: c.User.ID, Actor: displayName(c.User, c.Member), Action: "ticket claim",
		Target: fmt.Sprintf("#%d", t.Number), OK: true})
	return bots.Reply(embed.Success("Claimed", fmt.Sprintf("Ticket #%d is yours.", t.Number))), nil
}

func (b *Bot) cmdUnclaim(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	t, err := b.ticketHere(ctx, c)
	if err != nil {
		return nil, err
	}
	ok, err := b.d.Store.Unclaim(ctx, t.ID)
	if err != nil {
		return nil, fmt.Errorf("unclaim: %w", err)
	}
	if !ok {
		return nil, bots.Errorf("ticket #%d is not claimed", t.Number)
	}
	if err := b.post(ctx, c.Session, t.ThreadID, embed.New().Description(fmt.Sprintf("<@%s> released this ticket; any staff member may claim it.", c.User.ID)).Embed()); err != nil {
		b.log.Warn("post unclaim", "ticket", t.ID, "err", err)
	}
	b.audit(ctx, bots.AuditEntry{GuildID: c.GuildID, ActorID: c.User.ID, Actor: displayName(c.User, c.Member), Action: "ticket unclaim",
		Target: fmt.Sprintf("#%d", t.Number), OK: true})
	return bots.Reply(embed.Success("Released", fmt.Sprintf("Ticket #%d is unclaimed.", t.Number))), nil
}

// ---- close ----

func closeModal(t Ticket, reason string) (*bots.Response, error) {
	return bots.NewModal(bots.MustCustomID(prefixCloseForm, strconv.FormatInt(t.ID, 10)), embed.Truncate(fmt.Sprintf("Close ticket #%d?", t.Number), 45),
		bots.TextInput{ID: "reason", Label: "Reason (shown in the transcript)", Paragraph: true, MaxLength: 500, Value: embed.Truncate(reason, 500)})
}

// onCloseButton asks for the reason (the form is the confirmation).
func (b *Bot) onCloseButton(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	t, err := b.ticketFromArgs(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := b.mayClose(ctx, c, t); err != nil {
		return nil, err
	}
	return closeModal(t, "")
}

func (b *Bot) mayClose(ctx context.Context, c *bots.Ctx, t Ticket) error {
	if t.State != StateOpen {
		return bots.Errorf("ticket #%d is already closed", t.Number)
	}
	if t.OpenerID != "" && c.User.ID == t.OpenerID {
		return nil
	}
	return b.requireStaff(ctx, c, t)
}

func (b *Bot) cmdClose(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	t, err := b.ticketHere(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := b.mayClose(ctx, c, t); err != nil {
		return nil, err
	}
	return closeModal(t, c.String("reason"))
}

func (b *Bot) onCloseForm(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	t, err := b.ticketFromArgs(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := b.mayClose(ctx, c, t); err != nil {
		return nil, err
	}
	res, err := b.closeTicket(ctx, c.Session, t, c.User.ID, displayName(c.User, c.Member), strings.TrimSpace(c.Fields["reason"]))
	if err != nil {
		return nil, err
	}
	return bots.Reply(embed.Success("Ticket closed", res)), nil
}

// closeTicket closes t: a closing note (with Reopen) in the thread, the
// staff transcript to the ticket log channel, the member's transcript by
// DM, then the thread is archived and locked. It never needs the opener to
// still be in the guild. by is "" when Bliss closes it.
func (b *Bot) closeTicket(ctx context.Context, s *discordgo.Session, t Ticket, by, byName, reason string) (string, error) {
	ok, err := b.d.Store.Close(ctx, t.ID, by, reason)
	if err != nil {
		return "", fmt.Errorf("close ticket: %w", err)
	}
	if !ok {
		return "", bots.Errorf("ticket #%d is already closed", t.Number)
	}
	if cur, err := b.d.Store.ByID(ctx, t.ID); err == nil {
		t = cur
	}
	gs := b.settings(ctx, t.GuildID)
	closer := "Bliss"
	if by != "" {
		closer = "<@" + by + ">"
	}
	desc := "Closed by " + closer + "."
	if reason != "" {
		desc += "\n**Reason:** " + escapeMarkdown(reason)
	}
	var comps []discordgo.MessageComponent
	if w := gs.Duration(SettingReopenWindow); w > 0 {
		comps = append(comps, discordgo.Button{Label: "Reopen", Style: discordgo.SecondaryButton,
			CustomID: bots.MustCustomID(prefixReopen, strconv.FormatInt(t.ID, 10)), Emoji: &discordgo.ComponentEmoji{Name: "🔓"}})
		desc += fmt.Sprintf("\nIt can be reopened for %s.", humanDur(w))
	}
	if s != nil {
		if err := b.post(ctx, s, t.ThreadID, embed.New().Title(fmt.Sprintf("Ticket #%d closed", t.Number)).Description(desc).Embed(), comps...); err != nil {
			b.log.Warn("post close", "ticket", t.ID, "err", err)
		}
	}
	var notes []string
	if err := b.backfill(ctx, s, t); err != nil {
		b.log.Warn("transcript backfill", "ticket", t.ID, "err", err)
	}
	msgs, err := b.d.Store.Messages(ctx, t.ID)
	if err != nil {
		return "", fmt.Errorf("transcript: %w", err)
	}
	now := b.d.Now()
	closerName := byName
	if by == "" {
		closerName = "Bliss"
	}
	if logCh := gs.LogChannels["tickets"]; logCh != "" && s != nil {
		html := RenderTranscript(t, msgs, TranscriptOptions{Staff: true, GeneratedAt: now, ClosedByName: closerName})
		if err := b.sendTranscript(ctx, s, logCh, t, html, true); err != nil {
			b.log.Warn("post transcript", "ticket", t.ID, "err", err)
			notes = append(notes, "the transcript could not be posted to the ticket log")
		} else {
			notes = append(notes, "transcript posted to the ticket log")
		}
	} else if logCh == "" {
		notes = append(notes, "no ticket log channel is set (`/setup` → Log channels), so no transcript was posted")
	}
	if t.OpenerID != "" && s != nil {
		html := RenderTranscript(t, msgs, TranscriptOptions{GeneratedAt: now, ClosedByName: closerName})
		if err := b.dmTranscript(ctx, s, t, html, reason); err != nil {
			b.log.Info("transcript DM not delivered", "ticket", t.ID, "err", err)
			notes = append(notes, "the member could not be reached by DM (DMs closed or left the server); no copy sent")
		} else {
			notes = append(notes, "a copy was sent to the member by DM")
		}
	}
	if s != nil {
		if _, err := s.ChannelEditComplex(t.ThreadID, &discordgo.ChannelEdit{Archived: ptr(true), Locked: ptr(true)}, discordgo.WithContext(ctx)); err != nil {
			b.log.Warn("archive ticket thread", "ticket", t.ID, "err", err)
		}
	}
	if t.TypeID == 0 {
		// Closing an automatic ticket ends its incident: the next raise opens a new ticket.
		if in, err := b.d.Store.IncidentByTicket(ctx, t.ID); err == nil && in.State == "open" {
			if _, _, err := b.d.Store.ClearIncident(ctx, in.GuildID, in.DedupeKey, "ticket closed"); err != nil {
				b.log.Warn("clear incident on close", "incident", in.ID, "err", err)
			}
		}
	}
	b.audit(ctx, bots.AuditEntry{GuildID: t.GuildID, ActorID: by, Actor: closerName, Action: "ticket close",
		Target: fmt.Sprintf("#%d", t.Number), Detail: reason, OK: true, Result: strings.Join(notes, "; ")})
	return fmt.Sprintf("Ticket #%d is closed: %s.", t.Number, strings.Join(notes, "; ")), nil
}

func transcriptName(t Ticket) string { return fmt.Sprintf("ticket-%04d-transcript.html", t.Number) }

func (b *Bot) sendTranscript(ctx context.Context, s *discordgo.Session, channelID string, t Ticket, html []byte, staff bool) error {
	opener := "automatic"
	if t.OpenerID != "" {
		opener = "<@" + t.OpenerID + ">"
	}
	e := embed.New().Title(fmt.Sprintf("Ticket #%d — %s", t.Number, t.TypeLabel)).
		Field("Opened by", opener, true).Field("Closed by", userOrBliss(t.ClosedBy), true).
		Field("Claimed by", userOrNone(t.ClaimedBy), true)
	if t.CloseReason != "" {
		e.Field("Reason", escapeMarkdown(t.CloseReason), false)
	}
	if staff {
		e.Footer("Staff transcript (includes staff notes)")
	}
	_, err := s.ChannelMessageSendComplex(channelID, &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{e.Embed()},
		Files:           []*discordgo.File{{Name: transcriptName(t), ContentType: "text/html; charset=utf-8", Reader: bytes.NewReader(html)}},
		AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}}, discordgo.WithContext(ctx))
	return err
}

func (b *Bot) dmTranscript(ctx context.Context, s *discordgo.Session, t Ticket, html []byte, reason string) error {
	dm, err := s.UserChannelCreate(t.OpenerID, discordgo.WithContext(ctx))
	if err != nil {
		return err
	}
	desc := fmt.Sprintf("Your ticket #%d (%s) was closed by %s.", t.Number, escapeMarkdown(t.TypeLabel), userOrBliss(t.ClosedBy))
	if reason != "" {
		desc += "\n**Reason:** " + escapeMarkdown(reason)
	}
	desc += "\nThe transcript is attached."
	_, err = s.ChannelMessageSendComplex(dm.ID, &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{embed.New().Title("Ticket closed").Description(desc).Embed()},
		Files:           []*discordgo.File{{Name: transcriptName(t), ContentType: "text/html; charset=utf-8", Reader: bytes.NewReader(html)}},
		AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}}, discordgo.WithContext(ctx))
	return err
}

func userOrBliss(id string) string {
	if id == "" {
		return "Bliss"
	}
	return "<@" + id + ">"
}

func userOrNone(id string) string {
	if id == "" {
		return "nobody"
	}
	return "<@" + id + ">"
}

// ---- reopen ----

func (b *Bot) onReopen(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	t, err := b.ticketFromArgs(ctx, c)
	if err != nil {
		return nil, err
	}
	return b.reopen(ctx, c, t)
}

func (b *Bot) cmdReopen(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	t, err := b.ticketByNumber(ctx, c)
	if err != nil {
		return nil, err
	}
	return b.reopen(ctx, c, t)
}

func (b *Bot) reopen(ctx context.Context, c *bots.Ctx, t Ticket) (*bots.Response, error) {
	if t.OpenerID == "" || c.User.ID != t.OpenerID {
		if err := b.requireStaff(ctx, c, t); err != nil {
			return nil, err
		}
	}
	if t.State != StateClosed {
		return nil, bots.Errorf("ticket #%d is not closed", t.Number)
	}
	w := b.settings(ctx, t.GuildID).Duration(SettingReopenWindow)
	ok, err := b.d.Store.Reopen(ctx, t.ID, w)
	if err != nil {
		return nil, fmt.Errorf("reopen: %w", err)
	}
	if !ok {
		return nil, bots.Errorf("ticket #%d was closed more than %s ago and cannot be reopened; open a new one", t.Number, humanDur(w))
	}
	if _, err := c.Session.ChannelEditComplex(t.ThreadID, &discordgo.ChannelEdit{Archived: ptr(false), Locked: ptr(false)}, discordgo.WithContext(ctx)); err != nil {
		b.log.Warn("unarchive ticket thread", "ticket", t.ID, "err", err)
	}
	if t.OpenerID != "" {
		if err := c.Session.ThreadMemberAdd(t.ThreadID, t.OpenerID, discordgo.WithContext(ctx)); err != nil {
			b.log.Info("re-add opener", "ticket", t.ID, "err", err)
		}
	}
	if err := b.post(ctx, c.Session, t.ThreadID, embed.Success("Reopened", fmt.Sprintf("<@%s> reopened this ticket.", c.User.ID))); err != nil {
		b.log.Warn("post reopen", "ticket", t.ID, "err", err)
	}
	b.audit(ctx, bots.AuditEntry{GuildID: c.GuildID, ActorID: c.User.ID, Actor: displayName(c.User, c.Member), Action: "ticket reopen",
		Target: fmt.Sprintf("#%d", t.Number), OK: true})
	return bots.Reply(embed.Success("Ticket reopened", fmt.Sprintf("Ticket #%d is open again: <#%s>.", t.Number, t.ThreadID))), nil
}

// ---- members, rename, notes, transcript ----

func (b *Bot) cmdAddMember(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	return b.member(ctx, c, true)
}

func (b *Bot) cmdRemoveMember(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	return b.member(ctx, c, false)
}

func (b *Bot) member(ctx context.Context, c *bots.Ctx, add bool) (*bots.Response, error) {
	t, err := b.ticketHere(ctx, c)
	if err != nil {
		return nil, err
	}
	uid := c.ID("member")
	if !bots.IsSnowflake(uid) {
		return nil, bots.Errorf("pick a member")
	}
	verb, action := "added to", "ticket add member"
	if add {
		err = c.Session.ThreadMemberAdd(t.ThreadID, uid, discordgo.WithContext(ctx))
	} else {
		if uid == t.OpenerID {
			return nil, bots.Errorf("the member who opened the ticket stays in it; close the ticket instead")
		}
		verb, action = "removed from", "ticket remove member"
		err = c.Session.ThreadMemberRemove(t.ThreadID, uid, discordgo.WithContext(ctx))
	}
	if err != nil {
		return nil, explainDiscord("change the thread's members", err)
	}
	if err := b.post(ctx, c.Session, t.ThreadID, embed.New().Description(fmt.Sprintf("<@%s> was %s this ticket by <@%s>.", uid, verb, c.User.ID)).Embed()); err != nil {
		b.log.Warn("post member change", "ticket", t.ID, "err", err)
	}
	b.audit(ctx, bots.AuditEntry{GuildID: c.GuildID, ActorID: c.User.ID, Actor: displayName(c.User, c.Member), Action: action,
		Target: fmt.Sprintf("#%d <@%s>", t.Number, uid), OK: true})
	return bots.Reply(embed.Success("Done", fmt.Sprintf("<@%s> was %s ticket #%d.", uid, verb, t.Number))), nil
}

func (b *Bot) cmdRename(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	t, err := b.ticketHere(ctx, c)
	if err != nil {
		return nil, err
	}
	name := strings.Join(strings.Fields(bots.SanitizeName(c.String("name"), 90)), "-")
	if name == "" {
		return nil, bots.Errorf("give a name with letters or digits")
	}
	name = embed.Truncate(fmt.Sprintf("%04d-%s", t.Number, strings.ToLower(name)), 100)
	_, err = c.Session.ChannelEditComplex(t.ThreadID, &discordgo.ChannelEdit{Name: name}, discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) {
		return nil, bots.Errorf("Discord allows two renames per thread every 10 minutes; try again in %s", rl.RetryAfter.Round(time.Second))
	}
	if err != nil {
		return nil, explainDiscord("rename the thread", err)
	}
	b.audit(ctx, bots.AuditEntry{GuildID: c.GuildID, ActorID: c.User.ID, Actor: displayName(c.User, c.Member), Action: "ticket rename",
		Target: fmt.Sprintf("#%d", t.Number), Detail: name, OK: true})
	return bots.Reply(embed.Success("Renamed", "The thread is now **"+escapeMarkdown(name)+"**.")), nil
}

func (b *Bot) cmdNote(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	t, err := b.ticketHere(ctx, c)
	if err != nil {
		return nil, err
	}
	text := strings.TrimSpace(c.String("text"))
	if text == "" {
		return nil, bots.Errorf("the note is empty")
	}
	err = b.d.Store.PutMessage(ctx, Message{TicketID: t.ID, MessageID: "note-" + c.Interaction.ID, AuthorID: c.User.ID,
		AuthorName: displayName(c.User, c.Member), Content: text, Note: true, CreatedAt: b.d.Now()})
	if err != nil {
		return nil, fmt.Errorf("note: %w", err)
	}
	b.audit(ctx, bots.AuditEntry{GuildID: c.GuildID, ActorID: c.User.ID, Actor: displayName(c.User, c.Member), Action: "ticket note",
		Target: fmt.Sprintf("#%d", t.Number), OK: true})
	return bots.Reply(embed.Success("Note saved", fmt.Sprintf("Staff-only note on ticket #%d: it appears in the staff transcript, never in the member's.", t.Number))), nil
}

func (b *Bot) cmdTranscript(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	t, err := b.ticketByNumber(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := b.backfill(ctx, c.Session, t); err != nil {
		b.log.Warn("transcript backfill", "ticket", t.ID, "err", err)
	}
	msgs, err := b.d.Store.Messages(ctx, t.ID)
	if err != nil {
		return nil, fmt.Errorf("transcript: %w", err)
	}
	html := RenderTranscript(t, msgs, TranscriptOptions{Staff: true, GeneratedAt: b.d.Now()})
	return &bots.Response{Embeds: []*discordgo.MessageEmbed{embed.New().Title(fmt.Sprintf("Transcript of ticket #%d", t.Number)).
		Description(fmt.Sprintf("%d message(s), state %s.", len(msgs), t.State)).Embed()},
		Files: []*discordgo.File{{Name: transcriptName(t), ContentType: "text/html; charset=utf-8", Reader: bytes.NewReader(html)}}}, nil
}

// humanDur prints d without zero minor units: "24h", "1h30m", "90s".
func humanDur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
