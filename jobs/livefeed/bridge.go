package livefeed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/blissark/bliss/app/rcon"
)

// DiscordMessage is a message posted in a guild channel or thread (app
// fills it from discordgo's MESSAGE_CREATE).
type DiscordMessage struct {
	GuildID    string
	ChannelID  string
	MessageID  string
	AuthorName string // display name
	Bot        bool   // author is a bot (ours included)
	Webhook    bool   // sent by a webhook
	Content    string
}

const (
	maxRelayLines = 6                // ServerChat lines per Discord message
	maxNameLen    = 24               // sanitised Discord name
	echoMemory    = 2 * time.Minute  // how long a relayed text guards against its echo
	inFlightHold  = 30 * time.Second // a relay attempt in progress
)

var mentionRe = regexp.MustCompile(`<(@[!&]?|#|a?:[A-Za-z0-9_~]+:)(\d{1,20})>`)

// sanitizeName makes a Discord display name safe for game chat: no
// markdown, emoji, parentheses, brackets, colons or control characters.
func sanitizeName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '*', '_', '~', '`', '|', '>', '<', '(', ')', '[', ']', '{', '}', ':', '\\', '#', '@':
			return -1
		}
		return r
	}, s)
	s = rcon.SanitizeText(s, maxNameLen)
	if s == "" {
		return "Discord"
	}
	return s
}

// relayLines turns a Discord message into ServerChat texts: one or more per
// non-blank line, each "Name: text" of at most rcon.MaxChatLen characters,
// split at word boundaries, at most maxRelayLines in all.
func relayLines(author, content string) []string {
	name := sanitizeName(author)
	content = mentionRe.ReplaceAllStringFunc(content, func(m string) string {
		sub := mentionRe.FindStringSubmatch(m)
		switch {
		case strings.HasPrefix(sub[1], "@&"):
			return "@role"
		case strings.HasPrefix(sub[1], "@"):
			return "@user"
		case sub[1] == "#":
			return "#channel"
		default:
			return strings.Trim(strings.TrimPrefix(sub[1], "a"), "") // ":name:"
		}
	})
	for _, md := range []string{"**", "__", "~~", "||", "`"} {
		content = strings.ReplaceAll(content, md, "")
	}
	prefix := name + ": "
	var out []string
	for _, raw := range strings.FieldsFunc(content, func(r rune) bool { return r == '\n' || r == '\r' || r == 0 }) {
		for _, part := range rcon.SplitText(raw, rcon.MaxChatLen-len(prefix)) {
			if len(out) == maxRelayLines {
				return out
			}
			out = append(out, prefix+part)
		}
	}
	return out
}

// OnDiscordMessage relays a message posted in a bridge thread to its game
// server (exactly once: one outbox row per ServerChat line, keyed by the
// message id) and delivers it. Messages by bots or webhooks, and messages
// outside bridge threads, are ignored.
func (f *Feed) OnDiscordMessage(ctx context.Context, m DiscordMessage) error {
	if m.Bot || m.Webhook || m.MessageID == "" {
		return nil
	}
	f.mu.Lock()
	sid, ok := f.bridge[m.ChannelID]
	f.mu.Unlock()
	if !ok {
		return nil
	}
	lines := relayLines(m.AuthorName, m.Content)
	if len(lines) == 0 {
		return nil
	}
	items := make([]Item, len(lines))
	for i, l := range lines {
		b, _ := json.Marshal(relay{Text: l, Index: i, Total: len(lines)})
		items[i] = Item{Kind: KindRelay, Key: fmt.Sprintf("dm:%s:%d", m.MessageID, i), GuildID: m.GuildID,
			ServiceID: sid, Target: m.ChannelID + "/" + m.MessageID, Payload: b}
	}
	if _, err := f.o.Store.RecordStream(ctx, "", "", items); err != nil {
		return fmt.Errorf("livefeed: record relay: %w", err)
	}
	return f.DeliverRelays(ctx)
}

func (f *Feed) remember(sid int64, text string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.servers[sid]
	if st == nil {
		st = &serverState{recent: map[string]time.Time{}}
		f.servers[sid] = st
	}
	for k, until := range st.recent {
		if now.After(until) {
			delete(st.recent, k)
		}
	}
	st.recent[text] = now.Add(echoMemory)
}

