package livefeed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Tribe thread members.
//
// With the tribe_log_threads setting, tribe-log lines also go to a private
// thread per tribe and server ("<server> tribe <tribe>", keyed by the
// server and the tribe's name as tribeName folds it). Members keeps those
// threads' members in step with the latest save snapshot: a Discord user
// linked (/ap link) in the guild to a player who is in the tribe on that
// server is added; a user Members added who is no longer in it (left,
// kicked, unlinked, the tribe renamed: its new name is a new thread) is
// removed. Users it did not add (staff who joined) are never touched.
//
// What was added is durable (MemberStore), so a restart calls Discord only
// for what changed; REST calls are paced per guild (MembersOptions.Every).

// ErrGone: Discord says the thread or the user does not exist (any more).
var ErrGone = errors.New("livefeed: unknown thread or member")

// ErrArchived: the thread is archived (a quiet tribe's thread archives
// itself after a week); members cannot be added until it is unarchived.
var ErrArchived = errors.New("livefeed: thread is archived")

// TribeThread is a tribe's private log thread the feed created.
type TribeThread struct {
	GuildID   string
	ServiceID int64
	Tribe     string // tribeName of the tribe
	ThreadID  string
}

// TribePlayer is a linked Discord user's player in a tribe in the latest
// snapshot of a server.
type TribePlayer struct {
	UserID    string
	ServiceID int64
	Tribe     string // the tribe's name as saved
}

// ThreadMember is a user Members added (or failed to add) to a thread.
type ThreadMember struct {
	GuildID  string
	ThreadID string
	UserID   string
	Added    bool // false: the add was refused, retried at NextAt
	Attempts int
	NextAt   time.Time
	Error    string
}

// MemberStore is the durable state Members reads and keeps (app adapts
// storage).
type MemberStore interface {
	// Cursors returns the feed's cursors whose key starts with prefix.
	Cursors(ctx context.Context, prefix string) (map[string]string, error)
	// TribePlayers returns the users linked in guildID whose players are
	// in a tribe in the latest snapshot of one of servers.
	TribePlayers(ctx context.Context, guildID string, servers []int64) ([]TribePlayer, error)
	// ThreadMembers returns the users recorded for a thread.
	ThreadMembers(ctx context.Context, threadID string) ([]ThreadMember, error)
	PutThreadMember(ctx context.Context, m ThreadMember) error
	DeleteThreadMember(ctx context.Context, threadID, userID string) error
}

// MemberDiscord adds and removes thread members (app adapts a bot
// session). Errors for an unknown thread or user wrap ErrGone, for an
// archived thread ErrArchived.
type MemberDiscord interface {
	AddThreadMember(ctx context.Context, threadID, userID string) error
	RemoveThreadMember(ctx context.Context, threadID, userID string) error
	// Unarchive unarchives a thread (the bot has Manage Threads).
	Unarchive(ctx context.Context, threadID string) error
}

// MembersOptions configure Members.
type MembersOptions struct {
	Store     MemberStore
	Discord   MemberDiscord
	Directory Directory // the guilds of the followed servers and their TribeThreads setting
	Logger    *slog.Logger
	Now       func() time.Time // retry times; default time.Now
	// Every is the least time between two REST calls of one guild;
	// default 500ms (Discord allows more; thread member changes are not
	// urgent). Negative: no pacing.
	Every time.Duration
	// MaxBackoff caps the wait before a refused add is tried again;
	// default 6h.
	MaxBackoff time.Duration
}

// MembersStats are the sync's counters.
type MembersStats struct {
	Added, Removed, Failed int64
}

// Members is the tribe thread membership sync. Safe for concurrent use.
type Members struct {
	o   MembersOptions
	log *slog.Logger

	syncMu  sync.Mutex // one full Sync at a time
	mu      sync.Mutex
	threads map[string]*sync.Mutex // thread id → its lock (a thread is synced by one caller at a time)
	slots   map[string]time.Time   // guild → time of its last reserved REST call

	added, removed, failed atomic.Int64
}

