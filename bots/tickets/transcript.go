package tickets

import (
	"bytes"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
)

// markdownSpecials are the characters escapeMarkdown escapes.
const markdownSpecials = "\\*_~`|>#<[]()@"

// escapeMarkdown makes user text render literally in Discord: markdown
// and mention syntax are backslash-escaped (so "@everyone", "<@&id>",
// "**bold**" and "[link](x)" show as typed), control characters dropped.
func escapeMarkdown(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for _, r := range s {
		switch {
		case strings.ContainsRune(markdownSpecials, r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || r == '\uFFFD':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TranscriptOptions tune RenderTranscript.
type TranscriptOptions struct {
	// Staff includes staff notes and deleted messages (the log channel's
	// copy); the member's copy has neither.
	Staff bool
	// GeneratedAt is printed in the footer.
	GeneratedAt time.Time
	// ClosedByName names the closer (display name).
	ClosedByName string
}

const transcriptCSS = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#313338;color:#dbdee1}
header{padding:16px 24px;background:#2b2d31;border-bottom:1px solid #1e1f22}h1{font-size:20px;margin:0 0 6px}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px;margin:8px 0 0}dt{color:#949ba4}dd{margin:0}
main{padding:8px 24px}.m{padding:6px 0;border-bottom:1px solid #3f4147}.h{color:#949ba4;font-size:12px}
.a{color:#f2f3f5;font-weight:600;font-size:14px}.bot{background:#5865f2;color:#fff;border-radius:3px;padding:0 4px;font-size:10px;margin-left:4px}
.c{white-space:pre-wrap;word-wrap:break-word}.e{border-left:4px solid #5865f2;background:#2b2d31;padding:6px 10px;margin-top:4px;white-space:pre-wrap}
.note{background:#3c3a2a;border-left:4px solid #f0b232;padding-left:8px}.del{opacity:.6}.del .c{text-decoration:line-through}
.qa{margin:10px 0;padding:8px 12px;background:#2b2d31;border-radius:4px}.qa b{display:block;color:#f2f3f5}
.qa p{white-space:pre-wrap;margin:4px 0 0}footer{padding:12px 24px;color:#949ba4;font-size:12px}a{color:#00a8fc}`

var mentionRE = regexp.MustCompile(`<(@[!&]?|#)(\d{1,25})>`)

// safeText escapes s for HTML and shows Discord mention tokens as plain
// text (they never become links or markup).
func safeText(s string) string { return safeTextNames(s, nil) }

// safeTextNames is safeText showing user mentions of known people by name
// ("@Sam Staff" for "<@id>"), others as "@id".
func safeTextNames(s string, names map[string]string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	s = mentionRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := mentionRE.FindStringSubmatch(m)
		if (sub[1] == "@" || sub[1] == "@!") && names[sub[2]] != "" {
			return "@" + names[sub[2]]
		}
		return strings.TrimSuffix(sub[1], "!") + sub[2]
	})
	return html.EscapeString(s)
}

// transcriptNames maps the user ids a transcript knows to display names.
// (the opener by the name they opened with; others by the name of their
// last message the transcript shows).
func transcriptNames(t Ticket, msgs []Message, staff bool) map[string]string {
	names := map[string]string{}
	for _, m := range msgs {
		if m.AuthorID != "" && m.AuthorName != "" && !m.AuthorBot && (staff || !(m.Note || m.Deleted)) {
			names[m.AuthorID] = m.AuthorName
		}
	}
	if t.OpenerID != "" && t.OpenerName != "" {
		names[t.OpenerID] = t.OpenerName
	}
	return names
}

// safeURL returns u if it is an https URL (Discord CDN links are), else "".
func safeURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "https" || p.Host == "" {
		return ""
	}
	return p.String()
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// RenderTranscript renders a ticket's messages as one self-contained HTML
// page (inline CSS, no scripts, no external resources; attachments are
// links). Every piece of user text is HTML-escaped, so markup, markdown
// and mention spam are inert.
func RenderTranscript(t Ticket, msgs []Message, o TranscriptOptions) []byte {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	names := transcriptNames(t, msgs, o.Staff)
	safeText := func(s string) string { return safeTextNames(s, names) }
	title := fmt.Sprintf("Ticket #%d — %s", t.Number, t.TypeLabel)
	if t.TypeLabel == "" {
		title = fmt.Sprintf("Ticket #%d", t.Number)
	}
	w("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
	w("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src https:\">\n")
	w("<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n<title>%s</title>\n<style>%s</style></head><body>\n", safeText(title), transcriptCSS)
	w("<header><h1>%s</h1><dl>\n", safeText(title))
	opener := "automatic ticket"
	if t.OpenerID != "" {
		opener = t.OpenerName + " (" + t.OpenerID + ")"
	}
	row := func(k, v string) { w("<dt>%s</dt><dd>%s</dd>\n", k, safeText(v)) }
	row("Opened by", opener)
	if t.Subject != "" {
		row("Subject", t.Subject)
	}
	row("Opened", stamp(t.CreatedAt))
	if t.ClaimedBy != "" {
		who := t.ClaimedBy
		if n := names[t.ClaimedBy]; n != "" {
			who = n + " (" + t.ClaimedBy + ")"
		}
		row("Claimed by", who)
	}
	if t.State == StateClosed {
		who := o.ClosedByName
		if who == "" {
			who = t.ClosedBy
		}
		if who == "" {
			who = "Bliss"
		}
		row("Closed", stamp(t.ClosedAt)+" by "+who)
		if t.CloseReason != "" {
			row("Reason", t.CloseReason)
		}
	} else {
		row("State", t.State)
	}
	w("</dl></header>\n<main>\n")
	for i, q := range t.Questions {
		a := ""
		if i < len(t.Answers) {
			a = t.Answers[i]
		}
		w("<div class=\"qa\"><b>%s</b><p>%s</p></div>\n", safeText(q), safeText(a))
	}
	shown := 0
	for _, m := range msgs {
		if (m.Note || m.Deleted) && !o.Staff {
			continue
		}
		shown++
		cls := "m"
		if m.Note {
			cls += " note"
		}
		if m.Deleted {
			cls += " del"
		}
		w("<div class=\"%s\"><div class=\"h\"><span class=\"a\">%s</span>", cls, safeText(nonEmptyName(m)))
		if m.AuthorBot {
			w("<span class=\"bot\">BOT</span>")
		}
		w(" %s", stamp(m.CreatedAt))
		if !m.EditedAt.IsZero() {
			w(" (edited %s)", stamp(m.EditedAt))
		}
		if m.Note {
			w(" — staff note")
		}
		if m.Deleted {
			w(" — deleted")
		}
		w("</div>\n")
		if m.Content != "" {
			w("<div class=\"c\">%s</div>\n", safeText(m.Content))
		}
		if m.Embeds != "" {
			w("<div class=\"e\">%s</div>\n", safeText(m.Embeds))
		}
		for i, name := range m.AttachmentNames {
			u := ""
			if i < len(m.AttachmentURLs) {
				u = safeURL(m.AttachmentURLs[i])
			}
			if u == "" {
				w("<div>📎 %s</div>\n", safeText(name))
			} else {
				w("<div>📎 <a href=\"%s\" rel=\"noreferrer\">%s</a></div>\n", html.EscapeString(u), safeText(name))
			}
		}
		w("</div>\n")
	}
	if shown == 0 {
		w("<p>No messages.</p>\n")
	}
	w("</main>\n<footer>%d message(s). Generated by Bliss %s.</footer>\n</body></html>\n", shown, stamp(o.GeneratedAt))
	return b.Bytes()
}

func nonEmptyName(m Message) string {
	switch {
	case m.AuthorName != "":
		return m.AuthorName
	case m.AuthorID != "":
		return "user " + m.AuthorID
	}
	return "unknown"
}
