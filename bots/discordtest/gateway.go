package discordtest

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// maxHistory bounds the per-session replay buffer. A RESUME asking for an
// older sequence gets op 9 (invalid session), like Discord.
const maxHistory = 10000

// GatewayStats counts gateway activity of one bot.
type GatewayStats struct {
	Connections     int    // websocket connections accepted for this bot (identified or resumed)
	Identifies      int    // successful IDENTIFYs (each starts a new session)
	Resumes         int    // successful RESUMEs
	FailedResumes   int    // RESUMEs answered with op 9
	Heartbeats      int    // op 1 received
	ReconnectsSent  int    // op 7 sent via Reconnect
	InvalidSessions int    // op 9 sent (InvalidateSession or failed RESUME)
	Drops           int    // connections dropped via DropConnection
	Seq             int64  // last dispatched sequence number of the current session
	SessionID       string // current session ID ("" if none/invalidated)
	Connected       bool   // a live identified/resumed connection exists
}

type frame struct {
	seq  int64
	data []byte
}

type gwConn struct {
	s  *Server
	ws *websocket.Conn

	mu       sync.Mutex
	queue    [][]byte
	wake     chan struct{}
	done     chan struct{}
	killOnce sync.Once

	// compress is read by the writer for every frame; an atomic keeps the
	// writer off Server.mu, which REST handlers hold while they work (a
	// writer waiting on it delayed INTERACTION_CREATE past the 3 s deadline
	// under -race on 2 cores).
	compress atomic.Bool

	// guarded by Server.mu
	bot  *botState
	sent []time.Time // client payload times, for EnforceGatewayRateLimit
}

// Gateway send limit (Discord: 120 events per connection per 60 s).
const (
	gatewaySendLimit  = 120
	gatewaySendWindow = 60 * time.Second
)

func (c *gwConn) enqueue(b []byte) {
	c.mu.Lock()
	c.queue = append(c.queue, b)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// kill closes the underlying socket abruptly (no close frame).
func (c *gwConn) kill() {
	c.killOnce.Do(func() {
		close(c.done)
		c.ws.UnderlyingConn().Close()
	})
}

// closeWith sends a close frame with code, then kills the connection.
func (c *gwConn) closeWith(code int, text string) {
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
	c.kill()
}

func (c *gwConn) writer(compress func() bool) {
	for {
		select {
		case <-c.done:
			return
		case <-c.wake:
		}
		for {
			c.mu.Lock()
			q := c.queue
			c.queue = nil
			c.mu.Unlock()
			if len(q) == 0 {
				break
			}
			for _, b := range q {
				mt, data := websocket.TextMessage, b
				if compress() {
					var buf bytes.Buffer
					zw := zlib.NewWriter(&buf)
					_, _ = zw.Write(b)
					_ = zw.Close()
					mt, data = websocket.BinaryMessage, buf.Bytes()
				}
				_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
				if err := c.ws.WriteMessage(mt, data); err != nil {
					c.kill()
					return
				}
			}
		}
	}
}

var upgrader = websocket.Upgrader{
	CheckOrigin: func(*http.Request) bool { return true },
}

type gwPayload struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s,omitempty"`
	T  string          `json:"t,omitempty"`
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func opFrame(op int, d any) []byte {
	return mustJSON(map[string]any{"op": op, "d": d})
}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "closed", http.StatusServiceUnavailable)
		return
	}
	// Register before upgrading so Close waits for us.
	s.connWG.Add(1)
	s.mu.Unlock()
	defer s.connWG.Done()

	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &gwConn{s: s, ws: ws, wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ws.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()

	var wg sync.WaitGroup
	wg.Go(func() {
		c.writer(c.compress.Load)
	})

	c.enqueue(opFrame(10, map[string]any{"heartbeat_interval": s.opts.HeartbeatInterval.Milliseconds()}))

	clientCode := 0
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				clientCode = ce.Code
			}
			break
		}
		var p gwPayload
		if err := json.Unmarshal(data, &p); err != nil {
			c.closeWith(4002, "Error while decoding payload.")
			break
		}
		if res := s.handleGatewayOp(c, p); res.closeCode != 0 {
			c.closeWith(res.closeCode, res.closeText)
			break
		}
	}
	c.kill()
	wg.Wait()

	s.mu.Lock()
	delete(s.conns, c)
	if b := c.bot; b != nil {
		if clientCode == websocket.CloseNormalClosure || clientCode == websocket.CloseGoingAway {
			// Discord: closing with 1000/1001 invalidates the session.
			if b.conn == c || b.conn == nil {
				b.sessionID = ""
				b.history = nil
			}
		}
		if b.conn == c {
			b.conn = nil
		}
		s.bumpStatsLocked(b)
	}
	s.mu.Unlock()
}

