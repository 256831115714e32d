package livefeed

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
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

// sanitizeName makes a Discord display name safe for game chat: the one
// sanitizer (Options.SanitizeName) first, then what game chat needs on top:
// no parentheses, brackets or colons (a name like "(x)" would make the
// line look like player chat) and RCON-safe text.
func (f *Feed) sanitizeName(s string) string {
	if f.o.SanitizeName != nil {
		s = f.o.SanitizeName(s, 4*maxNameLen)
	}
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
// split at word boundaries, at most maxRelayLines in all. Mentions read as
// @user, @role, #channel; each line then goes through the one sanitizer
// (Options.SanitizeChat: control and format characters, combining marks,
// other Discord tokens) and loses its markdown; rcon.ServerChat makes it
// RCON-safe when it is sent.
func (f *Feed) relayLines(author, content string) []string {
	name := f.sanitizeName(author)
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
			return strings.TrimPrefix(sub[1], "a") // ":name:"
		}
	})
	prefix := name + ": "
	var out []string
	for _, raw := range strings.FieldsFunc(content, func(r rune) bool { return r == '\n' || r == '\r' || r == 0 }) {
		if f.o.SanitizeChat != nil {
			raw = f.o.SanitizeChat(raw, maxRelayLines*rcon.MaxChatLen)
		}
		for _, md := range []string{"**", "__", "~~", "||", "`"} {
			raw = strings.ReplaceAll(raw, md, "")
		}
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
	items := f.relayItems(m, sid, f.o.Now())
	if len(items) == 0 {
		return nil
	}
	if _, err := f.o.Store.RecordStream(ctx, "", "", items); err != nil {
		return fmt.Errorf("livefeed: record relay: %w", err)
	}
	err := f.DeliverRelays(ctx)
	f.FlushReactions(ctx)
	return err
}

// relayItems are the relay rows of a Discord message recorded at now,
// ordered by the message's snowflake (its time, then its sequence number).
func (f *Feed) relayItems(m DiscordMessage, sid int64, now time.Time) []Item {
	lines := f.relayLines(m.AuthorName, m.Content)
	order := int64(0)
	if at, ok := snowflakeTime(m.MessageID); ok {
		n, _ := strconv.ParseUint(m.MessageID, 10, 64)
		order = at.UnixNano() + int64(n&0xfff)*100
	}
	items := make([]Item, len(lines))
	for i, l := range lines {
		b, _ := json.Marshal(relay{Text: l, Index: i, Total: len(lines), Order: order, At: now.UnixNano()})
		items[i] = Item{Kind: KindRelay, Key: fmt.Sprintf("dm:%s:%d", m.MessageID, i), GuildID: m.GuildID,
			ServiceID: sid, Target: m.ChannelID + "/" + m.MessageID, Payload: b}
	}
	return items
}

// Discord snowflakes: milliseconds since the Discord epoch above 22 bits.
const discordEpochMs = 1420070400000

func snowflakeTime(id string) (time.Time, bool) {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil || n>>22 == 0 {
		return time.Time{}, false
	}
	return time.UnixMilli(int64(n>>22) + discordEpochMs), true
}

// snowflakeAt is the smallest snowflake of time t.
func snowflakeAt(t time.Time) string {
	ms := max(0, t.UnixMilli()-discordEpochMs)
	return strconv.FormatUint(uint64(ms)<<22, 10)
}

// idLess orders snowflakes numerically (a shorter one is smaller).
func idLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

const (
	catchUpPage   = 100
	catchUpPages  = 20               // pages read per catch-up
	maxCatchUpAge = 15 * time.Minute // older missed messages are not relayed (stale chat)
	catchUpBack   = time.Minute      // a thread without a cursor is read this far back
)

func dmCursor(thread string) string { return "feed/dm/" + thread }

