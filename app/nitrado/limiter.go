package nitrado

import (
	"net/http"

	"golang.org/x/time/rate"
)

// newLimiter is the token bucket shared by all requests of one Client
// (golang.org/x/time/rate: waiters are served in arrival order, a
// cancelled wait gives its token back).
func newLimiter(r float64, burst int) *rate.Limiter {
	return rate.NewLimiter(rate.Limit(r), max(burst, 1))
}

// limitedTransport applies the limiter to every attempt, retries included.
type limitedTransport struct {
	base http.RoundTripper
	lim  *rate.Limiter
}

func (t *limitedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.lim != nil {
		if err := t.lim.Wait(r.Context()); err != nil {
			if r.Body != nil {
				_ = r.Body.Close()
			}
			return nil, err
		}
	}
	return t.base.RoundTrip(r)
}
