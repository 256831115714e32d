package server

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzUntrustedText: staff text bound for RCON is one printable line within
// the cap, pager queries from custom_ids never panic and keep their arity,
// and RCON output rendered for Discord has no live mention or code fence.
func FuzzUntrustedText(f *testing.F) {
	for _, s := range []string{"ListPlayers", "echo a\nDoExit", "\x00\x07x|y", "<@123> @everyone ```", "Zoë|rex|12", "<@<@1>1> @every@everyoneone", strings.Repeat("é", 600)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cmd := sanitizeCommand(s)
		if len(cmd) > maxRCONCommand {
			t.Fatalf("command %d bytes", len(cmd))
		}
		for _, r := range cmd {
			if r < 0x20 || r > 0x7e {
				t.Fatalf("command has %q", r)
			}
		}
		parts := unpackQuery(s, 3)
		if len(parts) != 3 {
			t.Fatalf("query parts %d", len(parts))
		}
		c := clean(s, 40)
		if strings.Contains(c, sep) || strings.Contains(c, ":") || utf8.RuneCountInString(c) > 40 {
			t.Fatalf("clean(%q) = %q", s, c)
		}
		// Ban reasons stay one printable line without quotes.
		if ban, err := banCommand(s)("0002" + strings.Repeat("a", 28)); err != nil || strings.ContainsAny(ban[9:], "\"\n\r") || len(ban) > 43+maxBanReason {
			t.Fatalf("ban command %q %v", ban, err)
		}
		// RCON output pages: every page within Discord's limits, nothing lost
		// from the line structure, no live mention.
		pages := rconPages([]result{{Out: s}}, "x")
		for _, p := range pages {
			if utf8.RuneCountInString(p.Description) > 4096 || strings.Contains(p.Description, "@everyone") || mentionRE.MatchString(p.Description) {
				t.Fatalf("page %q", p.Description)
			}
		}
		for _, ch := range chunks(s, 50) {
			if strings.Count(ch, "\n") > 0 && utf8.RuneCountInString(ch) > 50 {
				t.Fatalf("chunk of %d runes over several lines", utf8.RuneCountInString(ch))
			}
		}
		out := codeBlock(s, 500)
		inner := strings.TrimSuffix(strings.TrimPrefix(out, "```\n"), "\n```")
		if strings.Contains(inner, "```") || strings.Contains(inner, "@everyone") || strings.Contains(inner, "@here") || mentionRE.MatchString(inner) {
			t.Fatalf("output %q", out)
		}
	})
}

var mentionRE = regexp.MustCompile(`<(@[!&]?|#)\d+>`)
