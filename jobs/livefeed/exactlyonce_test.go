package livefeed_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestExactlyOnceAcrossCrashes kills the feed at random dependency steps
// (GetChat answered but lost, before/after the outbox commit, before/after
// the batch record, after Discord accepted a post, before/after mark-done,
// in the middle of reconciling) and restarts it on the same database file,
// many times, while two servers chat. Every line must reach its server's
// thread exactly once, in order.
func TestExactlyOnceAcrossCrashes(t *testing.T) {
	rounds, linesPerServer := 60, 600
	if testing.Short() {
		rounds, linesPerServer = 15, 150
	}
	w := newWorld(t, 11, 12)
	rng := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	said := map[int64][]string{}
	next := map[int64]int{}
	sayLines := func() {
		for sid, g := range w.games {
			for range rng.IntN(5) {
				if next[sid] >= linesPerServer {
					break
				}
				text := fmt.Sprintf("msg %d-%d", sid, next[sid])
				if next[sid]%17 == 0 {
					text = "gg" // repeated text: matched by count and time
				}
				next[sid]++
				said[sid] = append(said[sid], text)
				g.say(fmt.Sprintf("Player%d", next[sid]%3), "Char", text)
			}
		}
	}
	done := func() bool { return next[11] >= linesPerServer && next[12] >= linesPerServer }

	in := &injector{}
	crashes := map[string]int{}
	var recovered int64
	for round := 0; round < rounds && !done(); round++ {
		db := w.openDB()
		if round%3 == 0 {
			in.arm(1+rng.IntN(8), true, "rcon GetChat") // the reply is lost: only the game log has it
		} else {
			in.arm(1+rng.IntN(40), rng.IntN(2) == 0, "")
		}
		f := w.feed(db, in, nil)
		for poll := 0; poll < 50 && !in.dead() && !done(); poll++ {
			w.clock.Advance(5 * time.Second)
			sayLines()
			for _, sid := range []int64{11, 12} {
				_ = f.Poll(ctx, sid)
			}
		}
		recovered += f.Stats(ctx).Recovered
		in.mu.Lock()
		crashes[in.where]++
		in.mu.Unlock()
		db.Close()
	}
	// The rest of the script, then a clean run until nothing is pending.
	db := w.openDB()
	defer db.Close()
	f := w.feed(db, nil, nil)
	for !done() {
		w.clock.Advance(5 * time.Second)
		sayLines()
		for _, sid := range []int64{11, 12} {
			if err := f.Poll(ctx, sid); err != nil {
				t.Fatalf("clean poll: %v", err)
			}
		}
	}
	for range 3 {
		w.clock.Advance(5 * time.Second)
		for _, sid := range []int64{11, 12} {
			if err := f.Poll(ctx, sid); err != nil {
				t.Fatalf("clean poll: %v", err)
			}
		}
	}
	if st := f.Stats(ctx); st.Pending != 0 {
		t.Fatalf("%d rows still pending", st.Pending)
	}
	t.Logf("crash points: %v; recovered from the game log: %d", crashes, recovered+f.Stats(ctx).Recovered)
	if recovered == 0 {
		t.Error("no line was recovered from the game log: the lost-reply path was not exercised")
	}
	for _, sid := range []int64{11, 12} {
		th := w.discord.thread(fmt.Sprintf("Map %d", sid))
		if th == "" {
			t.Fatalf("no thread for server %d (threads %v)", sid, w.discord.threads)
		}
		got := chatTexts(w.discord.lines(th))
		if !slices.Equal(got, said[sid]) {
			lost, dup := diff(said[sid], got)
			t.Errorf("server %d: %d lines said, %d posted; lost %d %v, duplicated %d %v", sid, len(said[sid]), len(got), len(lost), head(lost), len(dup), head(dup))
		}
	}
}

// diff returns what want has more of (lost) and what got has more of (dup).
func diff(want, got []string) (lost, dup []string) {
	n := map[string]int{}
	for _, s := range want {
		n[s]++
	}
	for _, s := range got {
		n[s]--
	}
	for s, c := range n {
		for ; c > 0; c-- {
			lost = append(lost, s)
		}
		for ; c < 0; c++ {
			dup = append(dup, s)
		}
	}
	slices.Sort(lost)
	slices.Sort(dup)
	return lost, dup
}

func head(s []string) []string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}