// sawEcho notes a "SERVER: text" line: it confirms a relay whose outcome
// was unknown (the process died between ServerChat and marking it done).
func (f *Feed) sawEcho(st *serverState, text string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if st.echoes == nil {
		st.echoes = map[string]time.Time{}
	}
	st.echoes[text] = now
	for k, t := range st.echoes {
		if now.Sub(t) > echoMemory {
			delete(st.echoes, k)
		}
	}
}

// isOwnEcho reports a player-shaped line that repeats what we just relayed
// (plugins that send chat as a player instead of SERVER).
func (f *Feed) isOwnEcho(st *serverState, ev rcon.LogEvent, now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, cand := range []string{ev.Text, ev.Name + ": " + ev.Text} {
		if until, ok := st.recent[cand]; ok && now.Before(until) {
			return true
		}
	}
	return false
}

// DeliverRelays sends the due relay rows with ServerChat. Before each send
// the row is marked in flight (attempts+1); a row found in flight after a
// restart is sent again only if a GetChat poll since has not shown its
// "SERVER:" echo, so a line is not sent twice.
func (f *Feed) DeliverRelays(ctx context.Context) error {
	due, err := f.o.Store.Due(ctx, KindRelay, f.o.Now(), dueLimit)
	if err != nil {
		return fmt.Errorf("livefeed: due relays: %w", err)
	}
	var first error
	for _, it := range due {
		if err := f.relayOne(ctx, it); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if first == nil {
				first = err
			}
		}
	}
	return first
}

func (f *Feed) relayOne(ctx context.Context, it Item) error {
	var r relay
	if err := json.Unmarshal(it.Payload, &r); err != nil {
		return f.o.Store.Fail(ctx, it.ID, "unreadable relay payload")
	}
	if it.Attempts > 0 {
		f.mu.Lock()
		st := f.servers[it.ServiceID]
		started := st != nil && st.started
		var seen bool
		if st != nil {
			_, seen = st.echoes[r.Text]
		}
		f.mu.Unlock()
		if !started {
			return nil // wait for a GetChat poll to show whether it went out
		}
		if seen {
			return f.relayDone(ctx, it, r)
		}
	}
	now := f.o.Now()
	if err := f.o.Store.Retry(ctx, it.ID, now.Add(inFlightHold), "in flight"); err != nil {
		return fmt.Errorf("livefeed: mark relay in flight: %w", err)
	}
	cmd, err := rcon.ServerChat(r.Text)
	if err == nil {
		f.remember(it.ServiceID, r.Text, now)
		_, err = f.o.RCON.Exec(ctx, it.ServiceID, cmd)
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, rcon.ErrInvalidArgument) || it.Attempts+1 >= f.o.MaxAttempts {
			_ = f.o.Store.Fail(ctx, it.ID, err.Error())
			f.react(ctx, it, "❌")
		} else {
			back := min(time.Minute, time.Second<<min(it.Attempts, 6))
			_ = f.o.Store.Retry(ctx, it.ID, f.o.Now().Add(back), err.Error())
		}
		return fmt.Errorf("livefeed: ServerChat on %d: %w", it.ServiceID, err)
	}
	return f.relayDone(ctx, it, r)
}

func (f *Feed) relayDone(ctx context.Context, it Item, r relay) error {
	if err := f.o.Store.Done(ctx, []int64{it.ID}, ""); err != nil {
		return fmt.Errorf("livefeed: relay done: %w", err)
	}
	f.relayed.Add(1)
	if r.Index == r.Total-1 {
		f.react(ctx, it, "✅")
	}
	return nil
}

// react adds a reaction to the Discord message a relay row came from.
func (f *Feed) react(ctx context.Context, it Item, emoji string) {
	ch, msg, ok := strings.Cut(it.Target, "/")
	if !ok || ch == "" || msg == "" {
		return
	}
	if err := f.o.Discord.React(ctx, ch, msg, emoji); err != nil {
		f.log.Warn("livefeed: reaction failed", slog.String("emoji", emoji), slog.Any("err", err))
	}
}
