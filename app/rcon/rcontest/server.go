// Package rcontest is an in-process fake of an ARK: Survival Ascended RCON
// server for tests. It speaks Source RCON framing over real TCP on loopback
// and emulates the ASA quirks the client has to survive (see
// shared/docs/nitrado-rcon-logs.md §2.4):
//
//   - wrong password: silence by default (ASA just does not answer), or an
//     AUTH_RESPONSE with id -1 when Options.RejectBadPassword is set;
//   - the empty RESPONSE_VALUE before AUTH_RESPONSE (optional);
//   - the silent reply "Server received, But no response!! \n" for commands
//     without output;
//   - GetChat / GetGameLog return-and-clear buffers, a ListPlayers roster;
//   - stray "Keep Alive" packets before a reply, latency, dropped
//     connections, hung commands and raw (garbage) replies on demand.
//
// The fake does not import package rcon, so rcon's internal tests can use it.
package rcontest

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// Source RCON packet types.
const (
	TypeAuth          int32 = 3
	TypeAuthResponse  int32 = 2
	TypeExecCommand   int32 = 2
	TypeResponseValue int32 = 0
)

// SilentReply is what ASA answers to commands that produce no output.
const SilentReply = "Server received, But no response!! \n"

// KeepAlive is the body of the unsolicited packets ARK sometimes sends.
const KeepAlive = "Keep Alive"

// maxRequestBody caps what the fake accepts from a client (Valve's limit).
const maxRequestBody = 4096

// writeTimeout bounds every write so a client that stops reading cannot wedge
// a connection goroutine.
const writeTimeout = 5 * time.Second

// Options configures a fake server.
type Options struct {
	// Password is the RCON password (ServerAdminPassword).
	Password string
	// RejectBadPassword answers a wrong password with AUTH_RESPONSE id -1
	// instead of ASA's silence.
	RejectBadPassword bool
	// NoAuthPrePacket omits the empty RESPONSE_VALUE sent before AUTH_RESPONSE.
	NoAuthPrePacket bool
}

// Player is one ListPlayers roster entry.
type Player struct {
	Name  string // platform name
	EOSID string // 32-hex EOS ProductUserId
}

// HandlerFunc answers a command; args is the text after the first word
// (leading spaces trimmed). Return SilentReply for "no output".
type HandlerFunc func(args string) string

// Server is a running fake. All methods are safe for concurrent use.
type Server struct {
	opts Options
	ln   net.Listener
	done chan struct{}
	wg   sync.WaitGroup

	mu        sync.Mutex
	closed    bool
	conns     map[net.Conn]struct{}
	chat      []string
	gameLog   []string
	players   []Player
	handlers  []handler
	commands  []string
	keepAlive int
	drop      int
	hang      int
	raw       [][]byte
	latency   time.Duration
	auths     int
	authFails int
}

type handler struct {
	name string // lower-case first word
	fn   HandlerFunc
}

// New starts a fake listening on 127.0.0.1:0.
func New(opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("rcontest: listen: %w", err)
	}
	s := &Server{
		opts:  opts,
		ln:    ln,
		done:  make(chan struct{}),
		conns: make(map[net.Conn]struct{}),
	}
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

// Addr is the host:port the fake listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the listener, closes every connection and waits for all
// goroutines of the fake to return. It is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	err := s.ln.Close()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("rcontest: close: %w", err)
	}
	return nil
}

// AddChat appends lines to the buffer GetChat returns (and clears).
func (s *Server) AddChat(lines ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chat = append(s.chat, lines...)
}

// AddGameLog appends lines to the buffer GetGameLog returns (and clears).
func (s *Server) AddGameLog(lines ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gameLog = append(s.gameLog, lines...)
}

// SetPlayers replaces the ListPlayers roster.
func (s *Server) SetPlayers(players ...Player) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.players = append([]Player(nil), players...)
}

// Handle registers fn for commands whose first word equals prefix
// (case-insensitive). Custom handlers take precedence over the built-ins;
// a later registration for the same word replaces the earlier one.
func (s *Server) Handle(prefix string, fn HandlerFunc) {
	name := strings.ToLower(strings.TrimSpace(prefix))
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.handlers {
		if s.handlers[i].name == name {
			s.handlers[i].fn = fn
			return
		}
	}
	s.handlers = append(s.handlers, handler{name: name, fn: fn})
}

// Commands returns a copy of every command received (after auth), in order.
func (s *Server) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}

// Auths reports successful and failed authentications so far.
func (s *Server) Auths() (ok, failed int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.auths, s.authFails
}

// InjectKeepAlive makes the next n replies be preceded by one unsolicited
// "Keep Alive" packet each.
func (s *Server) InjectKeepAlive(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keepAlive += n
}

// DropNext makes the fake close the connection, without replying, on each of
// the next n commands (the command is still recorded).
func (s *Server) DropNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop += n
}

// HangNext makes the fake swallow the next n commands: recorded, never
// answered, connection left open.
func (s *Server) HangNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hang += n
}

// ReplyRaw queues raw bytes that replace the reply to the next command
// (one queued entry per command), for garbage and oversized replies.
func (s *Server) ReplyRaw(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raw = append(s.raw, append([]byte(nil), b...))
}

// SetLatency delays every reply by d (0 disables).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// DropAll closes every open client connection (a server restart as seen by
// connected clients); the listener keeps accepting.
func (s *Server) DropAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		_ = c.Close()
	}
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return // listener closed
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c)
	}
}

