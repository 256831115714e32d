package discordtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Defaults used when the corresponding Options field is zero.
const (
	DefaultHeartbeatInterval = 41250 * time.Millisecond
	DefaultAckDeadline       = 3 * time.Second
	// LoadedAckDeadline is the deadline for tests that share a busy
	// machine (CI: 2 cores under -race, other packages' tests beside
	// them). Discord's real 3 s is enforced by the fake's own deadline
	// tests; a suite that needs an idle CPU to meet it is flaky.
	LoadedAckDeadline    = 30 * time.Second
	DefaultTokenLifetime = 15 * time.Minute
	DefaultRetryAfter    = 50 * time.Millisecond

	// discordEpoch is the Discord snowflake epoch in Unix milliseconds.
	discordEpoch = 1420070400000
)

// ErrClosed is returned by operations on a closed Server.
var ErrClosed = errors.New("discordtest: server closed")

// ErrNotConnected is returned when a bot has no identified gateway connection.
var ErrNotConnected = errors.New("discordtest: bot has no live gateway session")

// Options configure a Server. The zero value is usable.
type Options struct {
	// HeartbeatInterval is sent in HELLO. Default DefaultHeartbeatInterval.
	HeartbeatInterval time.Duration
	// AckDeadline is how long after dispatch an interaction may be
	// acknowledged (Discord: 3 s). Default DefaultAckDeadline.
	AckDeadline time.Duration
	// TokenLifetime is how long an interaction token accepts followups and
	// edits (Discord: 15 min). Default DefaultTokenLifetime.
	TokenLifetime time.Duration
	// Clock is the time source. Default: the wall clock.
	Clock Clock
	// DisableCompression sends every gateway frame as plain text even when
	// IDENTIFY asked for compression. By default, when the client sets
	// "compress": true (discordgo does), dispatches are sent as
	// zlib-compressed binary frames like Discord does.
	DisableCompression bool
	// AllowUnregisteredCommands lets Interact send application-command
	// interactions for commands the bot never registered. By default Interact
	// fails for them, as Discord could never deliver such an interaction.
	AllowUnregisteredCommands bool
	// EnforcePermissions makes REST calls check the calling bot's
	// permissions (roles, @everyone, overwrites, role hierarchy) and answer
	// 403 {"code":50013} like Discord. Off by default so that tests need not
	// set up roles.
	EnforcePermissions bool
	// EnforceRenameLimit applies Discord's undocumented limit of 2 channel
	// name/topic changes per channel per 10 minutes (per Clock): the third
	// answers 429 with the remaining wait as retry_after. discordgo then
	// sleeps that long unless the call passes WithRetryOnRatelimit(false).
	EnforceRenameLimit bool
	// EnforceIntents filters dispatches by the intents the session sent in
	// IDENTIFY (GUILDS, GUILD_MEMBERS, GUILD_MESSAGES, DIRECT_MESSAGES) and
	// blanks content, embeds, attachments and components of guild messages
	// for bots without MESSAGE_CONTENT unless they wrote or are mentioned in
	// them. Whether a privileged intent is switched on for the app is
	// modelled apart from this (SetPrivilegedIntents, close 4014).
	// discordgo's default intents
	// (IntentsAllWithoutPrivileged) lack GUILD_MEMBERS and MESSAGE_CONTENT.
	EnforceIntents bool
	// EnforceGatewayRateLimit closes a connection that sends more than 120
	// payloads within 60 s (per Clock; heartbeats count) with 4008, like
	// Discord.
	EnforceGatewayRateLimit bool
	// EnforceCommandPermissions makes Interact refuse application commands
	// whose default_member_permissions the invoking member lacks (Discord
	// hides them; guild admins can override this per command, which the
	// fake does not model, so bots must still check).
	EnforceCommandPermissions bool
	// Logf, if set, receives diagnostic messages (e.g. rejected requests).
	// testing.T.Logf fits.
	Logf func(format string, args ...any)
}

// Bot identifies a registered bot application.
type Bot struct {
	Token    string // the raw token, without the "Bot " prefix
	UserID   string // the bot user's ID (READY user.id)
	AppID    string // the application ID (READY application.id); differs from UserID on purpose
	Username string
}

// Guild describes a guild for AddGuild. Missing IDs are generated; channel
// GuildIDs are filled in; an @everyone role (ID == guild ID) is added if
// absent.
type Guild struct {
	ID       string
	Name     string
	OwnerID  string
	Channels []*discordgo.Channel
	Roles    []*discordgo.Role
	Members  []*discordgo.Member
}

