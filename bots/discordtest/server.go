package discordtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
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

// Clock is the time source of the fake. It decides interaction ack
// deadlines, token lifetimes, snowflake timestamps and message timestamps.
type Clock interface {
	Now() time.Time
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// ManualClock is a Clock that only moves when told to. Safe for concurrent use.
type ManualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewManualClock returns a ManualClock set to t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{now: t} }

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

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
	// them. Whether privileged intents are enabled for the app is not
	// modelled (no close 4014). discordgo's default intents
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
	sessions  int              // counter for session IDs
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

// ---- client helpers ------------------------------------------------------

// rewriteTransport sends discord.com requests to the fake.
type rewriteTransport struct {
	host string
	base *http.Transport
}

func (t *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	h := strings.ToLower(req.URL.Hostname())
	if h != "discord.com" && !strings.HasSuffix(h, ".discord.com") &&
		h != "discordapp.com" && !strings.HasSuffix(h, ".discordapp.com") &&
		req.URL.Host != t.host {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("discordtest: refusing request to non-Discord host %q", req.URL.Host)
	}
	r2 := req.Clone(req.Context())
	u := *req.URL
	u.Scheme = "http"
	u.Host = t.host
	r2.URL = &u
	r2.Host = t.host
	return t.base.RoundTrip(r2)
}

// Transport returns a new RoundTripper that rewrites requests for
// discord.com (and discordapp.com) to the fake and refuses any other host.
// Every call returns an independent transport; the fake closes their idle
// connections on Close.
func (s *Server) Transport() http.RoundTripper {
	base := &http.Transport{
		Proxy:               nil,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}
	s.mu.Lock()
	s.transports = append(s.transports, base)
	s.mu.Unlock()
	return &rewriteTransport{host: s.host, base: base}
}

// HTTPClient returns a new *http.Client using Transport(). Assign it to
// discordgo.Session.Client; use one per session.
func (s *Server) HTTPClient() *http.Client {
	return &http.Client{Transport: s.Transport(), Timeout: 20 * time.Second}
}

// Dialer returns a new websocket.Dialer for Session.Dialer (never share
// websocket.DefaultDialer). It dials the fake whatever host the URL names.
func (s *Server) Dialer() *websocket.Dialer {
	host := s.host
	return &websocket.Dialer{
		HandshakeTimeout: 5 * time.Second,
		NetDialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, host)
		},
	}
}

// NewSession returns an unopened discordgo session for bot, wired to the
// fake: own Client and Dialer, ShouldReconnectOnError=true,
// LogLevel=LogError. Callers may adjust fields before Open.
func (s *Server) NewSession(bot Bot) (*discordgo.Session, error) {
	dg, err := discordgo.New("Bot " + bot.Token)
	if err != nil {
		return nil, err
	}
	dg.Client = s.HTTPClient()
	dg.Dialer = s.Dialer()
	dg.ShouldReconnectOnError = true
	dg.LogLevel = discordgo.LogError
	return dg, nil
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

// ---- bots, guilds, members ----------------------------------------------

func stripBot(token string) string {
	return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(token), "Bot "))
}

// AddBot registers a bot token and returns its identity. Registering the
// same token again returns the same Bot. The token may carry a "Bot " prefix.
func (s *Server) AddBot(token string) Bot {
	token = stripBot(token)
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.bots[token]; ok {
		return b.bot
	}
	n := len(s.bots) + 1
	b := &botState{
		bot: Bot{
			Token:    token,
			UserID:   s.newIDLocked(),
			AppID:    s.newIDLocked(),
			Username: fmt.Sprintf("bot-%d", n),
		},
		guildCmds: map[string][]*discordgo.ApplicationCommand{},
		dmByUser:  map[string]string{},
		statsCh:   make(chan struct{}),
	}
	s.bots[token] = b
	s.botsByUser[b.bot.UserID] = b
	s.users[b.bot.UserID] = &discordgo.User{ID: b.bot.UserID, Username: b.bot.Username, Bot: true}
	return b.bot
}

