package bottest

import (
	"testing"
	"time"
)

// WaitFor polls cond until it holds; after Deadline it runs onFail (to
// log what the test sees) and fails the test, naming what it waited for.
func WaitFor(t testing.TB, what string, cond func() bool, onFail ...func()) {
	t.Helper()
	if !poll(cond, 10*time.Millisecond) {
		for _, f := range onFail {
			f()
		}
		t.Fatalf("timed out waiting for %s", what)
	}
}

// poll reports whether cond held before Deadline.
func poll(cond func() bool, every time.Duration) bool {
	deadline := time.Now().Add(Deadline)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(every)
	}
	return true
}
