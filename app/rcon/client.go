package rcon

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	gorcon "github.com/gorcon/rcon"
)

// Defaults for Options fields left zero.
const (
	DefaultDialTimeout    = 5 * time.Second
	DefaultCommandTimeout = 10 * time.Second
	DefaultMaxCommandLen  = gorcon.MaxCommandLen // 1000 bytes
	DefaultMaxReplyBytes  = 1 << 20              // 1 MiB
)

// SilentReply is the body ASA sends for commands without output (usually
// followed by " \n"); Exec turns it into "".
const SilentReply = "Server received, But no response!!"

// KeepAliveBody is the body of the unsolicited packets ARK sometimes sends.
const KeepAliveBody = "Keep Alive"

const (
	authID    = gorcon.SERVERDATA_AUTH_ID        // 0, mirrored on success, -1 on failure
	execID    = gorcon.SERVERDATA_EXECCOMMAND_ID // 0, the id ARK is known to mirror
	maxStrays = 32                               // stray packets tolerated per command
	pktQueue  = 16                               // decoded packets buffered per connection
)

// Options configures a Client. Password is never logged or put in an error;
// Options implements fmt.Stringer and slog.LogValuer with it redacted.
type Options struct {
	Name           string        // server name used in errors and logs
	Addr           string        // host:port of the RCON listener
	Password       string        // ServerAdminPassword
	DialTimeout    time.Duration // dial + authentication budget; default 5s
	CommandTimeout time.Duration // write + reply budget per command; default 10s
	MaxCommandLen  int           // bytes; default 1000 (gorcon's limit)
	MaxReplyBytes  int           // largest accepted reply body; default 1 MiB
	Logger         *slog.Logger  // nil: discard
}

// String implements fmt.Stringer without the password.
func (o Options) String() string {
	return fmt.Sprintf("rcon.Options{Name:%q Addr:%q Password:%s}", o.Name, o.Addr, redacted(o.Password))
}

// GoString implements fmt.GoStringer without the password.
func (o Options) GoString() string { return o.String() }

// LogValue implements slog.LogValuer without the password.
func (o Options) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", o.Name), slog.String("addr", o.Addr))
}

func redacted(s string) string {
	if s == "" {
		return "<empty>"
	}
	return "<redacted>"
}

func (o Options) withDefaults() Options {
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.CommandTimeout <= 0 {
		o.CommandTimeout = DefaultCommandTimeout
	}
	if o.MaxCommandLen <= 0 {
		o.MaxCommandLen = DefaultMaxCommandLen
	}
	if o.MaxReplyBytes <= 0 {
		o.MaxReplyBytes = DefaultMaxReplyBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Name == "" {
		o.Name = o.Addr
	}
	return o
}

// Client is the RCON client of one server. It dials on demand, runs one
// command at a time and reconnects after any error. Safe for concurrent use.
type Client struct {
	opts Options
	log  *slog.Logger
	sem  chan struct{} // one command in flight; acquiring respects ctx

	mu     sync.Mutex // guards conn and closed
	conn   *conn
	closed bool
}

// NewClient returns a client; nothing is dialed until the first Exec.
func NewClient(opts Options) *Client {
	opts = opts.withDefaults()
	return &Client{
		opts: opts,
		log:  opts.Logger.With(slog.String("server", opts.Name)),
		sem:  make(chan struct{}, 1),
	}
}

// Name is the server name given in Options (or the address).
func (c *Client) Name() string { return c.opts.Name }

// Exec sends one command and returns the reply body. The silent reply
// ("Server received, But no response!!") is returned as "" with a nil error.
// Waiting for the client's turn honours ctx; the command itself gets the
// earlier of ctx's deadline and CommandTimeout. Any failure closes the
// connection; the next Exec dials again. Commands are never retried.
func (c *Client) Exec(ctx context.Context, cmd string) (string, error) {
	op := "exec " + firstWord(cmd)
	if err := c.validate(cmd); err != nil {
		return "", c.wrap(op, err)
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return "", c.wrap(op, fmt.Errorf("waiting for turn: %w", ctx.Err()))
	}
	defer func() { <-c.sem }()
	if err := ctx.Err(); err != nil {
		return "", c.wrap(op, err)
	}

	cn, err := c.ready(ctx)
	if err != nil {
		return "", err
	}
	body, err := c.roundTrip(ctx, cn, cmd)
	if err != nil {
		c.discard(cn)
		c.mu.Lock()
		closed := c.closed
		c.mu.Unlock()
		if closed && !errors.Is(err, ErrClosed) {
			// Close ran during the command: its write or read failed
			// because of that, not because the server went away.
			err = fmt.Errorf("%w: closed while the command ran: %w", ErrClosed, err)
		}
		err = c.wrap(op, err)
		if !errors.Is(err, context.Canceled) {
			c.log.Warn("rcon command failed", slog.String("cmd", firstWord(cmd)), slog.Any("err", err))
		}
		return "", err
	}
	if IsSilent(body) {
		return "", nil
	}
	return body, nil
}

// Close closes the connection (an in-flight command fails) and makes every
// later Exec fail with ErrClosed. It is idempotent.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	cn := c.conn
	c.conn = nil
	c.mu.Unlock()
	if cn != nil {
		cn.close()
	}
	return nil
}

