package bots

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
	"golang.org/x/sync/errgroup"
)

// BotConfig configures one bot. A bot with an empty Token is reported as
// disabled ("not configured") and skipped.
type BotConfig struct {
	Kind  BotKind
	Token string // without the "Bot " prefix; never logged
	AppID string // application (client) id; READY's application id is used if empty
}

// Options configures a Supervisor.
type Options struct {
	Bots []BotConfig
	// NewHTTPClient returns the REST client of one session (called once per
	// session). Default: a client with a 20 s timeout.
	NewHTTPClient func() *http.Client
	// NewDialer returns the gateway dialer of one session (called once per
	// session; never return websocket.DefaultDialer, which is shared).
	NewDialer func() *websocket.Dialer
	Logger    *slog.Logger
	// GuildIDs: register commands in these guilds (instant). Empty and
	// Global false: register in every guild the bot joins (GUILD_CREATE).
	GuildIDs []string
	// Global registers commands globally instead (propagation is slow).
	Global bool
	// Staff supplies staff roles for RBAC. Nil: only Administrators are staff.
	Staff StaffSource
	// DeferAfter: a handler that has not answered by then gets a deferred
	// acknowledgement (Discord's deadline is 3 s). Default 2 s.
	DeferAfter time.Duration
	// HandlerTimeout bounds one handler run. Default 10 min (tokens last 15).
	HandlerTimeout time.Duration
	// MinBackoff and MaxBackoff bound reconnect back-off. Default 1 s, 5 min.
	MinBackoff, MaxBackoff time.Duration
	// ShutdownGrace is how long in-flight handlers may finish on shutdown
	// before their context is cancelled. Default 5 s.
	ShutdownGrace time.Duration
	// Redact scrubs secrets from the text of error replies (the appliance's
	// one redactor, which also scrubs its logs). Nil: none.
	Redact func(string) string
}

// SessionState is the health of one bot session.
type SessionState string

// Session states.
const (
	StateDisabled   SessionState = "disabled" // no token configured
	StateConnecting SessionState = "connecting"
	StateConnected  SessionState = "connected"
	StateFailed     SessionState = "failed" // last connect failed; retrying with back-off
	StateStopped    SessionState = "stopped"
)

// SessionStatus is one line of /healthz and /status.
type SessionStatus struct {
	Kind      BotKind
	State     SessionState
	LastError string
	Guilds    int
	UserID    string
	Since     time.Time // when State was entered
}

// Supervisor runs one discordgo session per configured bot.
type Supervisor struct {
	opts    Options
	log     *slog.Logger
	runners []*runner // Kinds order, all six
}

// NewSupervisor validates opts and returns a supervisor. Bots are started by
// Run; routers are attached with Handle before Run.
func NewSupervisor(opts Options) (*Supervisor, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.NewHTTPClient == nil {
		opts.NewHTTPClient = func() *http.Client { return &http.Client{Timeout: 20 * time.Second} }
	}
	if opts.NewDialer == nil {
		opts.NewDialer = func() *websocket.Dialer {
			return &websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: 45 * time.Second}
		}
	}
	if opts.DeferAfter <= 0 {
		opts.DeferAfter = 2 * time.Second
	}
	if opts.HandlerTimeout <= 0 {
		opts.HandlerTimeout = 10 * time.Minute
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = time.Second
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(5*time.Minute, opts.MinBackoff)
	}
	if opts.ShutdownGrace <= 0 {
		opts.ShutdownGrace = 5 * time.Second
	}
	s := &Supervisor{opts: opts, log: opts.Logger}
	seen := map[BotKind]bool{}
	for _, b := range opts.Bots {
		if !b.Kind.Valid() {
			return nil, fmt.Errorf("bots: unknown bot kind %q", b.Kind)
		}
		if seen[b.Kind] {
			return nil, fmt.Errorf("bots: bot %q configured twice", b.Kind)
		}
		seen[b.Kind] = true
	}
	for _, k := range Kinds() {
		r := &runner{sup: s, kind: k, state: StateDisabled, since: time.Now(), registered: map[string]bool{},
			disconnected: make(chan struct{}, 1), log: s.log.With("bot", k)}
		for _, b := range opts.Bots {
			if b.Kind == k {
				r.cfg = b
			}
		}
		r.cfg.Kind = k
		s.runners = append(s.runners, r)
	}
	return s, nil
}

func (s *Supervisor) runner(k BotKind) *runner {
	for _, r := range s.runners {
		if r.kind == k {
			return r
		}
	}
	return nil
}

