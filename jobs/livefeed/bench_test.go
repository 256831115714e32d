package livefeed_test

import (
	"context"
	"fmt"
	"math/rand/v2"
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

// defaultChatPoll is BLISS_CHAT_POLL's default (app/config).
const defaultChatPoll = 2 * time.Second

// BenchmarkGameToDiscordEndToEnd is the figure players notice: lines said
// at random moments on a server polled every defaultChatPoll in real time
// (a poller goroutine, as the scheduler runs it), through real RCON,
// SQLite and the fake Discord; the latency is from the moment a line is
// said to the moment its post is sent. One iteration is one poll period
// with 10 lines.
func BenchmarkGameToDiscordEndToEnd(b *testing.B) {
	w := newWorld(b, 201)
	db := w.openDB()
	defer db.Close()
	td := &timedDiscord{fakeDiscord: w.discord, seen: map[string]time.Time{}}
	f := w.feed(db, nil, func(o *livefeed.Options) { o.Discord = td; o.Now = time.Now })
	g := w.games[201]
	ctx, cancel := context.WithCancel(context.Background())
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		t := time.NewTicker(defaultChatPoll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_ = f.Poll(ctx, 201)
			}
		}
	}()
	rng := rand.New(rand.NewPCG(3, 4))
	said := map[string]time.Time{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		offs := make([]time.Duration, 10)
		for j := range offs {
			offs[j] = time.Duration(rng.Int64N(int64(defaultChatPoll)))
		}
		slices.Sort(offs)
		for j, off := range offs {
			time.Sleep(time.Until(start.Add(off)))
			text := fmt.Sprintf("e2e %d %d", i, j)
			said[text] = time.Now()
			g.say("P", "C", text)
		}
		time.Sleep(time.Until(start.Add(defaultChatPoll)))
	}
	time.Sleep(defaultChatPoll + time.Second) // the last lines' poll
	b.StopTimer()
	cancel()
	<-polled
	td.mu.Lock()
	var lat []time.Duration
	for text, at := range said {
		if got, ok := td.seen[text]; ok {
			lat = append(lat, got.Sub(at))
		}
	}
	td.mu.Unlock()
	if len(lat) < len(said) {
		b.Fatalf("%d of %d lines reached Discord", len(lat), len(said))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*95/100].Milliseconds()), "p95-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Milliseconds()), "max-ms")
}
