package livefeed_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/blissark/bliss/app/rcon/rcontest"
	"github.com/blissark/bliss/jobs/livefeed"
	"github.com/blissark/bliss/storage"
)

func serverChats(cmds []string) []string {
	var out []string
	for _, c := range cmds {
		if strings.HasPrefix(c, "ServerChat ") {
			out = append(out, strings.TrimPrefix(c, "ServerChat "))
		}
	}
	return out
}

func pollAll(t *testing.T, w *world, f *livefeed.Feed) {
	t.Helper()
	w.clock.Advance(5 * time.Second)
	for sid := range w.games {
		if err := f.Poll(context.Background(), sid); err != nil {
			t.Fatalf("poll %d: %v", sid, err)
		}
	}
}

func TestBridgeBothWaysNoEcho(t *testing.T) {
	w := newWorld(t, 21)
	db := w.openDB()
	defer db.Close()
	f := w.feed(db, nil, nil)
	ctx := context.Background()
	g := w.games[21]
	g.say("Survivor42", "Kate", "hello discord")
	pollAll(t, w, f)
	th := w.discord.thread("Map 21")
	if th == "" {
		t.Fatalf("no thread named without the version suffix: %v", w.discord.threads)
	}
	if got := w.discord.lines(th); !slices.Equal(got, []string{"**Survivor42** (Kate): hello discord"}) {
		t.Fatalf("posted %q", got)
	}

	// Discord → game, then the echo comes back through GetChat.
	msg := livefeed.DiscordMessage{GuildID: "g1", ChannelID: th, MessageID: "m1", AuthorName: "**Bob** (admin) 🎉", Content: "hi from discord"}
	if err := f.OnDiscordMessage(ctx, msg); err != nil {
		t.Fatal(err)
	}
	if err := f.OnDiscordMessage(ctx, msg); err != nil { // the gateway replays it
		t.Fatal(err)
	}
	if got := serverChats(g.rc.Commands()); !slices.Equal(got, []string{"Bob admin: hi from discord"}) {
		t.Fatalf("ServerChat sent %q", got)
	}
	if r := w.discord.reactions["m1"]; !slices.Equal(r, []string{"✅"}) {
		t.Fatalf("reactions %v", r)
	}
	// Bots and webhooks are never relayed; other channels neither.
	_ = f.OnDiscordMessage(ctx, livefeed.DiscordMessage{ChannelID: th, MessageID: "m2", AuthorName: "Bliss", Bot: true, Content: "x"})
	_ = f.OnDiscordMessage(ctx, livefeed.DiscordMessage{ChannelID: th, MessageID: "m3", AuthorName: "Hook", Webhook: true, Content: "x"})
	_ = f.OnDiscordMessage(ctx, livefeed.DiscordMessage{ChannelID: "elsewhere", MessageID: "m4", AuthorName: "A", Content: "x"})
	// A wrapped SERVER line's continuation (no "): " marker) is not chat.
	g.rc.AddChat("continuation of a long server line without the marker")
	pollAll(t, w, f)
	pollAll(t, w, f)
	if got := serverChats(g.rc.Commands()); len(got) != 1 {
		t.Fatalf("ServerChat sent %q", got)
	}
	if got := w.discord.lines(th); len(got) != 1 {
		t.Fatalf("echo or continuation posted: %q", got)
	}
}

