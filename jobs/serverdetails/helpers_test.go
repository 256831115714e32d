package serverdetails

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blissark/bliss/app/nitrado"
	"github.com/blissark/bliss/storage/cache"
	"github.com/blissark/bliss/storage/state"
)

// Secrets that must never show up in a log record or an error.
const (
	testPassword  = "hunter2-rcon-Zq81"
	testPassword2 = "second-rcon-Kx07"
)

// fakeSource is an in-process Source for synctest bubbles (real sockets do
// not work there).
type fakeSource struct {
	mu        sync.Mutex
	servers   map[int64]*nitrado.Gameserver
	gsErr     map[int64]error // per server; key 0 = every server
	pingErr   error
	gsCalls   map[int64]int
	pingCalls int
}

func newFakeSource() *fakeSource {
	return &fakeSource{servers: map[int64]*nitrado.Gameserver{}, gsErr: map[int64]error{}, gsCalls: map[int64]int{}}
}

func gameserver(id int64, name, password string) *nitrado.Gameserver {
	return &nitrado.Gameserver{
		ServiceID: id, Status: "started", Game: "arksa", IP: "10.0.0.1", Port: 7777, QueryPort: 27015,
		RCONPort: 27020, Label: name, Slots: 70, Location: "DE",
		GameSpecific: nitrado.GameSpecific{Path: "/games/ni1_1/ftproot/arksa/"},
		Settings: nitrado.Settings{"config": {
			"current-admin-password": nitrado.SettingValue(password),
			"map":                    "TheIsland_WP",
		}},
		Query: nitrado.Query{ServerName: name, PlayerCurrent: 3, PlayerMax: 70},
	}
}

func (f *fakeSource) add(gs *nitrado.Gameserver) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.servers[gs.ServiceID] = gs
}

func (f *fakeSource) rename(id int64, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cp := *f.servers[id]
	cp.Query.ServerName, cp.Label = name, name
	f.servers[id] = &cp
}

func (f *fakeSource) failGameserver(id int64, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		delete(f.gsErr, id)
		return
	}
	f.gsErr[id] = err
}

func (f *fakeSource) failPing(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pingErr = err
}

func (f *fakeSource) calls(id int64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gsCalls[id]
}

func (f *fakeSource) pings() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pingCalls
}

func (f *fakeSource) Gameserver(ctx context.Context, id int64) (*nitrado.Gameserver, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gsCalls[id]++
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := f.gsErr[id]; err != nil {
		return nil, err
	}
	if err := f.gsErr[0]; err != nil {
		return nil, err
	}
	gs, ok := f.servers[id]
	if !ok {
		return nil, &nitrado.APIError{Status: http.StatusNotFound, Message: "Service not found"}
	}
	cp := *gs
	return &cp, nil
}

func (f *fakeSource) Ping(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pingCalls++
	if err := ctx.Err(); err != nil {
		return err
	}
	return f.pingErr
}

// maintenance is what the nitrado client returns for a 503.
func maintenance() error {
	return &nitrado.APIError{Status: http.StatusServiceUnavailable, Message: "Maintenance"}
}

// logBuffer captures every log record of a test.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newLogger() (*slog.Logger, *logBuffer) {
	buf := &logBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// assertNoSecret fails if any secret appears in text.
func assertNoSecret(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range append([]string{testPassword, testPassword2}, secrets...) {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s contains a secret: %q", what, text)
		}
	}
}

// testStale is the bbolt state store seen through StaleStore, the way app
// wires it.
type testStale struct{ *state.Store }

func (s testStale) Stale(kind, key string) (StaleEntry, bool, error) {
	e, ok, err := s.Store.Stale(kind, key)
	return StaleEntry(e), ok, err
}

func (s testStale) StaleAll(kind string) ([]StaleEntry, error) {
	es, err := s.Store.StaleAll(kind)
	out := make([]StaleEntry, len(es))
	for i, e := range es {
		out[i] = StaleEntry(e)
	}
	return out, err
}

func openStore(t *testing.T, path string) testStale {
	t.Helper()
	st, err := state.Open(path, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return testStale{st}
}

func tempStore(t *testing.T) testStale {
	t.Helper()
	st := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// ristretto is the production MemCache (storage/cache), as app wires it.
func ristretto(ttl time.Duration, onExpire func(int64, Details)) (MemCache, error) {
	return cache.New(cache.Options[int64, Details]{TTL: ttl, OnExpire: onExpire})
}

func mustNew(t *testing.T, opts Options) *Cache {
	t.Helper()
	if opts.NewMem == nil {
		opts.NewMem = ristretto
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// healthEvent is one listener call.
type healthEvent struct {
	healthy bool
	reason  string
}

type eventLog struct {
	mu sync.Mutex
	ev []healthEvent
}

func (e *eventLog) record(healthy bool, reason string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ev = append(e.ev, healthEvent{healthy, reason})
}

func (e *eventLog) events() []healthEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]healthEvent(nil), e.ev...)
}

// start runs c.Run until the returned stop is called; stop reports Run's
// error.
func start(t *testing.T, c *Cache) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx) }()
	return func() error {
		cancel()
		return <-errc
	}
}

// dropCache is a TTL cache whose admission policy rejects every Set.
type dropCache struct{}

func (dropCache) Get(int64) (Details, bool) { return Details{}, false }
func (dropCache) Set(int64, Details) bool   { return false }
func (dropCache) Del(int64)                 {}
func (dropCache) ExpiriesDropped() uint64   { return 0 }
func (dropCache) Close()                    {}

var errBoom = errors.New("boom")