func (c *Client) wrap(op string, err error) error {
	return fmt.Errorf("rcon: server %q: %s: %w", c.opts.Name, op, err)
}

func (c *Client) validate(cmd string) error {
	if strings.TrimSpace(cmd) == "" {
		return fmt.Errorf("%w: empty", ErrInvalidCommand)
	}
	if len(cmd) > c.opts.MaxCommandLen {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrInvalidCommand, len(cmd), c.opts.MaxCommandLen)
	}
	for i := 0; i < len(cmd); i++ {
		if b := cmd[i]; b < 0x20 || b == 0x7f {
			return fmt.Errorf("%w: control character 0x%02x at byte %d", ErrInvalidCommand, b, i)
		}
	}
	return nil
}

// ready returns a live, drained, authenticated connection. Caller holds sem.
func (c *Client) ready(ctx context.Context) (*conn, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, c.wrap("connect", ErrClosed)
	}
	cn := c.conn
	c.mu.Unlock()

	if cn != nil && !cn.drain(c.log) {
		c.log.Debug("rcon connection lost while idle; reconnecting")
		c.discard(cn)
		cn = nil
	}
	if cn != nil {
		return cn, nil
	}
	cn, err := c.dial(ctx)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			c.log.Warn("rcon connect failed", slog.Any("err", err))
		}
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		cn.close()
		return nil, c.wrap("connect", ErrClosed)
	}
	c.conn = cn
	c.log.Debug("rcon connected", slog.String("addr", c.opts.Addr))
	return cn, nil
}

// discard forgets cn (if still current) and closes it.
func (c *Client) discard(cn *conn) {
	c.mu.Lock()
	if c.conn == cn {
		c.conn = nil
	}
	c.mu.Unlock()
	cn.close()
}

func (c *Client) dial(ctx context.Context) (*conn, error) {
	start := time.Now()
	dctx, cancel := context.WithTimeout(ctx, c.opts.DialTimeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(dctx, "tcp", c.opts.Addr)
	if err != nil {
		if ctx.Err() == context.Canceled {
			return nil, c.wrap("dial", ctx.Err())
		}
		return nil, c.wrap("dial", fmt.Errorf("%w: %w", ErrUnavailable, err))
	}
	cn := newConn(nc, c.opts.MaxReplyBytes)
	if err := c.auth(ctx, dctx, cn, start); err != nil {
		cn.close()
		return nil, err
	}
	return cn, nil
}

func (c *Client) authErr(cause error) error {
	return fmt.Errorf("rcon: %w for server %q: %w", ErrAuth, c.opts.Name, cause)
}

// auth sends the password and waits for AUTH_RESPONSE, skipping the optional
// empty RESPONSE_VALUE and any stray packets.
func (c *Client) auth(ctx, dctx context.Context, cn *conn, start time.Time) error {
	if dl, ok := dctx.Deadline(); ok {
		_ = cn.nc.SetWriteDeadline(dl)
	}
	if _, err := cn.nc.Write(encodePacket(gorcon.SERVERDATA_AUTH, authID, c.opts.Password)); err != nil {
		return c.wrap("auth", fmt.Errorf("%w: write: %w", ErrUnavailable, err))
	}
	for skipped := 0; ; {
		select {
		case r := <-cn.pkts:
			if r.err != nil {
				if errors.Is(r.err, ErrProtocol) {
					return c.wrap("auth", r.err)
				}
				if errors.Is(r.err, ErrReplyTooLarge) { // not an RCON server?
					return c.wrap("auth", fmt.Errorf("%w: %w", ErrProtocol, r.err))
				}
				return c.wrap("auth", fmt.Errorf("%w: connection closed during authentication: %w", ErrUnavailable, r.err))
			}
			p := r.pkt
			if p.Type == gorcon.SERVERDATA_AUTH_RESPONSE {
				switch p.ID {
				case authID:
					return nil
				case -1:
					return c.authErr(errors.New("server rejected the password"))
				default:
					return c.wrap("auth", fmt.Errorf("%w: auth response with id %d", ErrProtocol, p.ID))
				}
			}
			if skipped++; skipped > maxStrays {
				return c.wrap("auth", fmt.Errorf("%w: no auth response after %d packets", ErrProtocol, skipped))
			}
		case <-cn.done:
			return c.wrap("auth", fmt.Errorf("%w: connection closed", ErrClosed))
		case <-dctx.Done():
			if ctx.Err() == context.Canceled {
				return c.wrap("auth", ctx.Err())
			}
			return fmt.Errorf("rcon: %w from server %q (nothing within %s after the password): %w: %w",
				ErrNoAnswer, c.opts.Name, time.Since(start).Round(time.Millisecond), ErrTimeout, dctx.Err())
		}
	}
}

// roundTrip writes cmd and waits for its reply. Errors are unwrapped (the
// caller adds the prefix) and always mean the connection must be discarded.
func (c *Client) roundTrip(ctx context.Context, cn *conn, cmd string) (string, error) {
	start := time.Now()
	cctx, cancel := context.WithTimeout(ctx, c.opts.CommandTimeout)
	defer cancel()
	if dl, ok := cctx.Deadline(); ok {
		_ = cn.nc.SetWriteDeadline(dl)
	}
	if _, err := cn.nc.Write(encodePacket(gorcon.SERVERDATA_EXECCOMMAND, execID, cmd)); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return "", fmt.Errorf("%w: write: %w", ErrTimeout, err)
		}
		return "", fmt.Errorf("%w: write: %w", ErrUnavailable, err)
	}
	for strays := 0; ; {
		select {
		case r := <-cn.pkts:
			if r.err != nil {
				return "", classifyRead(r.err)
			}
			p := r.pkt
			if p.Type == gorcon.SERVERDATA_RESPONSE_VALUE && p.ID == execID && !isKeepAlive(p.Body) {
				return p.Body, nil
			}
			c.log.Debug("rcon skipped stray packet", slog.Int("id", int(p.ID)), slog.Int("type", int(p.Type)), slog.String("body", clip(p.Body, 64)))
			if strays++; strays > maxStrays {
				return "", fmt.Errorf("%w: %d stray packets and no reply", ErrProtocol, strays)
			}
		case <-cn.done:
			return "", fmt.Errorf("%w: connection closed", ErrClosed)
		case <-cctx.Done():
			if ctx.Err() == context.Canceled {
				return "", ctx.Err()
			}
			return "", fmt.Errorf("%w: no reply within %s: %w", ErrTimeout, time.Since(start).Round(time.Millisecond), cctx.Err())
		}
	}
}

