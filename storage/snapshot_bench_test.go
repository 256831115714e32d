package storage_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/blissark/bliss/arksave/arksavetest"
	"github.com/blissark/bliss/storage"
)

func snapRows(s *storage.Snapshot) int {
	return len(s.Players) + len(s.Tribes) + len(s.Dinos) + len(s.Bases) + 1
}

// BenchmarkSnapshotWrite measures ReplaceSnapshot of a big server (≈ 200k
// rows) in rows/s, alone and while readers query the same server
// continuously (reporting their latency). The alone and with_readers runs
// rewrite the same save, as successive saves of a server mostly are;
// changing alternates two unrelated saves (every dino differs from the
// previous row at its key: the worst case for the in-place dino write).
func BenchmarkSnapshotWrite(b *testing.B) {
	s := genSnapshot(1, "run", arksavetest.Counts{Seed: 1, Players: 20_000, Tribes: 4_000, TamedDinos: 170_000}, 5_000)
	s2 := genSnapshot(1, "run", arksavetest.Counts{Seed: 2, Players: 20_000, Tribes: 4_000, TamedDinos: 170_000}, 5_000)
	rows := snapRows(s)
	for _, bc := range []struct {
		name     string
		readers  int
		changing bool
	}{{"alone", 0, false}, {"with_readers", 2, false}, {"changing", 0, true}, {"changing_with_readers", 2, true}} {
		readers := bc.readers
		b.Run(bc.name, func(b *testing.B) {
			db := openSnapDB(b)
			ctx := context.Background()
			if err := db.ReplaceSnapshot(ctx, s); err != nil {
				b.Fatal(err)
			}
			// Reader latency with no writer, for comparison.
			var idle []time.Duration
			for i := range 40 * readers {
				t := time.Now()
				if i%2 == 0 {
					db.Players(ctx, 1, "player 1", 25, 0)
				} else {
					db.Bases(ctx, 1, true, 25)
				}
				idle = append(idle, time.Since(t))
			}
			rctx, stop := context.WithCancel(ctx)
			var wg sync.WaitGroup
			var mu sync.Mutex
			var lat []time.Duration
			for r := range readers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for rctx.Err() == nil {
						t := time.Now()
						var err error
						if r%2 == 0 {
							_, err = db.Players(rctx, 1, "player 1", 25, 0)
						} else {
							_, err = db.Bases(rctx, 1, true, 25)
						}
						d := time.Since(t)
						if err != nil {
							if rctx.Err() == nil {
								b.Error(err)
							}
							return
						}
						mu.Lock()
						lat = append(lat, d)
						mu.Unlock()
						time.Sleep(5 * time.Millisecond)
					}
				}()
			}
			b.ResetTimer()
			for i := range b.N {
				s := s
				if bc.changing && i%2 == 0 {
					s = s2
				}
				s.Info.RunID = "run-" + time.Now().Format(time.RFC3339Nano) + string(rune('a'+i%26))
				if err := db.ReplaceSnapshot(ctx, s); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			stop()
			wg.Wait()
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(rows), "rows/op")
			if len(lat) > 0 {
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "read-p50-µs")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "read-p99-µs")
				b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "read-max-µs")
				b.ReportMetric(float64(len(lat)), "reads")
				slices.Sort(idle)
				b.ReportMetric(float64(idle[len(idle)/2].Microseconds()), "idle-read-p50-µs")
			}
		})
	}
}

// BenchmarkSnapshotRead measures the benchmark readers' queries on a
// written big snapshot, with no writer.
func BenchmarkSnapshotRead(b *testing.B) {
	s := genSnapshot(1, "run", arksavetest.Counts{Seed: 1, Players: 20_000, Tribes: 4_000, TamedDinos: 170_000}, 5_000)
	db := openSnapDB(b)
	ctx := context.Background()
	if err := db.ReplaceSnapshot(ctx, s); err != nil {
		b.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	b.Run("players_like", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.Players(ctx, 1, "player 1", 25, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bases_by_decay", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.Bases(ctx, 1, true, 25); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("dinos_all", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.Dinos(ctx, 1, storage.DinoFilter{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