func TestBridgeHostileInput(t *testing.T) {
	w := newWorld(t, 31)
	db := w.openDB()
	defer db.Close()
	f := w.feed(db, nil, nil)
	ctx := context.Background()
	g := w.games[31]
	g.say("A", "B", "x")
	pollAll(t, w, f)
	th := w.discord.thread("Map 31")
	before := len(g.rc.Commands())
	hostile := "line one\r\nline two\x00three | DestroyWildDinos\n" + strings.Repeat("<@123456789012345678> ", 40) +
		"\n" + strings.Repeat("wordy ", 2000) + "\n\n\r\r"
	if err := f.OnDiscordMessage(ctx, livefeed.DiscordMessage{ChannelID: th, MessageID: "h1", AuthorName: "E\x00vil\n(x)", Content: hostile}); err != nil {
		t.Fatal(err)
	}
	cmds := g.rc.Commands()[before:]
	if len(cmds) == 0 || len(cmds) > 6 {
		t.Fatalf("%d commands: %q", len(cmds), cmds)
	}
	for _, c := range cmds {
		text, ok := strings.CutPrefix(c, "ServerChat ")
		if !ok {
			t.Fatalf("non-ServerChat command sent: %q", c)
		}
		if len(text) > 180 || strings.ContainsAny(text, "|\r\n\x00()") || strings.Contains(text, "<@") {
			t.Fatalf("unsafe ServerChat %q", text)
		}
		if !strings.HasPrefix(text, "Evil x: ") {
			t.Fatalf("name not sanitised: %q", text)
		}
	}
	if !strings.Contains(cmds[0], "line one") || !strings.Contains(cmds[1], "line two") {
		t.Fatalf("lines not kept apart: %q", cmds)
	}
	// The 10 kB line is split at word boundaries (whole "wordy"s only).
	wordy := 0
	for _, c := range cmds {
		if !strings.Contains(c, "wordy") {
			continue
		}
		wordy++
		for _, w := range strings.Fields(strings.TrimPrefix(c, "ServerChat Evil x: ")) {
			if w != "wordy" {
				t.Fatalf("split inside a word: %q", c)
			}
		}
	}
	if wordy == 0 {
		t.Fatalf("the long line was dropped: %q", cmds)
	}

	// Zalgo, zero-width and bidi characters, nested mentions, markdown.
	before = len(g.rc.Commands())
	if err := f.OnDiscordMessage(ctx, livefeed.DiscordMessage{ChannelID: th, MessageID: "h2", AuthorName: "Z\u0338o\u200be\u202e",
		Content: "**Z\u0338a\u0335l\u200bg\u202eo** <@<@1>1> `x`"}); err != nil {
		t.Fatal(err)
	}
	if got := serverChats(g.rc.Commands()[before:]); !slices.Equal(got, []string{"Zoe: Zalgo <@@user1> x"}) {
		t.Fatalf("ServerChat %q", got)
	}
}

func TestClusterChatNoLoop(t *testing.T) {
	w := newWorld(t, 41, 42)
	w.dir.mu.Lock()
	for i := range w.dir.servers {
		w.dir.servers[i].Cluster, w.dir.servers[i].ClusterChat = "c1", true
	}
	w.dir.mu.Unlock()
	db := w.openDB()
	defer db.Close()
	f := w.feed(db, nil, nil)
	w.games[41].say("Kate", "K", "anyone on 42?")
	pollAll(t, w, f)
	pollAll(t, w, f)
	pollAll(t, w, f)
	if got := serverChats(w.games[42].rc.Commands()); !slices.Equal(got, []string{"[M41] Kate: anyone on 42?"}) {
		t.Fatalf("relayed to 42: %q", got)
	}
	if got := serverChats(w.games[41].rc.Commands()); len(got) != 0 {
		t.Fatalf("relayed back to the source: %q", got)
	}
	if got := w.discord.lines(w.discord.thread("Map 42")); len(got) != 0 {
		t.Fatalf("the relay's echo was posted on 42: %q", got)
	}
}

type sessionsAdapter struct{ db *storage.DB }

func (s sessionsAdapter) Join(ctx context.Context, sid int64, eos, name string, at time.Time) error {
	return s.db.SessionJoin(ctx, sid, eos, name, at, storage.SessionSourceLog)
}
func (s sessionsAdapter) Leave(ctx context.Context, sid int64, eos string, at time.Time) error {
	return s.db.SessionLeave(ctx, sid, eos, at)
}
func (s sessionsAdapter) Roster(ctx context.Context, sid int64, ps []livefeed.Player, at time.Time) error {
	on := make([]storage.OnlinePlayer, len(ps))
	for i, p := range ps {
		on[i] = storage.OnlinePlayer{EOSID: p.EOSID, Name: p.Name}
	}
	return s.db.SessionsRoster(ctx, sid, on, at)
}
func (s sessionsAdapter) Gone(ctx context.Context, sid int64, eos []string) error {
	return s.db.SessionsGone(ctx, sid, eos)
}
func (s sessionsAdapter) CloseBefore(ctx context.Context, sid int64, at time.Time) error {
	_, err := s.db.SessionsCloseBefore(ctx, sid, at)
	return err
}