// NewMembers checks o and returns the sync; it starts nothing.
func NewMembers(o MembersOptions) (*Members, error) {
	if o.Store == nil || o.Discord == nil || o.Directory == nil {
		return nil, fmt.Errorf("livefeed: members: Store, Discord and Directory are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Every == 0 {
		o.Every = 500 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 6 * time.Hour
	}
	return &Members{o: o, log: o.Logger, threads: map[string]*sync.Mutex{}, slots: map[string]time.Time{}}, nil
}

// Stats returns the counters.
func (m *Members) Stats() MembersStats {
	return MembersStats{Added: m.added.Load(), Removed: m.removed.Load(), Failed: m.failed.Load()}
}

// tribeThreadPrefix is the cursor key prefix of guild's tribe threads
// (threadKey with a tribe route).
func tribeThreadPrefix(guildID string) string {
	return "feed/thread/" + guildID + "/" + tribeRoutePrefix
}

// parseTribeThread reads a tribe thread cursor: key
// "feed/thread/<guild>/tribe:<name>/<sid>" (tribeName never has a '/').
func parseTribeThread(guildID, key, threadID string) (TribeThread, bool) {
	rest, ok := strings.CutPrefix(key, tribeThreadPrefix(guildID))
	if !ok || threadID == "" {
		return TribeThread{}, false
	}
	i := strings.LastIndexByte(rest, '/')
	if i <= 0 {
		return TribeThread{}, false
	}
	sid, err := strconv.ParseInt(rest[i+1:], 10, 64)
	if err != nil {
		return TribeThread{}, false
	}
	return TribeThread{GuildID: guildID, ServiceID: sid, Tribe: rest[:i], ThreadID: threadID}, true
}

// Sync brings every tribe thread of every guild with tribe threads on in
// step with the latest snapshots and links. It returns the first error
// after trying every guild.
func (m *Members) Sync(ctx context.Context) error {
	m.syncMu.Lock()
	defer m.syncMu.Unlock()
	servers, err := m.o.Directory.Servers(ctx)
	if err != nil {
		return fmt.Errorf("livefeed: members: servers: %w", err)
	}
	var guilds []string
	for _, s := range servers {
		if s.GuildID != "" && !slices.Contains(guilds, s.GuildID) {
			guilds = append(guilds, s.GuildID)
		}
	}
	slices.Sort(guilds)
	var first error
	for _, g := range guilds {
		if err := m.syncGuild(ctx, g, nil); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			m.log.Warn("livefeed: tribe thread members", slog.String("guild", g), slog.Any("err", err))
			first = cmpErr(first, err)
		}
	}
	return first
}

// SyncThread brings one tribe thread in step (the feed calls it when it
// creates the thread, so the tribe's linked members are in at once).
func (m *Members) SyncThread(ctx context.Context, t TribeThread) error {
	return m.syncGuild(ctx, t.GuildID, &t)
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// syncGuild syncs the guild's tribe threads (only the one, if set).
func (m *Members) syncGuild(ctx context.Context, guildID string, only *TribeThread) error {
	g, err := m.o.Directory.Guild(ctx, guildID)
	if err != nil {
		return fmt.Errorf("livefeed: members: guild settings: %w", err)
	}
	if !g.TribeThreads {
		return nil
	}
	var threads []TribeThread
	if only != nil {
		threads = []TribeThread{*only}
	} else {
		cur, err := m.o.Store.Cursors(ctx, tribeThreadPrefix(guildID))
		if err != nil {
			return fmt.Errorf("livefeed: members: threads: %w", err)
		}
		for k, v := range cur {
			if t, ok := parseTribeThread(guildID, k, v); ok {
				threads = append(threads, t)
			}
		}
		slices.SortFunc(threads, func(a, b TribeThread) int { return strings.Compare(a.ThreadID, b.ThreadID) })
	}
	if len(threads) == 0 {
		return nil
	}
	var sids []int64
	for _, t := range threads {
		if !slices.Contains(sids, t.ServiceID) {
			sids = append(sids, t.ServiceID)
		}
	}
	var players []TribePlayer
	for chunk := range slices.Chunk(sids, 32) { // storage bounds the servers of one query
		ps, err := m.o.Store.TribePlayers(ctx, guildID, chunk)
		if err != nil {
			return fmt.Errorf("livefeed: members: tribe players: %w", err)
		}
		players = append(players, ps...)
	}
	want := map[string]map[string]bool{} // "<sid>/<tribe>" → users
	for _, p := range players {
		k := strconv.FormatInt(p.ServiceID, 10) + "/" + tribeName(p.Tribe)
		if want[k] == nil {
			want[k] = map[string]bool{}
		}
		want[k][p.UserID] = true
	}
	var first error
	for _, t := range threads {
		if err := m.syncOne(ctx, t, want[strconv.FormatInt(t.ServiceID, 10)+"/"+t.Tribe]); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			first = cmpErr(first, err)
		}
	}
	return first
}

