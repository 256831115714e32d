package tickets

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/embed"
)

// Read-only claims (ticket_claim_readonly), as TicketsBot offers them.
//
// TicketsBot makes a claimed ticket channel read-only for the other
// support staff with a permission overwrite on the channel. A private
// thread cannot do that: threads have no permission overwrites of their
// own (they inherit the parent channel's, and SEND_MESSAGES_IN_THREADS
// there covers every thread of it), and locking a thread silences the
// member too. Removing the other staff from the thread is possible
// (Manage Threads), but it hides the ticket from them (not read-only)
// and does nothing against anyone holding Manage Threads, who sees every
// private thread. So Bliss keeps the other staff in the thread, reading
// along, and refuses their messages: it deletes them (Manage Messages in
// the ticket channel; only guilds that turn the setting on need to grant
// it, so the invite does not ask for it) and says why, at most once per
// person and ticket every few minutes. The refused message stays in the
// staff transcript, marked deleted. The claimer, the member who opened the
// ticket, non-staff members added to it and guild administrators always
// write.

// refuseNoticeEvery spaces the "this ticket is claimed" notices to one
// staff member in one ticket.
const refuseNoticeEvery = 10 * time.Minute

type readOnlyState struct {
	mu   sync.Mutex
	told map[string]time.Time // ticket id + author -> last notice
	warn map[int64]bool       // tickets told that Bliss lacks Manage Messages
}

// tell reports whether key may get a notice now (and records it).
func (r *readOnlyState) tell(key string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.told == nil {
		r.told = map[string]time.Time{}
	}
	if last, ok := r.told[key]; ok && now.Sub(last) < refuseNoticeEvery {
		return false
	}
	for k, at := range r.told { // bounded: entries older than the spacing go
		if now.Sub(at) >= refuseNoticeEvery {
			delete(r.told, k)
		}
	}
	r.told[key] = now
	return true
}

// warnOnce reports whether ticket id has not been told about the missing
// permission yet.
func (r *readOnlyState) warnOnce(id int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.warn == nil {
		r.warn = map[int64]bool{}
	}
	if r.warn[id] {
		return false
	}
	r.warn[id] = true
	return true
}

// SettingClaimReadOnly makes claimed tickets read-only for other staff.
var SettingClaimReadOnly = bots.Setting{Key: "ticket_claim_readonly", Kind: bots.SettingBool, Default: "false",
	Help: "Claimed tickets are read-only for other staff: their messages are removed (grant Bliss Tickets Manage Messages in the ticket channel)"}

// hasAdminRole reports whether one of roles carries Administrator, per the
// session's state (message events carry the member's roles, not their
// permissions).
func hasAdminRole(s *discordgo.Session, guildID string, roles []string) bool {
	if s == nil || s.State == nil {
		return false
	}
	for _, id := range roles {
		if r, err := s.State.Role(guildID, id); err == nil && r.Permissions&discordgo.PermissionAdministrator != 0 {
			return true
		}
	}
	return false
}

// staffMember reports whether m is staff for t (guild staff roles or the
// ticket type's roles).
func (b *Bot) staffMember(ctx context.Context, guildID string, m *discordgo.Member, t Ticket) (bool, error) {
	ok, err := bots.IsStaff(ctx, bots.StaffFromStore(b.d.Guilds), guildID, m)
	if err != nil || ok || m == nil || t.TypeID == 0 {
		return ok, err
	}
	typ, err := b.d.Store.Type(ctx, guildID, t.TypeID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, r := range typ.StaffRoles {
		if contains(m.Roles, r) {
			return true, nil
		}
	}
	return false, nil
}

// refuseMessage deletes ev if t is claimed, the guild made claims
// read-only and ev's author is other staff. It reports whether it did.
func (b *Bot) refuseMessage(ctx context.Context, s *discordgo.Session, t Ticket, ev *discordgo.MessageCreate) bool {
	a := ev.Author
	if s == nil || t.State != StateOpen || t.ClaimedBy == "" || a == nil || a.Bot || a.ID == t.ClaimedBy || a.ID == t.OpenerID || ev.Member == nil {
		return false
	}
	if !b.settings(ctx, t.GuildID).Bool(SettingClaimReadOnly) || hasAdminRole(s, t.GuildID, ev.Member.Roles) {
		return false
	}
	staff, err := b.staffMember(ctx, t.GuildID, ev.Member, t)
	if err != nil {
		b.log.Warn("read-only claim: staff check", "ticket", t.ID, "err", err)
		return false
	}
	if !staff {
		return false // a member staff added with /ticket add
	}
	if err := s.ChannelMessageDelete(ev.ChannelID, ev.ID, discordgo.WithContext(ctx)); err != nil {
		var re *discordgo.RESTError
		if errors.As(err, &re) && re.Message != nil && (re.Message.Code == discordgo.ErrCodeMissingPermissions || re.Message.Code == discordgo.ErrCodeMissingAccess) {
			if b.inc.ro.warnOnce(t.ID) {
				_ = b.post(ctx, s, t.ThreadID, embed.New().Color(embed.ColorWarning).Title("Read-only claim not enforced").
					Description("`ticket_claim_readonly` is on, but Bliss Tickets may not remove messages here: grant it **Manage Messages** in the ticket channel.").Embed())
			}
		} else {
			b.log.Warn("read-only claim: delete message", "ticket", t.ID, "err", err)
		}
		return false
	}
	if err := b.d.Store.DeleteMessage(ctx, t.ID, ev.ID); err != nil {
		b.log.Warn("read-only claim: record", "ticket", t.ID, "err", err)
	}
	if b.inc.ro.tell(fmt.Sprintf("%d:%s", t.ID, a.ID), b.d.Now()) {
		_, err := s.ChannelMessageSendComplex(t.ThreadID, &discordgo.MessageSend{
			Content: "<@" + a.ID + ">",
			Embeds: []*discordgo.MessageEmbed{embed.New().Color(embed.ColorWarning).Title("Claimed ticket").Description(fmt.Sprintf(
				"<@%s> is handling ticket #%d; other staff read along but do not write here, so your message was removed. "+
					"Use `/ticket note` for a staff note, or ask them to `/ticket unclaim`.", t.ClaimedBy, t.Number)).Embed()},
			AllowedMentions: &discordgo.MessageAllowedMentions{Users: []string{a.ID}}}, discordgo.WithContext(ctx))
		if err != nil {
			b.log.Warn("read-only claim: notice", "ticket", t.ID, "err", err)
		}
	}
	return true
}
