package app

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots/discordtest"
)

// Rendering of bot output for the sandbox transcript: embeds as title,
// description and "name: value" fields, components listed, mentions and
// timestamps resolved against the fake guild.

var (
	mentionRE   = regexp.MustCompile(`<(@&|@!?|#)(\d+)>`)
	timestampRE = regexp.MustCompile(`<t:(-?\d+)(?::[tTdDfFR])?>`)
	mdLinkRE    = regexp.MustCompile(`\[([^\]\n]+)\]\((https?://[^)\s]+)\)`)
)

// pretty makes Discord markup readable in a terminal.
func (sb *sandbox) pretty(s string) string {
	names := map[string]string{}
	if sb.discord != nil {
		if g, ok := sb.discord.GuildState(sb.guild.ID); ok {
			for _, r := range g.Roles {
				names["@&"+r.ID] = "@" + r.Name
			}
			for _, c := range g.Channels {
				names["#"+c.ID] = "#" + c.Name
			}
			for _, m := range g.Members {
				if m.User != nil {
					names["@"+m.User.ID] = "@" + m.User.Username
				}
			}
		}
	}
	s = mentionRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := mentionRE.FindStringSubmatch(m)
		kind := strings.TrimSuffix(sub[1], "!")
		if n, ok := names[kind+sub[2]]; ok {
			return n
		}
		return m
	})
	s = timestampRE.ReplaceAllStringFunc(s, func(m string) string {
		sec, err := strconv.ParseInt(timestampRE.FindStringSubmatch(m)[1], 10, 64)
		if err != nil {
			return m
		}
		return time.Unix(sec, 0).UTC().Format("2006-01-02 15:04:05Z")
	})
	s = mdLinkRE.ReplaceAllString(s, "$1 $2")
	return strings.ReplaceAll(s, "**", "")
}

// embedLines renders one embed.
func (sb *sandbox) embedLines(e *discordgo.MessageEmbed) []string {
	var out []string
	add := func(prefix, s string) {
		for i, l := range strings.Split(sb.pretty(s), "\n") {
			if i == 0 {
				out = append(out, prefix+l)
			} else {
				out = append(out, strings.Repeat(" ", len([]rune(prefix)))+l)
			}
		}
	}
	if e.Author != nil && e.Author.Name != "" {
		add("", e.Author.Name)
	}
	if e.Title != "" {
		add("▌ ", e.Title)
	}
	if e.Description != "" {
		add("", e.Description)
	}
	for _, f := range e.Fields {
		if f == nil {
			continue
		}
		if strings.Contains(f.Value, "\n") {
			out = append(out, sb.pretty(f.Name)+":")
			add("  ", f.Value)
			continue
		}
		add(sb.pretty(f.Name)+": ", f.Value)
	}
	if e.Footer != nil && e.Footer.Text != "" {
		add("— ", e.Footer.Text)
	}
	return out
}

// componentLines lists buttons and selects, one line per action row.
func componentLines(cs []discordgo.MessageComponent) []string {
	var out []string
	for _, c := range cs {
		var row []discordgo.MessageComponent
		switch r := c.(type) {
		case *discordgo.ActionsRow:
			row = r.Components
		case discordgo.ActionsRow:
			row = r.Components
		default:
			row = []discordgo.MessageComponent{c}
		}
		var items []string
		for _, it := range row {
			if s := componentLabel(it); s != "" {
				items = append(items, "["+s+"]")
			}
		}
		if len(items) > 0 {
			out = append(out, strings.Join(items, " "))
		}
	}
	return out
}

func componentLabel(c discordgo.MessageComponent) string {
	switch v := c.(type) {
	case *discordgo.Button:
		return buttonLabel(*v)
	case discordgo.Button:
		return buttonLabel(v)
	case *discordgo.SelectMenu:
		return selectLabel(*v)
	case discordgo.SelectMenu:
		return selectLabel(v)
	case *discordgo.TextInput:
		return "text input: " + v.Label
	case discordgo.TextInput:
		return "text input: " + v.Label
	}
	return fmt.Sprintf("component type %d", c.Type())
}

