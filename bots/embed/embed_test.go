package embed

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// checkEmbed fails the test when e violates any per-embed Discord limit.
func checkEmbed(t *testing.T, e *discordgo.MessageEmbed) {
	t.Helper()
	if Len(e.Title) > MaxTitle || Len(e.Description) > MaxDescription || len(e.Fields) > MaxFields {
		t.Fatalf("embed over limit: title %d desc %d fields %d", Len(e.Title), Len(e.Description), len(e.Fields))
	}
	for _, f := range e.Fields {
		if Len(f.Name) > MaxFieldName || Len(f.Value) > MaxFieldValue || f.Name == "" || f.Value == "" {
			t.Fatalf("field over limit or empty: %d/%d", Len(f.Name), Len(f.Value))
		}
	}
	if e.Footer != nil && Len(e.Footer.Text) > MaxFooter {
		t.Fatalf("footer %d", Len(e.Footer.Text))
	}
	if e.Author != nil && Len(e.Author.Name) > MaxAuthor {
		t.Fatalf("author %d", Len(e.Author.Name))
	}
	if Size(e) > MaxTotal {
		t.Fatalf("embed total %d", Size(e))
	}
	texts := []string{e.Title, e.Description}
	for _, f := range e.Fields {
		texts = append(texts, f.Name, f.Value)
	}
	if e.Footer != nil {
		texts = append(texts, e.Footer.Text)
	}
	if e.Author != nil {
		texts = append(texts, e.Author.Name)
	}
	for _, s := range texts {
		if !utf8.ValidString(s) {
			t.Fatalf("invalid utf-8 after cut: %q", s)
		}
	}
}

func checkMessages(t *testing.T, msgs [][]*discordgo.MessageEmbed) {
	t.Helper()
	for _, m := range msgs {
		if len(m) == 0 || len(m) > MaxEmbeds {
			t.Fatalf("message with %d embeds", len(m))
		}
		total := 0
		for _, e := range m {
			checkEmbed(t, e)
			total += Size(e)
		}
		if total > MaxTotal {
			t.Fatalf("message total %d", total)
		}
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 5, "hello"},
		{"hello world", 6, "hello…"},
		{"héllo", 3, "hé…"},
		{"a😀b", 3, "a…"}, // emoji counts 2 units, would not fit with the ellipsis
		{"a😀b", 4, "a😀b"},
		{"abc", 0, ""},
	}
	for _, tt := range tests {
		if got := Truncate(tt.in, tt.max); got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
		if Len(Truncate(tt.in, tt.max)) > max(tt.max, 0) {
			t.Errorf("Truncate(%q, %d) too long", tt.in, tt.max)
		}
	}
}

func TestBuilderTruncatesSingleValues(t *testing.T) {
	long := strings.Repeat("x", 10000)
	e := New().Title(long).Author(long, "").Footer(long).Field(long, long, false).Field("", "", true).Embed()
	checkEmbed(t, e)
	if !strings.HasSuffix(e.Title, "…") || Len(e.Title) != MaxTitle {
		t.Fatalf("title not truncated with ellipsis: %d", Len(e.Title))
	}
	if e.Fields[1].Name != "\u200b" {
		t.Fatalf("empty field name not replaced")
	}
}

func TestBuildSplitsDescriptionAndFields(t *testing.T) {
	var sb strings.Builder
	for i := 0; sb.Len() < 20000; i++ {
		sb.WriteString("line of text with some words in it ")
		if i%5 == 0 {
			sb.WriteString("\n")
		}
	}
	b := New().Title("Big").Footer("page footer").Description(sb.String())
	for i := 0; i < 60; i++ {
		b.Field("name "+itoa(i), strings.Repeat("v", 1100), false)
	}
	es := b.Build()
	if len(es) < 6 {
		t.Fatalf("expected continuation embeds, got %d", len(es))
	}
	var desc strings.Builder
	nfields := 0
	for _, e := range es {
		checkEmbed(t, e)
		desc.WriteString(e.Description)
		nfields += len(e.Fields)
	}
	if nfields != 60 {
		t.Fatalf("fields lost: %d", nfields)
	}
	// Nothing of the description is lost except trimmed line breaks.
	strip := func(s string) string { return strings.NewReplacer("\n", "", " ", "").Replace(s) }
	if strip(desc.String()) != strip(sb.String()) {
		t.Fatalf("description content changed")
	}
	checkMessages(t, Messages(es))
}

func TestEmbedDropsExtraFields(t *testing.T) {
	b := New()
	for i := 0; i < 40; i++ {
		b.Field("n", "v", true)
	}
	e := b.Embed()
	checkEmbed(t, e)
	if got := e.Fields[24].Value; got != "16 more not shown" {
		t.Fatalf("last field = %q", got)
	}
}

func TestMessagesGroupsByCountAndTotal(t *testing.T) {
	var es []*discordgo.MessageEmbed
	for i := 0; i < 23; i++ {
		es = append(es, &discordgo.MessageEmbed{Title: "t", Description: strings.Repeat("d", 1500)})
	}
	es = append(es, nil, &discordgo.MessageEmbed{Description: strings.Repeat("z", 9000), Fields: make([]*discordgo.MessageEmbedField, 30)})
	msgs := Messages(es)
	checkMessages(t, msgs)
	n := 0
	for _, m := range msgs {
		n += len(m)
	}
	if n != 24 {
		t.Fatalf("embeds lost: %d", n)
	}
	small := make([]*discordgo.MessageEmbed, 25)
	for i := range small {
		small[i] = &discordgo.MessageEmbed{Title: "x"}
	}
	if got := len(Messages(small)); got != 3 {
		t.Fatalf("25 small embeds -> %d messages, want 3", got)
	}
}

func TestFitTotal(t *testing.T) {
	e := New().Title(strings.Repeat("t", 300)).Description(strings.Repeat("d", 4096)).Footer(strings.Repeat("f", 2048)).Author(strings.Repeat("a", 300), "").Embed()
	checkEmbed(t, e)
}

// Invalid UTF-8 (e.g. a player name read as Latin-1 bytes) never reaches
// Discord, cut or not.
func TestInvalidUTF8(t *testing.T) {
	bad := "ok\xd3\xff" + strings.Repeat("é", 300)
	b := New().Title(bad).Description(bad).Footer(bad).Author(bad, "").Field(bad, bad, false)
	for _, e := range append(b.Build(), b.Embed(), Clamp(&discordgo.MessageEmbed{Title: "\xd3", Description: "\xe2\x82"})) {
		checkEmbed(t, e)
	}
	if got := Truncate("a\xd3b", 10); got != "a\uFFFDb" {
		t.Fatalf("Truncate = %q", got)
	}
}

func FuzzBuild(f *testing.F) {
	f.Add("title", "desc\nmore", "field", 3)
	f.Fuzz(func(t *testing.T, title, desc, fv string, n int) {
		b := New().Title(title).Description(strings.Repeat(desc, 50)).Footer(title)
		for i := 0; i < n%80; i++ {
			b.Field(fv, strings.Repeat(fv, 40), i%2 == 0)
		}
		checkMessages(t, Messages(b.Build()))
	})
}
