package tickets

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/embed"
)

func ptr[T any](v T) *T { return &v }

func sub(name, desc string, opts ...*discordgo.ApplicationCommandOption) *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: name, Description: desc, Options: opts}
}

func str(name, desc string, required bool, maxLen int) *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: name, Description: desc,
		Required: required, MaxLength: maxLen}
}

func integer(name, desc string, required bool, lo, hi float64) *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionInteger, Name: name, Description: desc,
		Required: required, MinValue: &lo, MaxValue: hi}
}

func typeFields() []*discordgo.ApplicationCommandOption {
	return []*discordgo.ApplicationCommandOption{
		str("emoji", "Button emoji (a unicode emoji)", false, 32),
		str("questions", "Up to 5 questions for the form, separated by |", false, 250),
		str("roles", "Staff roles that handle it (mentions or ids); default: staff roles", false, 500),
		integer("limit", "Open tickets of this type per member (0: no extra limit)", false, 0, 50),
	}
}

func ticketSpec() *discordgo.ApplicationCommand {
	typeOpt := func() *discordgo.ApplicationCommandOption {
		o := str("type", "Ticket type", true, 80)
		o.Autocomplete = true
		return o
	}
	add := append([]*discordgo.ApplicationCommandOption{str("label", "Button label", true, 80)}, typeFields()...)
	edit := append([]*discordgo.ApplicationCommandOption{typeOpt(), str("label", "New button label", false, 80)}, typeFields()...)
	return &discordgo.ApplicationCommand{Name: "ticket", Description: "Support tickets: panels, types, working a ticket",
		DMPermission: ptr(false),
		Options: []*discordgo.ApplicationCommandOption{
			sub("panel", "Post a ticket panel", &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionChannel,
				Name: "channel", Description: "Channel (default: this one)", ChannelTypes: []discordgo.ChannelType{discordgo.ChannelTypeGuildText}}),
			{Type: discordgo.ApplicationCommandOptionSubCommandGroup, Name: "type", Description: "Ticket types (panel buttons)",
				Options: []*discordgo.ApplicationCommandOption{
					sub("add", "Add a ticket type", add...),
					sub("edit", "Change a ticket type", edit...),
					sub("remove", "Remove a ticket type", typeOpt()),
					sub("list", "List ticket types"),
				}},
			sub("add", "Add a member to this ticket", &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionUser,
				Name: "member", Description: "Member", Required: true}),
			sub("remove", "Remove a member from this ticket", &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionUser,
				Name: "member", Description: "Member", Required: true}),
			sub("rename", "Rename this ticket's thread", str("name", "New name", true, 90)),
			sub("note", "Add a staff-only note (never shown to the member)", str("text", "Note", true, 1500)),
			sub("claim", "Claim this ticket"),
			sub("unclaim", "Release this ticket's claim"),
			sub("close", "Close this ticket", str("reason", "Reason", false, 500)),
			sub("reopen", "Reopen a closed ticket", integer("number", "Ticket number", true, 1, 1e9)),
			sub("transcript", "Get a ticket's transcript", integer("number", "Ticket number", true, 1, 1e9)),
			{Type: discordgo.ApplicationCommandOptionSubCommandGroup, Name: "trigger", Description: "Automatic tickets from live-feed lines",
				Options: []*discordgo.ApplicationCommandOption{
					sub("add", "Open a ticket when a line matches a pattern",
						&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "kind", Description: "Line kind",
							Required: true, Choices: []*discordgo.ApplicationCommandOptionChoice{
								{Name: "chat", Value: "chat"}, {Name: "tribe log", Value: "tribe"}, {Name: "deaths", Value: "deaths"},
								{Name: "joins and leaves", Value: "join"}, {Name: "admin log", Value: "admin"}, {Name: "any", Value: "any"}}},
						str("pattern", "Regular expression (RE2, case-insensitive)", true, 200),
						str("server", "Nitrado service id (default: every server)", false, 20),
						str("label", "Name shown on the ticket", false, 80)),
					sub("remove", "Remove a trigger", integer("id", "Trigger id", true, 1, 1e12)),
					sub("list", "List triggers"),
				}},
		}}
}

// ---- types ----

