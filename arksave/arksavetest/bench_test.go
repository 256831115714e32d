package arksavetest_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/arksave/arksavetest"
	"github.com/blissark/bliss/storage/savefile"
)

// Benchmarks decode synthetic saves generated at benchmark time (never
// committed). 100 MiB always runs; 1 GiB only with BLISS_BENCH_1GIB=1:
//
//	go test -run '^$' -bench BenchmarkSave -benchtime 3x ./arksave/arksavetest/
//	BLISS_BENCH_1GIB=1 go test -run '^$' -bench 'BenchmarkSave/1GiB' -benchtime 2x -timeout 60m ./arksave/arksavetest/
//
// Each size reports: rawscan (every game blob read through storage/savefile,
// nothing decoded: the physical limit of this container path) and decode
// (arksave.Decode with default workers), both as MB/s of the .ark file, plus
// peak-RSS-MiB (VmHWM after resetting it via /proc/self/clear_refs; for
// decode the maximum over iterations, reset between them with the timer
// stopped, so one decode's result does not count against the next). The
// plain variants use savefile.Open (native b-tree reader); -sqlite variants
// use savefile.OpenSQLite (modernc driver).
func BenchmarkSave(b *testing.B) {
	sizes := []struct {
		name  string
		bytes int64
	}{{"100MiB", 100 << 20}}
	if os.Getenv("BLISS_BENCH_1GIB") != "" {
		sizes = append(sizes, struct {
			name  string
			bytes int64
		}{"1GiB", 1 << 30})
	}
	for _, sz := range sizes {
		b.Run(sz.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "bench.ark")
			sum, err := arksavetest.WriteSized(context.Background(), path, sz.bytes, arksavetest.Options{Seed: 42, BrokenRows: 5})
			if err != nil {
				b.Fatal(err)
			}
			st, err := os.Stat(path)
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("generated %s: %d bytes, %+v", sz.name, st.Size(), sum)
			b.Run("rawscan", func(b *testing.B) { benchRawScan(b, savefile.Open, path, st.Size()) })
			b.Run("decode", func(b *testing.B) { benchDecode(b, savefile.Open, path, st.Size(), sum, 0) })
			b.Run("decode-1worker", func(b *testing.B) { benchDecode(b, savefile.Open, path, st.Size(), sum, 1) })
			b.Run("rawscan-sqlite", func(b *testing.B) { benchRawScan(b, savefile.OpenSQLite, path, st.Size()) })
			b.Run("decode-sqlite", func(b *testing.B) { benchDecode(b, savefile.OpenSQLite, path, st.Size(), sum, 0) })
		})
	}
}

type opener func(context.Context, string) (*savefile.File, error)

func benchRawScan(b *testing.B, open opener, path string, size int64) {
	ctx := context.Background()
	resetPeakRSS()
	b.SetBytes(size)
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		var n int64
		err = f.ScanGame(ctx, func(_ arksave.GUID, v []byte) error {
			n += int64(len(v))
			return nil
		})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportCPU(b, cpu0, size)
	reportPeakRSS(b)
}

func benchDecode(b *testing.B, open opener, path string, size int64, sum arksavetest.Summary, workers int) {
	ctx := context.Background()
	resetPeakRSS()
	b.SetBytes(size)
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	peak := 0.0
	for i := 0; i < b.N; i++ {
		if i > 0 {
			// per-decode peak: the previous iteration's result is garbage
			// now; do not let it count against this decode
			b.StopTimer()
			peak = max(peak, peakRSS())
			resetPeakRSS()
			b.StartTimer()
		}
		f, err := open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		s, err := arksave.Decode(ctx, f, arksave.Options{Workers: workers})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			b.StopTimer()
			if len(s.Structures) != sum.Structures || len(s.Dinos) != sum.TamedDinos || s.WildDinos != sum.WildDinos ||
				len(s.Players) != sum.Players || len(s.Tribes) != sum.Tribes || s.Stats.Failed != sum.Broken {
				b.Errorf("decoded %d structures %d dinos %d wild %d players %d tribes %d failed; want %+v",
					len(s.Structures), len(s.Dinos), s.WildDinos, len(s.Players), len(s.Tribes), s.Stats.Failed, sum)
			}
			b.StartTimer()
		}
	}
	b.StopTimer()
	reportCPU(b, cpu0, size)
	if p := max(peak, peakRSS()); p > 0 {
		b.ReportMetric(p, "peak-RSS-MiB")
	}
}

// cpuTime is the process's user+system CPU time. Wall-clock MB/s is noisy
// on a shared machine; MB per CPU-second is not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration, size int64) {
	used := (cpuTime() - start).Seconds()
	if used <= 0 || b.N == 0 {
		return
	}
	b.ReportMetric(used/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(size)*float64(b.N)/1e6/used, "MB/cpu-s")
}

// resetPeakRSS collects garbage and resets the kernel's VmHWM so the next
// reading covers only what follows (Linux; a no-op elsewhere).
func resetPeakRSS() {
	runtime.GC()
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

func reportPeakRSS(b *testing.B) {
	if p := peakRSS(); p > 0 {
		b.ReportMetric(p, "peak-RSS-MiB")
	}
}

// peakRSS is VmHWM in MiB (0 if unknown).
func peakRSS() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				if kb, err := strconv.ParseFloat(f[0], 64); err == nil {
					return kb / 1024
				}
			}
		}
	}
	return 0
}
