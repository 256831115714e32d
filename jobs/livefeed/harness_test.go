package livefeed_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blissark/bliss/app/nitrado"
	"github.com/blissark/bliss/app/nitrado/nitradotest"
	"github.com/blissark/bliss/app/rcon"
	"github.com/blissark/bliss/app/rcon/rcontest"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/jobs/livefeed"
	"github.com/blissark/bliss/storage"
)

// storeAdapter is the test's copy of app's adapter (jobs never import
// storage; tests may).
type storeAdapter struct{ db *storage.DB }

func toOutbox(it livefeed.Item) storage.OutboxItem {
	return storage.OutboxItem{Kind: it.Kind, Key: it.Key, GuildID: it.GuildID, ServiceID: it.ServiceID, Target: it.Target, Payload: it.Payload}
}

func fromOutbox(it storage.OutboxItem) livefeed.Item {
	return livefeed.Item{ID: it.ID, Kind: it.Kind, Key: it.Key, GuildID: it.GuildID, ServiceID: it.ServiceID,
		Target: it.Target, Payload: it.Payload, Attempts: it.Attempts, NextAt: it.NextAt, LastError: it.LastError, CreatedAt: it.CreatedAt}
}

func (s storeAdapter) RecordStream(ctx context.Context, k, v string, items []livefeed.Item) ([]bool, error) {
	out := make([]storage.OutboxItem, len(items))
	for i, it := range items {
		out[i] = toOutbox(it)
	}
	return s.db.RecordStreamCreated(ctx, k, v, out)
}
func (s storeAdapter) Cursor(ctx context.Context, k string) (string, error) {
	return s.db.Cursor(ctx, k)
}
func (s storeAdapter) SetCursor(ctx context.Context, k, v string) error {
	return s.db.SetCursor(ctx, k, v)
}
func (s storeAdapter) Due(ctx context.Context, kind string, now time.Time, limit int) ([]livefeed.Item, error) {
	rows, err := s.db.OutboxDue(ctx, kind, now, limit)
	out := make([]livefeed.Item, len(rows))
	for i, r := range rows {
		out[i] = fromOutbox(r)
	}
	return out, err
}
func (s storeAdapter) Done(ctx context.Context, ids []int64, batch string) error {
	return s.db.OutboxDoneBatch(ctx, ids, batch)
}
func (s storeAdapter) Retry(ctx context.Context, id int64, next time.Time, e string) error {
	return s.db.OutboxRetry(ctx, id, next, e)
}
func (s storeAdapter) Fail(ctx context.Context, id int64, e string) error {
	return s.db.OutboxSetState(ctx, id, storage.OutboxFailed, e)
}
func (s storeAdapter) Recent(ctx context.Context, kind string, sid int64, since time.Time) ([]livefeed.Item, error) {
	rows, err := s.db.OutboxRecent(ctx, kind, sid, since)
	out := make([]livefeed.Item, len(rows))
	for i, r := range rows {
		out[i] = fromOutbox(r)
	}
	return out, err
}
func (s storeAdapter) Pending(ctx context.Context, kind string) (int, error) {
	m, err := s.db.OutboxCounts(ctx, kind)
	return m[storage.OutboxPending], err
}

// clock is the test's time: the feed and the fake game share it.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 9, 13, 18, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// game is one fake ARK server: GetChat over real RCON (rcontest) and the
// same lines in ShooterGame.log on the Nitrado file server (nitradotest),
// as a real server writes them.
type game struct {
	sid   int64
	rc    *rcontest.Server
	files *nitradotest.Server
	clock *clock
	path  string
}

const logPath = "/games/ni1/ftproot/arksa/ShooterGame/Saved/Logs/ShooterGame.log"

func (g *game) say(name, char, text string) {
	line := name + " (" + char + "): " + text
	g.rc.AddChat(line)
	t := g.clock.Now()
	g.files.AppendFileBytes(g.sid, g.path, []byte(fmt.Sprintf("[%s:%03d][  0]%s: %s\n",
		t.Format("2006.01.02-15.04.05"), t.Nanosecond()/1e6, t.Format("2006.01.02_15.04.05"), line)))
}

// fakeDiscord records posts per channel and honours nonce + enforce_nonce.
type fakeDiscord struct {
	mu        sync.Mutex
	next      int
	byNonce   map[string]string
	posts     map[string][]string // channel → contents, in order
	channels  map[string]string   // guild/category/name → id
	threads   map[string]string   // parent/name → id
	reactions map[string][]string // message → emojis
	sends     int
	said      map[string][]livefeed.DiscordMessage // channel → user messages, oldest first
	private   map[string]bool                      // private thread ids
}

// userSays posts a user's message in ch (what CatchUp reads back).
func (d *fakeDiscord) userSays(ch string, m livefeed.DiscordMessage) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.said == nil {
		d.said = map[string][]livefeed.DiscordMessage{}
	}
	m.ChannelID = ch
	d.said[ch] = append(d.said[ch], m)
}