func (s *Server) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		_ = c.Close()
	}()
	br := bufio.NewReader(c)
	authed := false
	for {
		id, typ, body, err := readPacket(br)
		if err != nil {
			return
		}
		if !authed {
			if typ != TypeAuth {
				continue // ASA ignores commands before auth
			}
			if body != s.opts.Password {
				s.mu.Lock()
				s.authFails++
				s.mu.Unlock()
				if s.opts.RejectBadPassword {
					if s.writePacket(c, -1, TypeAuthResponse, "") != nil {
						return
					}
				}
				continue // ASA: silence
			}
			authed = true
			s.mu.Lock()
			s.auths++
			s.mu.Unlock()
			if !s.opts.NoAuthPrePacket {
				if s.writePacket(c, id, TypeResponseValue, "") != nil {
					return
				}
			}
			if s.writePacket(c, id, TypeAuthResponse, "") != nil {
				return
			}
			continue
		}
		if typ != TypeExecCommand {
			continue
		}
		if !s.exec(c, id, body) {
			return
		}
	}
}

// exec answers one command; false means close the connection.
func (s *Server) exec(c net.Conn, id int32, cmd string) bool {
	s.mu.Lock()
	s.commands = append(s.commands, cmd)
	latency := s.latency
	if s.drop > 0 {
		s.drop--
		s.mu.Unlock()
		return false
	}
	if s.hang > 0 {
		s.hang--
		s.mu.Unlock()
		return true
	}
	var raw []byte
	if len(s.raw) > 0 {
		raw = s.raw[0]
		s.raw = s.raw[1:]
	}
	keepAlive := false
	if s.keepAlive > 0 {
		s.keepAlive--
		keepAlive = true
	}
	reply := ""
	if raw == nil {
		reply = s.answerLocked(cmd)
	}
	s.mu.Unlock()

	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-s.done:
			t.Stop()
			return false
		}
	}
	if keepAlive {
		// ARK's keep-alive packets carry id 0 like gorcon's requests, which
		// is exactly what makes them dangerous.
		if s.writePacket(c, 0, TypeResponseValue, KeepAlive) != nil {
			return false
		}
	}
	if raw != nil {
		_ = c.SetWriteDeadline(time.Now().Add(writeTimeout))
		_, err := c.Write(raw)
		return err == nil
	}
	return s.writePacket(c, id, TypeResponseValue, reply) == nil
}

// answerLocked computes the reply for cmd; s.mu must be held.
func (s *Server) answerLocked(cmd string) string {
	word, args, _ := strings.Cut(strings.TrimSpace(cmd), " ")
	args = strings.TrimLeft(args, " ")
	name := strings.ToLower(word)
	for _, h := range s.handlers {
		if h.name == name {
			fn := h.fn
			// Run the handler without the lock so it may call back into
			// the fake (AddChat etc.).
			s.mu.Unlock()
			out := fn(args)
			s.mu.Lock()
			return out
		}
	}
	switch name {
	case "listplayers":
		if len(s.players) == 0 {
			return "No Players Connected\n"
		}
		var b strings.Builder
		for i, p := range s.players {
			fmt.Fprintf(&b, "%d. %s, %s\n", i, p.Name, p.EOSID)
		}
		return b.String()
	case "getchat":
		return drain(&s.chat)
	case "getgamelog":
		return drain(&s.gameLog)
	case "serverchat", "broadcast":
		s.chat = append(s.chat, "SERVER: "+args)
		return SilentReply
	case "kickplayer":
		for i, p := range s.players {
			if strings.EqualFold(p.EOSID, args) {
				s.players = append(s.players[:i:i], s.players[i+1:]...)
				break
			}
		}
		return SilentReply
	default:
		return SilentReply
	}
}

func drain(buf *[]string) string {
	if len(*buf) == 0 {
		return SilentReply
	}
	out := strings.Join(*buf, "\n") + "\n"
	*buf = nil
	return out
}

func (s *Server) writePacket(c net.Conn, id, typ int32, body string) error {
	if err := c.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return err
	}
	_, err := c.Write(EncodePacket(id, typ, body))
	return err
}

// EncodePacket frames one Source RCON packet (exported for raw test servers).
func EncodePacket(id, typ int32, body string) []byte {
	b := make([]byte, 12, 14+len(body))
	binary.LittleEndian.PutUint32(b[0:], uint32(int32(len(body)+10)))
	binary.LittleEndian.PutUint32(b[4:], uint32(id))
	binary.LittleEndian.PutUint32(b[8:], uint32(typ))
	b = append(b, body...)
	return append(b, 0, 0)
}

// readPacket reads one client packet; oversize or malformed input is an error.
func readPacket(r io.Reader) (id, typ int32, body string, err error) {
	var hdr [12]byte
	if _, err = io.ReadFull(r, hdr[:]); err != nil {
		return 0, 0, "", err
	}
	size := int32(binary.LittleEndian.Uint32(hdr[0:]))
	if size < 10 || size > maxRequestBody+10 {
		return 0, 0, "", fmt.Errorf("rcontest: bad packet size %d", size)
	}
	id = int32(binary.LittleEndian.Uint32(hdr[4:]))
	typ = int32(binary.LittleEndian.Uint32(hdr[8:]))
	buf := make([]byte, size-8)
	if _, err = io.ReadFull(r, buf); err != nil {
		return 0, 0, "", err
	}
	b := buf[:len(buf)-2]
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	return id, typ, string(b), nil
}
