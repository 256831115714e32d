package livefeed_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/feedstore"
	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/bots/discordtest"
	"github.com/blissark/bliss/jobs/livefeed"
	"github.com/blissark/bliss/storage"
)

// dgDiscord is the test's copy of app's feedDiscord: livefeed.Discord and
// livefeed.MemberDiscord over a real discordgo session (the fake Discord).
type dgDiscord struct{ s *discordgo.Session }

func (d dgDiscord) Send(ctx context.Context, ch, content, nonce string) (string, error) {
	body := map[string]any{"content": content, "nonce": nonce, "enforce_nonce": true,
		"allowed_mentions": map[string]any{"parse": []string{}}}
	ep := discordgo.EndpointChannelMessages(ch)
	raw, err := d.s.RequestWithBucketID("POST", ep, body, ep, discordgo.WithContext(ctx))
	if err != nil {
		return "", err
	}
	var m discordgo.Message
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", err
	}
	return m.ID, nil
}

func (d dgDiscord) EnsureChannel(context.Context, string, string, string) (string, error) {
	return "", errors.New("no chat bridge in this test")
}

func (d dgDiscord) EnsureThread(ctx context.Context, guild, parent, name string, private bool) (string, error) {
	if list, err := d.s.GuildThreadsActive(guild, discordgo.WithContext(ctx)); err == nil {
		for _, t := range list.Threads {
			if t.ParentID == parent && t.Name == name {
				return t.ID, nil
			}
		}
	}
	typ := discordgo.ChannelTypeGuildPublicThread
	if private {
		typ = discordgo.ChannelTypeGuildPrivateThread
	}
	t, err := d.s.ThreadStart(parent, name, typ, 10080, discordgo.WithContext(ctx))
	if err != nil {
		return "", err
	}
	return t.ID, nil
}

func (d dgDiscord) React(ctx context.Context, ch, msg, emoji string) error {
	return d.s.MessageReactionAdd(ch, msg, emoji, discordgo.WithContext(ctx))
}

func (d dgDiscord) Messages(context.Context, string, string, int) ([]livefeed.DiscordMessage, error) {
	return nil, nil
}

func goneErr(err error) error {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil {
		switch re.Message.Code {
		case discordgo.ErrCodeUnknownMember, discordgo.ErrCodeUnknownChannel:
			return fmt.Errorf("%w: %w", livefeed.ErrGone, err)
		case discordgo.ErrCodePerformedOperationOnArchivedThread:
			return fmt.Errorf("%w: %w", livefeed.ErrArchived, err)
		}
	}
	return err
}

func (d dgDiscord) Unarchive(ctx context.Context, th string) error {
	no := false
	_, err := d.s.ChannelEditComplex(th, &discordgo.ChannelEdit{Archived: &no}, discordgo.WithContext(ctx))
	return goneErr(err)
}

func (d dgDiscord) archive(th string) error {
	yes := true
	_, err := d.s.ChannelEditComplex(th, &discordgo.ChannelEdit{Archived: &yes})
	return err
}

func (d dgDiscord) AddThreadMember(ctx context.Context, th, user string) error {
	return goneErr(d.s.ThreadMemberAdd(th, user, discordgo.WithContext(ctx)))
}

func (d dgDiscord) RemoveThreadMember(ctx context.Context, th, user string) error {
	return goneErr(d.s.ThreadMemberRemove(th, user, discordgo.WithContext(ctx)))
}

// guildDir is a Directory with settings per guild.
type guildDir struct {
	mu      sync.Mutex
	servers []livefeed.Server
	guilds  map[string]livefeed.Guild
}

func (d *guildDir) Servers(context.Context) ([]livefeed.Server, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.servers), nil
}

func (d *guildDir) Guild(_ context.Context, id string) (livefeed.Guild, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.guilds[id], nil
}

func (d *guildDir) setTribeThreads(guild string, on bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	g := d.guilds[guild]
	g.TribeThreads = on
	d.guilds[guild] = g
}

// tribeRig: two guilds on the fake Discord, each following one server
// (G1 map 53, G2 map 54) with tribe threads on; one Server bot session.
type tribeRig struct {
	t      *testing.T
	w      *world
	db     *storage.DB
	dc     *discordtest.Server
	bot    discordtest.Bot
	dg     dgDiscord
	dir    *guildDir
	users  map[string]*discordgo.User
	eos    map[string]string // user name → EOS id
	feed   *livefeed.Feed
	member *livefeed.Members
}

