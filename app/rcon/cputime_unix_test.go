//go:build unix

package rcon

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used (user + system): a
// benchmark's per-core rate on a shared machine is ops per CPU second, not
// per wall second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
