package server

import (
	"context"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"
)

// fakeMaps is an in-memory MapStore (the SQLite one is exercised end to
// end; this measures the bot's conversion plus the rendering).
type fakeMaps struct{ bases []MapBase }

func (f fakeMaps) MapBases(context.Context, int64, []TribeRef) ([]MapBase, error) {
	return f.bases, nil
}
func (f fakeMaps) Teleports(context.Context, string, int64) ([]MapPoint, error) {
	return []MapPoint{{Lat: 50, Lon: 50, Name: "Hub", Public: true}}, nil
}
func (f fakeMaps) MapName(context.Context, int64) (string, error) { return "TheIsland_WP", nil }

// bigBases spreads structures over n bases (about 100k structures).
func bigBases(n, perBase int, now time.Time) []MapBase {
	r := rand.New(rand.NewPCG(3, 4))
	out := make([]MapBase, n)
	for i := range out {
		out[i] = MapBase{Owner: int64(i), OwnerName: "Tribe of the base", Structures: 1 + r.IntN(2*perBase),
			Lat: r.Float64() * 100, Lon: r.Float64() * 100, DecaysAt: now.Add(time.Duration(r.IntN(20*24)) * time.Hour)}
	}
	slices.SortFunc(out, func(a, b MapBase) int { return b.Structures - a.Structures })
	return out
}

func benchMap(b *testing.B, bases []MapBase) {
	now := time.Now()
	m := fakeMaps{bases: bases}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for b.Loop() {
		if _, ok, err := renderBaseMap(context.Background(), m, 1, "Island", baseMapOptions{decay: true, private: true}, now); err != nil || !ok {
			b.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapSys)/(1<<20), "heap-sys-MiB")
	b.ReportMetric(float64(len(bases)), "bases")
}

// BenchmarkBaseMap100kStructures: a 100k-structure save as bases (4,000
// bases of about 25 structures), from the store's rows to the PNG.
func BenchmarkBaseMap100kStructures(b *testing.B) { benchMap(b, bigBases(4000, 25, time.Now())) }

// BenchmarkBaseMap100kLoneStructures: the worst case, 100k one-structure
// "bases".
func BenchmarkBaseMap100kLoneStructures(b *testing.B) { benchMap(b, bigBases(100_000, 1, time.Now())) }
