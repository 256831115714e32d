package tickets

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func goldenTicket() (Ticket, []Message) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	t := Ticket{ID: 7, GuildID: "1", Number: 42, TypeID: 3, TypeLabel: "Lost <dino> & \"tames\"", OpenerID: "700000000000000004",
		OpenerName: "Pat <b>Player</b>", ThreadID: "9001", State: StateClosed, ClaimedBy: "700000000000000002",
		ClosedBy: "700000000000000002", CloseReason: "refunded </dd><script>alert(1)</script>",
		Questions: []string{"What happened?", "Which server?"},
		Answers:   []string{"@everyone <@&800> **my rex** vanished\n[click](javascript:alert(1))", "Ragnarok"},
		CreatedAt: t0, ClosedAt: t0.Add(2 * time.Hour), LastActive: t0.Add(time.Hour)}
	msgs := []Message{
		{TicketID: 7, MessageID: "1", AuthorID: "bot", AuthorName: "Bliss Tickets", AuthorBot: true,
			Embeds: "Ticket #42 — Lost dino\nOpened by <@700000000000000004>.", CreatedAt: t0},
		{TicketID: 7, MessageID: "2", AuthorID: "700000000000000004", AuthorName: "Pat <b>Player</b>",
			Content: "<img src=x onerror=alert(1)> @here ||spoiler|| `code`", CreatedAt: t0.Add(time.Minute),
			AttachmentNames: []string{"base <1>.png", "evil.html"},
			AttachmentURLs:  []string{"https://cdn.discordapp.com/attachments/1/base%20%3C1%3E.png", "javascript:alert(1)"}},
		{TicketID: 7, MessageID: "3", AuthorID: "700000000000000002", AuthorName: "Sam Staff", Content: "on it, <@700000000000000004>; ask <@!700000000000000009> or <@&800> in <#900>",
			CreatedAt: t0.Add(2 * time.Minute), EditedAt: t0.Add(3 * time.Minute)},
		{TicketID: 7, MessageID: "note-1", AuthorID: "700000000000000002", AuthorName: "Sam Staff", Content: "player lied before",
			Note: true, CreatedAt: t0.Add(4 * time.Minute)},
		{TicketID: 7, MessageID: "4", AuthorID: "700000000000000004", AuthorName: "Pat", Content: "oops wrong ticket",
			Deleted: true, CreatedAt: t0.Add(5 * time.Minute)},
	}
	return t, msgs
}

// TestEmbedsText: embeds become plain text for the transcript (author,
// title, description, fields, footer, image links), with the markdown
// escapes bots add to user text undone.
func TestEmbedsText(t *testing.T) {
	got := embedsText([]*discordgo.MessageEmbed{
		{Author: &discordgo.MessageEmbedAuthor{Name: "Bliss"}, Title: "Ticket #1 — Support", Description: escapeMarkdown("**my rex** @everyone"),
			Fields: []*discordgo.MessageEmbedField{{Name: "Server", Value: "Ragnarok"}}, Footer: &discordgo.MessageEmbedFooter{Text: "page 1"},
			Image: &discordgo.MessageEmbedImage{URL: "https://cdn.discordapp.com/x.png"}},
		nil,
		{Description: `C:\path \ and a\b`},
	})
	want := "Bliss\nTicket #1 — Support\n**my rex** @everyone\nServer: Ragnarok\npage 1\n[image] https://cdn.discordapp.com/x.png\n---\nC:\\path \\ and a\\b"
	if got != want {
		t.Fatalf("embedsText =\n%q\nwant\n%q", got, want)
	}
}