func (s *Server) botLocked(bot Bot) (*botState, error) {
	b, ok := s.bots[stripBot(bot.Token)]
	if !ok {
		return nil, fmt.Errorf("discordtest: unknown bot %q", bot.Username)
	}
	return b, nil
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

// AddGuild creates a guild with its channels, roles and members and returns
// it with generated IDs filled in. Adding an existing guild ID replaces
// that guild (its old channels and messages are dropped). Bots listed as members (by user ID) are
// in the guild; others can join via AddBotToGuild. Bots with a live session
// receive GUILD_CREATE.
func (s *Server) AddGuild(g Guild) Guild {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g.ID == "" {
		g.ID = s.newIDLocked()
	}
	if g.Name == "" {
		g.Name = "guild-" + g.ID
	}
	if old, ok := s.guilds[g.ID]; ok {
		for _, id := range old.channelOrder {
			delete(s.channels, id)
		}
	}
	gs := &guildState{id: g.ID, name: g.Name, ownerID: g.OwnerID, members: map[string]*discordgo.Member{}}
	hasEveryone := false
	for _, r := range g.Roles {
		r = cloneJSON(r)
		if r.ID == "" {
			r.ID = s.newIDLocked()
		}
		if r.ID == g.ID {
			hasEveryone = true
		}
		gs.roles = append(gs.roles, r)
	}
	if !hasEveryone {
		gs.roles = append([]*discordgo.Role{{ID: g.ID, Name: "@everyone", Permissions: discordgo.PermissionViewChannel | discordgo.PermissionSendMessages | discordgo.PermissionReadMessageHistory | discordgo.PermissionSendMessagesInThreads | discordgo.PermissionCreatePublicThreads | discordgo.PermissionAddReactions | discordgo.PermissionUseSlashCommands}}, gs.roles...)
	}
	s.guilds[g.ID] = gs
	for _, c := range g.Channels {
		c = cloneJSON(c)
		if c.ID == "" {
			c.ID = s.newIDLocked()
		}
		c.GuildID = g.ID
		if c.Type == discordgo.ChannelTypeGuildPublicThread || c.Type == discordgo.ChannelTypeGuildPrivateThread || c.Type == discordgo.ChannelTypeGuildNewsThread {
			if c.ThreadMetadata == nil {
				c.ThreadMetadata = &discordgo.ThreadMetadata{AutoArchiveDuration: 1440}
			}
		}
		s.channels[c.ID] = &channelState{ch: c, threadMessage: map[string]string{}}
		gs.channelOrder = append(gs.channelOrder, c.ID)
	}
	for _, m := range g.Members {
		s.addMemberLocked(gs, m, false)
	}
	out := s.guildPublicLocked(gs)
	for _, b := range s.botsInGuildLocked(gs) {
		s.emitLocked(b, "GUILD_CREATE", discordgo.IntentsGuilds, s.guildCreateLocked(gs))
	}
	return out
}

func (s *Server) guildPublicLocked(gs *guildState) Guild {
	g := Guild{ID: gs.id, Name: gs.name, OwnerID: gs.ownerID}
	for _, r := range gs.roles {
		g.Roles = append(g.Roles, cloneJSON(r))
	}
	for _, id := range gs.channelOrder {
		if cs, ok := s.channels[id]; ok {
			g.Channels = append(g.Channels, cloneJSON(cs.ch))
		}
	}
	for _, id := range gs.memberOrder {
		g.Members = append(g.Members, cloneJSON(gs.members[id]))
	}
	return g
}

func (s *Server) addMemberLocked(gs *guildState, m *discordgo.Member, announce bool) *discordgo.Member {
	m = cloneJSON(m)
	if m.User == nil {
		m.User = &discordgo.User{}
	}
	if m.User.ID == "" {
		m.User.ID = s.newIDLocked()
	}
	if m.User.Username == "" {
		if u, ok := s.users[m.User.ID]; ok {
			m.User = cloneJSON(u)
		} else {
			m.User.Username = "user-" + m.User.ID
		}
	}
	if m.JoinedAt.IsZero() {
		m.JoinedAt = s.clock.Now().UTC()
	}
	if m.Roles == nil {
		m.Roles = []string{}
	}
	m.GuildID = gs.id
	if _, exists := gs.members[m.User.ID]; !exists {
		gs.memberOrder = append(gs.memberOrder, m.User.ID)
	}
	gs.members[m.User.ID] = m
	if _, ok := s.users[m.User.ID]; !ok {
		s.users[m.User.ID] = cloneJSON(m.User)
	}
	if announce {
		for _, b := range s.botsInGuildLocked(gs) {
			if b.bot.UserID == m.User.ID {
				continue
			}
			s.emitLocked(b, "GUILD_MEMBER_ADD", discordgo.IntentsGuildMembers, m)
		}
	}
	return m
}

// AddMember adds (or replaces) a guild member and sends GUILD_MEMBER_ADD to
// the bots in the guild. A missing user ID is generated. Returns the stored member.
func (s *Server) AddMember(guildID string, m *discordgo.Member) (*discordgo.Member, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gs, ok := s.guilds[guildID]
	if !ok {
		return nil, fmt.Errorf("discordtest: unknown guild %s", guildID)
	}
	return cloneJSON(s.addMemberLocked(gs, m, true)), nil
}

// RemoveMember makes a user leave a guild, as when they leave or are
// kicked elsewhere: GUILD_MEMBER_REMOVE to the guild's bots, and the user
// leaves every thread of the guild (THREAD_MEMBERS_UPDATE). A user who
// then shares no guild with a bot cannot be DMed by it (50007).
func (s *Server) RemoveMember(guildID, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	gs, ok := s.guilds[guildID]
	if !ok {
		return fmt.Errorf("discordtest: unknown guild %s", guildID)
	}
	m, ok := gs.members[userID]
	if !ok {
		return fmt.Errorf("discordtest: unknown member %s", userID)
	}
	delete(gs.members, userID)
	gs.memberOrder = slices.DeleteFunc(gs.memberOrder, func(id string) bool { return id == userID })
	for _, b := range s.botsInGuildLocked(gs) {
		s.emitLocked(b, "GUILD_MEMBER_REMOVE", discordgo.IntentsGuildMembers, map[string]any{"guild_id": gs.id, "user": m.User})
	}
	for _, id := range gs.channelOrder {
		cs, ok := s.channels[id]
		if !ok || !cs.ch.IsThread() || !cs.threadMembers[userID] {
			continue
		}
		delete(cs.threadMembers, userID)
		cs.ch.MemberCount = len(cs.threadMembers)
		ev := map[string]any{"id": cs.ch.ID, "guild_id": gs.id, "removed_member_ids": []string{userID}, "member_count": cs.ch.MemberCount}
		for _, b := range s.botsInGuildLocked(gs) {
			s.emitLocked(b, "THREAD_MEMBERS_UPDATE", discordgo.IntentsGuildMembers, ev)
		}
	}
	if s.left == nil {
		s.left = map[string]bool{}
	}
	s.left[userID] = true
	return nil
}

// SetMemberRoles replaces a member's roles and sends GUILD_MEMBER_UPDATE.
func (s *Server) SetMemberRoles(guildID, userID string, roles []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	gs, ok := s.guilds[guildID]
	if !ok {
		return fmt.Errorf("discordtest: unknown guild %s", guildID)
	}
	m, ok := gs.members[userID]
	if !ok {
		return fmt.Errorf("discordtest: unknown member %s", userID)
	}
	m.Roles = slices.Clone(roles)
	for _, b := range s.botsInGuildLocked(gs) {
		s.emitLocked(b, "GUILD_MEMBER_UPDATE", discordgo.IntentsGuildMembers, m)
	}
	return nil
}

// AddBotToGuild makes bot a member of the guild (with the given roles) and
// sends it GUILD_CREATE if it is connected; other bots get GUILD_MEMBER_ADD.
func (s *Server) AddBotToGuild(bot Bot, guildID string, roles ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.botLocked(bot)
	if err != nil {
		return err
	}
	gs, ok := s.guilds[guildID]
	if !ok {
		return fmt.Errorf("discordtest: unknown guild %s", guildID)
	}
	s.addMemberLocked(gs, &discordgo.Member{User: cloneJSON(s.users[b.bot.UserID]), Roles: roles}, true)
	s.emitLocked(b, "GUILD_CREATE", discordgo.IntentsGuilds, s.guildCreateLocked(gs))
	return nil
}

// GuildState returns a snapshot of a guild as the fake sees it.
func (s *Server) GuildState(guildID string) (Guild, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gs, ok := s.guilds[guildID]
	if !ok {
		return Guild{}, false
	}
	return s.guildPublicLocked(gs), true
}

func (s *Server) botsInGuildLocked(gs *guildState) []*botState {
	var out []*botState
	for _, id := range gs.memberOrder {
		if b, ok := s.botsByUser[id]; ok {
			out = append(out, b)
		}
	}
	return out
}

func (s *Server) botInGuildLocked(b *botState, guildID string) bool {
	gs, ok := s.guilds[guildID]
	if !ok {
		return false
	}
	_, ok = gs.members[b.bot.UserID]
	return ok
}

func (s *Server) guildCreateLocked(gs *guildState) *discordgo.Guild {
	g := &discordgo.Guild{
		ID:          gs.id,
		Name:        gs.name,
		OwnerID:     gs.ownerID,
		MemberCount: len(gs.members),
		JoinedAt:    s.clock.Now().UTC(),
	}
	for _, r := range gs.roles {
		g.Roles = append(g.Roles, cloneJSON(r))
	}
	for _, id := range gs.channelOrder {
		cs, ok := s.channels[id]
		if !ok {
			continue
		}
		if cs.ch.IsThread() {
			if cs.ch.ThreadMetadata == nil || !cs.ch.ThreadMetadata.Archived {
				g.Threads = append(g.Threads, cloneJSON(cs.ch))
			}
			continue
		}
		g.Channels = append(g.Channels, cloneJSON(cs.ch))
	}
	for _, id := range gs.memberOrder {
		g.Members = append(g.Members, cloneJSON(gs.members[id]))
	}
	return g
}

// memberPermissionsLocked ORs the permissions of @everyone and the member's roles.
func (s *Server) memberPermissionsLocked(gs *guildState, userID string, roles []string) int64 {
	if gs.ownerID != "" && gs.ownerID == userID {
		return discordgo.PermissionAll
	}
	var p int64
	for _, r := range gs.roles {
		if r.ID == gs.id || slices.Contains(roles, r.ID) {
			p |= r.Permissions
		}
	}
	if p&discordgo.PermissionAdministrator != 0 {
		return discordgo.PermissionAll
	}
	return p
}

// ---- channels & messages (test-side) -------------------------------------

// Channel returns a snapshot of a channel (including threads and DMs).
func (s *Server) Channel(id string) (*discordgo.Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, ok := s.channels[id]
	if !ok {
		return nil, false
	}
	return cloneJSON(cs.ch), true
}

// Channels returns snapshots of the guild's channels and threads.
func (s *Server) Channels(guildID string) []*discordgo.Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	gs, ok := s.guilds[guildID]
	if !ok {
		return nil
	}
	var out []*discordgo.Channel
	for _, id := range gs.channelOrder {
		if cs, ok := s.channels[id]; ok {
			out = append(out, cloneJSON(cs.ch))
		}
	}
	return out
}

