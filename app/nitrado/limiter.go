package nitrado

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// limiter is a token bucket shared by all requests of one Client. Waiters
// reserve a token (the bucket may go negative) and sleep until it is theirs,
// so concurrent callers are served in arrival order without busy looping.
type limiter struct {
	rate  float64 // tokens per second, > 0
	burst float64 // bucket size, >= 1
	now   func() time.Time

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func newLimiter(rate float64, burst int, now func() time.Time) *limiter {
	if burst < 1 {
		burst = 1
	}
	return &limiter{rate: rate, burst: float64(burst), tokens: float64(burst), now: now}
}

// reserve takes one token and returns how long the caller must wait before
// using it.
func (l *limiter) reserve() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if !l.last.IsZero() {
		if el := now.Sub(l.last).Seconds(); el > 0 {
			l.tokens += el * l.rate
			if l.tokens > l.burst {
				l.tokens = l.burst
			}
		}
	}
	l.last = now
	l.tokens--
	if l.tokens >= 0 {
		return 0
	}
	return time.Duration(-l.tokens / l.rate * float64(time.Second))
}

// cancel returns a reserved but unused token.
func (l *limiter) cancel() {
	l.mu.Lock()
	l.tokens++
	if l.tokens > l.burst {
		l.tokens = l.burst
	}
	l.mu.Unlock()
}

// wait blocks until a token is available or ctx is done.
func (l *limiter) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d := l.reserve()
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		l.cancel()
		return ctx.Err()
	}
}

// limitedTransport applies the limiter to every attempt, retries included.
type limitedTransport struct {
	base http.RoundTripper
	lim  *limiter
}

func (t *limitedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.lim != nil {
		if err := t.lim.wait(r.Context()); err != nil {
			if r.Body != nil {
				_ = r.Body.Close()
			}
			return nil, err
		}
	}
	return t.base.RoundTrip(r)
}