const (
	g1, g2       = "300000000000000001", "300000000000000002"
	tribeLog1    = "300000000000000101"
	tribeLog2    = "300000000000000102"
	guppy, other = "Tribe of Guppy", "Other Tribe"
)

func newTribeRig(t *testing.T) *tribeRig {
	t.Helper()
	w := newWorld(t, 53, 54)
	r := &tribeRig{t: t, w: w, users: map[string]*discordgo.User{}, eos: map[string]string{}}
	r.dc = discordtest.New(discordtest.Options{AckDeadline: discordtest.LoadedAckDeadline})
	t.Cleanup(r.dc.Close)
	r.bot = r.dc.AddBot("tribe-server-bot")
	for i, name := range []string{"alice", "bob", "carol", "dave"} {
		r.users[name] = &discordgo.User{ID: fmt.Sprintf("30000000000000100%d", i), Username: name}
		r.eos[name] = fmt.Sprintf("%031x%d", 0xabc, i)
	}
	botRole := &discordgo.Role{ID: "300000000000000201", Name: "bot", Permissions: discordgo.PermissionViewChannel |
		discordgo.PermissionSendMessages | discordgo.PermissionSendMessagesInThreads | discordgo.PermissionCreatePrivateThreads |
		discordgo.PermissionCreatePublicThreads | discordgo.PermissionManageThreads}
	for _, g := range []struct{ id, ch string }{{g1, tribeLog1}, {g2, tribeLog2}} {
		var ms []*discordgo.Member
		for _, u := range r.users { // everyone is in both guilds: only links decide
			ms = append(ms, &discordgo.Member{User: u})
		}
		r.dc.AddGuild(discordtest.Guild{ID: g.id, Name: "G" + g.id[len(g.id)-1:], Roles: []*discordgo.Role{{ID: botRole.ID + g.id[len(g.id)-1:], Name: "bot", Permissions: botRole.Permissions}},
			Channels: []*discordgo.Channel{{ID: g.ch, Name: "tribe-log", Type: discordgo.ChannelTypeGuildText}}, Members: ms})
		if err := r.dc.AddBotToGuild(r.bot, g.id, botRole.ID+g.id[len(g.id)-1:]); err != nil {
			t.Fatal(err)
		}
	}
	s, err := r.dc.NewSession(r.bot)
	if err != nil {
		t.Fatal(err)
	}
	r.dg = dgDiscord{s: s}
	r.dir = &guildDir{guilds: map[string]livefeed.Guild{
		g1: {LogChannels: map[string]string{"tribe": tribeLog1}, TribeThreads: true},
		g2: {LogChannels: map[string]string{"tribe": tribeLog2}, TribeThreads: true},
	}}
	for _, srv := range w.dir.servers {
		srv.GuildID = g1
		if srv.ServiceID == 54 {
			srv.GuildID = g2
		}
		r.dir.servers = append(r.dir.servers, srv)
	}
	r.db = w.openDB()
	t.Cleanup(func() { r.db.Close() })
	r.start()
	return r
}

// start builds the feed and the membership sync (again: a restart).
func (r *tribeRig) start() {
	m, err := livefeed.NewMembers(livefeed.MembersOptions{Store: feedstore.Members{DB: r.db}, Discord: r.dg, Directory: r.dir,
		Now: r.w.clock.Now, Every: time.Millisecond})
	if err != nil {
		r.t.Fatal(err)
	}
	r.member = m
	r.feed = r.w.feed(r.db, nil, func(o *livefeed.Options) {
		o.Discord, o.Directory, o.NoGameLog = r.dg, r.dir, false
		o.OnTribeThread = func(ctx context.Context, t livefeed.TribeThread) {
			if err := m.SyncThread(ctx, t); err != nil {
				r.t.Errorf("sync thread: %v", err)
			}
		}
	})
}

func (r *tribeRig) link(guild, user string) {
	r.t.Helper()
	if err := r.db.PutLink(context.Background(), storage.Link{GuildID: guild, DiscordID: r.users[user].ID, EOSID: r.eos[user],
		Name: user, LinkedAt: r.w.clock.Now()}); err != nil {
		r.t.Fatal(err)
	}
}