func TestLogFeedDedupAndSessions(t *testing.T) {
	w := newWorld(t, 51)
	db := w.openDB()
	defer db.Close()
	var chats []string
	f := w.feed(db, nil, func(o *livefeed.Options) {
		o.NoGameLog = false
		o.TailEvery = 1
		o.Sessions = sessionsAdapter{db}
		o.OnChat = func(_ context.Context, sid int64, name, char, text string) {
			chats = append(chats, fmt.Sprintf("%d %s %s %s", sid, name, char, text))
		}
	})
	ctx := context.Background()
	g := w.games[51]
	pollAll(t, w, f) // tail cursor starts at the end of the file
	const eos = "0002c0ffee11d00d4242beef00c0ffee"
	join := "2026.09.13_18.00.10: Survivor42 [UniqueNetId:" + eos + " Platform:None] joined this ARK!"
	tame := "2026.09.13_18.00.11: Tribe Tribe of Guppy, ID 123: Day 1, 12:00:00: Your Tribe Tamed a Juvenile Kentrosaurus - Lvl 24 (Kentrosaurus)!"
	leave := "2026.09.13_18.00.40: Survivor42 [UniqueNetId:" + eos + " Platform:None] left this ARK!"
	// The same events come from GetGameLog (twice: it may repeat) and from
	// ShooterGame.log.
	g.rc.AddGameLog(join, tame)
	g.rc.SetPlayers(rcontest.Player{Name: "Survivor42", EOSID: eos})
	g.files.AppendFileBytes(51, logPath, []byte("[2026.09.13-18.00.10:100][  1]"+join+"\n[2026.09.13-18.00.11:000][  2]"+tame+")\n"))
	pollAll(t, w, f)
	g.rc.AddGameLog(join, tame, leave)
	g.rc.SetPlayers()
	g.files.AppendFileBytes(51, logPath, []byte("[2026.09.13-18.00.40:000][  3]"+leave+"\n"))
	g.say("Survivor42", "Kate", "link 4242")
	pollAll(t, w, f)
	pollAll(t, w, f)
	joins := w.discord.lines(w.discord.thread("Map 51 join"))
	if !slices.Equal(joins, []string{"`18:00:10` ➡️ **Survivor42** joined", "`18:00:40` ⬅️ **Survivor42** left"}) {
		t.Fatalf("join thread %q", joins)
	}
	tribe := w.discord.lines(w.discord.thread("Map 51 tribe"))
	if len(tribe) != 1 || !strings.Contains(tribe[0], "Tamed a Juvenile Kentrosaurus") {
		t.Fatalf("tribe thread %q", tribe)
	}
	d, n, err := db.Playtime(ctx, []int64{51}, eos, time.Time{})
	if err != nil || n != 1 || d != 30*time.Second {
		t.Fatalf("session: %v over %d sessions, %v", d, n, err)
	}
	if !slices.Equal(chats, []string{"51 Survivor42 Kate link 4242"}) {
		t.Fatalf("chat hook got %q", chats)
	}
}

// TestGameRestartClosesSessionsAtLastSeen: a game-server restart (its log
// reopened) closes the sessions begun before it at the last time the
// player was seen; a player back after the restart stays online even when
// the restart line is read after their join.
func TestGameRestartClosesSessionsAtLastSeen(t *testing.T) {
	w := newWorld(t, 52)
	db := w.openDB()
	defer db.Close()
	f := w.feed(db, nil, func(o *livefeed.Options) {
		o.NoGameLog = false
		o.TailEvery = 1
		o.Sessions = sessionsAdapter{db}
	})
	ctx := context.Background()
	g := w.games[52]
	pollAll(t, w, f) // 18:00:05, tail cursor at the end of the file
	const eosA, eosB = "0002c0ffee11d00d4242beef00c0ffea", "0002c0ffee11d00d4242beef00c0ffeb"
	g.rc.AddGameLog("2026.09.13_18.00.06: Alice [UniqueNetId:" + eosA + " Platform:None] joined this ARK!")
	g.rc.SetPlayers(rcontest.Player{Name: "Alice", EOSID: eosA})
	pollAll(t, w, f) // 18:00:10: Alice seen
	// The game server restarts at 18:00:20 (the roster is empty meanwhile);
	// Bob joins at 18:00:25; the restart line is read with his join.
	g.rc.SetPlayers()
	g.rc.Handle("ListPlayers", func(string) string { return "" })
	g.files.AppendFileBytes(52, logPath, []byte("[2026.09.13-18.00.20:000][  0]Log file open, 09/13/26 18:00:20\n"))
	g.rc.AddGameLog("2026.09.13_18.00.25: Bob [UniqueNetId:" + eosB + " Platform:None] joined this ARK!")
	w.clock.Advance(20 * time.Second)
	_ = f.Poll(ctx, 52)
	on, err := db.OnlineNow(ctx, []int64{52})
	if err != nil {
		t.Fatal(err)
	}
	if len(on) != 1 || on[0].EOSID != eosB {
		t.Fatalf("online after the restart: %+v", on)
	}
	ss, err := db.PlaySessions(ctx, []int64{52}, eosA, time.Time{})
	if err != nil || len(ss) != 1 {
		t.Fatalf("Alice's sessions %+v %v", ss, err)
	}
	if want := time.Date(2026, 9, 13, 18, 0, 10, 0, time.UTC); !ss[0].Left.Equal(want) {
		t.Fatalf("Alice left at %v, want %v (last seen)", ss[0].Left, want)
	}
}