// Messages returns snapshots of the messages in a channel, oldest first.
// Ephemeral interaction responses are not channel messages.
func (s *Server) Messages(channelID string) []*discordgo.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, ok := s.channels[channelID]
	if !ok {
		return nil
	}
	out := make([]*discordgo.Message, 0, len(cs.msgs))
	for _, m := range cs.msgs {
		out = append(out, cloneMessage(m))
	}
	return out
}

// WaitMessage waits until a message in channelID satisfies match (nil
// matches any) and returns it. Messages already present count.
func (s *Server) WaitMessage(ctx context.Context, channelID string, match func(*discordgo.Message) bool) (*discordgo.Message, error) {
	for {
		s.mu.Lock()
		ch := s.msgNotify
		if cs, ok := s.channels[channelID]; ok {
			for _, m := range cs.msgs {
				if match == nil || match(m) {
					out := cloneMessage(m)
					s.mu.Unlock()
					return out, nil
				}
			}
		}
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("discordtest: waiting for message in %s: %w", channelID, ctx.Err())
		case <-ch:
		}
	}
}

func (s *Server) notifyMessagesLocked() {
	close(s.msgNotify)
	s.msgNotify = make(chan struct{})
}

// SendMessage posts a message from author (a user; unknown users are
// created) into channelID and sends MESSAGE_CREATE to every bot in the
// channel's guild (for a DM channel: to its bot).
func (s *Server) SendMessage(channelID string, author *discordgo.User, content string) (*discordgo.Message, error) {
	return s.SendFiles(channelID, author, content)
}

