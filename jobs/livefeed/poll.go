package livefeed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/blissark/bliss/app/rcon"
)

// line is the payload of a feed row: one line, already rendered.
type line struct {
	At    int64  `json:"at"`           // when we read it (Unix ns)
	Order int64  `json:"k,omitempty"`  // delivery order key (Unix ns): the poll's send time, or a recovered line's place
	Time  int64  `json:"tm,omitempty"` // game time (Unix ns), 0 if unknown
	Stamp string `json:"st,omitempty"` // game-log stamp as written
	Class string `json:"c"`
	Name  string `json:"n,omitempty"`
	Char  string `json:"ch,omitempty"`
	Text  string `json:"t"`
	Src   string `json:"s"` // chat, gamelog, file, reconcile
	Out   string `json:"o"` // rendered Discord line
}

// relay is the payload of a relay row: one ServerChat line.
type relay struct {
	Text  string `json:"t"`
	Index int    `json:"i"`
	Total int    `json:"n"`
	Order int64  `json:"k,omitempty"`  // delivery order (Unix ns): the Discord message's time, or the poll's
	At    int64  `json:"at,omitempty"` // when a Discord message's row was recorded (Unix ns, our clock)
}

const (
	maxTailRead    = 1 << 20   // bytes of ShooterGame.log read per tail
	reconcileBytes = 512 << 10 // bytes of ShooterGame.log read to reconcile
	recentWindow   = 2 * time.Minute
	maxPending     = 2 * time.Minute // a reconciliation retried this long before giving up
)

func chatCursor(sid int64) string { return "feed/chat/" + strconv.FormatInt(sid, 10) }
func tailCursor(sid int64) string { return "feed/tail/" + strconv.FormatInt(sid, 10) }