var roleIDRE = regexp.MustCompile(`\d{5,20}`)

func parseRoles(s string) []string {
	var out []string
	for _, id := range roleIDRE.FindAllString(s, 25) {
		if !contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// parseQuestions splits "a | b | c" into at most 5 labels of ≤ 45 chars.
func parseQuestions(s string) ([]string, error) {
	var out []string
	for _, q := range strings.Split(s, "|") {
		q = strings.Join(strings.Fields(q), " ")
		if q == "" {
			continue
		}
		if utf8.RuneCountInString(q) > 45 {
			return nil, bots.Errorf("question %q is longer than 45 characters (Discord's limit for form labels)", embed.Truncate(q, 60))
		}
		out = append(out, q)
	}
	if len(out) > 5 {
		return nil, bots.Errorf("at most 5 questions (Discord's limit for a form); got %d", len(out))
	}
	return out, nil
}

// cleanEmoji accepts a short unicode emoji; custom emoji <:name:id> too.
func cleanEmoji(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if utf8.RuneCountInString(s) > 8 && !customEmojiRE.MatchString(s) {
		return "", bots.Errorf("emoji %q: give one emoji", embed.Truncate(s, 40))
	}
	return s, nil
}

var customEmojiRE = regexp.MustCompile(`^<a?:[A-Za-z0-9_]{2,32}:\d{5,20}>$`)

func buttonEmoji(s string) *discordgo.ComponentEmoji {
	if s == "" {
		return nil
	}
	if m := customEmojiRE.FindString(s); m != "" {
		parts := strings.Split(strings.Trim(m, "<>"), ":")
		return &discordgo.ComponentEmoji{Name: parts[len(parts)-2], ID: parts[len(parts)-1], Animated: parts[0] == "a"}
	}
	return &discordgo.ComponentEmoji{Name: s}
}

func (b *Bot) cmdTypeAdd(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	t := Type{GuildID: c.GuildID, Label: strings.TrimSpace(c.String("label")), UserLimit: int(c.Int("limit"))}
	if t.Label == "" {
		return nil, bots.Errorf("the label cannot be empty")
	}
	var err error
	if t.Emoji, err = cleanEmoji(c.String("emoji")); err != nil {
		return nil, err
	}
	if t.Questions, err = parseQuestions(c.String("questions")); err != nil {
		return nil, err
	}
	t.StaffRoles = parseRoles(c.String("roles"))
	if types, err := b.d.Store.Types(ctx, c.GuildID); err != nil {
		return nil, err
	} else if len(types) >= 25 {
		return nil, bots.Errorf("a panel holds at most 25 ticket types; remove one first")
	}
	t, err = b.d.Store.AddType(ctx, t)
	if errors.Is(err, ErrConflict) {
		return nil, bots.Errorf("a ticket type labelled %q exists already", t.Label)
	}
	if err != nil {
		return nil, fmt.Errorf("ticket type add: %w", err)
	}
	b.audit(ctx, bots.AuditEntry{GuildID: c.GuildID, ActorID: c.User.ID, Actor: c.User.Username, Action: "ticket type add", Target: t.Label, OK: true})
	n := b.refreshPanels(ctx, c.Session, c.GuildID)
	return bots.Reply(embed.Success("Ticket type added", typeLine(t)+panelNote(n))), nil
}

func panelNote(n int) string {
	if n == 0 {
		return "\nPost a panel with `/ticket panel`."
	}
	return fmt.Sprintf("\n%d panel(s) updated.", n)
}

func typeLine(t Type) string {
	var b strings.Builder
	if t.Emoji != "" {
		b.WriteString(t.Emoji + " ")
	}
	b.WriteString("**" + escapeMarkdown(t.Label) + "**")
	if len(t.Questions) > 0 {
		fmt.Fprintf(&b, " — %d question(s): %s", len(t.Questions), escapeMarkdown(strings.Join(t.Questions, " · ")))
	}
	if len(t.StaffRoles) > 0 {
		var ms []string
		for _, r := range t.StaffRoles {
			ms = append(ms, "<@&"+r+">")
		}
		b.WriteString(" — handled by " + strings.Join(ms, " "))
	}
	if t.UserLimit > 0 {
		fmt.Fprintf(&b, " — %d open per member", t.UserLimit)
	}
	return b.String()
}

func (b *Bot) findType(ctx context.Context, guildID, ref string) (Type, error) {
	types, err := b.d.Store.Types(ctx, guildID)
	if err != nil {
		return Type{}, err
	}
	ref = strings.TrimSpace(ref)
	for _, t := range types {
		if strconv.FormatInt(t.ID, 10) == ref || strings.EqualFold(t.Label, ref) {
			return t, nil
		}
	}
	return Type{}, bots.Errorf("no ticket type %q; see `/ticket type list`", embed.Truncate(ref, 80))
}

func (b *Bot) cmdTypeEdit(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	t, err := b.findType(ctx, c.GuildID, c.String("type"))
	if err != nil {
		return nil, err
	}
	if c.Has("label") {
		if t.Label = strings.TrimSpace(c.String("label")); t.Label == "" {
			return nil, bots.Errorf("the label cannot be empty")
		}
	}
	if c.Has("emoji") {
		if t.Emoji, err = cleanEmoji(c.String("emoji")); err != nil {
			return nil, err
		}
	}
	if c.Has("questions") {
		if t.Questions, err = parseQuestions(c.String("questions")); err != nil {
			return nil, err
		}
	}
	if c.Has("roles") {
		t.StaffRoles = parseRoles(c.String("roles"))
	}
	if c.Has("limit") {
		t.UserLimit = int(c.Int("limit"))
	}
	err = b.d.Store.UpdateType(ctx, t)
	if errors.Is(err, ErrConflict) {
		return nil, bots.Errorf("a ticket type labelled %q exists already", t.Label)
	}
	if err != nil {
		return nil, fmt.Errorf("ticket type edit: %w", err)
	}
	b.audit(ctx, bots.AuditEntry{GuildID: c.GuildID, ActorID: c.User.ID, Actor: c.User.Username, Action: "ticket type edit", Target: t.Label, OK: true})
	n := b.refreshPanels(ctx, c.Session, c.GuildID)
	return bots.Reply(embed.Success("Ticket type changed", typeLine(t)+panelNote(n))), nil
}

func (b *Bot) cmdTypeRemove(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	t, err := b.findType(ctx, c.GuildID, c.String("type"))
	if err != nil {
		return nil, err
	}
	if _, err := b.d.Store.DeleteType(ctx, c.GuildID, t.ID); err != nil {
		return nil, fmt.Errorf("ticket type remove: %w", err)
	}
	b.audit(ctx, bots.AuditEntry{GuildID: c.GuildID, ActorID: c.User.ID, Actor: c.User.Username, Action: "ticket type remove", Target: t.Label, OK: true})
	n := b.refreshPanels(ctx, c.Session, c.GuildID)
	return bots.Reply(embed.Success("Ticket type removed", "**"+escapeMarkdown(t.Label)+"** is gone; its open tickets stay open."+panelNote(n))), nil
}

func (b *Bot) cmdTypeList(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	types, err := b.d.Store.Types(ctx, c.GuildID)
	if err != nil {
		return nil, err
	}
	if len(types) == 0 {
		return bots.Reply(embed.New().Title("Ticket types").Description("None yet: add one with `/ticket type add`.").Embed()), nil
	}
	var lines []string
	for _, t := range types {
		lines = append(lines, typeLine(t))
	}
	return bots.Reply(embed.New().Title("Ticket types").Description(strings.Join(lines, "\n")).Build()...), nil
}

func (b *Bot) autocomplete(ctx context.Context, c *bots.Ctx, focused *discordgo.ApplicationCommandInteractionDataOption) ([]*discordgo.ApplicationCommandOptionChoice, error) {
	if focused == nil || focused.Name != "type" {
		return nil, nil
	}
	typed, _ := focused.Value.(string)
	types, err := b.d.Store.Types(ctx, c.GuildID)
	if err != nil {
		return nil, err
	}
	var out []*discordgo.ApplicationCommandOptionChoice
	for _, t := range types {
		if typed == "" || strings.Contains(strings.ToLower(t.Label), strings.ToLower(typed)) {
			out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: embed.Truncate(t.Label, 100), Value: strconv.FormatInt(t.ID, 10)})
		}
	}
	return out, nil
}

