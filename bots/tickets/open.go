package tickets

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/embed"
)

// maxAnswer is Discord's text input limit.
const maxAnswer = 4000

func parseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return id, err == nil && id > 0
}

func (b *Bot) typeFromArgs(ctx context.Context, c *bots.Ctx) (Type, error) {
	id, ok := parseID(c.Args)
	if !ok {
		return Type{}, bots.Errorf("this button is no longer valid")
	}
	t, err := b.d.Store.Type(ctx, c.GuildID, id)
	if errors.Is(err, ErrNotFound) {
		return Type{}, bots.Errorf("this ticket type was removed; ask the staff to post a new panel")
	}
	return t, err
}

// limits returns the opener's limits for t in the guild.
func limits(gs bots.GuildSettings, t Type) (user, typ int, cooldown time.Duration) {
	return int(gs.Number(SettingUserLimit)), t.UserLimit, gs.Duration(SettingCooldown)
}

// onOpenButton answers a panel button: the form, or (a type without
// questions) the ticket itself.
func (b *Bot) onOpenButton(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	if c.GuildID == "" || c.Member == nil {
		return nil, bots.Errorf("tickets open from a server's panel")
	}
	t, err := b.typeFromArgs(ctx, c)
	if err != nil {
		return nil, err
	}
	if len(t.Questions) == 0 {
		return b.open(ctx, c, t, nil)
	}
	var inputs []bots.TextInput
	for i, q := range t.Questions {
		inputs = append(inputs, bots.TextInput{ID: "q" + strconv.Itoa(i), Label: q, Paragraph: true, Required: true, MaxLength: maxAnswer})
	}
	return bots.NewModal(bots.MustCustomID(prefixForm, strconv.FormatInt(t.ID, 10)), embed.Truncate("Ticket: "+t.Label, 45), inputs...)
}

// onOpenForm opens the ticket from the submitted form.
func (b *Bot) onOpenForm(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	if c.GuildID == "" || c.Member == nil {
		return nil, bots.Errorf("tickets open from a server's panel")
	}
	t, err := b.typeFromArgs(ctx, c)
	if err != nil {
		return nil, err
	}
	answers := make([]string, len(t.Questions))
	for i := range t.Questions {
		a := c.Fields["q"+strconv.Itoa(i)]
		if r := []rune(a); len(r) > maxAnswer {
			a = string(r[:maxAnswer])
		}
		answers[i] = a
	}
	return b.open(ctx, c, t, answers)
}

func displayName(u *discordgo.User, m *discordgo.Member) string {
	name := ""
	if m != nil && m.Nick != "" {
		name = m.Nick
	} else if u != nil && u.GlobalName != "" {
		name = u.GlobalName
	} else if u != nil {
		name = u.Username
	}
	if n := bots.SanitizeName(name, 32); n != "" {
		return n
	}
	if u != nil {
		return "user " + u.ID
	}
	return "someone"
}

func (b *Bot) open(ctx context.Context, c *bots.Ctx, t Type, answers []string) (*bots.Response, error) {
	gs := b.settings(ctx, c.GuildID)
	user, typ, cooldown := limits(gs, t)
	parent := gs.Value(SettingChannel)
	if parent == "" {
		parent = c.ChannelID
	}
	tk := Ticket{GuildID: c.GuildID, TypeID: t.ID, TypeLabel: t.Label, OpenerID: c.User.ID, OpenerName: displayName(c.User, c.Member),
		ParentID: parent, Questions: t.Questions, Answers: answers}
	if tk.Questions == nil {
		tk.Questions, tk.Answers = []string{}, []string{}
	}
	tk, err := b.d.Store.Reserve(ctx, tk, user, typ, cooldown)
	switch {
	case errors.Is(err, ErrLimit):
		return nil, bots.Errorf("you already have the maximum number of open tickets here; close one first")
	case errors.Is(err, ErrCooldown):
		return nil, bots.Errorf("you opened a ticket a moment ago; please wait %s before opening another", humanDur(cooldown))
	case err != nil:
		return nil, fmt.Errorf("reserve ticket: %w", err)
	}
	roles := t.StaffRoles
	if len(roles) == 0 {
		roles = gs.StaffRoleIDs
	}
	th, err := b.startThread(ctx, c.Session, tk, roles, nil)
	if err != nil {
		return nil, err
	}
	b.audit(ctx, bots.AuditEntry{GuildID: c.GuildID, ActorID: c.User.ID, Actor: tk.OpenerName, Action: "ticket open",
		Target: fmt.Sprintf("#%d %s", tk.Number, t.Label), OK: true})
	return bots.Reply(embed.Success("Ticket opened", fmt.Sprintf("Ticket #%d is open: <#%s>. The staff have been told.", tk.Number, th.ID))), nil
}

func threadName(tk Ticket) string {
	who := tk.OpenerName
	if who == "" {
		who = tk.Subject
	}
	who = strings.ToLower(strings.Join(strings.Fields(bots.SanitizeName(who, 40)), "-"))
	name := fmt.Sprintf("ticket-%04d", tk.Number)
	if who != "" {
		name += "-" + who
	}
	return embed.Truncate(name, 100)
}

