//go:build !unix

package rcon

import "time"

func cpuTime() time.Duration { return 0 }
