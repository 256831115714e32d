package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/embed"
)

// /rcon output is paginated with the router's pager: one page per server,
// long output split over several pages. The output itself cannot live in
// the custom_id (100 characters) and must not be fetched again (a page
// click must never re-run the command), so it is kept in memory for the
// life of the interaction token: outputTTL, at most maxOutputs results. A
// page of an expired or unknown result (after a restart) says so.

const (
	outputTTL   = 15 * time.Minute
	maxOutputs  = 200
	outputChunk = 1800 // runes of output per page
)

type rconOutput struct {
	guildID string
	at      time.Time
	pages   []*discordgo.MessageEmbed
}

// outputStore holds recent /rcon results by a random key.
type outputStore struct {
	mu   sync.Mutex
	byID map[string]*rconOutput
	ids  []string // insertion order, for eviction
}

func newOutputStore() *outputStore { return &outputStore{byID: map[string]*rconOutput{}} }

func (s *outputStore) put(o *rconOutput, now time.Time) (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("rcon output: %w", err)
	}
	id := hex.EncodeToString(b[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.ids) > 0 && (len(s.ids) >= maxOutputs || now.Sub(s.byID[s.ids[0]].at) > outputTTL) {
		delete(s.byID, s.ids[0])
		s.ids = s.ids[1:]
	}
	s.byID[id] = o
	s.ids = append(s.ids, id)
	return id, nil
}

func (s *outputStore) get(id, guildID string, now time.Time) (*rconOutput, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.byID[id]
	if !ok || o.guildID != guildID || now.Sub(o.at) > outputTTL {
		return nil, false
	}
	return o, true
}

// chunks splits sanitised output into pages of about n runes at line ends.
func chunks(s string, n int) []string {
	var out []string
	var cur []string
	size := 0
	for _, line := range strings.Split(s, "\n") {
		l := len([]rune(line))
		if size+l+1 > n && len(cur) > 0 {
			out = append(out, strings.Join(cur, "\n"))
			cur, size = nil, 0
		}
		cur = append(cur, line)
		size += l + 1
	}
	if len(cur) > 0 || len(out) == 0 {
		out = append(out, strings.Join(cur, "\n"))
	}
	return out
}

// rconPages renders every server's result as pages.
func rconPages(rs []result, cmd string) []*discordgo.MessageEmbed {
	var pages []*discordgo.MessageEmbed
	for _, r := range rs {
		footer := "rcon: " + embed.Truncate(cmd, 200)
		if r.Err != nil {
			pages = append(pages, embed.New().Title(serverName(r.Server)).Color(embed.ColorError).
				Description("❌ "+cause(r.Err)).Footer(footer).Embed())
			continue
		}
		parts := chunks(sanitizeOutput(r.Out, 24*outputChunk), outputChunk)
		for i, p := range parts {
			title := serverName(r.Server)
			if len(parts) > 1 {
				title += fmt.Sprintf(" (part %d of %d)", i+1, len(parts))
			}
			pages = append(pages, embed.New().Title(title).Color(embed.ColorSuccess).
				Description(codeBlock(p, 3800)).Footer(footer).Embed())
		}
	}
	return pages
}

func (b *bot) pageRCON(_ context.Context, c *bots.Ctx, query string, page int) ([]*discordgo.MessageEmbed, int, error) {
	o, ok := b.outputs.get(query, c.GuildID, b.Now())
	if !ok {
		return []*discordgo.MessageEmbed{embed.New().Title("RCON output expired").
			Description("RCON output is kept for 15 minutes and not across restarts of the appliance. Run /rcon again.").Embed()}, 1, nil
	}
	page = min(max(page, 0), len(o.pages)-1)
	return []*discordgo.MessageEmbed{o.pages[page]}, len(o.pages), nil
}