// gwResult tells the read loop to close the connection with closeCode (if non-zero).
type gwResult struct {
	closeCode int
	closeText string
}

// handleGatewayOp handles one client payload.
func (s *Server) handleGatewayOp(c *gwConn, p gwPayload) gwResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opts.EnforceGatewayRateLimit {
		now := s.clock.Now()
		c.sent = slices.DeleteFunc(c.sent, func(t time.Time) bool { return now.Sub(t) >= gatewaySendWindow })
		if len(c.sent) >= gatewaySendLimit {
			return gwResult{closeCode: 4008, closeText: "Rate limited."}
		}
		c.sent = append(c.sent, now)
	}
	switch p.Op {
	case 1: // heartbeat
		if c.bot == nil || !c.bot.noACKs {
			c.enqueue(opFrame(11, nil))
		}
		if c.bot != nil {
			c.bot.stats.Heartbeats++
			s.bumpStatsLocked(c.bot)
		}
		return gwResult{}
	case 2: // identify
		return s.identifyLocked(c, p)
	case 6: // resume
		return s.resumeLocked(c, p)
	case 3, 4, 8: // presence update, voice state (ignored), request guild members
		if c.bot == nil {
			return gwResult{closeCode: 4003, closeText: "Not authenticated."}
		}
		if p.Op == 8 {
			s.guildMembersChunkLocked(c, p.D)
		}
		return gwResult{}
	default:
		return gwResult{closeCode: 4001, closeText: "Unknown opcode."}
	}
}

// identifyLocked handles op 2: a new session, READY, then one
// GUILD_CREATE per guild the bot is in.
func (s *Server) identifyLocked(c *gwConn, p gwPayload) gwResult {
	var id struct {
		Token    string `json:"token"`
		Compress bool   `json:"compress"`
		Intents  int    `json:"intents"`
	}
	if err := json.Unmarshal(p.D, &id); err != nil {
		return gwResult{closeCode: 4002, closeText: "Error while decoding payload."}
	}
	b, ok := s.bots[stripBot(id.Token)]
	if !ok {
		s.logf("gateway: IDENTIFY with unknown token")
		return gwResult{closeCode: 4004, closeText: "Authentication failed."}
	}
	if c.bot != nil && c.bot.conn == c && c.bot.sessionID != "" {
		return gwResult{closeCode: 4005, closeText: "Already authenticated."}
	}
	if discordgo.Intent(id.Intents)&b.portalOff != 0 {
		s.logf("gateway: IDENTIFY asks for privileged intents switched off in the portal")
		return gwResult{closeCode: 4014, closeText: "Disallowed intent(s)."}
	}
	if old := b.conn; old != nil && old != c {
		b.conn = nil // the old connection no longer receives dispatches
	}
	b.sessions++
	b.sessionID = fmt.Sprintf("sess-%s-%d", b.bot.UserID, b.sessions)
	b.seq = 0
	b.history = nil
	c.bot = b
	c.compress.Store(id.Compress && !s.opts.DisableCompression)
	b.intents = discordgo.Intent(id.Intents)
	b.compress = c.compress.Load()
	b.conn = c
	b.stats.Identifies++
	b.stats.Connections++
	var guilds []map[string]any
	var inGuilds []*guildState
	for _, gs := range s.guilds {
		if _, ok := gs.members[b.bot.UserID]; ok {
			guilds = append(guilds, map[string]any{"id": gs.id, "unavailable": true})
			inGuilds = append(inGuilds, gs)
		}
	}
	if guilds == nil {
		guilds = []map[string]any{}
	}
	s.dispatchLocked(b, "READY", map[string]any{
		"v":                  9,
		"session_id":         b.sessionID,
		"resume_gateway_url": s.GatewayURL(),
		"user": map[string]any{
			"id": b.bot.UserID, "username": b.bot.Username, "discriminator": "0000",
			"bot": true, "verified": true, "mfa_enabled": false,
		},
		"application":      map[string]any{"id": b.bot.AppID, "flags": 0},
		"guilds":           guilds,
		"private_channels": []any{},
		"shard":            []int{0, 1},
	})
	// Stable order: as in the guild map iteration is random, sort by ID.
	sortGuilds(inGuilds)
	for _, gs := range inGuilds {
		s.emitLocked(b, "GUILD_CREATE", discordgo.IntentsGuilds, s.guildCreateLocked(gs))
	}
	s.bumpStatsLocked(b)
	return gwResult{}
}

