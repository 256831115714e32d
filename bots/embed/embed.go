// Package embed builds Discord embeds that always satisfy Discord's limits.
//
// Discord rejects a message (400, code 50035) when an embed exceeds one of
// its limits. Builder never produces such an embed: single-value fields are
// truncated with an ellipsis, a description that is too long is split over
// continuation embeds, more than 25 fields spill into continuation embeds,
// and Messages groups embeds into messages of at most 10 embeds and 6000
// characters.
//
// Lengths are counted in UTF-16 code units, which is never less than the
// number of code points, so the result is within the limits however Discord
// counts; cuts are always made on rune boundaries.
package embed

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// Discord embed limits (discord-api-docs resources/message.mdx).
const (
	MaxTitle          = 256
	MaxDescription    = 4096
	MaxFields         = 25
	MaxFieldName      = 256
	MaxFieldValue     = 1024
	MaxFooter         = 2048
	MaxAuthor         = 256
	MaxTotal          = 6000 // per message, summed over all its embeds
	MaxEmbeds         = 10   // per message
	MaxContent        = 2000 // message content
	MaxURL            = 2048
	ellipsis          = "…"
	continuationTitle = "(continued)"
)

// Colours used across the bots.
const (
	ColorInfo    = 0x5865F2
	ColorSuccess = 0x57F287
	ColorWarning = 0xFEE75C
	ColorError   = 0xED4245
)

// Len returns the length of s as Discord may count it: UTF-16 code units.
func Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// Truncate shortens s to at most max units (see Len), ending it with an
// ellipsis when something was cut. max < 1 yields "". Invalid UTF-8 is
// replaced by U+FFFD first (Discord rejects it, and a cut must not leave a
// partial sequence).
func Truncate(s string, max int) string {
	if max < 1 {
		return ""
	}
	s = validUTF8(s)
	if Len(s) <= max {
		return s
	}
	cut := cutAt(s, max-1)
	return strings.TrimRightFunc(s[:cut], isSpace) + ellipsis
}

// cutAt returns the largest byte offset such that s[:off] is at most max
// units long and ends on a rune boundary.
func cutAt(s string, max int) int {
	n := 0
	for i, r := range s {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if n+w > max {
			return i
		}
		n += w
	}
	return len(s)
}

// validUTF8 returns s with every invalid byte sequence replaced by U+FFFD.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func isSpace(r rune) bool { return r == ' ' || r == '\n' || r == '\t' }

// nonEmpty returns s, or a zero-width placeholder Discord accepts for
// required fields (field name and value must not be empty).
func nonEmpty(s string) string {
	if strings.TrimSpace(s) == "" {
		return "\u200b"
	}
	return s
}

// Field is one embed field.
type Field struct {
	Name, Value string
	Inline      bool
}

// Builder accumulates an embed. The zero value is not usable; call New.
// Builder methods return the builder for chaining.
type Builder struct {
	title, url, description string
	color                   int
	author, authorURL       string
	footer                  string
	thumbnail, image        string
	timestamp               time.Time
	fields                  []Field
}

// New returns an empty builder with the info colour.
func New() *Builder { return &Builder{color: ColorInfo} }

// Title sets the title (truncated to 256).
func (b *Builder) Title(s string) *Builder { b.title = s; return b }

// URL sets the title link; an over-long URL is dropped.
func (b *Builder) URL(s string) *Builder { b.url = s; return b }

// Description sets the description; longer than 4096 it is split over
// continuation embeds at line boundaries.
func (b *Builder) Description(s string) *Builder { b.description = s; return b }

// Color sets the colour (24-bit RGB).
func (b *Builder) Color(c int) *Builder { b.color = c & 0xFFFFFF; return b }

// Author sets the author name (truncated to 256) and optional link.
func (b *Builder) Author(name, url string) *Builder { b.author, b.authorURL = name, url; return b }

// Footer sets the footer text (truncated to 2048). Continuation embeds
// repeat it.
func (b *Builder) Footer(s string) *Builder { b.footer = s; return b }

// Thumbnail sets the thumbnail URL.
func (b *Builder) Thumbnail(url string) *Builder { b.thumbnail = url; return b }

// Image sets the image URL.
func (b *Builder) Image(url string) *Builder { b.image = url; return b }