// snapshot writes a server's save snapshot: user name → tribe ("" none).
func (r *tribeRig) snapshot(sid int64, run string, tribes map[string]string) {
	r.t.Helper()
	ids := map[string]int64{guppy: 123, other: 124}
	var ps []arksave.Player
	names := make([]string, 0, len(tribes))
	for n := range tribes {
		names = append(names, n)
	}
	slices.Sort(names)
	for i, n := range names {
		p := arksave.Player{PlayerDataID: uint64(100 + i), EOSID: strings.ToUpper(r.eos[n]), CharacterName: n + "-char", PlatformName: n, Level: 50}
		if tr := tribes[n]; tr != "" {
			p.TribeID, p.TribeName = cmp.Or(ids[tr], 123), tr // a renamed tribe keeps its id
		}
		ps = append(ps, p)
	}
	if err := r.db.ReplaceSnapshot(context.Background(), &storage.Snapshot{Info: storage.SnapshotInfo{ServerID: sid, RunID: run, Map: "TheIsland_WP"},
		Players: ps}); err != nil {
		r.t.Fatal(err)
	}
}

// tribeLine puts a tribe-log line of tribe in the game log of sid, then
// polls (and delivers).
func (r *tribeRig) tribeLine(sid int64, tribe, text string) {
	r.t.Helper()
	r.w.clock.Advance(time.Second)
	stamp := r.w.clock.Now().Format("2006.01.02_15.04.05")
	r.w.games[sid].rc.AddGameLog(fmt.Sprintf("%s: Tribe %s, ID 123: Day 1, 12:00:00: %s", stamp, tribe, text))
	r.w.clock.Advance(5 * time.Second)
	if err := r.feed.Poll(context.Background(), sid); err != nil {
		r.t.Fatalf("poll %d: %v", sid, err)
	}
}

// thread returns the id of the thread named name in guild ("" none).
func (r *tribeRig) thread(guild, name string) string {
	for _, c := range r.dc.Channels(guild) {
		if c.IsThread() && c.Name == name {
			return c.ID
		}
	}
	return ""
}

func (r *tribeRig) members(thread string) []string {
	ids, ok := r.dc.ThreadMembers(thread)
	if !ok {
		r.t.Fatalf("thread %s unknown", thread)
	}
	var out []string
	for _, id := range ids {
		for n, u := range r.users {
			if u.ID == id {
				out = append(out, n)
			}
		}
	}
	slices.Sort(out)
	return out
}

// memberCalls counts the bot's thread-members calls of method.
func (r *tribeRig) memberCalls(method string) int {
	n := 0
	for _, c := range r.dc.Calls(r.bot) {
		if c.Method == method && strings.Contains(c.Path, "/thread-members/") {
			n++
		}
	}
	return n
}

func (r *tribeRig) sync() {
	r.t.Helper()
	if err := r.member.Sync(context.Background()); err != nil {
		r.t.Fatalf("members sync: %v", err)
	}
}

// canPost: the fake refuses a user's message in a private thread they
// cannot see.
func (r *tribeRig) canPost(thread, user string) bool {
	_, err := r.dc.SendMessage(thread, r.users[user], "hi tribe")
	return err == nil
}

