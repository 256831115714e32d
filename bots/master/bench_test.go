package master_test

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/discordtest"
)

// BenchmarkInteractionAck measures acknowledgement latency (dispatch by the
// fake → callback received) at ~200 interactions/s spread over the five
// bots in the guild, and the heap held per connected session.
func BenchmarkInteractionAck(b *testing.B) {
	w := newWorld(b)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	w.start(b, bots.Options{})
	runtime.GC()
	runtime.ReadMemStats(&after)
	perSession := float64(after.HeapAlloc-before.HeapAlloc) / 6

	kinds := []bots.BotKind{bots.Server, bots.AP, bots.Ticket, bots.Assistant}
	var mu sync.Mutex
	lat := make([]time.Duration, 0, b.N)
	var wg sync.WaitGroup
	tick := time.NewTicker(5 * time.Millisecond) // 200/s
	defer tick.Stop()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		<-tick.C
		k := kinds[i%len(kinds)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			start := time.Now()
			h, err := w.fake.Interact(ctx, w.bots[k], discordtest.Interaction{Type: discordgo.InteractionApplicationCommand,
				GuildID: w.guild.ID, ChannelID: "900000000000000001", User: user(w.userID), CommandName: "ping-" + string(k)})
			if err != nil {
				b.Error(err)
				return
			}
			r, err := h.WaitResponse(ctx)
			if err != nil {
				b.Error(err)
				return
			}
			mu.Lock()
			lat = append(lat, r.At.Sub(start))
			mu.Unlock()
		}()
	}
	wg.Wait()
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
	b.ReportMetric(perSession/1024, "KiB/session")
}