func (d *fakeDiscord) Messages(_ context.Context, ch, after string, limit int) ([]livefeed.DiscordMessage, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []livefeed.DiscordMessage
	for _, m := range d.said[ch] {
		if (len(m.MessageID) > len(after) || (len(m.MessageID) == len(after) && m.MessageID > after)) && len(out) < limit {
			out = append(out, m)
		}
	}
	return out, nil
}

func newFakeDiscord() *fakeDiscord {
	return &fakeDiscord{byNonce: map[string]string{}, posts: map[string][]string{}, channels: map[string]string{},
		threads: map[string]string{}, reactions: map[string][]string{}}
}

func (d *fakeDiscord) id() string { d.next++; return fmt.Sprintf("%d", 1000+d.next) }

func (d *fakeDiscord) Send(_ context.Context, ch, content, nonce string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sends++
	if id, ok := d.byNonce[ch+"/"+nonce]; ok {
		return id, nil
	}
	id := d.id()
	d.byNonce[ch+"/"+nonce] = id
	d.posts[ch] = append(d.posts[ch], content)
	return id, nil
}

func (d *fakeDiscord) EnsureChannel(_ context.Context, guild, cat, name string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := guild + "/" + cat + "/" + name
	if id, ok := d.channels[k]; ok {
		return id, nil
	}
	d.channels[k] = d.id()
	return d.channels[k], nil
}

func (d *fakeDiscord) EnsureThread(_ context.Context, _, parent, name string, private bool) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := parent + "/" + name
	if id, ok := d.threads[k]; ok {
		return id, nil
	}
	d.threads[k] = d.id()
	if private {
		if d.private == nil {
			d.private = map[string]bool{}
		}
		d.private[d.threads[k]] = true
	}
	return d.threads[k], nil
}

func (d *fakeDiscord) React(_ context.Context, _, msg, emoji string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reactions[msg] = append(d.reactions[msg], emoji)
	return nil
}

// lines returns every line posted to ch.
func (d *fakeDiscord) lines(ch string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, p := range d.posts[ch] {
		out = append(out, strings.Split(p, "\n")...)
	}
	return out
}

func (d *fakeDiscord) thread(name string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	for k, id := range d.threads {
		if strings.HasSuffix(k, "/"+name) {
			return id
		}
	}
	return ""
}

type directory struct {
	mu      sync.Mutex
	servers []livefeed.Server
	guild   livefeed.Guild
}

func (d *directory) Servers(context.Context) ([]livefeed.Server, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]livefeed.Server(nil), d.servers...), nil
}
func (d *directory) Guild(context.Context, string) (livefeed.Guild, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.guild, nil
}

// errCrash is what every dependency returns once the "process" died.
var errCrash = errors.New("crashed")

// injector kills the process at the n-th dependency step: the step either
// happens and its answer is lost ("after") or does not happen ("before");
// every later call fails until the test restarts the feed.
type injector struct {
	mu      sync.Mutex
	left    int
	after   bool
	crashed bool
	where   string
	only    string // count only steps starting with this ("" = all)
}

func (in *injector) arm(n int, after bool, only string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.left, in.after, in.crashed, in.where, in.only = n, after, false, "", only
}

func (in *injector) dead() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.crashed
}

// step runs op unless the process is dead or dies at this step.
func (in *injector) step(where string, op func() error) error {
	in.mu.Lock()
	if in.crashed {
		in.mu.Unlock()
		return errCrash
	}
	if in.only == "" || strings.HasPrefix(where, in.only) {
		in.left--
	}
	die := in.left == 0
	after := in.after
	if die {
		in.crashed, in.where = true, where
	}
	in.mu.Unlock()
	if die && !after {
		return errCrash
	}
	err := op()
	if die {
		return errCrash
	}
	return err
}

type crashRCON struct {
	in   *injector
	next livefeed.RCON
}

func (c crashRCON) Exec(ctx context.Context, sid int64, cmd string) (out string, err error) {
	err = c.in.step("rcon "+cmd, func() error { out, err = c.next.Exec(ctx, sid, cmd); return err })
	return out, err
}

type crashStore struct {
	in *injector
	storeAdapter
}

func (c crashStore) RecordStream(ctx context.Context, k, v string, items []livefeed.Item) (created []bool, err error) {
	err = c.in.step("record", func() error { created, err = c.storeAdapter.RecordStream(ctx, k, v, items); return err })
	return created, err
}
func (c crashStore) SetCursor(ctx context.Context, k, v string) error {
	return c.in.step("cursor", func() error { return c.storeAdapter.SetCursor(ctx, k, v) })
}
func (c crashStore) Done(ctx context.Context, ids []int64, b string) error {
	return c.in.step("done", func() error { return c.storeAdapter.Done(ctx, ids, b) })
}
func (c crashStore) Retry(ctx context.Context, id int64, next time.Time, e string) error {
	return c.in.step("retry", func() error { return c.storeAdapter.Retry(ctx, id, next, e) })
}

