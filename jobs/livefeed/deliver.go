package livefeed

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blissark/bliss/app/rcon"
)

const (
	maxMessage    = 1900 // Discord allows 2000; keep room
	maxBatchLines = 40
	maxLineOut    = 400 // one rendered line
	// dueLimit bounds the pending rows one delivery pass reads. It is large
	// on purpose: rows are read in id order, and a line recovered from the
	// game log (or a Discord message caught up after a restart) is recorded
	// after lines that go after it; the pass must see it to put it first.
	dueLimit = 20000
)

// ErrNoChannel: the guild has not configured the channel a route posts to.
var ErrNoChannel = errors.New("livefeed: no channel configured")

func (f *Feed) nonce(id int64) string {
	if f.o.Nonce != nil {
		return f.o.Nonce(id)
	}
	return "bl" + strconv.FormatInt(id, 36)
}

func batchCursor(firstID int64) string { return "feed/batch/" + strconv.FormatInt(firstID, 10) }

func threadKey(guild, route string, sid int64) string {
	return "feed/thread/" + guild + "/" + route + "/" + strconv.FormatInt(sid, 10)
}

type dest struct {
	guild string
	sid   int64
	route string
}

// Deliver posts the due feed rows, batched per destination, each batch once
// (see the package comment). It returns the first error after trying every
// destination.
func (f *Feed) Deliver(ctx context.Context) error {
	f.delMu.Lock()
	defer f.delMu.Unlock()
	// Every pending row, also those backing off: a destination waits for
	// its oldest row instead of posting later lines first.
	due, err := f.o.Store.Due(ctx, KindFeed, f.o.Now().AddDate(100, 0, 0), dueLimit)
	if err != nil {
		return fmt.Errorf("livefeed: due rows: %w", err)
	}
	var order []dest
	groups := map[dest][]Item{}
	for _, it := range due {
		d := dest{it.GuildID, it.ServiceID, it.Target}
		if _, ok := groups[d]; !ok {
			order = append(order, d)
		}
		groups[d] = append(groups[d], it)
	}
	var first error
	for _, d := range order {
		if err := f.deliverDest(ctx, d, groups[d]); err != nil {
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

func (f *Feed) deliverDest(ctx context.Context, d dest, rows []Item) error {
	if d.route == RouteChat {
		f.mu.Lock()
		st := f.servers[d.sid]
		hold := st == nil || !st.started || st.holdChat // before its first poll the pending state is unknown
		f.mu.Unlock()
		if hold {
			return nil // a reconciliation is pending: lost lines may still go before these
		}
		// Recovered lines go where they were said: by game time for them,
		// by read time for GetChat lines (ids break ties).
		keys := make(map[int64]int64, len(rows))
		for _, it := range rows {
			keys[it.ID] = lineKey(it)
		}
		slices.SortStableFunc(rows, func(a, b Item) int { return cmp.Compare(keys[a.ID], keys[b.ID]) })
	}
	if len(rows) > 0 && rows[0].NextAt.After(f.o.Now()) {
		return nil // the oldest line is backing off after a failure
	}
	for len(rows) > 0 {
		batch, err := f.batch(ctx, rows)
		if err != nil {
			return err
		}
		rows = rows[len(batch):]
		if err := f.sendBatch(ctx, d, batch); err != nil {
			return err
		}
	}
	return nil
}

// batch returns the rows of the next message: the batch recorded for the
// first row if a crash interrupted it, else as many rows as fit, recorded
// before sending so a re-send after a crash has the same rows and nonce.
func (f *Feed) batch(ctx context.Context, rows []Item) ([]Item, error) {
	key := batchCursor(rows[0].ID)
	v, err := f.o.Store.Cursor(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("livefeed: batch cursor: %w", err)
	}
	if v != "" {
		want := map[int64]bool{}
		for _, s := range strings.Split(v, ",") {
			if id, err := strconv.ParseInt(s, 10, 64); err == nil {
				want[id] = true
			}
		}
		n := 0
		for n < len(rows) && want[rows[n].ID] {
			n++
		}
		if n > 0 {
			return rows[:n], nil
		}
	}
	size, n := 0, 0
	for n < len(rows) && n < maxBatchLines {
		l := len(renderRow(rows[n])) + 1
		if n > 0 && size+l > maxMessage {
			break
		}
		size += l
		n++
	}
	ids := make([]string, n)
	for i := range n {
		ids[i] = strconv.FormatInt(rows[i].ID, 10)
	}
	if err := f.o.Store.SetCursor(ctx, key, strings.Join(ids, ",")); err != nil {
		return nil, fmt.Errorf("livefeed: record batch: %w", err)
	}
	return rows[:n], nil
}

// lineKey orders chat rows: a GetChat line by its poll's send time (later
// than it was said, earlier than anything of the next poll), a recovered
// line by max(its game stamp, the last poll committed before the loss).
func lineKey(it Item) int64 {
	var l line
	if json.Unmarshal(it.Payload, &l) != nil {
		return 0
	}
	if l.Order != 0 {
		return l.Order
	}
	return l.At
}

func renderRow(it Item) string {
	var l line
	if err := json.Unmarshal(it.Payload, &l); err != nil || l.Out == "" {
		return "(unreadable line)"
	}
	return l.Out
}

func (f *Feed) sendBatch(ctx context.Context, d dest, batch []Item) error {
	ids := make([]int64, len(batch))
	var b strings.Builder
	for i, it := range batch {
		ids[i] = it.ID
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(renderRow(it))
	}
	content := b.String()
	if len(content) > 2000 {
		content = cutUTF8(content, 2000)
	}
	target, err := f.target(ctx, d)
	if err == nil {
		_, err = f.o.Discord.Send(ctx, target, content, f.nonce(batch[0].ID))
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		f.retry(ctx, batch, err)
		return fmt.Errorf("livefeed: post to %s of %d: %w", d.route, d.sid, err)
	}
	if err := f.o.Store.Done(ctx, ids, batchCursor(batch[0].ID)); err != nil {
		return fmt.Errorf("livefeed: mark done: %w", err)
	}
	f.delivered.Add(int64(len(batch)))
	f.lagNanos.Store(int64(f.o.Now().Sub(batch[0].CreatedAt)))
	return nil
}

// retry backs the rows off (exponentially, ≤ 5 min); after MaxAttempts, or
// at once when no channel is configured, they fail.
func (f *Feed) retry(ctx context.Context, batch []Item, cause error) {
	for _, it := range batch {
		var err error
		if errors.Is(cause, ErrNoChannel) || it.Attempts+1 >= f.o.MaxAttempts {
			err = f.o.Store.Fail(ctx, it.ID, cause.Error())
		} else {
			back := min(5*time.Minute, time.Second<<min(it.Attempts, 9))
			err = f.o.Store.Retry(ctx, it.ID, f.o.Now().Add(back), cause.Error())
		}
		if err != nil {
			f.log.Warn("livefeed: retry bookkeeping failed", slog.Int64("id", it.ID), slog.Any("err", err))
		}
	}
}

// target returns the thread of a destination, creating channel and thread
// on first use; thread ids are durable cursors.
func (f *Feed) target(ctx context.Context, d dest) (string, error) {
	key := threadKey(d.guild, d.route, d.sid)
	tribe := ""
	if t, ok := strings.CutPrefix(d.route, tribeRoutePrefix); ok {
		tribe = t
	}
	f.mu.Lock()
	id, ok := f.threads[key]
	f.mu.Unlock()
	if ok {
		return id, nil
	}
	id, err := f.o.Store.Cursor(ctx, key)
	if err != nil {
		return "", err
	}
	if id == "" {
		g, err := f.o.Directory.Guild(ctx, d.guild)
		if err != nil {
			return "", fmt.Errorf("guild settings: %w", err)
		}
		name := fmt.Sprintf("server %d", d.sid)
		if srv, _, err := f.server(ctx, d.sid); err == nil && srv.Name != "" {
			name = ThreadName(srv.Name)
		}
		var parent string
		if d.route == RouteChat {
			if g.BridgeCategoryID == "" {
				return "", fmt.Errorf("%w: chat-bridge category (run /setup)", ErrNoChannel)
			}
			parent, err = f.o.Discord.EnsureChannel(ctx, d.guild, g.BridgeCategoryID, f.o.ChannelName)
			if err != nil {
				return "", fmt.Errorf("chat-bridge channel: %w", err)
			}
		} else {
			route := d.route
			if tribe != "" {
				route = RouteTribe
			}
			parent = g.LogChannels[route]
			if parent == "" {
				return "", fmt.Errorf("%w: %s log channel", ErrNoChannel, route)
			}
			name += " " + route
			if tribe != "" {
				name = cutUTF8(name+" "+tribe, 100)
			}
		}
		id, err = f.o.Discord.EnsureThread(ctx, d.guild, parent, name, tribe != "")
		if err != nil {
			return "", fmt.Errorf("thread %q: %w", name, err)
		}
		if err := f.o.Store.SetCursor(ctx, key, id); err != nil {
			return "", err
		}
		if tribe != "" && f.o.OnTribeThread != nil {
			f.o.OnTribeThread(ctx, TribeThread{GuildID: d.guild, ServiceID: d.sid, Tribe: tribe, ThreadID: id})
		}
	}
	f.mu.Lock()
	f.threads[key] = id
	if d.route == RouteChat {
		f.bridge[id] = d.sid
	}
	f.mu.Unlock()
	return id, nil
}

// LoadThreads reads the known chat threads (so Discord messages in them
// are relayed before the feed has posted anything since the start).
func (f *Feed) LoadThreads(ctx context.Context) error {
	all, err := f.o.Directory.Servers(ctx)
	if err != nil {
		return fmt.Errorf("livefeed: servers: %w", err)
	}
	for _, s := range all {
		key := threadKey(s.GuildID, RouteChat, s.ServiceID)
		id, err := f.o.Store.Cursor(ctx, key)
		if err != nil {
			return fmt.Errorf("livefeed: thread cursor: %w", err)
		}
		if id != "" {
			f.mu.Lock()
			f.threads[key] = id
			f.bridge[id] = s.ServiceID
			f.mu.Unlock()
		}
	}
	return nil
}

// ThreadName is the thread name of a server: its name without version
// suffixes. It strips version suffixes ("Bliss Island - (v52.1)", "… v52.1",
// "… [v52.1]") from a server name.
func ThreadName(name string) string {
	s := strings.TrimSpace(name)
	for {
		t := stripVersion(s)
		if t == s {
			break
		}
		s = t
	}
	if s == "" {
		s = "server"
	}
	return cutUTF8(s, 90)
}

func stripVersion(s string) string {
	t := strings.TrimRight(s, " -–|")
	if strings.HasSuffix(t, ")") || strings.HasSuffix(t, "]") {
		open := "("
		if strings.HasSuffix(t, "]") {
			open = "["
		}
		if i := strings.LastIndex(t, open); i >= 0 && isVersion(t[i+1:len(t)-1]) {
			return strings.TrimRight(t[:i], " -–|")
		}
		return s
	}
	if i := strings.LastIndexByte(t, ' '); i >= 0 && isVersion(t[i+1:]) {
		return strings.TrimRight(t[:i], " -–|")
	}
	return s
}

// isVersion: "v52.1", "V52", "52.1" (a bare number without a dot is not a
// version: "Island 2" keeps its 2).
func isVersion(s string) bool {
	v := strings.TrimPrefix(strings.TrimPrefix(s, "v"), "V")
	if v == "" || v[0] < '0' || v[0] > '9' || (v == s && !strings.Contains(v, ".")) {
		return false
	}
	for i := 0; i < len(v); i++ {
		if (v[i] < '0' || v[i] > '9') && v[i] != '.' {
			return false
		}
	}
	return true
}

func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// escapeMD neutralises Discord markdown and mention syntax in game text.
func escapeMD(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch {
		case r == '*' || r == '_' || r == '~' || r == '`' || r == '|' || r == '>' || r == '\\' || r == '<' || r == '#' || r == '[' || r == ']':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '@':
			b.WriteString("@\u200b") // no @everyone/@here even if mentions were allowed
		case r < 0x20 || r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// render is the Discord line of an event: chat as "**Name** (Character): text".
func render(ev rcon.LogEvent) string {
	var s string
	switch c := ev.Class; {
	case c == rcon.ClassChat:
		s = "**" + escapeMD(ev.Name) + "** (" + escapeMD(ev.Character) + "): " + escapeMD(ev.Text)
	case c == rcon.ClassJoin:
		s = "➡️ **" + escapeMD(ev.Name) + "** joined"
	case c == rcon.ClassLeave:
		s = "⬅️ **" + escapeMD(ev.Name) + "** left"
	case c == rcon.ClassAdmin:
		who := ev.Name
		if who == "" {
			who = "admin"
		}
		s = "🛠️ **" + escapeMD(who) + "**: " + escapeMD(ev.Text)
	case c.Tribe() || c == rcon.ClassDeath:
		prefix := ""
		if ev.Tribe != "" {
			prefix = "**" + escapeMD(ev.Tribe) + "**: "
		}
		s = prefix + escapeMD(ev.Text)
	default:
		s = "⚙️ " + escapeMD(ev.Text)
	}
	if !ev.Time.IsZero() && ev.Class != rcon.ClassChat {
		s = "`" + ev.Time.UTC().Format("15:04:05") + "` " + s
	}
	return cutUTF8(s, maxLineOut)
}