// Handle attaches bot k's router. It validates the router (specs against
// Discord's rules) and must be called before Run.
func (s *Supervisor) Handle(k BotKind, r *Router) error {
	rn := s.runner(k)
	if rn == nil {
		return fmt.Errorf("bots: unknown bot kind %q", k)
	}
	if err := r.Validate(); err != nil {
		return fmt.Errorf("bots: %s router: %w", k, err)
	}
	for _, st := range r.DeclaredSettings() {
		for _, have := range s.Settings() {
			if have.Key == st.Key {
				return fmt.Errorf("bots: %s router: setting %q is already declared by another bot", k, st.Key)
			}
		}
	}
	rn.mu.Lock()
	defer rn.mu.Unlock()
	if rn.router != nil {
		return fmt.Errorf("bots: %s router already set", k)
	}
	rn.router = r
	return nil
}

// Settings returns the per-guild settings declared by every handled
// router (Router.Settings), bot by bot in Kinds order: the registry /setup
// and /config read.
func (s *Supervisor) Settings() []Setting {
	var out []Setting
	for _, rn := range s.runners {
		rn.mu.Lock()
		r := rn.router
		rn.mu.Unlock()
		if r != nil {
			out = append(out, r.DeclaredSettings()...)
		}
	}
	return out
}

// Router returns bot k's router (nil when none was attached), for tests
// that drive every route of every bot.
func (s *Supervisor) Router(k BotKind) *Router {
	rn := s.runner(k)
	if rn == nil {
		return nil
	}
	rn.mu.Lock()
	defer rn.mu.Unlock()
	return rn.router
}

// Run connects every configured bot and keeps it connected until ctx is
// cancelled; then it closes all sessions in parallel and returns nil. Bots
// without a token are skipped. A bot that cannot connect is retried with
// exponential back-off and never stops the others.
func (s *Supervisor) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	for _, r := range s.runners {
		if r.cfg.Token == "" {
			r.log.Info("bot not configured, skipped")
			continue
		}
		g.Go(func() error { return r.run(ctx) })
	}
	return g.Wait()
}

// Status reports the state of all six bots.
func (s *Supervisor) Status() []SessionStatus {
	out := make([]SessionStatus, 0, len(s.runners))
	for _, r := range s.runners {
		out = append(out, r.status())
	}
	return out
}

// Session returns bot k's live session (for jobs posting messages), or nil
// when it is not connected.
func (s *Supervisor) Session(k BotKind) *discordgo.Session {
	r := s.runner(k)
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != StateConnected {
		return nil
	}
	return r.session
}

// BotPresence says whether a bot is in a guild, for /setup.
type BotPresence struct {
	Kind       BotKind
	Configured bool // has a token
	Connected  bool
	InGuild    bool // the bot's session sees the guild (only meaningful when Connected)
	AppID      string
	UserID     string
	InviteURL  string // preselecting the guild; empty without an application id
}

// Presence reports, for every bot, whether it is a member of guildID, as
// seen by that bot's own session (its guild list from READY/GUILD_CREATE).
func (s *Supervisor) Presence(guildID string) []BotPresence {
	out := make([]BotPresence, 0, len(s.runners))
	for _, r := range s.runners {
		r.mu.Lock()
		p := BotPresence{Kind: r.kind, Configured: r.cfg.Token != "", Connected: r.state == StateConnected,
			AppID: r.appID(), UserID: r.userID}
		sess := r.session
		r.mu.Unlock()
		if p.Connected && sess != nil && sess.State != nil {
			_, err := sess.State.Guild(guildID)
			p.InGuild = err == nil
		}
		if p.AppID != "" {
			p.InviteURL = InviteURL(r.kind, p.AppID, guildID)
		}
		out = append(out, p)
	}
	return out
}

// runner owns one bot's session.
type runner struct {
	sup  *Supervisor
	kind BotKind
	cfg  BotConfig
	log  *slog.Logger

	disconnected chan struct{}

	mu         sync.Mutex
	router     *Router
	session    *discordgo.Session
	state      SessionState
	since      time.Time
	lastErr    string
	userID     string
	readyAppID string
	registered map[string]bool
	closing    bool
	inflight   sync.WaitGroup
	baseCtx    context.Context
}

func (r *runner) appID() string {
	if r.cfg.AppID != "" {
		return r.cfg.AppID
	}
	return r.readyAppID
}

func (r *runner) status() SessionStatus {
	r.mu.Lock()
	st := SessionStatus{Kind: r.kind, State: r.state, LastError: r.lastErr, UserID: r.userID, Since: r.since}
	sess := r.session
	r.mu.Unlock()
	if st.State == StateDisabled {
		st.LastError = "not configured"
	}
	if sess != nil && sess.State != nil && st.State == StateConnected {
		sess.State.RLock()
		st.Guilds = len(sess.State.Guilds)
		sess.State.RUnlock()
	}
	return st
}