// resumeLocked handles op 6: replays the events after the client's seq, or
// answers op 9 (invalid session) when it cannot.
func (s *Server) resumeLocked(c *gwConn, p gwPayload) gwResult {
	var rs struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	if err := json.Unmarshal(p.D, &rs); err != nil {
		return gwResult{closeCode: 4002, closeText: "Error while decoding payload."}
	}
	b, ok := s.bots[stripBot(rs.Token)]
	if !ok {
		return gwResult{closeCode: 4004, closeText: "Authentication failed."}
	}
	c.bot = b
	oldest := b.seq - int64(len(b.history))
	if b.sessionID == "" || rs.SessionID != b.sessionID || rs.Seq > b.seq || rs.Seq < oldest {
		b.stats.FailedResumes++
		b.stats.InvalidSessions++
		c.enqueue(opFrame(9, false))
		s.bumpStatsLocked(b)
		return gwResult{}
	}
	if old := b.conn; old != nil && old != c {
		b.conn = nil
	}
	b.conn = c
	c.compress.Store(b.compress)
	for _, f := range b.history {
		if f.seq > rs.Seq {
			c.enqueue(f.data)
		}
	}
	b.stats.Resumes++
	b.stats.Connections++
	s.dispatchLocked(b, "RESUMED", map[string]any{})
	s.bumpStatsLocked(b)
	return gwResult{}
}

func sortGuilds(gs []*guildState) {
	for i := 1; i < len(gs); i++ {
		for j := i; j > 0 && idLess(gs[j].id, gs[j-1].id); j-- {
			gs[j], gs[j-1] = gs[j-1], gs[j]
		}
	}
}

// idLess orders snowflakes numerically (shorter is smaller).
func idLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// dispatchLocked sends a dispatch (op 0) to b's current session. Events for
// a bot without a session are lost, as on Discord.
func (s *Server) dispatchLocked(b *botState, t string, d any) {
	if b.sessionID == "" {
		return
	}
	b.seq++
	seq := b.seq
	data := mustJSON(map[string]any{"op": 0, "s": seq, "t": t, "d": d})
	b.history = append(b.history, frame{seq: seq, data: data})
	if len(b.history) > maxHistory {
		b.history = b.history[len(b.history)-maxHistory:]
	}
	b.stats.Seq = seq
	if b.conn != nil {
		b.conn.enqueue(data)
	}
}

