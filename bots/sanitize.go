package bots

import (
	"regexp"
	"strings"
	"unicode"
)

// Discord inline tokens: custom emoji <:name:id> / <a:name:id>, mentions
// <@id> <@!id> <@&id> <#id>, slash-command mentions </name:id>, timestamps
// <t:123:R>.
var discordTokenRE = regexp.MustCompile(`<(?:a?:[A-Za-z0-9_~]{1,64}:\d{1,25}|@[!&]?\d+|#\d+|/[^<>:]{1,100}:\d{1,25}|t:-?\d{1,20}(?::[tTdDfFR])?)>`)

// markdownChars are removed from display names: emphasis, code, spoiler,
// quote, heading, escape, links, mention sigil.
const markdownChars = "*_~`|<>#\\[]@"

// SanitizeName makes a user-supplied display name safe to show in Discord
// and to send into game chat: Discord tokens (custom emoji, mentions),
// markdown characters, combining marks (Zalgo), control and format
// characters (zero-width, bidi overrides), symbols and emoji, private-use
// and unassigned code points are removed; runs of white space become one
// space; the result is trimmed and capped at max runes (max ≤ 0: 32). It
// may return "" when nothing printable is left.
func SanitizeName(s string, max int) string {
	if max <= 0 {
		max = 32
	}
	s = discordTokenRE.ReplaceAllString(s, "")
	var b strings.Builder
	b.Grow(len(s))
	n := 0
	space := false
	for _, r := range s {
		switch {
		case r == '\uFFFD', strings.ContainsRune(markdownChars, r):
			continue
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs, unicode.So, unicode.Sk):
			continue
		case !unicode.IsPrint(r) && !unicode.IsGraphic(r):
			continue
		}
		if space {
			if n+1 >= max {
				break
			}
			b.WriteByte(' ')
			n++
			space = false
		}
		if n >= max {
			break
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

// SanitizeChat makes a chat line safe to forward into game chat or a
// Discord message: control/format characters and combining marks are
// removed, newlines become spaces, Discord tokens are replaced by their
// readable part (repeatedly, so nested tokens such as "<@<@1>1>" cannot
// leave a live mention behind), mass mentions are defused and the result is
// capped at max runes (max ≤ 0: 500). Markdown is kept. The output never
// holds a live user, role, @everyone or @here mention.
func SanitizeChat(s string, max int) string {
	if max <= 0 {
		max = 500
	}
	// Characters first: removing a zero-width or control character must
	// not be able to join the halves of a token after tokens were handled.
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			r = ' '
		case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs), r == '\uFFFD':
			continue
		}
		b.WriteRune(r)
	}
	s = b.String()
	// Each pass makes the string shorter; a pathological nesting depth is
	// cut short by dropping the remaining angle brackets.
	for pass := 0; discordTokenRE.MatchString(s); pass++ {
		if pass == maxTokenPasses {
			s = strings.NewReplacer("<", "", ">", "").Replace(s)
			break
		}
		s = discordTokenRE.ReplaceAllStringFunc(s, func(tok string) string {
			if strings.HasPrefix(tok, "<:") || strings.HasPrefix(tok, "<a:") {
				parts := strings.Split(tok, ":")
				return ":" + parts[1] + ":"
			}
			return ""
		})
	}
	s = defuseMass(s)
	n := 0
	for i := range s {
		if n == max {
			s = s[:i]
			break
		}
		n++
	}
	return strings.TrimSpace(s)
}

// maxTokenPasses bounds SanitizeChat's token passes (each is linear).
const maxTokenPasses = 16

// defuseMass puts a zero-width space after the @ of @everyone and @here
// (in any letter case), so they never ping.
func defuseMass(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] != '@' {
			continue
		}
		rest := s[i+1:]
		for _, w := range []string{"everyone", "here"} {
			if len(rest) >= len(w) && strings.EqualFold(rest[:len(w)], w) {
				b.WriteString("\u200b")
				break
			}
		}
	}
	return b.String()
}