// CatchUp relays what was posted in a server's bridge thread while the feed
// was not listening (the process was down, the gateway reconnected): it
// reads the thread after a durable cursor (the newest message id read) and
// records the new messages with the cursor in one transaction. Rows are
// keyed by message id, so a message the gateway also delivered is relayed
// once. Poll calls it on its first run and every TailEvery runs; relays of
// a server wait for its first catch-up so they keep their order.
func (f *Feed) CatchUp(ctx context.Context, sid int64) error {
	srv, _, err := f.server(ctx, sid)
	if err != nil {
		return err
	}
	st := f.state(srv)
	f.mu.Lock()
	thread := f.threads[threadKey(srv.GuildID, RouteChat, sid)]
	f.mu.Unlock()
	if thread == "" {
		f.mu.Lock()
		st.caughtUp = true // no bridge thread yet: nothing to catch up
		f.mu.Unlock()
		return nil
	}
	// No delivery while the missed messages are read, so a message the
	// gateway brings meanwhile does not overtake them.
	f.relMu.Lock()
	defer f.relMu.Unlock()
	key := dmCursor(thread)
	after, err := f.o.Store.Cursor(ctx, key)
	if err != nil {
		return fmt.Errorf("livefeed: catch-up cursor: %w", err)
	}
	if after == "" {
		after = snowflakeAt(f.o.Now().Add(-catchUpBack))
	}
	for range catchUpPages {
		msgs, err := f.o.Discord.Messages(ctx, thread, after, catchUpPage)
		if err != nil {
			return fmt.Errorf("livefeed: catch up thread %s: %w", thread, err)
		}
		if len(msgs) == 0 {
			break
		}
		now := f.o.Now()
		var items []Item
		for _, m := range msgs {
			if idLess(after, m.MessageID) {
				after = m.MessageID
			}
			if m.Bot || m.Webhook {
				continue
			}
			if at, ok := snowflakeTime(m.MessageID); ok && now.Sub(at) > maxCatchUpAge {
				continue
			}
			m.GuildID, m.ChannelID = srv.GuildID, thread
			items = append(items, f.relayItems(m, sid, now)...)
		}
		created, err := f.o.Store.RecordStream(ctx, key, after, items)
		if err != nil {
			return fmt.Errorf("livefeed: record caught-up messages: %w", err)
		}
		if n := countTrue(created); n > 0 {
			f.log.Info("livefeed: relaying Discord messages missed while not listening",
				slog.Int64("service_id", sid), slog.Int("lines", n))
		}
		if len(msgs) < catchUpPage {
			break
		}
	}
	f.mu.Lock()
	st.caughtUp = true
	f.mu.Unlock()
	return nil
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
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

// sawEcho notes a "SERVER: text" line read at now: it settles a relay
// whose outcome was unknown (the process died between ServerChat and
// marking it done, or RCON failed after the command may have run).
func (f *Feed) sawEcho(st *serverState, text string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if st.echoes == nil {
		st.echoes = map[string][]time.Time{}
	}
	st.echoes[text] = append(st.echoes[text], now)
	for k, ts := range st.echoes {
		i := 0
		for i < len(ts) && now.Sub(ts[i]) > echoMemory {
			i++
		}
		if i == len(ts) {
			delete(st.echoes, k)
		} else if i > 0 {
			st.echoes[k] = ts[i:]
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

// Relay attempts are recorded in the row's last error as "a=<unix ns> …"
// (when the attempt started), so an attempt whose outcome is unknown can be
// settled by the echo it would have caused.
const inFlightNote = "in flight"

func attemptNote(at time.Time, note string) string {
	return "a=" + strconv.FormatInt(at.UnixNano(), 10) + " " + note
}

func parseAttempt(lastErr string) (at time.Time, inFlight bool) {
	rest, ok := strings.CutPrefix(lastErr, "a=")
	if !ok {
		return time.Time{}, false
	}
	num, note, _ := strings.Cut(rest, " ")
	ns, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, ns), note == inFlightNote
}

// echoMargin: a GetChat poll sent this long after an attempt started shows
// its echo if the command ran.
const echoMargin = time.Second

// DeliverRelays sends the pending relay rows with ServerChat, in order per
// server (a server's queue waits for its oldest row). A row is marked in
// flight before it is sent; a row whose earlier attempt has an unknown
// outcome (the process died in flight, or RCON failed after the command
// may have run) is settled first: once a GetChat poll sent after the
// attempt has come back, the "SERVER:" echo it read, or the same line in
// ShooterGame.log, marks the row done; only without an echo is it sent
// again. So a line is not lost and not sent twice.
func (f *Feed) DeliverRelays(ctx context.Context) error {
	f.relMu.Lock()
	defer f.relMu.Unlock()
	rows, err := f.o.Store.Due(ctx, KindRelay, f.o.Now().AddDate(100, 0, 0), dueLimit)
	if err != nil {
		return fmt.Errorf("livefeed: due relays: %w", err)
	}
	var order []int64
	queues := map[int64][]Item{}
	for _, it := range rows {
		if _, ok := queues[it.ServiceID]; !ok {
			order = append(order, it.ServiceID)
		}
		queues[it.ServiceID] = append(queues[it.ServiceID], it)
	}
	var first error
	for _, sid := range order {
		q := queues[sid]
		keys := make(map[int64]int64, len(q))
		for _, it := range q {
			keys[it.ID] = relayOrder(it)
		}
		slices.SortStableFunc(q, func(a, b Item) int { return cmp.Compare(keys[a.ID], keys[b.ID]) })
		ec := &fileEchoes{}
		for _, it := range q {
			next, err := f.relayOne(ctx, it, ec)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if first == nil {
					first = err
				}
			}
			if !next {
				break
			}
		}
	}
	return first
}

// relayOrder orders a server's relay rows: by the Discord message (or the
// poll of a cluster-chat line), then line index; rows without one by id.
func relayOrder(it Item) int64 {
	var r relay
	if json.Unmarshal(it.Payload, &r) != nil || r.Order == 0 {
		return it.CreatedAt.UnixNano()
	}
	return r.Order + int64(r.Index)
}

// fileEchoes are the "SERVER:" lines of ShooterGame.log, read once per
// delivery pass and server when an unknown attempt needs them.
type fileEchoes struct {
	loaded bool
	err    error
	lines  map[string][]time.Time
}

func (f *Feed) loadFileEchoes(ctx context.Context, srv Server, ec *fileEchoes) {
	ec.loaded = true
	if srv.LogPath == "" || f.o.Files == nil {
		ec.err = fmt.Errorf("livefeed: server %d has no readable game log", srv.ServiceID)
		return
	}
	size, err := f.o.Files.FileSize(ctx, srv.ServiceID, srv.LogPath)
	if err != nil {
		ec.err = fmt.Errorf("livefeed: log size: %w", err)
		return
	}
	b, err := f.readFile(ctx, srv.ServiceID, srv.LogPath, max(0, size-reconcileBytes), size)
	if err != nil {
		ec.err = fmt.Errorf("livefeed: read log: %w", err)
		return
	}
	ec.lines = map[string][]time.Time{}
	for _, ev := range rcon.ParseGameLog(string(b)) {
		if ev.Class == rcon.ClassEcho && !ev.Time.IsZero() {
			ec.lines[ev.Text] = append(ec.lines[ev.Text], ev.Time)
		}
	}
}

// echoed reports whether text came back as an echo after since: in a
// GetChat reply read since then, or in ShooterGame.log (stamped, within
// the clock skew). A matched echo is consumed, so two identical lines need
// two echoes.
func (f *Feed) echoed(ctx context.Context, sid int64, text string, since time.Time, ec *fileEchoes) (bool, error) {
	f.mu.Lock()
	st := f.servers[sid]
	var srv Server
	if st != nil {
		srv = st.srv
		ts := st.echoes[text]
		if i := slices.IndexFunc(ts, func(t time.Time) bool { return !t.Before(since) }); i >= 0 {
			st.echoes[text] = slices.Delete(ts, i, i+1)
			f.mu.Unlock()
			return true, nil
		}
	}
	f.mu.Unlock()
	if st == nil {
		return false, nil
	}
	if !ec.loaded {
		f.loadFileEchoes(ctx, srv, ec)
	}
	if ec.err != nil {
		return false, ec.err
	}
	lo := since.Add(-time.Second - f.o.ClockSkew) // stamps have whole seconds
	ts := ec.lines[text]
	if i := slices.IndexFunc(ts, func(t time.Time) bool { return !t.Before(lo) }); i >= 0 {
		ec.lines[text] = slices.Delete(ts, i, i+1)
		return true, nil
	}
	return false, nil
}

// relayOne settles or sends one relay row; next reports whether the rows
// behind it on the same server may go now.
func (f *Feed) relayOne(ctx context.Context, it Item, ec *fileEchoes) (next bool, err error) {
	var r relay
	if err := json.Unmarshal(it.Payload, &r); err != nil {
		return true, f.o.Store.Fail(ctx, it.ID, "unreadable relay payload")
	}
	f.mu.Lock()
	st := f.servers[it.ServiceID]
	ready := st != nil && st.caughtUp
	var lastChat time.Time
	if st != nil {
		lastChat = st.lastChat
	}
	f.mu.Unlock()
	if !ready {
		return false, nil // missed Discord messages may still go before this one
	}
	now := f.o.Now()
	if it.Attempts == 0 && r.At != 0 && now.Sub(time.Unix(0, r.At)) < f.o.RelaySettle {
		// Gateway events are handled concurrently: an older message may
		// still be on its way to the outbox. It would sort before this one.
		return false, nil
	}
	if it.Attempts > 0 {
		at, inFlight := parseAttempt(it.LastError)
		if at.IsZero() {
			at = it.CreatedAt
		}
		if lastChat.Before(at.Add(echoMargin)) {
			if now.Sub(at) > maxPending {
				// No GetChat answer since: the server is unreachable. Say so
				// rather than wait for ever (a resend could double it).
				_ = f.o.Store.Fail(ctx, it.ID, "no GetChat poll succeeded after the attempt")
				f.refuse(ctx, it, "the game server did not answer")
				return true, nil
			}
			return false, nil // wait for a poll that shows whether it went out
		}
		seen, err := f.echoed(ctx, it.ServiceID, r.Text, at, ec)
		switch {
		case seen:
			return true, f.relayDone(ctx, it, r)
		case err != nil && now.Sub(at) < maxPending:
			return false, nil // the game log may answer on the next pass
		case !inFlight && it.NextAt.After(now):
			return false, nil // backing off after a failure
		}
	}
	cmd, err := rcon.ServerChat(r.Text)
	if err != nil {
		_ = f.o.Store.Fail(ctx, it.ID, err.Error())
		f.refuse(ctx, it, "nothing is left to send once the characters the game cannot show are removed")
		return true, fmt.Errorf("livefeed: ServerChat on %d: %w", it.ServiceID, err)
	}
	if err := f.o.Store.Retry(ctx, it.ID, now.Add(inFlightHold), attemptNote(now, inFlightNote)); err != nil {
		return false, fmt.Errorf("livefeed: mark relay in flight: %w", err)
	}
	f.remember(it.ServiceID, r.Text, now)
	if _, err = f.o.RCON.Exec(ctx, it.ServiceID, cmd); err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if it.Attempts+2 >= f.o.MaxAttempts {
			_ = f.o.Store.Fail(ctx, it.ID, err.Error())
			f.refuse(ctx, it, fmt.Sprintf("the game server did not accept it after %d tries", (it.Attempts+2)/2))
			return true, fmt.Errorf("livefeed: ServerChat on %d: %w", it.ServiceID, err)
		}
		// The command may have run: the next pass settles it by its echo
		// before sending it again.
		back := min(time.Minute, time.Second<<min(it.Attempts/2, 6))
		_ = f.o.Store.Retry(ctx, it.ID, f.o.Now().Add(back), attemptNote(now, err.Error()))
		return false, fmt.Errorf("livefeed: ServerChat on %d: %w", it.ServiceID, err)
	}
	return true, f.relayDone(ctx, it, r)
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

// react queues a reaction to the Discord message a relay row came from.
// Reactions are added by FlushReactions, outside the relay pass, so
// Discord's reaction rate limit (a few per second per channel) never slows
// relaying; the queue is bounded and best effort (a ✅ lost in a crash is
// not worth a durable row).
func (f *Feed) react(_ context.Context, it Item, emoji string) {
	ch, msg, ok := strings.Cut(it.Target, "/")
	if !ok || ch == "" || msg == "" {
		return
	}
	f.reactMu.Lock()
	defer f.reactMu.Unlock()
	if len(f.reactions) >= maxReactions {
		f.reactions = f.reactions[1:]
	}
	f.reactions = append(f.reactions, reaction{channel: ch, message: msg, emoji: emoji})
}

// refuse queues ❌ on the message a relay row came from and a notice with
// the reason in its thread (the reason never quotes an RCON error: those
// may name the game server's address).
func (f *Feed) refuse(ctx context.Context, it Item, reason string) {
	f.react(ctx, it, "❌")
	ch, _, ok := strings.Cut(it.Target, "/")
	if !ok || ch == "" {
		return
	}
	f.reactMu.Lock()
	defer f.reactMu.Unlock()
	f.reactions = append(f.reactions, reaction{channel: ch, notice: "❌ Not sent to the game: " + reason + ".", nonce: f.nonce(it.ID) + "x"})
}

// reaction is a queued reaction, or (notice != "") a short message.
type reaction struct{ channel, message, emoji, notice, nonce string }

const maxReactions = 1000

// FlushReactions adds the queued reactions until none is left or ctx ends.
// One flush runs at a time; a second caller returns at once.
func (f *Feed) FlushReactions(ctx context.Context) {
	if !f.flushMu.TryLock() {
		return
	}
	defer f.flushMu.Unlock()
	for ctx.Err() == nil {
		f.reactMu.Lock()
		if len(f.reactions) == 0 {
			f.reactMu.Unlock()
			return
		}
		r := f.reactions[0]
		f.reactions = f.reactions[1:]
		f.reactMu.Unlock()
		var err error
		if r.notice != "" {
			_, err = f.o.Discord.Send(ctx, r.channel, r.notice, r.nonce)
		} else {
			err = f.o.Discord.React(ctx, r.channel, r.message, r.emoji)
		}
		if err != nil {
			f.log.Warn("livefeed: reaction failed", slog.String("emoji", r.emoji), slog.Any("err", err))
		}
	}
}