func classifyRead(err error) error {
	if errors.Is(err, ErrProtocol) || errors.Is(err, ErrReplyTooLarge) {
		return err
	}
	return fmt.Errorf("%w: connection lost: %w", ErrUnavailable, err)
}

// IsSilent reports whether body is ASA's "no output" reply (case-insensitive,
// surrounding whitespace ignored; a longer text that merely starts with it is
// not silent).
func IsSilent(body string) bool {
	return strings.EqualFold(strings.TrimSpace(body), SilentReply)
}

func isKeepAlive(body string) bool {
	return strings.EqualFold(strings.TrimSpace(body), KeepAliveBody)
}

func firstWord(cmd string) string {
	w, _, _ := strings.Cut(strings.TrimSpace(cmd), " ")
	return clip(w, 40)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// conn is one TCP connection with its reader goroutine.
type conn struct {
	nc   net.Conn
	pkts chan readResult
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

type readResult struct {
	pkt packet
	err error
}

func newConn(nc net.Conn, maxBody int) *conn {
	cn := &conn{nc: nc, pkts: make(chan readResult, pktQueue), done: make(chan struct{})}
	cn.wg.Add(1)
	go cn.readLoop(bufio.NewReaderSize(nc, 8<<10), maxBody)
	return cn
}

// readLoop decodes packets until the first error, which it also delivers.
func (cn *conn) readLoop(r *bufio.Reader, maxBody int) {
	defer cn.wg.Done()
	for {
		p, err := readPacket(r, maxBody)
		select {
		case cn.pkts <- readResult{pkt: p, err: err}:
		case <-cn.done:
			return
		}
		if err != nil {
			return
		}
	}
}

// drain discards packets received while idle. It reports false when the
// connection is dead (read error or closed).
func (cn *conn) drain(log *slog.Logger) bool {
	for {
		select {
		case r := <-cn.pkts:
			if r.err != nil {
				return false
			}
			log.Debug("rcon discarded packet received while idle", slog.Int("id", int(r.pkt.ID)), slog.String("body", clip(r.pkt.Body, 64)))
		case <-cn.done:
			return false
		default:
			return true
		}
	}
}

// close closes the socket and waits for the reader. Idempotent.
func (cn *conn) close() {
	cn.once.Do(func() {
		close(cn.done)
		_ = cn.nc.Close()
		cn.wg.Wait()
	})
}