// Timestamp sets the timestamp.
func (b *Builder) Timestamp(t time.Time) *Builder { b.timestamp = t; return b }

// Field appends a field (name truncated to 256, value to 1024). Fields past
// the 25th go to continuation embeds.
func (b *Builder) Field(name, value string, inline bool) *Builder {
	b.fields = append(b.fields, Field{Name: name, Value: value, Inline: inline})
	return b
}

// Fields appends several fields.
func (b *Builder) Fields(fs ...Field) *Builder { b.fields = append(b.fields, fs...); return b }

// Embed returns the first embed only, with an over-long description
// truncated instead of split and at most 25 fields (the rest dropped, the
// last kept field noting how many were left off). Use it where exactly one
// embed must be sent.
func (b *Builder) Embed() *discordgo.MessageEmbed {
	e := b.head(Truncate(b.description, MaxDescription))
	fields := b.fields
	if len(fields) > MaxFields {
		extra := len(fields) - (MaxFields - 1)
		fields = append(append([]Field(nil), fields[:MaxFields-1]...),
			Field{Name: "…", Value: itoa(extra) + " more not shown"})
	}
	for _, f := range fields {
		e.Fields = append(e.Fields, field(f))
	}
	return fitTotal(e)
}

// Build returns the embed, followed by continuation embeds when the
// description or the fields do not fit in one. Every returned embed is
// within the per-embed limits and the 6000 total; group them with Messages.
func (b *Builder) Build() []*discordgo.MessageEmbed {
	chunks := splitText(b.description, MaxDescription)
	var out []*discordgo.MessageEmbed
	cur := b.head(first(chunks))
	for _, c := range rest(chunks) {
		out = append(out, cur)
		cur = b.continuation(c)
	}
	for _, f := range b.fields {
		df := field(f)
		if len(cur.Fields) == MaxFields || Size(cur)+fieldSize(df) > MaxTotal {
			out = append(out, cur)
			cur = b.continuation("")
		}
		cur.Fields = append(cur.Fields, df)
	}
	out = append(out, cur)
	for i := range out {
		out[i] = fitTotal(out[i])
	}
	return out
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func rest(s []string) []string {
	if len(s) < 2 {
		return nil
	}
	return s[1:]
}

func (b *Builder) head(desc string) *discordgo.MessageEmbed {
	e := &discordgo.MessageEmbed{
		Type:        discordgo.EmbedTypeRich,
		Title:       Truncate(b.title, MaxTitle),
		Description: desc,
		Color:       b.color,
	}
	if b.url != "" && len(b.url) <= MaxURL {
		e.URL = b.url
	}
	if b.author != "" {
		e.Author = &discordgo.MessageEmbedAuthor{Name: Truncate(b.author, MaxAuthor)}
		if len(b.authorURL) <= MaxURL {
			e.Author.URL = b.authorURL
		}
	}
	b.tail(e)
	if b.thumbnail != "" && len(b.thumbnail) <= MaxURL {
		e.Thumbnail = &discordgo.MessageEmbedThumbnail{URL: b.thumbnail}
	}
	return e
}

func (b *Builder) continuation(desc string) *discordgo.MessageEmbed {
	e := &discordgo.MessageEmbed{Type: discordgo.EmbedTypeRich, Color: b.color, Description: desc}
	if b.title != "" {
		e.Title = Truncate(b.title, MaxTitle-Len(continuationTitle)-1) + " " + continuationTitle
	}
	b.tail(e)
	return e
}

func (b *Builder) tail(e *discordgo.MessageEmbed) {
	if b.footer != "" {
		e.Footer = &discordgo.MessageEmbedFooter{Text: Truncate(b.footer, MaxFooter)}
	}
	if !b.timestamp.IsZero() {
		e.Timestamp = b.timestamp.UTC().Format(time.RFC3339)
	}
	if b.image != "" && len(b.image) <= MaxURL {
		e.Image = &discordgo.MessageEmbedImage{URL: b.image}
	}
}

func field(f Field) *discordgo.MessageEmbedField {
	return &discordgo.MessageEmbedField{
		Name:   Truncate(nonEmpty(f.Name), MaxFieldName),
		Value:  Truncate(nonEmpty(f.Value), MaxFieldValue),
		Inline: f.Inline,
	}
}

func fieldSize(f *discordgo.MessageEmbedField) int { return Len(f.Name) + Len(f.Value) }

// Size returns the characters of e that count towards the 6000 total.
func Size(e *discordgo.MessageEmbed) int {
	if e == nil {
		return 0
	}
	n := Len(e.Title) + Len(e.Description)
	for _, f := range e.Fields {
		if f != nil {
			n += fieldSize(f)
		}
	}
	if e.Footer != nil {
		n += Len(e.Footer.Text)
	}
	if e.Author != nil {
		n += Len(e.Author.Name)
	}
	return n
}

// fitTotal shrinks the description of e until e is within MaxTotal. Only
// reachable with a very long footer plus a full description.
func fitTotal(e *discordgo.MessageEmbed) *discordgo.MessageEmbed {
	if over := Size(e) - MaxTotal; over > 0 {
		e.Description = Truncate(e.Description, Len(e.Description)-over)
	}
	if over := Size(e) - MaxTotal; over > 0 && e.Footer != nil {
		e.Footer.Text = Truncate(e.Footer.Text, Len(e.Footer.Text)-over)
	}
	return e
}

// splitText splits s into chunks of at most max units, preferring line
// breaks, then spaces, then any rune boundary.
func splitText(s string, max int) []string {
	s = validUTF8(s)
	var out []string
	for Len(s) > max {
		cut := cutAt(s, max)
		if i := strings.LastIndexByte(s[:cut], '\n'); i > cut/2 {
			cut = i + 1
		} else if i := strings.LastIndexByte(s[:cut], ' '); i > cut/2 {
			cut = i + 1
		}
		out = append(out, strings.TrimRight(s[:cut], "\n"))
		s = s[cut:]
	}
	if s != "" || len(out) == 0 {
		out = append(out, s)
	}
	return out
}

// Messages groups embeds into messages that each hold at most 10 embeds and
// at most 6000 characters. Embeds that are themselves over a limit are
// clamped (Clamp). Nil embeds are dropped.
func Messages(embeds []*discordgo.MessageEmbed) [][]*discordgo.MessageEmbed {
	var out [][]*discordgo.MessageEmbed
	var cur []*discordgo.MessageEmbed
	total := 0
	for _, e := range embeds {
		if e == nil {
			continue
		}
		e = Clamp(e)
		n := Size(e)
		if len(cur) == MaxEmbeds || (len(cur) > 0 && total+n > MaxTotal) {
			out = append(out, cur)
			cur, total = nil, 0
		}
		cur = append(cur, e)
		total += n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// Clamp returns a copy of e truncated to every per-embed limit (title,
// description, 25 fields, field name/value, footer, author, 6000 total).
// Use it for embeds not built with Builder.
func Clamp(e *discordgo.MessageEmbed) *discordgo.MessageEmbed {
	c := *e
	c.Title = Truncate(c.Title, MaxTitle)
	c.Description = Truncate(c.Description, MaxDescription)
	if len(c.Fields) > MaxFields {
		c.Fields = c.Fields[:MaxFields]
	}
	fs := make([]*discordgo.MessageEmbedField, 0, len(c.Fields))
	for _, f := range c.Fields {
		if f == nil {
			continue
		}
		fs = append(fs, field(Field{Name: f.Name, Value: f.Value, Inline: f.Inline}))
	}
	c.Fields = fs
	if c.Footer != nil {
		f := *c.Footer
		f.Text = Truncate(f.Text, MaxFooter)
		c.Footer = &f
	}
	if c.Author != nil {
		a := *c.Author
		a.Name = Truncate(a.Name, MaxAuthor)
		c.Author = &a
	}
	return fitTotal(&c)
}

// Content truncates message content to Discord's 2000 limit.
func Content(s string) string { return Truncate(s, MaxContent) }

// Error returns a red embed describing a failure to the user.
func Error(title, description string) *discordgo.MessageEmbed {
	return New().Color(ColorError).Title(title).Description(description).Embed()
}

// Success returns a green embed.
func Success(title, description string) *discordgo.MessageEmbed {
	return New().Color(ColorSuccess).Title(title).Description(description).Embed()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
