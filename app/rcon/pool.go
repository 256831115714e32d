package rcon

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
)

// Target is where and how to reach one server. Password is redacted by
// String, GoString and LogValue.
type Target struct {
	Name     string
	Addr     string
	Password string
}

// String implements fmt.Stringer without the password.
func (t Target) String() string {
	return fmt.Sprintf("rcon.Target{Name:%q Addr:%q Password:%s}", t.Name, t.Addr, redacted(t.Password))
}

// GoString implements fmt.GoStringer without the password.
func (t Target) GoString() string { return t.String() }

// LogValue implements slog.LogValuer without the password.
func (t Target) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", t.Name), slog.String("addr", t.Addr))
}

// Resolver looks up the current target of a server (e.g. from storage).
// It is called on every Pool.Exec, so it should be cheap.
type Resolver func(ctx context.Context, serverID int64) (Target, error)

// Pool holds one Client per server id. When the resolver returns a different
// target for a server (address or password changed) the old client is closed
// and replaced. Safe for concurrent use.
type Pool struct {
	resolve Resolver
	opts    Options // template; Name, Addr and Password come from the Target

	mu      sync.Mutex
	clients map[int64]poolEntry
	closed  bool
}

type poolEntry struct {
	target Target
	client *Client
}

// NewPool returns a pool. opts supplies timeouts, limits and the logger for
// every client; its Name, Addr and Password are ignored.
func NewPool(resolve Resolver, opts Options) *Pool {
	return &Pool{resolve: resolve, opts: opts, clients: make(map[int64]poolEntry)}
}

// Exec resolves the server and runs cmd on its client (see Client.Exec).
func (p *Pool) Exec(ctx context.Context, serverID int64, cmd string) (string, error) {
	c, err := p.Client(ctx, serverID)
	if err != nil {
		return "", err
	}
	return c.Exec(ctx, cmd)
}

// Client returns the up-to-date client of a server, creating or replacing it.
// The client belongs to the pool: do not Close it.
func (p *Pool) Client(ctx context.Context, serverID int64) (*Client, error) {
	t, err := p.resolve(ctx, serverID)
	if err != nil {
		return nil, fmt.Errorf("rcon: resolve server %d: %w", serverID, err)
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, fmt.Errorf("rcon: pool: %w", ErrClosed)
	}
	e, ok := p.clients[serverID]
	if ok && e.target == t {
		p.mu.Unlock()
		return e.client, nil
	}
	o := p.opts
	o.Name, o.Addr, o.Password = t.Name, t.Addr, t.Password
	if o.Name == "" {
		o.Name = fmt.Sprintf("server %d", serverID)
	}
	nc := NewClient(o)
	p.clients[serverID] = poolEntry{target: t, client: nc}
	p.mu.Unlock()
	if ok {
		_ = e.client.Close() // outside the lock: closing waits for the reader
		nc.log.Info("rcon target changed; old client closed", slog.Int64("server_id", serverID))
	}
	return nc, nil
}

// Forget closes and removes the client of a server, if any.
func (p *Pool) Forget(serverID int64) {
	p.mu.Lock()
	e, ok := p.clients[serverID]
	delete(p.clients, serverID)
	p.mu.Unlock()
	if ok {
		_ = e.client.Close()
	}
}

// Close closes every client; later calls fail with ErrClosed. Idempotent.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	entries := p.clients
	p.clients = make(map[int64]poolEntry)
	p.mu.Unlock()
	for _, e := range entries {
		_ = e.client.Close()
	}
	return nil
}