func (m *Members) threadLock(id string) *sync.Mutex {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.threads[id]
	if l == nil {
		l = &sync.Mutex{}
		m.threads[id] = l
	}
	return l
}

// syncOne adds the users of want not yet in the thread and removes the
// users Members added who are not in want.
func (m *Members) syncOne(ctx context.Context, t TribeThread, want map[string]bool) error {
	l := m.threadLock(t.ThreadID)
	l.Lock()
	defer l.Unlock()
	// Read under the lock: a concurrent caller may just have added someone.
	rows, err := m.o.Store.ThreadMembers(ctx, t.ThreadID)
	if err != nil {
		return fmt.Errorf("livefeed: members: thread %s: %w", t.ThreadID, err)
	}
	have := make(map[string]ThreadMember, len(rows))
	for _, r := range rows {
		have[r.UserID] = r
	}
	users := make([]string, 0, len(want))
	for u := range want {
		users = append(users, u)
	}
	slices.Sort(users)
	var first error
	now := m.o.Now()
	for _, u := range users {
		r, ok := have[u]
		if ok && (r.Added || r.NextAt.After(now)) {
			continue
		}
		if err := m.add(ctx, t, u, r); err != nil {
			first = cmpErr(first, err)
		}
	}
	gone := make([]string, 0, len(have))
	for u := range have {
		if !want[u] {
			gone = append(gone, u)
		}
	}
	slices.Sort(gone)
	for _, u := range gone {
		if err := m.remove(ctx, t, have[u]); err != nil {
			first = cmpErr(first, err)
		}
	}
	return first
}

func (m *Members) add(ctx context.Context, t TribeThread, user string, prev ThreadMember) error {
	if err := m.pace(ctx, t.GuildID); err != nil {
		return err
	}
	err := m.o.Discord.AddThreadMember(ctx, t.ThreadID, user)
	if errors.Is(err, ErrArchived) {
		// The tribe was quiet for a week: bring the thread back for the
		// new member (it archives itself again later).
		if uerr := m.o.Discord.Unarchive(ctx, t.ThreadID); uerr != nil {
			err = fmt.Errorf("%w (unarchive: %w)", err, uerr)
		} else if err = m.pace(ctx, t.GuildID); err == nil {
			err = m.o.Discord.AddThreadMember(ctx, t.ThreadID, user)
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	r := ThreadMember{GuildID: t.GuildID, ThreadID: t.ThreadID, UserID: user, Added: err == nil}
	if err != nil {
		m.failed.Add(1)
		r.Attempts = prev.Attempts + 1
		r.NextAt = m.o.Now().Add(min(m.o.MaxBackoff, time.Minute<<min(prev.Attempts, 16)))
		r.Error = cutUTF8(err.Error(), 300)
		m.log.Info("livefeed: could not add a tribe member to the tribe thread", slog.String("thread", t.ThreadID),
			slog.String("user", user), slog.Int("attempts", r.Attempts), slog.Any("err", err))
	} else {
		m.added.Add(1)
	}
	// A refused add is recorded (and retried after its backoff), not a
	// failure of the pass: the user may have left the Discord server.
	if perr := m.o.Store.PutThreadMember(ctx, r); perr != nil {
		return fmt.Errorf("livefeed: members: record %s in %s: %w", user, t.ThreadID, perr)
	}
	return nil
}

func (m *Members) remove(ctx context.Context, t TribeThread, r ThreadMember) error {
	if r.Added {
		if err := m.pace(ctx, t.GuildID); err != nil {
			return err
		}
		err := m.o.Discord.RemoveThreadMember(ctx, t.ThreadID, r.UserID)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil && !errors.Is(err, ErrGone) {
			return fmt.Errorf("livefeed: members: remove %s from %s: %w", r.UserID, t.ThreadID, err) // tried again next time
		}
		m.removed.Add(1)
	}
	if err := m.o.Store.DeleteThreadMember(ctx, t.ThreadID, r.UserID); err != nil {
		return fmt.Errorf("livefeed: members: forget %s in %s: %w", r.UserID, t.ThreadID, err)
	}
	return nil
}

// pace waits for the guild's next REST slot (Every after the last one).
func (m *Members) pace(ctx context.Context, guildID string) error {
	if m.o.Every < 0 {
		return ctx.Err()
	}
	m.mu.Lock()
	now := time.Now()
	slot := m.slots[guildID].Add(m.o.Every)
	if slot.Before(now) {
		slot = now
	}
	m.slots[guildID] = slot
	m.mu.Unlock()
	d := slot.Sub(now)
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}
