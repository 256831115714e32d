package cache

import (
	"testing"
	"time"
)

func TestIsExpiry(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		exp  time.Time
		want bool
	}{
		{"capacity victim (no expiration)", time.Time{}, false},
		{"expired", now.Add(-time.Second), true},
		{"exactly now", now, true},
		{"still valid", now.Add(time.Second), false},
	} {
		if got := isExpiry(tt.exp, now); got != tt.want {
			t.Errorf("%s: isExpiry = %v, want %v", tt.name, got, tt.want)
		}
	}
}