// startThread creates the private thread of a reserved ticket, adds the
// opener, and posts the first message (answers, Claim/Close buttons,
// staff role mentions, which add those roles' members to the thread). On a
// failure before the thread exists the reservation is discarded.
func (b *Bot) startThread(ctx context.Context, s *discordgo.Session, tk Ticket, staffRoles []string, in *IncidentRecord) (*discordgo.Channel, error) {
	if s == nil {
		_ = b.d.Store.Discard(context.WithoutCancel(ctx), tk.ID)
		return nil, errors.New("ticket bot is not connected")
	}
	th, err := s.ThreadStartComplex(tk.ParentID, &discordgo.ThreadStart{Name: threadName(tk), AutoArchiveDuration: 10080,
		Type: discordgo.ChannelTypeGuildPrivateThread, Invitable: false}, discordgo.WithContext(ctx))
	if err != nil {
		_ = b.d.Store.Discard(context.WithoutCancel(ctx), tk.ID)
		return nil, explainDiscord("open a private thread in <#"+tk.ParentID+">", err)
	}
	if err := b.d.Store.Opened(ctx, tk.ID, th.ID, tk.ParentID); err != nil {
		return nil, fmt.Errorf("ticket opened: %w", err)
	}
	tk.ThreadID, tk.State = th.ID, StateOpen
	if tk.OpenerID != "" {
		if err := s.ThreadMemberAdd(th.ID, tk.OpenerID, discordgo.WithContext(ctx)); err != nil {
			b.log.Warn("add opener to ticket", "ticket", tk.ID, "err", err)
		}
	}
	welcome := ""
	if in == nil {
		welcome = b.settings(ctx, tk.GuildID).Value(SettingWelcome)
	}
	for _, m := range firstMessages(tk, staffRoles, in, b.d.Forward != nil, welcome) {
		if _, err := s.ChannelMessageSendComplex(th.ID, m, discordgo.WithContext(ctx)); err != nil {
			b.log.Warn("ticket first message", "ticket", tk.ID, "err", err)
			break
		}
	}
	return th, nil
}

// firstMessages renders the ticket's opening post: who and what, the
// answers (escaped, split over as many embeds and messages as Discord's
// limits need), and the buttons on the first message.
func firstMessages(tk Ticket, staffRoles []string, in *IncidentRecord, actions bool, welcome string) []*discordgo.MessageSend {
	var ping []string
	allowed := &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
	if tk.OpenerID != "" {
		ping = append(ping, "<@"+tk.OpenerID+">")
		allowed.Users = []string{tk.OpenerID}
	}
	for _, r := range staffRoles {
		ping = append(ping, "<@&"+r+">")
		allowed.Roles = append(allowed.Roles, r)
	}
	title := fmt.Sprintf("Ticket #%d — %s", tk.Number, tk.TypeLabel)
	var desc strings.Builder
	if tk.OpenerID != "" {
		fmt.Fprintf(&desc, "Opened by <@%s>.\n", tk.OpenerID)
	}
	if welcome != "" {
		desc.WriteString(welcome + "\n")
	}
	if in != nil {
		title = fmt.Sprintf("Ticket #%d — automatic: %s", tk.Number, incidentTitle(in.Kind))
		fmt.Fprintf(&desc, "**%s**\n%s\n", keepUserMentions(escapeMarkdown(in.Subject)), escapeMarkdown(in.Details))
	}
	for i, q := range tk.Questions {
		a := ""
		if i < len(tk.Answers) {
			a = tk.Answers[i]
		}
		fmt.Fprintf(&desc, "\n**%s**\n%s\n", escapeMarkdown(q), quoteBlock(escapeMarkdown(a)))
	}
	eb := embed.New().Title(title).Description(desc.String()).Timestamp(tk.CreatedAt)
	if in != nil {
		eb.Color(embed.ColorWarning)
	}
	groups := embed.Messages(eb.Build())
	buttons := []discordgo.MessageComponent{
		discordgo.Button{Label: "Claim", Style: discordgo.SuccessButton, CustomID: bots.MustCustomID(prefixClaim, strconv.FormatInt(tk.ID, 10)), Emoji: &discordgo.ComponentEmoji{Name: "🙋"}},
		discordgo.Button{Label: "Close", Style: discordgo.DangerButton, CustomID: bots.MustCustomID(prefixClose, strconv.FormatInt(tk.ID, 10)), Emoji: &discordgo.ComponentEmoji{Name: "🔒"}},
	}
	if in != nil {
		for i, l := range in.ActionLabels {
			if i >= 3 || i >= len(in.ActionIDs) {
				break
			}
			buttons = append(buttons, discordgo.Button{Label: embed.Truncate(l, 80), Style: discordgo.SecondaryButton,
				CustomID: bots.MustCustomID(prefixAction, strconv.FormatInt(in.ID, 10), strconv.Itoa(i)), Disabled: !actions})
		}
	}
	var out []*discordgo.MessageSend
	for i, g := range groups {
		m := &discordgo.MessageSend{Embeds: g, AllowedMentions: allowed}
		if i == 0 {
			m.Content = strings.Join(ping, " ")
			m.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: buttons}}
		} else {
			m.AllowedMentions = &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
		}
		out = append(out, m)
	}
	return out
}

// escapedUserMention is a user mention after escapeMarkdown.
var escapedUserMention = regexp.MustCompile(`\\<\\@(\d{5,25})\\>`)

// keepUserMentions restores the user mentions of an escaped incident
// subject ("order #3 for <@id>", written by the part that raised it) so
// the ticket shows the player's name. They never ping: an automatic
// ticket's first message allows only the staff roles' mentions, so the
// player is not added to the staff's thread either.
func keepUserMentions(s string) string { return escapedUserMention.ReplaceAllString(s, "<@$1>") }

// quoteBlock prefixes every line with "> " so an answer reads as a quote.
func quoteBlock(s string) string {
	if s == "" {
		return "> _(empty)_"
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = "> " + l
	}
	return strings.Join(lines, "\n")
}
