package livefeed_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blissark/bliss/jobs/livefeed"
)

// BenchmarkTenServersTwentyLinesPerSecond feeds 10 servers with 20 chat
// lines/s each (100 lines per 5 s poll) through real RCON, SQLite and the
// fake Discord, one poll round per iteration. lines/s is the sustained
// capacity; pending is what is left after the round (must stay 0: the
// outbox does not grow).
func BenchmarkTenServersTwentyLinesPerSecond(b *testing.B) {
	sids := make([]int64, 10)
	for i := range sids {
		sids[i] = int64(100 + i)
	}
	w := newWorld(b, sids...)
	db := w.openDB()
	defer db.Close()
	f := w.feed(db, nil, nil)
	ctx := context.Background()
	n := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.clock.Advance(5 * time.Second)
		for _, sid := range sids {
			g := w.games[sid]
			for j := range 100 {
				g.say(fmt.Sprintf("P%d", j%7), "C", fmt.Sprintf("line %d %d", i, j))
			}
		}
		for _, sid := range sids {
			if err := f.Poll(ctx, sid); err != nil {
				b.Fatal(err)
			}
		}
		n += 1000
	}
	b.StopTimer()
	st := f.Stats(ctx)
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(st.Pending), "pending")
	if st.Pending != 0 {
		b.Fatalf("%d rows pending after the round", st.Pending)
	}
}

// timedDiscord records when each line reached Discord.
type timedDiscord struct {
	*fakeDiscord
	mu   sync.Mutex
	seen map[string]time.Time
}

func (d *timedDiscord) Send(ctx context.Context, ch, content, nonce string) (string, error) {
	now := time.Now()
	d.mu.Lock()
	for _, l := range strings.Split(content, "\n") {
		if _, rest, ok := strings.Cut(l, "): "); ok {
			d.seen[rest] = now
		}
	}
	d.mu.Unlock()
	return d.fakeDiscord.Send(ctx, ch, content, nonce)
}

// BenchmarkGameToDiscordLatency measures, per line, the time from the
// moment GetChat hands it over to the moment its Discord post is sent
// (RCON reply → outbox commit → batch record → post), on real RCON and
// SQLite. Add the wait for the next poll (on average half of
// BLISS_CHAT_POLL, at most all of it) for the end-to-end figure.
func BenchmarkGameToDiscordLatency(b *testing.B) {
	w := newWorld(b, 200)
	db := w.openDB()
	defer db.Close()
	td := &timedDiscord{fakeDiscord: w.discord, seen: map[string]time.Time{}}
	f := w.feed(db, nil, func(o *livefeed.Options) { o.Discord = td; o.Now = time.Now })
	ctx := context.Background()
	g := w.games[200]
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var handed time.Time
		texts := make([]string, 20)
		for j := range texts {
			texts[j] = fmt.Sprintf("lat %d %d", i, j)
			g.say("P", "C", texts[j])
		}
		handed = time.Now()
		if err := f.Poll(ctx, 200); err != nil {
			b.Fatal(err)
		}
		td.mu.Lock()
		for _, t := range texts {
			if at, ok := td.seen[t]; ok {
				lat = append(lat, at.Sub(handed))
			}
		}
		td.mu.Unlock()
	}
	b.StopTimer()
	if len(lat) == 0 {
		b.Fatal("no line reached Discord")
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
}