func (r *runner) setState(st SessionState, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != st {
		r.since = time.Now()
	}
	r.state = st
	if err != nil {
		r.lastErr = err.Error()
	}
}

// start registers an in-flight event handler; see dispatcher.start.
func (r *runner) start() (context.Context, func(), bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing || r.baseCtx == nil {
		return nil, nil, false
	}
	r.inflight.Add(1)
	return r.baseCtx, r.inflight.Done, true
}

func (r *runner) newSession() (*discordgo.Session, error) {
	s, err := discordgo.New("Bot " + r.cfg.Token)
	if err != nil {
		return nil, fmt.Errorf("%s: new session: %w", r.kind, err)
	}
	s.Client = r.sup.opts.NewHTTPClient()
	s.Dialer = r.sup.opts.NewDialer()
	s.Identify.Intents = r.kind.Info().Intents
	s.ShouldReconnectOnError = false // the runner reconnects, so Close really stops the session
	s.StateEnabled = true
	s.LogLevel = discordgo.LogError

	r.mu.Lock()
	router := r.router
	r.mu.Unlock()
	if router == nil {
		router = NewRouter()
	}
	d := &dispatcher{kind: r.kind, router: router, staff: r.sup.opts.Staff, log: r.sup.log,
		deferAfter: r.sup.opts.DeferAfter, timeout: r.sup.opts.HandlerTimeout, redact: r.sup.opts.Redact, start: r.start}
	s.AddHandler(d.handle)
	r.addMessageHandlers(s, router)
	s.AddHandler(r.onReady)
	s.AddHandler(r.onGuildCreate)
	s.AddHandler(func(*discordgo.Session, *discordgo.Disconnect) {
		select {
		case r.disconnected <- struct{}{}:
		default:
		}
	})
	s.AddHandler(func(*discordgo.Session, *discordgo.Resumed) { r.setState(StateConnected, nil) })
	s.AddHandler(func(_ *discordgo.Session, rl *discordgo.RateLimit) {
		if rl != nil && rl.TooManyRequests != nil {
			r.log.Warn("rate limited", "bucket", rl.TooManyRequests.Bucket, "retry_after", rl.TooManyRequests.RetryAfter)
		}
	})
	return s, nil
}

// addMessageHandlers attaches the router's message handlers, each run as
// in-flight work with panics recovered.
func (r *runner) addMessageHandlers(s *discordgo.Session, router *Router) {
	guard := func(what string, f func(ctx context.Context)) {
		ctx, done, ok := r.start()
		if !ok {
			return
		}
		defer done()
		defer func() {
			if v := recover(); v != nil {
				r.log.Error("message handler panicked", "event", what, "panic", v, "stack", string(debug.Stack()))
			}
		}()
		f(ctx)
	}
	for _, h := range router.messages {
		if h.Create != nil {
			s.AddHandler(func(s *discordgo.Session, ev *discordgo.MessageCreate) {
				if ev != nil && ev.Message != nil {
					guard("create", func(ctx context.Context) { h.Create(ctx, s, ev) })
				}
			})
		}
		if h.Update != nil {
			s.AddHandler(func(s *discordgo.Session, ev *discordgo.MessageUpdate) {
				if ev != nil && ev.Message != nil {
					guard("update", func(ctx context.Context) { h.Update(ctx, s, ev) })
				}
			})
		}
		if h.Delete != nil {
			s.AddHandler(func(s *discordgo.Session, ev *discordgo.MessageDelete) {
				if ev != nil && ev.Message != nil {
					guard("delete", func(ctx context.Context) { h.Delete(ctx, s, ev) })
				}
			})
		}
	}
}

// run keeps the session connected until ctx ends.
func (r *runner) run(ctx context.Context) error {
	sess, err := r.newSession()
	if err != nil {
		r.setState(StateFailed, err)
		return nil
	}
	base, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	r.mu.Lock()
	r.session, r.baseCtx, r.closing = sess, base, false
	r.mu.Unlock()

	backoff := r.sup.opts.MinBackoff
	wait := func() bool {
		t := time.NewTimer(backoff)
		defer t.Stop()
		backoff = min(backoff*2, r.sup.opts.MaxBackoff)
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		}
	}
	for ctx.Err() == nil {
		select { // a stale signal from an earlier Close
		case <-r.disconnected:
		default:
		}
		r.setState(StateConnecting, nil)
		err := sess.Open()
		if err != nil && !errors.Is(err, discordgo.ErrWSAlreadyOpen) {
			err = fmt.Errorf("%s: open gateway: %w", r.kind, explainRefusal(r.kind, err))
			r.log.Warn("connect failed", "err", err, "retry_in", backoff)
			r.setState(StateFailed, err)
			if !wait() {
				break
			}
			continue
		}
		connectedAt := time.Now()
		r.mu.Lock()
		if r.state == StateConnecting {
			r.state, r.since = StateConnected, time.Now()
		}
		r.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-r.disconnected:
			r.log.Info("gateway disconnected, reconnecting")
			r.setState(StateConnecting, nil)
			if time.Since(connectedAt) > time.Minute {
				backoff = r.sup.opts.MinBackoff
			}
			if !wait() {
				break
			}
		}
	}
	r.shutdown(sess, cancelBase)
	return nil
}

