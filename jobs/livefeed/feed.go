// Package livefeed is the live game feed: the exactly-once two-way chat
// bridge, the log threads and the play sessions.
//
// # Game → Discord, exactly once
//
// GetChat is consumed on read, so every line is committed to the outbox
// (Store.RecordStream, one row per line, with the poll cursor in the same
// transaction) before anything else happens to it. Delivery then takes the
// due rows of one destination (a server's thread in the chat-bridge
// channel or in a log channel), writes the batch's row ids under a durable
// cursor, posts one message with the nonce of the batch's first row
// (enforce_nonce) and marks exactly those rows done. After a crash the same
// batch is re-sent with the same nonce, so Discord answers with the first
// message instead of posting a second one.
//
// The window GetChat leaves open (reply read, outbox not yet committed) is
// closed by reconciliation: after a restart or a failed GetChat, the chat
// lines of ShooterGame.log (read through the Nitrado file server) from the
// last committed poll to the current one are matched against the recorded
// lines; what is missing is recorded and delivered.
//
// Log events (GetGameLog and the ShooterGame.log tail, durable byte cursor,
// rotation = size shrink) are keyed on (server, game-log stamp, text), so
// the two sources and GetGameLog's repeats never double.
//
// # Discord → game
//
// A message in a bridge thread (not from a bot or a webhook) becomes one
// outbox row per ServerChat line (sanitised, ≤ 180 characters, split at word
// boundaries), keyed by the message id; a ✅ reaction follows when RCON
// accepted every line, ❌ and a notice with the reason otherwise. Messages
// posted while the process was down (or the gateway was away) are read back
// from the thread after a durable cursor (CatchUp). A row is marked in
// flight before ServerChat; an attempt whose outcome is unknown (the process
// died, RCON failed after the command may have run) is settled by its
// "SERVER:" echo, in a GetChat reply read after it or in ShooterGame.log,
// before it is ever sent again. Rows go out in message order per server.
// Our own echo ("SERVER: …" and continuation lines) is never relayed;
// cluster chat relays a player's line to the other maps of the cluster,
// tagged with the source map (it comes back as SERVER: and stops).
//
// # Tribe threads
//
// With the tribe_log_threads setting, tribe-log lines also go to a private
// thread per tribe and server. Members keeps those threads' members in step
// with the links (/ap link) and the latest save snapshot: the feed calls
// Members.SyncThread when it creates a thread, app runs Members.Sync every
// minute; who was added is durable, so only changes cost a REST call.
//
// Like every job, livefeed declares the interfaces it needs and never
// imports storage or bots; app wires them (app/wire_feed.go).
package livefeed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Outbox kinds used by the feed.
const (
	KindFeed  = "feed"  // a line to post to Discord
	KindRelay = "relay" // a ServerChat line to send to a game server
)

// Routes (log channel kinds, bots.LogKinds vocabulary) plus the chat bridge.
const (
	RouteChat   = "chat"
	RouteJoin   = "join"
	RouteAdmin  = "admin"
	RouteTribe  = "tribe"
	RouteDeaths = "deaths"
)

// Item is one outbox row (app adapts storage.OutboxItem).
type Item struct {
	ID        int64
	Kind      string
	Key       string
	GuildID   string
	ServiceID int64
	Target    string // the route ("chat", "join", ...) or, for relay rows, the Discord message
	Payload   []byte
	Attempts  int
	NextAt    time.Time // a failed row waits until then
	LastError string    // the last attempt's note (relay rows: when it started)
	CreatedAt time.Time
}

// Store is the durable state the feed needs (app adapts storage.DB).
type Store interface {
	// RecordStream inserts items (deduplicated on Key) and sets the cursor
	// (if cursorKey != "") in one transaction; created[i] reports whether
	// items[i] was new.
	RecordStream(ctx context.Context, cursorKey, cursorValue string, items []Item) (created []bool, err error)
	Cursor(ctx context.Context, key string) (string, error)
	SetCursor(ctx context.Context, key, value string) error
	Due(ctx context.Context, kind string, now time.Time, limit int) ([]Item, error)
	// Done marks rows done and deletes cursor batchKey (if set), in one
	// transaction.
	Done(ctx context.Context, ids []int64, batchKey string) error
	Retry(ctx context.Context, id int64, next time.Time, errText string) error
	Fail(ctx context.Context, id int64, errText string) error
	// Recent returns the rows of kind for a server created at or after since.
	Recent(ctx context.Context, kind string, serviceID int64, since time.Time) ([]Item, error)
	Pending(ctx context.Context, kind string) (int, error)
}

// Sessions records play sessions (app adapts storage's sessions).
type Sessions interface {
	Join(ctx context.Context, serviceID int64, eos, name string, at time.Time) error
	Leave(ctx context.Context, serviceID int64, eos string, at time.Time) error
	Roster(ctx context.Context, serviceID int64, online []Player, at time.Time) error
	// Gone closes the sessions of players who dropped out of the roster
	// at the last time a roster listed them.
	Gone(ctx context.Context, serviceID int64, eosIDs []string) error
	// CloseBefore closes, at the last time the player was seen (never
	// after at), the sessions that began before the game server restarted
	// at at.
	CloseBefore(ctx context.Context, serviceID int64, at time.Time) error
}