// ---- panel ----

func (b *Bot) cmdPanel(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	channelID := c.ChannelID
	if c.Has("channel") {
		channelID = c.ID("channel")
	}
	types, err := b.d.Store.Types(ctx, c.GuildID)
	if err != nil {
		return nil, err
	}
	if len(types) == 0 {
		return nil, bots.Errorf("add a ticket type first: `/ticket type add label:Support`")
	}
	msg, err := c.Session.ChannelMessageSendComplex(channelID, panelMessage(types), discordgo.WithContext(ctx))
	if err != nil {
		return nil, explainDiscord("post the panel in <#"+channelID+">", err)
	}
	if err := b.d.Store.AddPanel(ctx, Panel{GuildID: c.GuildID, ChannelID: channelID, MessageID: msg.ID}); err != nil {
		b.log.Warn("store panel", "err", err)
	}
	b.audit(ctx, bots.AuditEntry{GuildID: c.GuildID, ActorID: c.User.ID, Actor: c.User.Username, Action: "ticket panel", Target: "<#" + channelID + ">", OK: true})
	return bots.Reply(embed.Success("Panel posted", fmt.Sprintf("In <#%s> with %d button(s). Tickets open as private threads in %s.",
		channelID, len(types), "the ticket channel (`ticket_channel`), or the panel's channel when unset"))), nil
}