// TestTribeThreadMembers: the linked members of a tribe (on the thread's
// server, in the thread's guild) are added to its private thread when the
// feed creates it; unlinked players, other tribes and other guilds' links
// are not; a restart adds no one twice; a player who leaves the tribe is
// removed; a new link joins on the next pass; with the setting off nothing
// happens.
func TestTribeThreadMembers(t *testing.T) {
	r := newTribeRig(t)
	r.link(g1, "alice")
	r.link(g1, "carol")
	r.link(g2, "dave")
	// Map 53 (G1): alice and bob (unlinked) in Guppy, carol in another
	// tribe, dave in Guppy but linked in G2 only. Map 54 (G2): dave and
	// alice (linked in G1 only) in Guppy.
	r.snapshot(53, "r1", map[string]string{"alice": guppy, "bob": guppy, "carol": other, "dave": guppy})
	r.snapshot(54, "r1", map[string]string{"alice": guppy, "dave": guppy})

	r.tribeLine(53, guppy, "Your Tribe Tamed a Juvenile Kentrosaurus - Lvl 24 (Kentrosaurus)!")
	th := r.thread(g1, "Map 53 tribe "+guppy)
	if th == "" {
		t.Fatalf("no tribe thread in G1: %v", r.dc.Channels(g1))
	}
	if c, _ := r.dc.Channel(th); c.Type != discordgo.ChannelTypeGuildPrivateThread {
		t.Fatalf("tribe thread type %v, want private", c.Type)
	}
	// At creation, before any scheduled pass.
	if got := r.members(th); !slices.Equal(got, []string{"alice"}) {
		t.Fatalf("members of the new thread %v, want [alice]", got)
	}
	if !r.canPost(th, "alice") || r.canPost(th, "bob") || r.canPost(th, "carol") || r.canPost(th, "dave") {
		t.Fatal("private thread visibility: only alice (linked, in the tribe) should see it")
	}
	if msgs := r.dc.Messages(th); len(msgs) == 0 || !strings.Contains(msgs[0].Content, "Kentrosaurus") {
		t.Fatalf("tribe thread messages %v", msgs)
	}

	r.tribeLine(54, guppy, "Dave was added to the Tribe!")
	th2 := r.thread(g2, "Map 54 tribe "+guppy)
	if th2 == "" {
		t.Fatal("no tribe thread in G2")
	}
	if got := r.members(th2); !slices.Equal(got, []string{"dave"}) {
		t.Fatalf("G2 thread members %v, want [dave] (alice is linked in G1 only)", got)
	}

	puts := r.memberCalls(http.MethodPut)
	if puts != 2 {
		t.Fatalf("%d PUT thread-members calls, want 2", puts)
	}
	r.sync()
	r.start() // a restart: the membership is durable
	r.sync()
	if got := r.memberCalls(http.MethodPut); got != puts {
		t.Fatalf("sync and restart re-added members: %d PUT calls, want %d", got, puts)
	}

	// Next snapshot: alice left Guppy; bob links (in G1).
	r.snapshot(53, "r2", map[string]string{"alice": "", "bob": guppy, "carol": other, "dave": guppy})
	r.link(g1, "bob")
	r.sync()
	if got := r.members(th); !slices.Equal(got, []string{"bob"}) {
		t.Fatalf("after alice left and bob linked: members %v, want [bob]", got)
	}
	if r.canPost(th, "alice") || !r.canPost(th, "bob") {
		t.Fatal("alice should no longer see the thread, bob should")
	}
	if got := r.memberCalls(http.MethodDelete); got != 1 {
		t.Fatalf("%d DELETE calls, want 1", got)
	}
	if got := r.members(th2); !slices.Equal(got, []string{"dave"}) {
		t.Fatalf("G2 thread changed: %v", got)
	}

	// bob unlinks: removed on the next pass.
	if _, err := r.db.Unlink(context.Background(), g1, r.users["bob"].ID); err != nil {
		t.Fatal(err)
	}
	r.sync()
	if got := r.members(th); len(got) != 0 {
		t.Fatalf("after bob unlinked: members %v", got)
	}

	// Setting off: alice rejoins Guppy, nothing happens.
	r.dir.setTribeThreads(g1, false)
	r.snapshot(53, "r3", map[string]string{"alice": guppy})
	before := len(r.dc.Calls(r.bot))
	r.sync()
	if got := r.dc.Calls(r.bot)[before:]; len(got) != 0 {
		t.Fatalf("tribe threads off: %d Discord calls (%s %s)", len(got), got[0].Method, got[0].Path)
	}
	if got := r.members(th); len(got) != 0 {
		t.Fatalf("tribe threads off: members %v", got)
	}
	r.dir.setTribeThreads(g1, true)
	r.sync()
	if got := r.members(th); !slices.Equal(got, []string{"alice"}) {
		t.Fatalf("tribe threads back on: members %v, want [alice]", got)
	}
}