func buttonLabel(b discordgo.Button) string {
	if b.URL != "" {
		return "link: " + b.Label + " → " + b.URL
	}
	s := "button: " + b.Label
	if b.Disabled {
		s += " (disabled)"
	}
	return s
}

func selectLabel(m discordgo.SelectMenu) string {
	kind := map[discordgo.SelectMenuType]string{
		discordgo.UserSelectMenu: "user select", discordgo.RoleSelectMenu: "role select",
		discordgo.MentionableSelectMenu: "mentionable select", discordgo.ChannelSelectMenu: "channel select",
	}[m.MenuType]
	if kind == "" {
		kind = "select"
	}
	s := kind + ": " + m.Placeholder
	if len(m.Options) > 0 {
		var opts []string
		for _, o := range m.Options {
			opts = append(opts, o.Label)
		}
		s += " (" + strings.Join(opts, ", ") + ")"
	}
	return s
}

// block prints one bot message or response: on one line when short,
// otherwise a header and indented lines.
func (sb *sandbox) block(header, content string, embeds []*discordgo.MessageEmbed, comps []discordgo.MessageComponent) {
	var lines []string
	if content != "" {
		lines = append(lines, strings.Split(sb.pretty(content), "\n")...)
	}
	for _, e := range embeds {
		if e != nil {
			lines = append(lines, sb.embedLines(e)...)
		}
	}
	lines = append(lines, componentLines(comps)...)
	if len(lines) == 0 {
		lines = []string{"(empty)"}
	}
	if len(lines) == 1 && len(header)+len(lines[0]) < 140 {
		sb.say("%s %s", header, lines[0])
		return
	}
	sb.say("%s", header)
	for _, l := range lines {
		sb.say("    %s", l)
	}
}

// responseHeader names the bot and how it answered.
func responseHeader(bot string, r discordtest.Response) string {
	h := "[" + bot + "]"
	switch {
	case r.Type == discordgo.InteractionResponseUpdateMessage:
		h += " (updates the message)"
	case r.Type == discordgo.InteractionApplicationCommandAutocompleteResult:
		h += " (autocomplete)"
	case r.Type == discordgo.InteractionResponseModal:
		h += " (opens modal " + strconv.Quote(r.Data.Title) + ")"
	case r.Kind == discordtest.KindFollowup || r.Kind == discordtest.KindEditOriginal:
		h += " (after deferring)"
	}
	if r.Ephemeral() {
		h += " (only you)"
	}
	return h
}

// responseText is a response's text for assertions (unrendered).
func responseText(r discordtest.Response) string {
	var b strings.Builder
	b.WriteString(r.Data.Content)
	for _, e := range r.Data.Embeds {
		if e == nil {
			continue
		}
		b.WriteString("\n" + e.Title + "\n" + e.Description)
		for _, f := range e.Fields {
			if f != nil {
				b.WriteString("\n" + f.Name + ": " + f.Value)
			}
		}
		if e.Footer != nil {
			b.WriteString("\n" + e.Footer.Text)
		}
	}
	for _, c := range r.Data.Choices {
		if c != nil {
			b.WriteString("\n" + c.Name)
		}
	}
	return b.String()
}

// flushChannelMessages prints bot messages posted in the guild's channels
// and threads since the last flush (not those already shown as responses).
func (sb *sandbox) flushChannelMessages() {
	if sb.discord == nil {
		return
	}
	for _, ch := range sb.discord.Channels(sb.guild.ID) {
		for _, m := range sb.discord.Messages(ch.ID) {
			if sb.seenMsgs[m.ID] || m.Author == nil || !m.Author.Bot {
				continue
			}
			sb.seenMsgs[m.ID] = true
			name := m.Author.Username
			if k, ok := sb.botKinds[m.Author.ID]; ok {
				name = string(k)
			}
			sb.block(fmt.Sprintf("[%s] in #%s:", name, ch.Name), m.Content, m.Embeds, m.Components)
		}
	}
}