// Player is one ListPlayers entry.
type Player struct{ EOSID, Name string }

// RCON runs one command on a server (rcon.Pool).
type RCON interface {
	Exec(ctx context.Context, serviceID int64, cmd string) (string, error)
}

// Files reads a server's files (nitrado.Client).
type Files interface {
	FileSize(ctx context.Context, serviceID int64, path string) (int64, error)
	Seek(ctx context.Context, serviceID int64, path string, offset, length int64, dst io.Writer) (int64, error)
}

// Discord is what the feed does on Discord (app adapts a bot session).
type Discord interface {
	// Send posts content to a channel or thread with nonce and
	// enforce_nonce and no allowed mentions; it returns the message id.
	Send(ctx context.Context, channelID, content, nonce string) (string, error)
	// EnsureChannel returns the text channel named name in the category
	// (creating it on first use).
	EnsureChannel(ctx context.Context, guildID, categoryID, name string) (string, error)
	// EnsureThread returns the thread named name under channel (creating
	// it; private: a private thread staff can add members to).
	EnsureThread(ctx context.Context, guildID, channelID, name string, private bool) (string, error)
	React(ctx context.Context, channelID, messageID, emoji string) error
	// Messages returns up to limit messages of a channel or thread posted
	// after the message id after, oldest first.
	Messages(ctx context.Context, channelID, after string, limit int) ([]DiscordMessage, error)
}

// Server is one game server the feed follows.
type Server struct {
	ServiceID   int64
	GuildID     string
	Name        string // display name; a version suffix is stripped for thread names
	Map         string // short map label for cluster chat tags
	Cluster     string // cluster id, "" when none
	ClusterChat bool   // relay this map's chat to the other maps of the cluster
	LogPath     string // absolute ShooterGame.log path, "" when unknown
}

// Guild is the part of a guild's settings the feed reads.
type Guild struct {
	BridgeCategoryID string            // where the chat-bridge channel is created
	LogChannels      map[string]string // route → channel id
	// TribeThreads: tribe-log lines also go to a private thread per tribe
	// under the tribe log channel, which the tribe's members can be added to.
	TribeThreads bool
}

// Directory lists the followed servers and guild settings.
type Directory interface {
	Servers(ctx context.Context) ([]Server, error)
	Guild(ctx context.Context, guildID string) (Guild, error)
}

// ChatHook is called once per recorded player chat line (after commit):
// app wires it to the AP bot's link-code verifier.
type ChatHook func(ctx context.Context, serviceID int64, name, character, text string)

// Options configure a Feed.
type Options struct {
	Store     Store
	Sessions  Sessions // nil: no play sessions
	RCON      RCON
	Files     Files // nil: no ShooterGame.log (no reconciliation)
	Discord   Discord
	Directory Directory
	OnChat    ChatHook
	// OnLine is called once per newly recorded feed line (chat and log
	// events) with its route ("chat", "join", "admin", "tribe", "deaths")
	// and text; app wires it to the Ticket bot's staff triggers.
	OnLine func(ctx context.Context, guildID string, serviceID int64, kind, line string)
	// OnTribeThread is called when the feed has created (or found) a
	// tribe's private thread, before its first post; app wires it to
	// Members.SyncThread, so the tribe's linked members are in at once.
	OnTribeThread func(ctx context.Context, t TribeThread)
	Nonce         func(id int64) string // storage.OutboxNonce; default the same formula
	// SanitizeName and SanitizeChat are the one sanitizer (app passes
	// bots.SanitizeName and bots.SanitizeChat) applied to Discord names and
	// lines relayed to the game; the feed adds what game chat needs on top
	// (no parentheses or colons in names, no markdown, RCON-safe ASCII).
	// nil: only the feed's own pass.
	SanitizeName func(s string, max int) string
	SanitizeChat func(s string, max int) string
	Logger       *slog.Logger
	Now          func() time.Time

	ChannelName string        // chat-bridge channel name; default "chat-bridge"
	ClockSkew   time.Duration // game clock vs ours tolerated in matching; default 2s
	TailEvery   int           // tail ShooterGame.log and catch up on bridge threads every n-th poll; default 6
	NoGameLog   bool          // do not call GetGameLog (log feed from the file only)
	MaxAttempts int           // delivery attempts before a row fails; default 20
	// RelaySettle is how long a Discord message's rows wait before they
	// are sent, so an older message handled concurrently (gateway events
	// are) still goes first; default 1s, negative: none.
	RelaySettle time.Duration
}

