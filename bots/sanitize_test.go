package bots

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitizeName(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Rex Tamer", "Rex Tamer"},
		{"markdown", "**Bold** _it_ ~~s~~ `code` ||spoil||", "Bold it s code spoil"},
		{"custom emoji", "Dodo <:dodo:123456789> King <a:spin:42>", "Dodo King"},
		{"mentions", "hi <@123> <@!456> <@&789> <#1011> </cmd sub:55> <t:1700000000:R>", "hi"},
		{"zalgo", "Z̸̢̛a̵̱͐l̷̰̈́g̶̣͝o̴̹͝", "Zalgo"},
		{"control", "a\x00b\x1bc\u200bd\u202ee\ufeff", "abcde"},
		{"emoji and symbols", "🦖 Dino ™ King 👑✨", "Dino King"},
		{"zwj family emoji", "A👨‍👩‍👧B", "AB"},
		{"whitespace", "  many\t\n  spaces  ", "many spaces"},
		{"accents kept", "Zoë Ångström", "Zoë Ångström"},
		{"cjk kept", "恐竜ハンター", "恐竜ハンター"},
		{"everyone", "@everyone", "everyone"},
		{"quote heading", "> # title", "title"},
		{"only junk", "🦖🦖 ̸̢", ""},
		{"invalid utf8", "ab\xffcd", "abcd"},
		{"cap", strings.Repeat("a", 50), strings.Repeat("a", 32)},
		{"cap at space", strings.Repeat("a", 31) + " b", strings.Repeat("a", 31)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SanitizeName(tt.in, 0); got != tt.want {
				t.Errorf("SanitizeName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSanitizeChat(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hello\nworld", "hello world"},
		{"look <:dodo:123> @everyone", "look :dodo: @\u200beveryone"},
		{"Z̸a̵", "Za"},
		{"<@123> hi", "hi"},
		{"<@<@1>1> x", "x"},
		{"<@&<@&<#5>5>5>", ""},
		{"<@\u200b1> <@!\u00002>", ""},
		{"<<:a:1>@1>", "<:a:@1>"},
		{"@Everyone @HERE", "@\u200bEveryone @\u200bHERE"},
		{"@every\u200bone", "@\u200beveryone"},
		{strings.Repeat("<@", 40) + strings.Repeat("1>", 40), strings.Repeat("@", 24) + strings.Repeat("1", 24)},
	}
	for _, tt := range tests {
		if got := SanitizeChat(tt.in, 0); got != tt.want {
			t.Errorf("SanitizeChat(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := SanitizeChat(strings.Repeat("x", 900), 10); got != strings.Repeat("x", 10) {
		t.Errorf("cap: %q", got)
	}
}

func FuzzSanitizeName(f *testing.F) {
	f.Add("Z̸̢̛a̵̱͐l̷̰̈́g̶̣͝o̴̹͝ <:x:1> **b**")
	f.Fuzz(func(t *testing.T, s string) {
		out := SanitizeName(s, 20)
		if len([]rune(out)) > 20 || strings.ContainsAny(out, "*_`<>@\n") {
			t.Fatalf("bad output %q", out)
		}
	})
}

// liveMention is what Discord would ping: a user or role mention, @everyone
// or @here.
var liveMention = regexp.MustCompile(`(?i)<@[!&]?\d+>|@everyone|@here`)

func FuzzSanitizeChat(f *testing.F) {
	for _, s := range []string{"<@<@1>1>", "<@\u200b1>", "@every\u00adone", "<@&<#1>2>", "<<:a:1>@!1>", "@@here"} {
		f.Add(s, 0)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		max = max % 600
		out := SanitizeChat(s, max)
		if m := liveMention.FindString(out); m != "" {
			t.Fatalf("SanitizeChat(%q) = %q holds a live mention %q", s, out, m)
		}
		limit := max
		if limit <= 0 {
			limit = 500
		}
		if n := utf8.RuneCountInString(out); n > limit {
			t.Fatalf("%d runes, cap %d", n, limit)
		}
		if strings.ContainsAny(out, "\n\r\x00") {
			t.Fatalf("control characters in %q", out)
		}
	})
}
