package app

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/blissark/bliss/arksave/arksavetest"
	"github.com/blissark/bliss/jobs/pipeline"
)

// BenchmarkPipeline runs the whole pipeline (Nitrado fake over HTTP →
// download → decode → bases → SQLite snapshot) on a synthetic save generated
// at benchmark time: 100 MiB always, 1 GiB with BLISS_BENCH_1G=1:
//
//	go test -run '^$' -bench BenchmarkPipeline -benchtime 2x ./app/
//	BLISS_BENCH_1G=1 go test -run '^$' -bench 'BenchmarkPipeline/1GiB' -benchtime 1x -timeout 60m ./app/
//
// Reported per run: MB/s of the save, the stage durations (ms), rows
// written, peak-heap-MiB (sampled) and peak-RSS-MiB (VmHWM after resetting
// it via /proc/self/clear_refs before the run; includes the Go runtime,
// SQLite's page cache and the HTTP fake, which lives in the same process).
func BenchmarkPipeline(b *testing.B) {
	sizes := []struct {
		name  string
		bytes int64
	}{{"100MiB", 100 << 20}}
	if os.Getenv("BLISS_BENCH_1G") != "" || os.Getenv("BLISS_BENCH_1GIB") != "" {
		sizes = append(sizes, struct {
			name  string
			bytes int64
		}{"1GiB", 1 << 30})
	}
	for _, sz := range sizes {
		b.Run(sz.name, func(b *testing.B) {
			dir := b.TempDir()
			local := filepath.Join(dir, "TheIsland_WP.ark")
			sum, err := arksavetest.WriteSized(context.Background(), local, sz.bytes, arksavetest.Options{Seed: 42, BrokenRows: 5})
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("generated %s: %+v", sz.name, sum)
			gzLocal := local + ".gz"
			e2eGzipFile(b, local, gzLocal)
			for _, v := range []struct{ name, local, remote string }{
				{"plain", local, "TheIsland_WP.ark"},
				{"gzip", gzLocal, "TheIsland_WP.ark.gz"},
			} {
				b.Run(v.name, func(b *testing.B) { benchRun(b, v.local, v.remote) })
			}
		})
	}
}

func benchRun(b *testing.B, local, remote string) {
	e := newPipeEnv(b)
	st, err := os.Stat(local)
	if err != nil {
		b.Fatal(err)
	}
	var res pipeline.Result
	var rssBefore, rssPeak int64
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		// A new service per iteration: the same save would be skipped.
		srv := e.addServer(int64(17000000+i), "TheIsland_WP", remote, local)
		runtime.GC()
		debug.FreeOSMemory()
		resetHWM()
		rssBefore = procStatus("VmRSS")
		b.StartTimer()
		res, err = e.p.Run(context.Background(), srv)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		rssPeak = procStatus("VmHWM")
		b.StartTimer()
	}
	b.StopTimer()
	d := res.Durations
	mb := float64(res.Source.SaveBytes) / (1 << 20)
	b.ReportMetric(mb/d.Total.Seconds(), "MB/s")
	b.ReportMetric(float64(st.Size())/(1<<20), "file-MiB")
	for _, m := range []struct {
		name string
		d    time.Duration
	}{{"download", d.Download}, {"decode", d.Decode}, {"analyze", d.Analyze}, {"write", d.Write}, {"total", d.Total}} {
		b.ReportMetric(float64(m.d.Milliseconds()), m.name+"-ms")
	}
	c := res.Counts
	b.ReportMetric(float64(c.Players+c.Tribes+c.TamedDinos+c.Bases), "rows")
	b.ReportMetric(float64(res.PeakHeapBytes)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(rssBefore)/(1<<20), "rss-before-MiB")
	b.ReportMetric(float64(rssPeak)/(1<<20), "peak-RSS-MiB")
	b.Logf("%s: counts %+v durations %+v", remote, c, d)
}

// resetHWM resets VmHWM to the current RSS (Linux ≥ 4.0; ignored elsewhere).
func resetHWM() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// procStatus reads a "kB" field of /proc/self/status in bytes, or 0.
func procStatus(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}