// Stats are the feed's counters for /status and /metrics.
type Stats struct {
	LinesRead      int64 // GetChat + game-log lines read
	LinesDelivered int64 // rows delivered to Discord
	Relayed        int64 // ServerChat lines sent
	Recovered      int64 // chat lines recovered from the game log
	Gaps           int64 // GetChat failures (a reply may have been lost)
	MaybeLost      int64 // gaps on servers without a readable game log
	Pending        int   // feed rows waiting
	RelaysPending  int   // ServerChat lines waiting
	LagSeconds     float64
	Paused         bool
	// NoGameLog names the followed servers whose ShooterGame.log is
	// unknown or unreadable: a lost GetChat reply cannot be recovered
	// there (MaybeLost counts those).
	NoGameLog []string
}

// Feed is the live feed. Safe for concurrent use; Poll of one server must
// not run concurrently with itself (the scheduler guarantees that).
type Feed struct {
	o   Options
	log *slog.Logger

	paused atomic.Bool

	mu      sync.Mutex
	servers map[int64]*serverState
	threads map[string]string // "<guild>/<route>/<sid>" → thread id (cache of cursors)
	bridge  map[string]int64  // chat thread id → service id
	delMu   sync.Mutex        // one delivery pass at a time
	relMu   sync.Mutex        // one relay pass (or catch-up) at a time

	reactMu   sync.Mutex
	reactions []reaction // queued ✅/❌ (FlushReactions)
	flushMu   sync.Mutex // one FlushReactions at a time

	linesRead, delivered, relayed, recovered, gaps, maybeLost atomic.Int64
	lagNanos                                                  atomic.Int64
}

type serverState struct {
	srv       Server
	started   bool // first poll done (reconcile at start)
	gap       bool // a GetChat failed: reconcile on the next success
	polls     int
	lastChat  time.Time
	logOffset int64
	recent    map[string]time.Time   // relayed Discord lines (echo guard), text → until
	echoes    map[string][]time.Time // "SERVER:" texts read, text → when
	caughtUp  bool                   // the bridge thread was read after a restart (CatchUp)
	noLog     bool                   // ShooterGame.log could not be read
	holdChat  bool                   // reconciliation pending: chat delivery waits
	roster    map[string]bool        // EOS ids of the previous ListPlayers (nil: none yet)
}

// ErrPaused: the feed is paused while Nitrado is degraded.
var ErrPaused = errors.New("livefeed: paused: nitrado degraded")

// New checks opts and returns a feed; it starts nothing.
func New(o Options) (*Feed, error) {
	if o.Store == nil || o.RCON == nil || o.Discord == nil || o.Directory == nil {
		return nil, fmt.Errorf("livefeed: Store, RCON, Discord and Directory are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ChannelName == "" {
		o.ChannelName = "chat-bridge"
	}
	if o.ClockSkew <= 0 {
		o.ClockSkew = 2 * time.Second
	}
	if o.TailEvery <= 0 {
		o.TailEvery = 6
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 20
	}
	if o.RelaySettle == 0 {
		o.RelaySettle = time.Second
	}
	return &Feed{o: o, log: o.Logger, servers: map[int64]*serverState{}, threads: map[string]string{}, bridge: map[string]int64{}}, nil
}

// OnHealthChange pauses the feed while Nitrado is degraded (register it as a
// Nitrado health listener).
func (f *Feed) OnHealthChange(healthy bool) { f.paused.Store(!healthy) }

// Stats returns the counters; Pending is read from the store.
func (f *Feed) Stats(ctx context.Context) Stats {
	st := Stats{
		LinesRead: f.linesRead.Load(), LinesDelivered: f.delivered.Load(), Relayed: f.relayed.Load(),
		Recovered: f.recovered.Load(), Gaps: f.gaps.Load(), MaybeLost: f.maybeLost.Load(),
		LagSeconds: time.Duration(f.lagNanos.Load()).Seconds(), Paused: f.paused.Load(),
	}
	if n, err := f.o.Store.Pending(ctx, KindFeed); err == nil {
		st.Pending = n
	}
	if n, err := f.o.Store.Pending(ctx, KindRelay); err == nil {
		st.RelaysPending = n
	}
	f.mu.Lock()
	for id, s := range f.servers {
		if s.srv.ServiceID != 0 && (s.noLog || s.srv.LogPath == "" || f.o.Files == nil) {
			st.NoGameLog = append(st.NoGameLog, ThreadName(s.srv.Name)+" ("+strconv.FormatInt(id, 10)+")")
		}
	}
	f.mu.Unlock()
	slices.Sort(st.NoGameLog)
	return st
}

// state returns (creating) the state of a server, refreshed from srv.
func (f *Feed) state(srv Server) *serverState {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.servers[srv.ServiceID]
	if st == nil {
		st = &serverState{recent: map[string]time.Time{}}
		f.servers[srv.ServiceID] = st
	}
	st.srv = srv
	return st
}

func (f *Feed) server(ctx context.Context, serviceID int64) (Server, []Server, error) {
	all, err := f.o.Directory.Servers(ctx)
	if err != nil {
		return Server{}, nil, fmt.Errorf("livefeed: servers: %w", err)
	}
	for _, s := range all {
		if s.ServiceID == serviceID {
			return s, all, nil
		}
	}
	return Server{}, all, fmt.Errorf("livefeed: server %d is not followed", serviceID)
}