// TestTribeThreadMembersRefused: a linked player who is not in the Discord
// guild any more is not retried on every pass (it backs off), and joins
// once they are back and the backoff is over.
func TestTribeThreadMembersRefused(t *testing.T) {
	r := newTribeRig(t)
	r.link(g1, "alice")
	r.link(g1, "bob")
	r.snapshot(53, "r1", map[string]string{"alice": guppy, "bob": guppy})
	if err := r.dc.RemoveMember(g1, r.users["bob"].ID); err != nil {
		t.Fatal(err)
	}
	r.tribeLine(53, guppy, "Your Tribe Tamed a Dodo - Lvl 2 (Dodo)!")
	th := r.thread(g1, "Map 53 tribe "+guppy)
	if got := r.members(th); !slices.Equal(got, []string{"alice"}) {
		t.Fatalf("members %v, want [alice]", got)
	}
	puts := r.memberCalls(http.MethodPut)
	r.sync()
	r.sync()
	if got := r.memberCalls(http.MethodPut); got != puts {
		t.Fatalf("a refused add was retried at once: %d PUT calls, want %d", got, puts)
	}
	if st := r.member.Stats(); st.Failed != 1 || st.Added != 1 {
		t.Fatalf("stats %+v", st)
	}
	if _, err := r.dc.AddMember(g1, &discordgo.Member{User: r.users["bob"]}); err != nil {
		t.Fatal(err)
	}
	r.w.clock.Advance(2 * time.Minute)
	r.sync()
	if got := r.members(th); !slices.Equal(got, []string{"alice", "bob"}) {
		t.Fatalf("after bob is back: members %v", got)
	}
}

// TestTribeThreadMembersArchived: a quiet tribe's thread archives itself;
// a new member is still added (the thread is unarchived for them).
func TestTribeThreadMembersArchived(t *testing.T) {
	r := newTribeRig(t)
	r.link(g1, "alice")
	r.snapshot(53, "r1", map[string]string{"alice": guppy, "bob": guppy})
	r.tribeLine(53, guppy, "Your Tribe Tamed a Dodo - Lvl 2 (Dodo)!")
	th := r.thread(g1, "Map 53 tribe "+guppy)
	if err := r.dg.archive(th); err != nil {
		t.Fatal(err)
	}
	r.link(g1, "bob")
	r.sync()
	if got := r.members(th); !slices.Equal(got, []string{"alice", "bob"}) {
		t.Fatalf("members %v, want [alice bob]", got)
	}
	if c, _ := r.dc.Channel(th); c.ThreadMetadata == nil || c.ThreadMetadata.Archived {
		t.Fatalf("thread still archived: %+v", c.ThreadMetadata)
	}
	if st := r.member.Stats(); st.Failed != 0 || st.Added != 2 {
		t.Fatalf("stats %+v", st)
	}
	if got := r.memberCalls(http.MethodPut); got != 3 { // alice; bob refused (archived), bob again
		t.Fatalf("%d PUT calls, want 3", got)
	}
}

// countDiscord counts thread member calls and always succeeds.
type countDiscord struct {
	mu                 sync.Mutex
	adds, removes, una int
}

func (d *countDiscord) AddThreadMember(context.Context, string, string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.adds++
	return nil
}

func (d *countDiscord) RemoveThreadMember(context.Context, string, string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.removes++
	return nil
}

func (d *countDiscord) Unarchive(context.Context, string) error { return nil }