// Server is a fake Discord: REST API and websocket gateway on a loopback
// httptest server. Create it with New and stop it with Close.
type Server struct {
	opts  Options
	clock Clock
	hs    *httptest.Server
	host  string // 127.0.0.1:port

	mu          sync.Mutex
	closed      bool
	lastMS      int64
	idSeq       int64
	bots        map[string]*botState // by token
	botsByUser  map[string]*botState // by user ID
	guilds      map[string]*guildState
	channels    map[string]*channelState
	users       map[string]*discordgo.User
	interByID   map[string]*interactionRec
	interByTok  map[string]*interactionRec
	calls       []Call
	callsNotify chan struct{}
	msgNotify   chan struct{}
	conns       map[*gwConn]struct{}
	transports  []*http.Transport
	connWG      sync.WaitGroup
	files       map[string]File // uploaded attachments by attachment ID
	dmClosed    map[string]bool // users whose DMs refuse bots
	left        map[string]bool // users removed from a guild with RemoveMember
}

type botState struct {
	bot Bot

	// gateway session
	sessionID string
	seq       int64
	history   []frame          // dispatches of the current session, for RESUME
	conn      *gwConn          // current identified connection, nil if none
	compress  bool             // the session asked for compression in IDENTIFY
	intents   discordgo.Intent // intents of the last IDENTIFY
	noACKs    bool             // SuppressHeartbeatACKs
	// portalOff are the privileged intents switched off in the app's
	// Developer Portal settings (SetPrivilegedIntents); zero: all on.
	portalOff discordgo.Intent
	sessions  int // counter for session IDs
	stats     GatewayStats
	statsCh   chan struct{}

	globalCmds []*discordgo.ApplicationCommand
	guildCmds  map[string][]*discordgo.ApplicationCommand
	failures   []*failure
	dmByUser   map[string]string // user ID -> DM channel ID
}

type guildState struct {
	id, name, ownerID string
	roles             []*discordgo.Role
	members           map[string]*discordgo.Member
	memberOrder       []string
	channelOrder      []string
}

type channelState struct {
	ch   *discordgo.Channel
	msgs []*discordgo.Message
	// threadFor is the message ID a thread was started from, if any.
	threadFor string
	// threadMessage maps message ID -> thread ID started from that message.
	threadMessage map[string]string
	// threadMembers holds the user IDs that joined a thread.
	threadMembers map[string]bool
	// renames holds the times of recent name/topic changes.
	renames []time.Time
	// nonces maps "<author>/<nonce>" to the message it created (nonce.go).
	nonces map[string]nonceSeen
}

// New starts a fake Discord on a loopback port.
func New(opts Options) *Server {
	if opts.HeartbeatInterval <= 0 {
		opts.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if opts.HeartbeatInterval < time.Millisecond {
		opts.HeartbeatInterval = time.Millisecond // HELLO carries whole milliseconds
	}
	if opts.AckDeadline <= 0 {
		opts.AckDeadline = DefaultAckDeadline
	}
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = DefaultTokenLifetime
	}
	s := &Server{
		opts:        opts,
		clock:       opts.Clock,
		bots:        map[string]*botState{},
		botsByUser:  map[string]*botState{},
		guilds:      map[string]*guildState{},
		channels:    map[string]*channelState{},
		users:       map[string]*discordgo.User{},
		interByID:   map[string]*interactionRec{},
		interByTok:  map[string]*interactionRec{},
		callsNotify: make(chan struct{}),
		msgNotify:   make(chan struct{}),
		conns:       map[*gwConn]struct{}{},
	}
	if s.clock == nil {
		s.clock = realClock{}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/gw/", s.serveGateway)
	mux.HandleFunc("/gw", s.serveGateway)
	mux.HandleFunc("/attachments/", s.serveCDN)
	mux.HandleFunc("/", s.serveREST)
	s.hs = httptest.NewServer(mux)
	s.host = strings.TrimPrefix(s.hs.URL, "http://")
	return s
}

// URL returns the base URL of the fake, e.g. http://127.0.0.1:PORT.
func (s *Server) URL() string { return s.hs.URL }

// GatewayURL returns the websocket URL the fake advertises on GET /gateway.
func (s *Server) GatewayURL() string { return "ws://" + s.host + "/gw" }

// Close closes every gateway connection, stops all goroutines of the fake
// and shuts the HTTP server down. Close discordgo sessions first (or set
// ShouldReconnectOnError=false), otherwise they keep trying to reconnect.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	conns := make([]*gwConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	transports := s.transports
	s.mu.Unlock()
	for _, c := range conns {
		c.kill()
	}
	s.connWG.Wait()
	s.hs.Close()
	for _, t := range transports {
		t.CloseIdleConnections()
	}
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf("discordtest: "+format, args...)
	}
}

// ---- IDs -----------------------------------------------------------------

// newIDLocked returns a snowflake whose timestamp is the clock's now.
func (s *Server) newIDLocked() string {
	ms := s.clock.Now().UnixMilli() - discordEpoch
	if ms < s.lastMS {
		ms = s.lastMS
	}
	s.lastMS = ms
	s.idSeq++
	id := ms<<22 | (s.idSeq & 0x3FFFFF)
	return fmt.Sprint(id)
}

// SnowflakeTime returns the creation time encoded in a snowflake ID.
func SnowflakeTime(id string) (time.Time, error) {
	return discordgo.SnowflakeTimestamp(id)
}

func cloneJSON[T any](v T) T {
	var out T
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}