func TestTranscriptGolden(t *testing.T) {
	tk, msgs := goldenTicket()
	for _, c := range []struct {
		name string
		opt  TranscriptOptions
	}{
		{"transcript_staff.golden.html", TranscriptOptions{Staff: true, GeneratedAt: tk.ClosedAt, ClosedByName: "Sam Staff"}},
		{"transcript_member.golden.html", TranscriptOptions{GeneratedAt: tk.ClosedAt, ClosedByName: "Sam Staff"}},
	} {
		got := RenderTranscript(tk, msgs, c.opt)
		path := filepath.Join("testdata", c.name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run Golden -update)", err)
		}
		if string(got) != string(want) {
			t.Errorf("%s differs from the golden file (go test -run Golden -update, then review the diff)", c.name)
		}
		checkInert(t, string(got))
		staffOnly := strings.Contains(string(got), "player lied before") || strings.Contains(string(got), "oops wrong ticket")
		if staffOnly != c.opt.Staff {
			t.Errorf("%s: staff-only content shown=%v", c.name, staffOnly)
		}
	}
}

var (
	tagRE     = regexp.MustCompile(`<(/?[a-zA-Z!][a-zA-Z0-9]*)([^>]*)>`)
	allowTags = map[string]bool{"!DOCTYPE": true, "html": true, "head": true, "meta": true, "title": true, "style": true, "body": true,
		"header": true, "h1": true, "dl": true, "dt": true, "dd": true, "main": true, "div": true, "span": true, "b": true, "p": true,
		"a": true, "footer": true}
	eventAttrRE = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
)

// checkInert asserts that no user text became markup: only the template's
// tags appear, none carries an event handler, every link is http(s), and
// the page loads nothing from elsewhere.
func checkInert(t *testing.T, h string) {
	t.Helper()
	for _, m := range tagRE.FindAllStringSubmatch(h, -1) {
		name := strings.TrimPrefix(m[1], "/")
		if !allowTags[name] {
			t.Errorf("unexpected tag %q in transcript", m[0])
		}
		if eventAttrRE.MatchString(m[2]) {
			t.Errorf("event handler in %q", m[0])
		}
		if m[1] == "a" && !strings.HasPrefix(m[2], ` href="https://`) {
			t.Errorf("link %q", m[0])
		}
	}
	lower := strings.ToLower(h)
	if strings.Count(lower, "<style") != 1 || strings.Contains(lower, "<link") || strings.Contains(lower, "<script") || strings.Contains(lower, "src=\"") ||
		strings.Contains(lower, "url(") || strings.Contains(lower, "@import") {
		t.Error("transcript is not self-contained")
	}
}

func FuzzRenderTranscript(f *testing.F) {
	f.Add("<script>x</script>", "**a** @everyone", "javascript:alert(1)")
	f.Add("\x00\u202e<b>", "</div>", "https://cdn.discordapp.com/a\"onmouseover=x")
	f.Fuzz(func(t *testing.T, content, name, url string) {
		tk, msgs := goldenTicket()
		tk.OpenerName, tk.CloseReason, tk.Answers[0] = name, content, content
		msgs[1].Content, msgs[1].AuthorName = content, name
		msgs[1].AttachmentNames, msgs[1].AttachmentURLs = []string{name}, []string{url}
		h := string(RenderTranscript(tk, msgs, TranscriptOptions{Staff: true}))
		checkInert(t, h)
		e := escapeMarkdown(content)
		if strings.Contains(e, "@everyone") && !strings.Contains(e, `\@everyone`) {
			t.Fatal("mass mention survived escaping")
		}
		// The transcript undoes the escapes: text without control
		// characters comes back as typed.
		if utf8.ValidString(content) && !strings.ContainsFunc(content, func(r rune) bool {
			return (unicode.Is(unicode.Cc, r) && r != '\n' && r != '\t') || unicode.Is(unicode.Cf, r) || r == '\uFFFD'
		}) {
			if got := unescapeMarkdown(e); got != content {
				t.Fatalf("unescape(escape(%q)) = %q", content, got)
			}
		}
	})
}

func BenchmarkRenderTranscript(b *testing.B) {
	tk, base := goldenTicket()
	var msgs []Message
	for i := 0; i < 1000; i++ {
		m := base[i%len(base)]
		m.Content = strings.Repeat("some chat text <with> markup & more ", 10)
		msgs = append(msgs, m)
	}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		n = len(RenderTranscript(tk, msgs, TranscriptOptions{Staff: true}))
	}
	b.ReportMetric(float64(n), "bytes/transcript")
}