// Poll is one tick of a server: GetChat (committed before anything else),
// GetGameLog, the ShooterGame.log tail every TailEvery polls, the
// ListPlayers roster, reconciliation when due, the bridge thread's
// catch-up (first poll and every TailEvery polls), then delivery. It is the
// job the scheduler runs every BLISS_CHAT_POLL per server.
func (f *Feed) Poll(ctx context.Context, serviceID int64) error {
	if f.paused.Load() {
		return ErrPaused
	}
	srv, all, err := f.server(ctx, serviceID)
	if err != nil {
		return err
	}
	st := f.state(srv)
	var errs []error
	if err := f.pollChat(ctx, st, all); err != nil {
		errs = append(errs, err)
	}
	st.polls++
	if !f.o.NoGameLog {
		if err := f.pollGameLog(ctx, st); err != nil {
			errs = append(errs, err)
		}
	}
	if srv.LogPath != "" && f.o.Files != nil && (st.polls-1)%f.o.TailEvery == 0 {
		if err := f.tail(ctx, st); err != nil {
			errs = append(errs, err)
		}
	}
	if f.o.Sessions != nil {
		if err := f.roster(ctx, st); err != nil {
			errs = append(errs, err)
		}
	}
	f.mu.Lock()
	caughtUp := st.caughtUp
	f.mu.Unlock()
	if !caughtUp || (st.polls-1)%f.o.TailEvery == 0 {
		if err := f.CatchUp(ctx, serviceID); err != nil {
			errs = append(errs, err)
		}
	}
	if err := f.Deliver(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := f.DeliverRelays(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// chatPos is the durable GetChat cursor: the poll sequence, when the last
// committed poll was sent, and a pending reconciliation [rcFrom, rcUntil]
// (zero when none): lines of a lost reply are only recoverable once a
// poll's window (its send time minus a second and the clock skew) has
// passed rcUntil, which may take a few polls.
type chatPos struct {
	seq             int64
	sent            time.Time
	rcFrom, rcUntil time.Time
}

func parseChatCursor(v string) chatPos {
	parts := strings.Split(v, "|")
	var p chatPos
	p.seq, _ = strconv.ParseInt(parts[0], 10, 64)
	at := func(i int) time.Time {
		if i < len(parts) {
			if ns, err := strconv.ParseInt(parts[i], 10, 64); err == nil && ns > 0 {
				return time.Unix(0, ns)
			}
		}
		return time.Time{}
	}
	p.sent, p.rcFrom, p.rcUntil = at(1), at(2), at(3)
	return p
}

func (p chatPos) String() string {
	ns := func(t time.Time) string {
		if t.IsZero() {
			return "0"
		}
		return strconv.FormatInt(t.UnixNano(), 10)
	}
	s := strconv.FormatInt(p.seq, 10) + "|" + ns(p.sent)
	if !p.rcFrom.IsZero() {
		s += "|" + ns(p.rcFrom) + "|" + ns(p.rcUntil)
	}
	return s
}

func (f *Feed) pollChat(ctx context.Context, st *serverState, all []Server) error {
	srv := st.srv
	cur, err := f.o.Store.Cursor(ctx, chatCursor(srv.ServiceID))
	if err != nil {
		return fmt.Errorf("livefeed: chat cursor: %w", err)
	}
	pos := parseChatCursor(cur)
	seq, lastSent := pos.seq, pos.sent
	sent := f.o.Now()
	if cur == "" {
		// First poll ever: record a baseline first, so a reply lost now is
		// reconciled from here on the next start.
		if err := f.o.Store.SetCursor(ctx, chatCursor(srv.ServiceID), "0|"+strconv.FormatInt(sent.UnixNano(), 10)); err != nil {
			return fmt.Errorf("livefeed: chat baseline: %w", err)
		}
		f.mu.Lock()
		st.started = true // nothing before us to reconcile
		f.mu.Unlock()
	}
	reply, err := f.o.RCON.Exec(ctx, srv.ServiceID, rcon.GetChat())
	if err != nil {
		// The server may have consumed the buffer and the reply got lost.
		st.gap = true
		f.gaps.Add(1)
		if srv.LogPath == "" || f.o.Files == nil {
			f.maybeLost.Add(1)
		}
		return fmt.Errorf("livefeed: GetChat on %d: %w", srv.ServiceID, err)
	}
	evs := rcon.ParseGameLog(reply)
	seq++
	now := f.o.Now()
	var items []Item
	var chats []rcon.LogEvent
	for i, ev := range evs {
		switch {
		case ev.Class == rcon.ClassEcho:
			f.sawEcho(st, ev.Text, now)
			continue // our own ServerChat (or an admin's): never relayed
		case ev.Class == rcon.ClassChat:
			if f.isOwnEcho(st, ev, now) {
				continue
			}
			chats = append(chats, ev)
			items = append(items, f.lineItem(srv, fmt.Sprintf("gc:%d:%d:%d", srv.ServiceID, seq, i), ev, "chat", now, sent))
			items = append(items, f.clusterItems(srv, all, seq, i, ev, sent)...)
		case ev.Class == rcon.ClassOther:
			continue // continuation lines of a wrapped SERVER line, noise
		case srv.LogPath == "" && f.o.NoGameLog && ev.Class.Route() != "":
			// No game log for this server: GetChat is the only source.
			items = append(items, f.lineItem(srv, fmt.Sprintf("gc:%d:%d:%d", srv.ServiceID, seq, i), ev, "chat", now, sent))
		}
	}
	// Reconcile at start and after a gap, in the same transaction and
	// before this reply's lines, so recovered lines keep their order; the
	// window stays pending (in the cursor) until a poll has covered it.
	var recovered []Item
	next := chatPos{seq: seq, sent: sent, rcFrom: pos.rcFrom, rcUntil: pos.rcUntil}
	if (!st.started || st.gap) && !lastSent.IsZero() {
		if next.rcFrom.IsZero() {
			next.rcFrom = lastSent
		}
		next.rcUntil = sent
	}
	if !next.rcFrom.IsZero() {
		rec, err := f.reconcile(ctx, st, next.rcFrom, sent, chats)
		switch {
		case err != nil && (srv.LogPath == "" || f.o.Files == nil || sent.Sub(next.rcUntil) > maxPending):
			// No game log, or it stayed unreadable: give up on the window.
			f.log.Warn("livefeed: reconcile given up; lines of a lost GetChat reply may be missing",
				slog.Int64("service_id", srv.ServiceID), slog.Any("err", err))
			f.maybeLost.Add(1)
			next.rcFrom, next.rcUntil = time.Time{}, time.Time{}
		case err != nil:
			// Retried on the next poll; chat delivery waits meanwhile.
			f.log.Warn("livefeed: reconcile failed", slog.Int64("service_id", srv.ServiceID), slog.Any("err", err))
		case !sent.Add(-time.Second - f.o.ClockSkew).Before(next.rcUntil):
			next.rcFrom, next.rcUntil = time.Time{}, time.Time{} // covered
		}
		recovered = rec
	}
	created, err := f.o.Store.RecordStream(ctx, chatCursor(srv.ServiceID), next.String(), append(recovered, items...))
	if err != nil {
		st.gap = true // the lines of this reply are only in the game log now
		f.gaps.Add(1)
		return fmt.Errorf("livefeed: record chat of %d: %w", srv.ServiceID, err)
	}
	st.gap = false
	f.mu.Lock()
	st.holdChat = !next.rcFrom.IsZero()
	f.mu.Unlock()
	f.notify(ctx, append(recovered, items...), created)
	f.linesRead.Add(int64(len(evs)))
	f.mu.Lock()
	st.lastChat = sent
	f.mu.Unlock()
	for i := range recovered {
		if created[i] {
			f.recovered.Add(1)
			var l line
			if f.o.OnChat != nil && json.Unmarshal(recovered[i].Payload, &l) == nil {
				f.o.OnChat(ctx, srv.ServiceID, l.Name, l.Char, l.Text)
			}
		}
	}
	if f.o.Sessions != nil {
		f.applySessions(ctx, srv.ServiceID, evs, nil)
	}
	if f.o.OnChat != nil {
		for _, ev := range chats {
			f.o.OnChat(ctx, srv.ServiceID, ev.Name, ev.Character, ev.Text)
		}
	}
	f.mu.Lock()
	st.started = true
	f.mu.Unlock()
	return nil
}

// lineItem builds the feed row of one line.
func (f *Feed) lineItem(srv Server, key string, ev rcon.LogEvent, src string, now, order time.Time) Item {
	route := ev.Class.Route()
	l := line{At: now.UnixNano(), Order: order.UnixNano(), Stamp: ev.Stamp, Class: ev.Class.String(), Name: ev.Name,
		Char: ev.Character, Text: ev.Text, Src: src, Out: render(ev)}
	if !ev.Time.IsZero() {
		l.Time = ev.Time.UnixNano()
	}
	b, _ := json.Marshal(l)
	return Item{Kind: KindFeed, Key: key, GuildID: srv.GuildID, ServiceID: srv.ServiceID, Target: route, Payload: b}
}

// clusterItems relays a chat line to the other maps of the cluster.
func (f *Feed) clusterItems(srv Server, all []Server, seq int64, i int, ev rcon.LogEvent, sent time.Time) []Item {
	if !srv.ClusterChat || srv.Cluster == "" {
		return nil
	}
	tag := srv.Map
	if tag == "" {
		tag = ThreadName(srv.Name)
	}
	var out []Item
	for _, dst := range all {
		if dst.ServiceID == srv.ServiceID || dst.Cluster != srv.Cluster {
			continue // never back to the source
		}
		text := rcon.SanitizeText("["+tag+"] "+ev.Name+": "+ev.Text, rcon.MaxChatLen)
		if text == "" {
			continue
		}
		b, _ := json.Marshal(relay{Text: text, Index: 0, Total: 1, Order: sent.UnixNano() + int64(i)})
		out = append(out, Item{Kind: KindRelay, Key: fmt.Sprintf("cc:%d:%d:%d:%d", srv.ServiceID, seq, i, dst.ServiceID),
			GuildID: dst.GuildID, ServiceID: dst.ServiceID, Payload: b})
	}
	return out
}

func (f *Feed) pollGameLog(ctx context.Context, st *serverState) error {
	reply, err := f.o.RCON.Exec(ctx, st.srv.ServiceID, rcon.GetGameLog())
	if err != nil {
		return fmt.Errorf("livefeed: GetGameLog on %d: %w", st.srv.ServiceID, err)
	}
	evs := rcon.ParseGameLog(reply)
	f.linesRead.Add(int64(len(evs)))
	return f.recordEvents(ctx, st, evs, "gamelog", "", "")
}

// eventKey is the dedupe key of a log event: (server, stamp, text).
func eventKey(sid int64, ev rcon.LogEvent) string {
	stamp := ev.Stamp
	if stamp == "" && !ev.Time.IsZero() {
		stamp = "b" + strconv.FormatInt(ev.Time.UnixMilli(), 10)
	}
	if stamp == "" {
		return ""
	}
	h := fnv.New64a()
	h.Write([]byte(ev.Class.String()))
	h.Write([]byte{0})
	h.Write([]byte(ev.Tribe))
	h.Write([]byte{0})
	h.Write([]byte(ev.Name))
	h.Write([]byte{0})
	h.Write([]byte(ev.Text))
	return fmt.Sprintf("ev:%d:%s:%x", sid, stamp, h.Sum64())
}

// recordEvents records the non-chat events of evs (deduplicated), with an
// optional cursor in the same transaction, then applies sessions for the
// events that were new.
func (f *Feed) recordEvents(ctx context.Context, st *serverState, evs []rcon.LogEvent, src, cursorKey, cursorValue string) error {
	srv := st.srv
	now := f.o.Now()
	var items []Item
	var fresh []rcon.LogEvent
	seen := map[string]bool{}
	for i, ev := range evs {
		if ev.Class == rcon.ClassChat || ev.Class == rcon.ClassEcho || ev.Class.Route() == "" {
			continue
		}
		key := eventKey(srv.ServiceID, ev)
		if key == "" {
			key = fmt.Sprintf("evn:%d:%s:%d:%d", srv.ServiceID, src, now.UnixNano(), i)
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		items = append(items, f.lineItem(srv, key, ev, src, now, now))
		fresh = append(fresh, ev)
	}
	if len(items) == 0 && cursorKey == "" {
		return nil
	}
	// Per-tribe threads (after the rows above, so created[i] still lines
	// up with fresh[i]).
	var tribeItems []Item
	perTribe, asked := false, false
	for i, ev := range fresh {
		if !ev.Class.Tribe() || ev.Tribe == "" {
			continue
		}
		if !asked {
			g, ok := f.guildOf(ctx, srv.GuildID)
			perTribe, asked = ok && g.TribeThreads, true
		}
		if perTribe {
			it := items[i]
			it.Key += "/tribe"
			it.Target = tribeRoutePrefix + tribeName(ev.Tribe)
			tribeItems = append(tribeItems, it)
		}
	}
	created, err := f.o.Store.RecordStream(ctx, cursorKey, cursorValue, append(items, tribeItems...))
	if err != nil {
		return fmt.Errorf("livefeed: record %s events of %d: %w", src, srv.ServiceID, err)
	}
	f.notify(ctx, items, created)
	if f.o.Sessions != nil {
		var news []rcon.LogEvent
		for i, ev := range fresh {
			if i < len(created) && created[i] {
				news = append(news, ev)
			}
		}
		f.applySessions(ctx, srv.ServiceID, nil, news)
	}
	return nil
}

// applySessions opens/closes sessions: chatEvs are GetChat lines (join
// lines there are idempotent: a join only opens a session when none is
// open, a leave only closes one), newEvs are newly recorded log events.
func (f *Feed) applySessions(ctx context.Context, sid int64, chatEvs, newEvs []rcon.LogEvent) {
	for _, ev := range append(slices.Clip(chatEvs), newEvs...) {
		at := ev.Time
		if at.IsZero() {
			at = f.o.Now()
		}
		var err error
		switch ev.Class {
		case rcon.ClassJoin:
			if ev.EOSID != "" {
				err = f.o.Sessions.Join(ctx, sid, ev.EOSID, ev.Name, at)
			}
		case rcon.ClassLeave:
			if ev.EOSID != "" {
				err = f.o.Sessions.Leave(ctx, sid, ev.EOSID, at)
			}
		case rcon.ClassLogOpen, rcon.ClassStartup:
			err = f.o.Sessions.CloseBefore(ctx, sid, at) // a game-server restart: close at last seen
		}
		if err != nil {
			f.log.Warn("livefeed: session update failed", slog.Int64("service_id", sid), slog.Any("err", err))
		}
	}
}

func (f *Feed) roster(ctx context.Context, st *serverState) error {
	reply, err := f.o.RCON.Exec(ctx, st.srv.ServiceID, rcon.ListPlayers())
	if err != nil {
		return fmt.Errorf("livefeed: ListPlayers on %d: %w", st.srv.ServiceID, err)
	}
	ps, perr := rcon.ParsePlayers(reply)
	if perr != nil && len(ps) == 0 && strings.TrimSpace(reply) != "" {
		return fmt.Errorf("livefeed: ListPlayers on %d: %w", st.srv.ServiceID, perr)
	}
	online := make([]Player, 0, len(ps))
	now := map[string]bool{}
	for _, p := range ps {
		online = append(online, Player{EOSID: p.EOSID, Name: p.Name})
		now[p.EOSID] = true
	}
	if err := f.o.Sessions.Roster(ctx, st.srv.ServiceID, online, f.o.Now()); err != nil {
		return fmt.Errorf("livefeed: roster of %d: %w", st.srv.ServiceID, err)
	}
	// The diff with the previous roster: who is gone is closed at the last
	// roster that listed them.
	var gone []string
	for id := range st.roster {
		if !now[id] {
			gone = append(gone, id)
		}
	}
	if len(gone) > 0 {
		if err := f.o.Sessions.Gone(ctx, st.srv.ServiceID, gone); err != nil {
			return fmt.Errorf("livefeed: roster of %d: %w", st.srv.ServiceID, err)
		}
	}
	st.roster = now
	return nil
}

// readFile reads [off, end) of a remote file in Seek chunks.
func (f *Feed) readFile(ctx context.Context, sid int64, path string, off, end int64) ([]byte, error) {
	var buf bytes.Buffer
	for off < end {
		n, err := f.o.Files.Seek(ctx, sid, path, off, end-off, &buf)
		if err != nil {
			return buf.Bytes(), err
		}
		if n == 0 {
			break
		}
		off += n
	}
	return buf.Bytes(), nil
}

// tail reads ShooterGame.log from the durable byte cursor; a size below the
// cursor is a rotation (the game server restarted) and restarts at 0.
func (f *Feed) tail(ctx context.Context, st *serverState) error {
	srv := st.srv
	cur, err := f.o.Store.Cursor(ctx, tailCursor(srv.ServiceID))
	if err != nil {
		return fmt.Errorf("livefeed: tail cursor: %w", err)
	}
	size, err := f.o.Files.FileSize(ctx, srv.ServiceID, srv.LogPath)
	if err != nil {
		if !st.noLog {
			f.log.Warn("livefeed: ShooterGame.log not readable; the log feed uses GetGameLog only and lost GetChat replies cannot be recovered",
				slog.Int64("service_id", srv.ServiceID), slog.Any("err", err))
		}
		st.noLog = true
		return nil
	}
	st.noLog = false
	var off int64
	if cur == "" {
		off = size // first run: start at the end, no backlog spam
	} else if off, err = strconv.ParseInt(cur, 10, 64); err != nil || off < 0 {
		off = 0
	}
	if size < off {
		off = 0 // rotated
	}
	if size == off {
		if cur == "" {
			return f.o.Store.SetCursor(ctx, tailCursor(srv.ServiceID), strconv.FormatInt(off, 10))
		}
		return nil
	}
	end := min(size, off+maxTailRead)
	b, err := f.readFile(ctx, srv.ServiceID, srv.LogPath, off, end)
	if err != nil {
		return fmt.Errorf("livefeed: tail of %d: %w", srv.ServiceID, err)
	}
	cut := bytes.LastIndexByte(b, '\n')
	if cut < 0 {
		if int64(len(b)) < maxTailRead {
			return nil // a partial line: wait for its end
		}
		cut = len(b) - 1 // a giant line: skip it
	}
	evs := rcon.ParseGameLog(string(b[:cut+1]))
	f.linesRead.Add(int64(len(evs)))
	return f.recordEvents(ctx, st, evs, "file", tailCursor(srv.ServiceID), strconv.FormatInt(off+int64(cut+1), 10))
}

// reconcile returns the chat lines the game log has and neither the outbox
// nor the current reply (current, read at to) has, between the last
// committed poll (from) and the current one (to).
func (f *Feed) reconcile(ctx context.Context, st *serverState, from, to time.Time, current []rcon.LogEvent) ([]Item, error) {
	srv := st.srv
	if srv.LogPath == "" || f.o.Files == nil {
		return nil, fmt.Errorf("livefeed: server %d has no readable game log", srv.ServiceID)
	}
	lo := from.Add(-2*time.Second - f.o.ClockSkew)
	hi := to.Add(-time.Second - f.o.ClockSkew) // later lines were still in GetChat's buffer
	size, err := f.o.Files.FileSize(ctx, srv.ServiceID, srv.LogPath)
	if err != nil {
		return nil, fmt.Errorf("livefeed: log size: %w", err)
	}
	start := max(0, size-reconcileBytes)
	b, err := f.readFile(ctx, srv.ServiceID, srv.LogPath, start, size)
	if err != nil {
		return nil, fmt.Errorf("livefeed: read log: %w", err)
	}
	if start > 0 {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[:i+1]
	}
	// What was recorded: chat lines by text, read times ascending.
	rows, err := f.o.Store.Recent(ctx, KindFeed, srv.ServiceID, lo.Add(-recentWindow))
	if err != nil {
		return nil, fmt.Errorf("livefeed: recent rows: %w", err)
	}
	type rec struct {
		t     time.Time // matched against the game stamp
		order int64     // its delivery order key
	}
	recorded := map[string][]rec{}
	for _, r := range rows {
		var l line
		if json.Unmarshal(r.Payload, &l) != nil || l.Class != rcon.ClassChat.String() {
			continue
		}
		k := l.Name + "\x00" + l.Char + "\x00" + l.Text
		order := l.Order
		if order == 0 {
			order = l.At
		}
		if l.Src == "reconcile" && l.Time != 0 {
			recorded[k] = append(recorded[k], rec{time.Unix(0, l.Time), order}) // matched by game time
			continue
		}
		recorded[k] = append(recorded[k], rec{time.Unix(0, l.At), order})
	}
	for _, ev := range current {
		k := ev.Name + "\x00" + ev.Character + "\x00" + ev.Text
		recorded[k] = append(recorded[k], rec{to, to.UnixNano()})
	}
	for k := range recorded {
		slices.SortFunc(recorded[k], func(a, b rec) int { return a.t.Compare(b.t) })
	}
	// The file is in the order lines were said: a recovered line goes after
	// the line before it in the file (prev), after the last poll committed
	// before the loss (from), and never later than when it was said.
	prev := from.UnixNano()
	var items []Item
	occ := map[string]int{}
	now := f.o.Now()
	for _, ev := range rcon.ParseGameLog(string(b)) {
		if ev.Class != rcon.ClassChat || ev.Time.IsZero() {
			continue
		}
		k := ev.Name + "\x00" + ev.Character + "\x00" + ev.Text
		stamp := ev.Stamp
		if stamp == "" {
			stamp = ev.Time.UTC().Format("2006.01.02_15.04.05")
		}
		n := occ[stamp+"\x00"+k]
		occ[stamp+"\x00"+k]++
		if ev.Time.Before(lo) || ev.Time.After(hi) {
			// Outside the window, but consume a recorded match so the
			// lines inside pair with the right ones.
			if ev.Time.Before(lo) {
				continue
			}
		}
		ts := recorded[k]
		j := slices.IndexFunc(ts, func(r rec) bool { return !r.t.Before(ev.Time.Add(-f.o.ClockSkew)) })
		if j >= 0 {
			prev = max(prev, ts[j].order)
			recorded[k] = slices.Delete(ts, j, j+1)
			continue
		}
		if ev.Time.After(hi) {
			continue
		}
		h := fnv.New64a()
		h.Write([]byte(k))
		key := fmt.Sprintf("rc:%d:%s:%x:%d", srv.ServiceID, stamp, h.Sum64(), n)
		prev = max(prev, ev.Time.UnixNano())
		it := f.lineItem(srv, key, ev, "reconcile", now, time.Unix(0, prev))
		items = append(items, it)
	}
	if len(items) > 0 {
		f.log.Info("livefeed: recovering chat lines from the game log", slog.Int64("service_id", srv.ServiceID), slog.Int("lines", len(items)))
	}
	return items, nil
}

// notify calls OnLine for the new feed rows of items.
func (f *Feed) notify(ctx context.Context, items []Item, created []bool) {
	if f.o.OnLine == nil {
		return
	}
	for i, it := range items {
		if it.Kind != KindFeed || i >= len(created) || !created[i] || strings.HasPrefix(it.Target, tribeRoutePrefix) {
			continue
		}
		var l line
		if json.Unmarshal(it.Payload, &l) == nil {
			text := l.Text
			if l.Name != "" && l.Class == rcon.ClassChat.String() {
				text = l.Name + " (" + l.Char + "): " + l.Text
			}
			f.o.OnLine(ctx, it.GuildID, it.ServiceID, it.Target, text)
		}
	}
}

// tribeRoutePrefix marks the route of a tribe's own thread: "tribe:<name>".
const tribeRoutePrefix = "tribe:"

// tribeName is a tribe's name as a route and thread name: printable, one
// line, at most 60 characters.
func tribeName(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '/' }), " ")
	s = cutUTF8(strings.TrimSpace(s), 60)
	if s == "" {
		return "tribe"
	}
	return s
}

// guildOf reads a guild's feed settings (false when they cannot be read).
func (f *Feed) guildOf(ctx context.Context, guildID string) (Guild, bool) {
	g, err := f.o.Directory.Guild(ctx, guildID)
	if err != nil {
		f.log.Warn("livefeed: guild settings", slog.String("guild", guildID), slog.Any("err", err))
		return Guild{}, false
	}
	return g, true
}