func (s *Server) bumpStatsLocked(b *botState) {
	close(b.statsCh)
	b.statsCh = make(chan struct{})
}

func (s *Server) statsLocked(b *botState) GatewayStats {
	st := b.stats
	st.Seq = b.seq
	st.SessionID = b.sessionID
	st.Connected = b.conn != nil && b.sessionID != ""
	return st
}

// Dispatch sends an arbitrary gateway dispatch (op 0) of type eventType with
// payload data (marshalled to JSON) to bot's session.
func (s *Server) Dispatch(bot Bot, eventType string, data any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.botLocked(bot)
	if err != nil {
		return err
	}
	if b.sessionID == "" {
		return ErrNotConnected
	}
	s.dispatchLocked(b, eventType, data)
	return nil
}

// Reconnect sends op 7 RECONNECT to bot's connection. discordgo closes with
// 1012 and RESUMEs on a new connection.
func (s *Server) Reconnect(bot Bot) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.botLocked(bot)
	if err != nil {
		return err
	}
	if b.conn == nil {
		return ErrNotConnected
	}
	b.conn.enqueue(opFrame(7, nil))
	b.stats.ReconnectsSent++
	s.bumpStatsLocked(b)
	return nil
}

// InvalidateSession invalidates bot's session and, if it is connected,
// sends op 9 (d=false); discordgo re-IDENTIFYs on the same socket. If it is
// disconnected, its next RESUME is answered with op 9. Events dispatched
// until the new session starts are lost.
func (s *Server) InvalidateSession(bot Bot) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.botLocked(bot)
	if err != nil {
		return err
	}
	if b.sessionID == "" {
		return ErrNotConnected
	}
	b.sessionID = ""
	b.history = nil
	if b.conn != nil {
		b.conn.enqueue(opFrame(9, false))
		b.stats.InvalidSessions++
	}
	s.bumpStatsLocked(b)
	return nil
}

// DropConnection abruptly closes bot's gateway socket (no close frame). The
// session stays resumable; events dispatched while the bot is away are
// replayed on RESUME.
func (s *Server) DropConnection(bot Bot) error {
	s.mu.Lock()
	b, err := s.botLocked(bot)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	c := b.conn
	if c == nil {
		s.mu.Unlock()
		return ErrNotConnected
	}
	b.conn = nil
	b.stats.Drops++
	s.bumpStatsLocked(b)
	s.mu.Unlock()
	c.kill()
	return nil
}

// GatewayStats returns a snapshot of bot's gateway counters.
func (s *Server) GatewayStats(bot Bot) GatewayStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.botLocked(bot)
	if err != nil {
		return GatewayStats{}
	}
	return s.statsLocked(b)
}

// WaitGateway waits until pred(stats) holds for bot and returns the stats.
func (s *Server) WaitGateway(ctx context.Context, bot Bot, pred func(GatewayStats) bool) (GatewayStats, error) {
	for {
		s.mu.Lock()
		b, err := s.botLocked(bot)
		if err != nil {
			s.mu.Unlock()
			return GatewayStats{}, err
		}
		st := s.statsLocked(b)
		ch := b.statsCh
		s.mu.Unlock()
		if pred(st) {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("discordtest: waiting for gateway state of %s: %w", bot.Username, ctx.Err())
		case <-ch:
		}
	}
}

// WaitConnected waits until bot has a live identified or resumed connection.
func (s *Server) WaitConnected(ctx context.Context, bot Bot) error {
	_, err := s.WaitGateway(ctx, bot, func(st GatewayStats) bool { return st.Connected })
	return err
}

// emitLocked dispatches an event that needs intent (0 = none) when
// Options.EnforceIntents is set.
func (s *Server) emitLocked(b *botState, t string, intent discordgo.Intent, d any) {
	if s.opts.EnforceIntents && intent != 0 && b.intents&intent == 0 {
		return
	}
	s.dispatchLocked(b, t, d)
}