func panelMessage(types []Type) *discordgo.MessageSend {
	e := embed.New().Title("Support tickets").
		Description("Pick what you need help with. A private thread opens that only you and the staff can see.").Embed()
	return &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{e}, Components: panelComponents(types),
		AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}}
}

func panelComponents(types []Type) []discordgo.MessageComponent {
	var rows []discordgo.MessageComponent
	var row []discordgo.MessageComponent
	for i, t := range types {
		if i == 25 {
			break
		}
		row = append(row, discordgo.Button{Label: embed.Truncate(t.Label, 80), Style: discordgo.PrimaryButton,
			CustomID: bots.MustCustomID(prefixOpen, strconv.FormatInt(t.ID, 10)), Emoji: buttonEmoji(t.Emoji)})
		if len(row) == 5 {
			rows = append(rows, discordgo.ActionsRow{Components: row})
			row = nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, discordgo.ActionsRow{Components: row})
	}
	return rows
}

// refreshPanels re-renders the guild's posted panels after a type change;
// it returns how many were updated and forgets deleted ones.
func (b *Bot) refreshPanels(ctx context.Context, s *discordgo.Session, guildID string) int {
	if s == nil {
		return 0
	}
	panels, err := b.d.Store.Panels(ctx, guildID)
	if err != nil || len(panels) == 0 {
		return 0
	}
	types, err := b.d.Store.Types(ctx, guildID)
	if err != nil {
		return 0
	}
	n := 0
	for _, p := range panels {
		comps := panelComponents(types)
		_, err := s.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: p.MessageID, Channel: p.ChannelID, Components: &comps}, discordgo.WithContext(ctx))
		var re *discordgo.RESTError
		switch {
		case err == nil:
			n++
		case errors.As(err, &re) && re.Message != nil && (re.Message.Code == discordgo.ErrCodeUnknownMessage || re.Message.Code == discordgo.ErrCodeUnknownChannel):
			_ = b.d.Store.RemovePanel(ctx, p.MessageID)
		default:
			b.log.Warn("refresh panel", "message", p.MessageID, "err", err)
		}
	}
	return n
}

// explainDiscord turns Discord's permission errors into instructions.
func explainDiscord(what string, err error) error {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil {
		switch re.Message.Code {
		case discordgo.ErrCodeMissingPermissions, discordgo.ErrCodeMissingAccess:
			return &bots.UserError{Msg: "Bliss Tickets cannot " + what + ": it lacks permissions there (it needs View Channel, Send Messages, " +
				"Send Messages in Threads, Create Private Threads, Manage Threads, Attach Files and Read Message History; check the channel's overrides " +
				"and the role order).", Err: err}
		case discordgo.ErrCodeUnknownChannel:
			return &bots.UserError{Msg: "Bliss Tickets cannot " + what + ": the channel does not exist any more.", Err: err}
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}