// explainRefusal says what an admin must do about the gateway closes
// that no retry fixes (the runner still retries, at its longest backoff,
// so the bot connects once the admin has acted).
func explainRefusal(k BotKind, err error) error {
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		return err
	}
	switch ce.Code {
	case 4004:
		return fmt.Errorf("%w: Discord refused the bot token (reset it in the Developer Portal, Application → Bot, and update bliss.env)", err)
	case 4014:
		need := strings.Join(k.PrivilegedIntents(), ", ")
		if need == "" {
			need = "none expected"
		}
		return fmt.Errorf("%w: a privileged intent this bot needs is switched off (Developer Portal → Application → Bot → Privileged Gateway Intents: %s)", err, need)
	}
	return err
}

// shutdown stops accepting events, lets in-flight handlers finish (within
// ShutdownGrace, then cancels them), and closes the gateway.
func (r *runner) shutdown(sess *discordgo.Session, cancelBase context.CancelFunc) {
	r.mu.Lock()
	r.closing = true
	r.mu.Unlock()
	done := make(chan struct{})
	go func() { r.inflight.Wait(); close(done) }() // owned: ends when in-flight handlers end (bounded by cancelBase)
	select {
	case <-done:
	case <-time.After(r.sup.opts.ShutdownGrace):
		cancelBase()
		<-done
	}
	if err := sess.Close(); err != nil {
		r.log.Warn("close session", "err", err)
	}
	r.setState(StateStopped, nil)
}

func (r *runner) onReady(s *discordgo.Session, ev *discordgo.Ready) {
	if ev == nil || ev.User == nil {
		return
	}
	r.mu.Lock()
	r.userID = ev.User.ID
	if ev.Application != nil && ev.Application.ID != "" {
		r.readyAppID = ev.Application.ID
	} else if r.readyAppID == "" {
		r.readyAppID = ev.User.ID
	}
	r.state, r.since, r.lastErr = StateConnected, time.Now(), ""
	r.mu.Unlock()
	r.log.Info("ready", "user", ev.User.ID, "guilds", len(ev.Guilds))
	if r.sup.opts.Global {
		r.register(s, "")
	}
	// Guild commands are registered on GUILD_CREATE, which Discord sends
	// for every guild the bot is in (and when it is added to one later):
	// registering in a configured guild the bot is not in fails (50001).
}

func (r *runner) onGuildCreate(s *discordgo.Session, ev *discordgo.GuildCreate) {
	if ev == nil || ev.Guild == nil || ev.ID == "" || r.sup.opts.Global {
		return
	}
	if len(r.sup.opts.GuildIDs) == 0 || slices.Contains(r.sup.opts.GuildIDs, ev.ID) {
		r.register(s, ev.ID)
	}
}

// register bulk-overwrites the bot's commands in guildID ("" = global),
// once per session: commands no longer declared disappear.
func (r *runner) register(s *discordgo.Session, guildID string) {
	ctx, done, ok := r.start()
	if !ok {
		return
	}
	defer done()
	r.mu.Lock()
	router, app := r.router, r.appID()
	if r.registered[guildID] || app == "" {
		r.mu.Unlock()
		return
	}
	r.registered[guildID] = true
	r.mu.Unlock()
	// A bot without a router still overwrites its list (with none), so
	// commands of an earlier version never linger.
	specs := []*discordgo.ApplicationCommand{}
	if router != nil {
		specs = router.Specs()
	}
	_, err := s.ApplicationCommandBulkOverwrite(app, guildID, specs, discordgo.WithContext(ctx))
	if err != nil {
		err = fmt.Errorf("%s: register commands in guild %q: %w", r.kind, guildID, err)
		r.log.Error("command registration failed", "err", err)
		r.mu.Lock()
		r.lastErr = err.Error()
		delete(r.registered, guildID) // retried on the next READY/GUILD_CREATE
		r.mu.Unlock()
		return
	}
	r.log.Info("commands registered", "guild", guildID, "count", len(specs))
}