func messageIntent(m *discordgo.Message) discordgo.Intent {
	if m.GuildID == "" {
		return discordgo.IntentsDirectMessages
	}
	return discordgo.IntentsGuildMessages
}

// emitMessageLocked dispatches MESSAGE_CREATE/UPDATE, applying the
// GUILD_MESSAGES/DIRECT_MESSAGES and MESSAGE_CONTENT intents.
func (s *Server) emitMessageLocked(b *botState, t string, m *discordgo.Message) {
	if !s.opts.EnforceIntents {
		s.dispatchLocked(b, t, wireMsg(m))
		return
	}
	if b.intents&messageIntent(m) == 0 {
		return
	}
	if m.GuildID == "" || b.intents&discordgo.IntentMessageContent != 0 ||
		(m.Author != nil && m.Author.ID == b.bot.UserID) ||
		slices.ContainsFunc(m.Mentions, func(u *discordgo.User) bool { return u.ID == b.bot.UserID }) {
		s.dispatchLocked(b, t, wireMsg(m))
		return
	}
	blank := cloneMessage(m)
	blank.Content = ""
	blank.Embeds = []*discordgo.MessageEmbed{}
	blank.Attachments = []*discordgo.MessageAttachment{}
	blank.Components = []discordgo.MessageComponent{}
	s.dispatchLocked(b, t, wireMsg(blank))
}

var (
	userMentionRE = regexp.MustCompile(`<@!?(\d+)>`)
	roleMentionRE = regexp.MustCompile(`<@&(\d+)>`)
)

// fillMentionsLocked sets Mentions and MentionRoles from the content.
func (s *Server) fillMentionsLocked(m *discordgo.Message) {
	m.Mentions = []*discordgo.User{}
	m.MentionRoles = []string{}
	for _, sm := range userMentionRE.FindAllStringSubmatch(m.Content, -1) {
		if u, ok := s.users[sm[1]]; ok && !slices.ContainsFunc(m.Mentions, func(x *discordgo.User) bool { return x.ID == u.ID }) {
			m.Mentions = append(m.Mentions, cloneJSON(u))
		}
	}
	for _, sm := range roleMentionRE.FindAllStringSubmatch(m.Content, -1) {
		if !slices.Contains(m.MentionRoles, sm[1]) {
			m.MentionRoles = append(m.MentionRoles, sm[1])
		}
	}
	m.MentionEveryone = strings.Contains(m.Content, "@everyone") || strings.Contains(m.Content, "@here")
}

// SuppressHeartbeatACKs stops (or resumes) answering bot's heartbeats, to
// simulate a zombie connection. discordgo closes the connection (code
// 1000, which invalidates the session) after 5 missed ACK intervals and
// reconnects; the RESUME fails and it re-IDENTIFYs.
func (s *Server) SuppressHeartbeatACKs(bot Bot, suppress bool) error {
	return s.withBot(bot, func(b *botState) { b.noACKs = suppress })
}

// privilegedIntents are the intents the Developer Portal switches on and
// off; the others are always allowed.
const privilegedIntents = discordgo.IntentGuildMembers | discordgo.IntentGuildPresences | discordgo.IntentMessageContent

// SetPrivilegedIntents sets which privileged intents (Server Members,
// Presence, Message Content) are switched on in the bot's Developer Portal
// settings; by default all are. An IDENTIFY asking for one that is off is
// closed with 4014 "Disallowed intent(s).", as Discord does, and the
// application's flags (GET /oauth2/applications/@me) say which are on.
func (s *Server) SetPrivilegedIntents(bot Bot, on discordgo.Intent) error {
	return s.withBot(bot, func(b *botState) { b.portalOff = privilegedIntents &^ on })
}

func (s *Server) withBot(bot Bot, fn func(b *botState)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.botLocked(bot)
	if err != nil {
		return err
	}
	fn(b)
	return nil
}
