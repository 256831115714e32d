package livefeed_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blissark/bliss/app/rcon/rcontest"
	"github.com/blissark/bliss/jobs/livefeed"
)

// snowflake is a Discord message id of time t.
func snowflake(t time.Time, seq int) string {
	return strconv.FormatUint(uint64(t.UnixMilli()-1420070400000)<<22|uint64(seq&0xfff), 10)
}

// TestRelayExactlyOnceAcrossCrashes kills the feed at each step of relaying
// a Discord message (before/after the outbox commit, the in-flight mark,
// ServerChat, mark-done), also after the dead process's own poll consumed
// the echo, and while it was not listening at all (the message only
// exists in the thread), then restarts it on the same database. Every
// message reaches the game exactly once, in order.
func TestRelayExactlyOnceAcrossCrashes(t *testing.T) {
	w := newWorld(t, 61)
	ctx := context.Background()
	g := w.games[61]
	var mu sync.Mutex
	var relayed []string
	g.rc.Handle("ServerChat", func(args string) string {
		mu.Lock()
		relayed = append(relayed, args)
		mu.Unlock()
		g.rc.AddChat("SERVER: " + args)
		at := w.clock.Now()
		g.files.AppendFileBytes(g.sid, g.path, []byte(fmt.Sprintf("[%s:%03d][  0]%s: SERVER: %s\n",
			at.Format("2006.01.02-15.04.05"), at.Nanosecond()/1e6, at.Format("2006.01.02_15.04.05"), args)))
		return rcontest.SilentReply
	})
	db := w.openDB()
	defer db.Close()
	g.say("A", "B", "hello")
	f := w.feed(db, nil, nil)
	pollAll(t, w, f)
	th := w.discord.thread("Map 61")
	if th == "" {
		t.Fatal("no bridge thread")
	}

	in := &injector{}
	var want []string
	cases := 0
	for i := 0; i < 30; i++ {
		c := i % 10
		crashing := w.feed(db, in, nil)
		if err := crashing.LoadThreads(ctx); err != nil {
			t.Fatal(err)
		}
		in.arm(0, false, "")
		pollAll(t, w, crashing) // caught up, ready to relay
		w.clock.Advance(time.Second)
		m := livefeed.DiscordMessage{GuildID: "g1", ChannelID: th, MessageID: snowflake(w.clock.Now(), i),
			AuthorName: "Alice", Content: fmt.Sprintf("relay %d", i)}
		w.discord.userSays(th, m)
		want = append(want, "Alice: "+m.Content)
		switch {
		case c < 8: // die at step 1..4 (record, in flight, ServerChat, done), before or after it
			in.arm(1+c/2, c%2 == 1, "")
			_ = crashing.OnDiscordMessage(ctx, m)
			if !in.dead() {
				t.Fatalf("case %d did not crash", c)
			}
		case c == 8: // not listening: the message is only in the thread
		default: // ServerChat ran, the dead process's poll consumed the echo, then it died
			in.arm(3, true, "")
			_ = crashing.OnDiscordMessage(ctx, m)
			if _, err := w.pool.Exec(ctx, 61, "GetChat"); err != nil {
				t.Fatal(err)
			}
		}
		cases++
		// Restart.
		f := w.feed(db, nil, nil)
		if err := f.LoadThreads(ctx); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 { // the gateway may or may not bring the message again
			_ = f.OnDiscordMessage(ctx, m)
		}
		for range 3 {
			pollAll(t, w, f)
		}
		mu.Lock()
		got := slices.Clone(relayed)
		mu.Unlock()
		if !slices.Equal(got, want) {
			t.Fatalf("after case %d (round %d, died at %q): ServerChat sent %q, want %q", c, i, in.where, got, want)
		}
	}
	t.Logf("%d crash cases: every message relayed once, in order", cases)
}

// TestRelayKeepsMessageOrder: gateway events are handled concurrently, so a
// newer message can reach the outbox first; its rows wait RelaySettle and
// the older one goes first.
func TestRelayKeepsMessageOrder(t *testing.T) {
	w := newWorld(t, 62)
	ctx := context.Background()
	db := w.openDB()
	defer db.Close()
	f := w.feed(db, nil, func(o *livefeed.Options) { o.RelaySettle = time.Second })
	g := w.games[62]
	g.say("A", "B", "hello")
	pollAll(t, w, f)
	th := w.discord.thread("Map 62")
	older := livefeed.DiscordMessage{GuildID: "g1", ChannelID: th, MessageID: snowflake(w.clock.Now(), 1), AuthorName: "Alice", Content: "first"}
	newer := livefeed.DiscordMessage{GuildID: "g1", ChannelID: th, MessageID: snowflake(w.clock.Now(), 2), AuthorName: "Alice", Content: "second"}
	if err := f.OnDiscordMessage(ctx, newer); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(300 * time.Millisecond)
	if err := f.OnDiscordMessage(ctx, older); err != nil {
		t.Fatal(err)
	}
	if got := serverChats(g.rc.Commands()); len(got) != 0 {
		t.Fatalf("sent before settling: %q", got)
	}
	pollAll(t, w, f)
	if got := serverChats(g.rc.Commands()); !slices.Equal(got, []string{"Alice: first", "Alice: second"}) {
		t.Fatalf("ServerChat order %q", got)
	}
	if r := w.discord.reactions[older.MessageID]; !slices.Equal(r, []string{"✅"}) {
		f.FlushReactions(ctx)
		if r := w.discord.reactions[older.MessageID]; !slices.Equal(r, []string{"✅"}) {
			t.Fatalf("reactions %v", r)
		}
	}
}

// refusingRCON fails every ServerChat (the game server rejects it).
type refusingRCON struct{ next livefeed.RCON }

func (r refusingRCON) Exec(ctx context.Context, sid int64, cmd string) (string, error) {
	if strings.HasPrefix(cmd, "ServerChat ") {
		return "", errors.New("rcon: 127.0.0.1:27020: connection reset")
	}
	return r.next.Exec(ctx, sid, cmd)
}

// TestRelayRefusedSaysWhy: a line the game server keeps refusing ends with
// ❌ on the message and a notice with the reason in the thread (without
// the RCON error, which names the server's address).
func TestRelayRefusedSaysWhy(t *testing.T) {
	w := newWorld(t, 63)
	ctx := context.Background()
	db := w.openDB()
	defer db.Close()
	f := w.feed(db, nil, func(o *livefeed.Options) { o.RCON = refusingRCON{w.pool}; o.MaxAttempts = 6 })
	w.games[63].say("A", "B", "hello")
	pollAll(t, w, f)
	th := w.discord.thread("Map 63")
	m := livefeed.DiscordMessage{GuildID: "g1", ChannelID: th, MessageID: snowflake(w.clock.Now(), 1), AuthorName: "Alice", Content: "hi"}
	_ = f.OnDiscordMessage(ctx, m)
	for range 8 {
		w.clock.Advance(5 * time.Second)
		_ = f.Poll(ctx, 63)
	}
	f.FlushReactions(ctx)
	w.discord.mu.Lock()
	r := slices.Clone(w.discord.reactions[m.MessageID])
	w.discord.mu.Unlock()
	if !slices.Equal(r, []string{"❌"}) {
		t.Fatalf("reactions %v", r)
	}
	lines := w.discord.lines(th)
	if notice := lines[len(lines)-1]; !strings.HasPrefix(notice, "❌ Not sent to the game: the game server did not accept it") || strings.Contains(notice, "127.0.0.1") {
		t.Fatalf("notice %q", notice)
	}
}