// SendFiles is SendMessage with uploaded files (attachments with CDN URLs
// whose bytes Attachment returns), within Discord's upload limits.
func (s *Server) SendFiles(channelID string, author *discordgo.User, content string, files ...File) (*discordgo.Message, error) {
	if len(files) > MaxFiles {
		return nil, fmt.Errorf("discordtest: %d files, Discord allows %d", len(files), MaxFiles)
	}
	for _, f := range files {
		if len(f.Data) > MaxFileSize || f.Name == "" {
			return nil, fmt.Errorf("discordtest: file %q: empty name or larger than %d bytes", f.Name, MaxFileSize)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, ok := s.channels[channelID]
	if !ok {
		return nil, fmt.Errorf("discordtest: unknown channel %s", channelID)
	}
	if author == nil || author.ID == "" {
		return nil, errors.New("discordtest: SendMessage needs an author with an ID")
	}
	if u, ok := s.users[author.ID]; ok && author.Username == "" {
		author = u
	}
	if !s.canSeeThreadLocked(cs, author.ID) {
		return nil, fmt.Errorf("discordtest: %s is not a member of private thread %s (and lacks Manage Threads); Discord would not let them post", author.ID, channelID)
	}
	if _, ok := s.users[author.ID]; !ok {
		s.users[author.ID] = cloneJSON(author)
	}
	m := &discordgo.Message{
		ID:        s.newIDLocked(),
		ChannelID: channelID,
		GuildID:   cs.ch.GuildID,
		Content:   content,
		Author:    cloneJSON(author),
		Timestamp: s.clock.Now().UTC(),
		Type:      discordgo.MessageTypeDefault,
	}
	m.Attachments = s.attachmentsLocked(m.ID, files)
	if gs, ok := s.guilds[cs.ch.GuildID]; ok {
		if mem, ok := gs.members[author.ID]; ok {
			m.Member = cloneJSON(mem)
			m.Member.User = nil
		}
	}
	s.storeMessageLocked(cs, m)
	s.threadMentionAddsLocked(cs, m, nil, m.Timestamp)
	return cloneMessage(m), nil
}

// storeMessageLocked appends m to the channel and dispatches MESSAGE_CREATE.
func (s *Server) storeMessageLocked(cs *channelState, m *discordgo.Message) {
	cs.msgs = append(cs.msgs, m)
	cs.ch.LastMessageID = m.ID
	if cs.ch.IsThread() {
		cs.ch.MessageCount++
	}
	s.fillMentionsLocked(m)
	s.notifyMessagesLocked()
	for _, b := range s.channelAudienceLocked(cs) {
		s.emitMessageLocked(b, "MESSAGE_CREATE", m)
	}
}

// channelAudienceLocked returns the bots that receive events for a channel.
func (s *Server) channelAudienceLocked(cs *channelState) []*botState {
	if gs, ok := s.guilds[cs.ch.GuildID]; ok {
		all := s.botsInGuildLocked(gs)
		if !cs.isPrivateThread() {
			return all
		}
		// Private threads: only bots that can see them.
		var out []*botState
		for _, b := range all {
			if s.canSeeThreadLocked(cs, b.bot.UserID) {
				out = append(out, b)
			}
		}
		return out
	}
	var out []*botState
	for _, r := range cs.ch.Recipients {
		if b, ok := s.botsByUser[r.ID]; ok {
			out = append(out, b)
		}
	}
	return out
}

// cloneMessage deep-copies m, components included (discordgo's Message
// does not marshal them: its Components field is json:"-").
func cloneMessage(m *discordgo.Message) *discordgo.Message {
	if m == nil {
		return nil
	}
	var out discordgo.Message
	if err := json.Unmarshal(mustJSON(wireMsg(m)), &out); err != nil {
		panic(err)
	}
	return &out
}

// wireMessage is a message as Discord sends it: with its components.
type wireMessage struct {
	*discordgo.Message
	Components []discordgo.MessageComponent `json:"components"`
}

// wireMsg returns m in its wire form for REST replies and dispatches.
func wireMsg(m *discordgo.Message) any {
	if m == nil {
		return nil
	}
	comps := m.Components
	if comps == nil {
		comps = []discordgo.MessageComponent{}
	}
	return wireMessage{m, comps}
}

func wireMsgs(ms []*discordgo.Message) []any {
	out := make([]any, 0, len(ms))
	for _, m := range ms {
		out = append(out, wireMsg(m))
	}
	return out
}

// ---- calls ---------------------------------------------------------------

// Call is one REST request the fake received.
type Call struct {
	BotUserID string // "" if the authorization header matched no bot
	Method    string
	Path      string // without the /api/vN prefix, e.g. /channels/1/messages
	Query     url.Values
	Body      []byte // request body (for multipart: the payload_json part)
	Status    int    // status the fake answered
	Response  []byte // response body
	At        time.Time
}

// Calls returns every REST call made with bot's token, in order.
func (s *Server) Calls(bot Bot) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.BotUserID == bot.UserID {
			out = append(out, c)
		}
	}
	return out
}

// AllCalls returns every REST call the fake received, in order.
func (s *Server) AllCalls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Errors returns bot's REST calls that the fake answered with status >= 400.
// A clean test run usually asserts this is empty.
func (s *Server) Errors(bot Bot) []Call {
	var out []Call
	for _, c := range s.Calls(bot) {
		if c.Status >= 400 {
			out = append(out, c)
		}
	}
	return out
}

// WaitCall waits until bot has made a REST call matching route (nil matches
// any) and returns the first such call. Calls already made count.
func (s *Server) WaitCall(ctx context.Context, bot Bot, route RouteMatcher) (Call, error) {
	for {
		s.mu.Lock()
		ch := s.callsNotify
		for _, c := range s.calls {
			if c.BotUserID == bot.UserID && (route == nil || route(c.Method, c.Path)) {
				s.mu.Unlock()
				return c, nil
			}
		}
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return Call{}, fmt.Errorf("discordtest: waiting for call: %w", ctx.Err())
		case <-ch:
		}
	}
}

func (s *Server) recordCallLocked(c Call) {
	s.calls = append(s.calls, c)
	close(s.callsNotify)
	s.callsNotify = make(chan struct{})
}