type crashDiscord struct {
	in *injector
	*fakeDiscord
}

func (c crashDiscord) Send(ctx context.Context, ch, content, nonce string) (id string, err error) {
	err = c.in.step("send", func() error { id, err = c.fakeDiscord.Send(ctx, ch, content, nonce); return err })
	return id, err
}

type crashFiles struct {
	in   *injector
	next livefeed.Files
}

func (c crashFiles) FileSize(ctx context.Context, sid int64, p string) (n int64, err error) {
	err = c.in.step("size", func() error { n, err = c.next.FileSize(ctx, sid, p); return err })
	return n, err
}
func (c crashFiles) Seek(ctx context.Context, sid int64, p string, off, l int64, w io.Writer) (n int64, err error) {
	err = c.in.step("seek", func() error { n, err = c.next.Seek(ctx, sid, p, off, l, w); return err })
	return n, err
}

// world is the fakes of one test: game servers, Nitrado, Discord, a DB file.
type world struct {
	t       testing.TB
	clock   *clock
	files   *nitradotest.Server
	nc      *nitrado.Client
	pool    *rcon.Pool
	games   map[int64]*game
	discord *fakeDiscord
	dir     *directory
	dbPath  string
}

func newWorld(t testing.TB, sids ...int64) *world {
	t.Helper()
	w := &world{t: t, clock: newClock(), games: map[int64]*game{}, discord: newFakeDiscord(),
		dbPath: filepath.Join(t.TempDir(), "bliss.db")}
	w.files = nitradotest.NewServer(nitradotest.Options{})
	t.Cleanup(w.files.Close)
	nc, err := nitrado.New(nitrado.Options{Token: w.files.Token(), BaseURL: w.files.URL(), RateLimit: 10000, RateBurst: 1000})
	if err != nil {
		t.Fatal(err)
	}
	w.nc = nc
	addrs := map[int64]string{}
	w.dir = &directory{guild: livefeed.Guild{BridgeCategoryID: "cat1", LogChannels: map[string]string{"join": "joinlog", "admin": "adminlog", "tribe": "tribelog", "deaths": "deathlog"}}}
	for _, sid := range sids {
		rc, err := rcontest.New(rcontest.Options{Password: "pw"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rc.Close() })
		w.files.AddService(nitradotest.Service{ID: sid, Name: fmt.Sprintf("Map %d", sid), Map: "TheIsland_WP"})
		w.files.AppendFileBytes(sid, logPath, []byte("[2026.09.13-17.59.00:000][  0]Log file open, 09/13/26 17:59:00\n"))
		w.games[sid] = &game{sid: sid, rc: rc, files: w.files, clock: w.clock, path: logPath}
		addrs[sid] = rc.Addr()
		w.dir.servers = append(w.dir.servers, livefeed.Server{ServiceID: sid, GuildID: "g1",
			Name: fmt.Sprintf("Map %d - (v52.1)", sid), Map: fmt.Sprintf("M%d", sid), LogPath: logPath})
	}
	w.pool = rcon.NewPool(func(_ context.Context, sid int64) (rcon.Target, error) {
		return rcon.Target{Name: fmt.Sprint(sid), Addr: addrs[sid], Password: "pw"}, nil
	}, rcon.Options{CommandTimeout: 10 * time.Second})
	t.Cleanup(func() { w.pool.Close() })
	return w
}

func (w *world) openDB() *storage.DB {
	db, err := storage.Open(context.Background(), w.dbPath)
	if err != nil {
		w.t.Fatal(err)
	}
	return db
}

// feed builds a feed over db; with in != nil every dependency can crash.
func (w *world) feed(db *storage.DB, in *injector, opts func(*livefeed.Options)) *livefeed.Feed {
	o := livefeed.Options{
		Store: storeAdapter{db}, RCON: w.pool, Files: w.nc, Discord: w.discord, Directory: w.dir,
		Now: w.clock.Now, Nonce: storage.OutboxNonce, NoGameLog: true,
		RelaySettle:  -1,                                                 // tests that need it set it (the fake clock stands still)
		SanitizeName: bots.SanitizeName, SanitizeChat: bots.SanitizeChat, // as app wires it
	}
	if in != nil {
		o.Store = crashStore{in: in, storeAdapter: storeAdapter{db}}
		o.RCON = crashRCON{in: in, next: w.pool}
		o.Discord = crashDiscord{in: in, fakeDiscord: w.discord}
		o.Files = crashFiles{in: in, next: w.nc}
	}
	if opts != nil {
		opts(&o)
	}
	f, err := livefeed.New(o)
	if err != nil {
		w.t.Fatal(err)
	}
	return f
}

// chatTexts extracts the text of "**Name** (Char): text" lines.
func chatTexts(lines []string) []string {
	var out []string
	for _, l := range lines {
		if _, rest, ok := strings.Cut(l, "): "); ok {
			out = append(out, rest)
		}
	}
	return out
}