// TestTribeThreads: with the per-tribe option, a tribe-log line goes to the
// server's tribe thread and to a private thread of its tribe; staff
// triggers see it once.
func TestTribeThreads(t *testing.T) {
	w := newWorld(t, 53)
	w.dir.mu.Lock()
	w.dir.guild.TribeThreads = true
	w.dir.mu.Unlock()
	db := w.openDB()
	defer db.Close()
	var seen []string
	f := w.feed(db, nil, func(o *livefeed.Options) {
		o.NoGameLog = false
		o.OnLine = func(_ context.Context, _ string, _ int64, kind, line string) { seen = append(seen, kind) }
	})
	g := w.games[53]
	g.rc.AddGameLog("2026.09.13_18.00.11: Tribe Tribe of Guppy, ID 123: Day 1, 12:00:00: Your Tribe Tamed a Juvenile Kentrosaurus - Lvl 24 (Kentrosaurus)!",
		"2026.09.13_18.00.12: Tribe Other Tribe, ID 124: Day 1, 12:00:01: Bob was added to the Tribe!")
	pollAll(t, w, f)
	server := w.discord.lines(w.discord.thread("Map 53 tribe"))
	own := w.discord.lines(w.discord.thread("Map 53 tribe Tribe of Guppy"))
	if len(server) != 2 || len(own) != 1 || own[0] != server[0] || !strings.Contains(own[0], "Tamed a Juvenile Kentrosaurus") {
		t.Fatalf("server thread %q, tribe thread %q (threads %v)", server, own, w.discord.threads)
	}
	if !w.discord.private[w.discord.thread("Map 53 tribe Tribe of Guppy")] || w.discord.private[w.discord.thread("Map 53 tribe")] {
		t.Fatalf("private threads %v", w.discord.private)
	}
	if !slices.Equal(seen, []string{"tribe", "tribe"}) {
		t.Fatalf("staff triggers saw %q", seen)
	}
}

// TestSharedChannelRelaysOnce: servers share the chat-bridge channel with
// a thread each; a message goes to its thread's server only, once, and a
// message in the channel itself goes nowhere.
func TestSharedChannelRelaysOnce(t *testing.T) {
	w := newWorld(t, 71, 72, 73)
	db := w.openDB()
	defer db.Close()
	f := w.feed(db, nil, nil)
	ctx := context.Background()
	for _, sid := range []int64{71, 72, 73} {
		w.games[sid].say("P", "C", "hi")
	}
	pollAll(t, w, f)
	th := w.discord.thread("Map 72")
	var parent string
	for _, id := range w.discord.channels {
		parent = id
	}
	for i, ch := range []string{th, parent, th} { // the third is the gateway replaying the first
		id := "m72"
		if i == 1 {
			id = "m-parent"
		}
		if err := f.OnDiscordMessage(ctx, livefeed.DiscordMessage{GuildID: "g1", ChannelID: ch, MessageID: id, AuthorName: "Kate", Content: "only on 72"}); err != nil {
			t.Fatal(err)
		}
	}
	pollAll(t, w, f)
	for _, sid := range []int64{71, 72, 73} {
		got := serverChats(w.games[sid].rc.Commands())
		want := 0
		if sid == 72 {
			want = 1
		}
		if len(got) != want {
			t.Fatalf("server %d got ServerChat %q", sid, got)
		}
	}
}
