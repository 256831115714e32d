package storage_test

import (
	"syscall"
	"testing"
	"time"
)

// processCPU is the CPU time (user + system) this process has used. The
// benchmarks report it per operation besides the wall-clock rate: on a
// shared machine the rate varies with the other load, CPU per operation
// much less.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU microseconds per operation since start.
func reportCPU(b *testing.B, start time.Duration, unit string) {
	b.ReportMetric(float64((processCPU()-start).Microseconds())/float64(b.N), "cpu-µs/"+unit)
}