// BenchmarkTribeMembersSyncNoChange is the every-minute pass of a guild
// with 100 tribe threads on a 2,000-player server (600 linked players in
// 200 tribes) when nothing changed: reads only, no Discord call.
func BenchmarkTribeMembersSyncNoChange(b *testing.B) {
	ctx := context.Background()
	db, err := storage.Open(ctx, b.TempDir()+"/bliss.db")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const sid = 53
	var ps []arksave.Player
	for i := range 2000 {
		p := arksave.Player{PlayerDataID: uint64(i + 1), EOSID: fmt.Sprintf("%032x", i+1), CharacterName: fmt.Sprint("c", i)}
		if i%10 != 9 {
			p.TribeID, p.TribeName = int64(1000+i%200), fmt.Sprintf("Tribe %d", i%200)
		}
		ps = append(ps, p)
		if i%3 == 0 {
			if err := db.PutLink(ctx, storage.Link{GuildID: g1, DiscordID: fmt.Sprint(400000000000000000 + i), EOSID: p.EOSID}); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := db.ReplaceSnapshot(ctx, &storage.Snapshot{Info: storage.SnapshotInfo{ServerID: sid, RunID: "r1"}, Players: ps}); err != nil {
		b.Fatal(err)
	}
	for i := range 100 {
		if err := db.SetCursor(ctx, fmt.Sprintf("feed/thread/%s/tribe:Tribe %d/%d", g1, i, sid), fmt.Sprint(500000000000000000+i)); err != nil {
			b.Fatal(err)
		}
	}
	dc := &countDiscord{}
	dir := &guildDir{servers: []livefeed.Server{{ServiceID: sid, GuildID: g1}}, guilds: map[string]livefeed.Guild{g1: {TribeThreads: true}}}
	m, err := livefeed.NewMembers(livefeed.MembersOptions{Store: feedstore.Members{DB: db}, Discord: dc, Directory: dir, Every: -1})
	if err != nil {
		b.Fatal(err)
	}
	if err := m.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	added := dc.adds
	if added == 0 {
		b.Fatal("nothing added")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := m.Sync(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if dc.adds != added || dc.removes != 0 {
		b.Fatalf("a no-change pass called Discord: %d adds (want %d), %d removes", dc.adds, added, dc.removes)
	}
	b.ReportMetric(float64(added), "members")
}

// TestTribeThreadMembersRenameAndServers: threads are per server, so a
// same-named tribe on another map of the guild has its own members; a
// renamed tribe gets a new thread (with its members at once) and the old
// thread loses them on the next pass.
func TestTribeThreadMembersRenameAndServers(t *testing.T) {
	r := newTribeRig(t)
	r.dir.mu.Lock()
	for i := range r.dir.servers {
		r.dir.servers[i].GuildID = g1 // both maps in G1
	}
	r.dir.mu.Unlock()
	r.link(g1, "alice")
	r.link(g1, "bob")
	r.snapshot(53, "r1", map[string]string{"alice": guppy})
	r.snapshot(54, "r1", map[string]string{"bob": guppy})
	r.tribeLine(53, guppy, "Your Tribe Tamed a Dodo - Lvl 2 (Dodo)!")
	r.tribeLine(54, guppy, "Your Tribe Tamed a Dodo - Lvl 3 (Dodo)!")
	th53, th54 := r.thread(g1, "Map 53 tribe "+guppy), r.thread(g1, "Map 54 tribe "+guppy)
	if th53 == "" || th54 == "" || th53 == th54 {
		t.Fatalf("threads %q %q", th53, th54)
	}
	if a, b := r.members(th53), r.members(th54); !slices.Equal(a, []string{"alice"}) || !slices.Equal(b, []string{"bob"}) {
		t.Fatalf("map 53 thread %v, map 54 thread %v", a, b)
	}
	const renamed = "Guppy Reborn"
	r.snapshot(53, "r2", map[string]string{"alice": renamed})
	r.tribeLine(53, renamed, "Your Tribe Tamed a Parasaur - Lvl 30 (Parasaur)!")
	thNew := r.thread(g1, "Map 53 tribe "+renamed)
	if thNew == "" {
		t.Fatal("no thread for the renamed tribe")
	}
	if got := r.members(thNew); !slices.Equal(got, []string{"alice"}) {
		t.Fatalf("renamed tribe's thread %v, want [alice]", got)
	}
	r.sync()
	if got := r.members(th53); len(got) != 0 {
		t.Fatalf("old thread still has %v", got)
	}
	if got := r.members(th54); !slices.Equal(got, []string{"bob"}) {
		t.Fatalf("map 54 thread %v", got)
	}
}

// TestTribeThreadMembersFoldedName: the thread is keyed by the tribe name
// as the feed folds it ("/" is not kept); the save's name matches after
// the same folding.
func TestTribeThreadMembersFoldedName(t *testing.T) {
	r := newTribeRig(t)
	r.link(g1, "alice")
	const name = "Dino/Bros"
	r.snapshot(53, "r1", map[string]string{"alice": name})
	r.tribeLine(53, name, "Your Tribe Tamed a Dodo - Lvl 2 (Dodo)!")
	th := r.thread(g1, "Map 53 tribe Dino Bros")
	if th == "" {
		t.Fatalf("no thread for %q: %v", name, r.dc.Channels(g1))
	}
	if got := r.members(th); !slices.Equal(got, []string{"alice"}) {
		t.Fatalf("members %v, want [alice]", got)
	}
}
