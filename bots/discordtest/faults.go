package discordtest

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// RouteMatcher selects REST calls by method and path. The path excludes the
// /api/vN prefix, e.g. "/channels/123/messages".
type RouteMatcher func(method, path string) bool

// AnyRoute matches every REST call.
func AnyRoute(string, string) bool { return true }

// Route returns a matcher for method ("" = any) and a path pattern whose
// segments are literal, "*" (any one segment) or a final "**" (any rest).
// Example: Route("POST", "/interactions/*/*/callback").
func Route(method, pattern string) RouteMatcher {
	want := splitPath(pattern)
	return func(m, path string) bool {
		if method != "" && !strings.EqualFold(method, m) {
			return false
		}
		got := splitPath(path)
		for i, w := range want {
			if w == "**" {
				return true
			}
			if i >= len(got) {
				return false
			}
			if w != "*" && w != got[i] {
				return false
			}
		}
		return len(got) == len(want)
	}
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// Failure describes an injected REST failure.
type Failure struct {
	Route  RouteMatcher // nil = any route
	Status int          // HTTP status, e.g. 429, 500, 502, 403
	Count  int          // how many matching calls fail; <= 0 means 1
	// RetryAfter is the retry_after (and Retry-After / X-RateLimit-Reset-After)
	// of a 429. Default DefaultRetryAfter.
	RetryAfter time.Duration
	// Global marks a 429 as a global rate limit (X-RateLimit-Global, "global": true).
	Global bool
	// Code and Message override the Discord error body of non-429 failures.
	Code    int
	Message string
}

type failure struct {
	Failure
	left int
}

// FailNext makes the next count REST calls of bot that match route fail with
// status (429 gets a rate-limit body and headers with DefaultRetryAfter).
func (s *Server) FailNext(bot Bot, route RouteMatcher, status, count int) error {
	return s.InjectFailure(bot, Failure{Route: route, Status: status, Count: count})
}

// RateLimitNext makes the next count matching calls of bot answer 429 with
// the given retry_after; global sets X-RateLimit-Global.
func (s *Server) RateLimitNext(bot Bot, route RouteMatcher, retryAfter time.Duration, global bool, count int) error {
	return s.InjectFailure(bot, Failure{Route: route, Status: http.StatusTooManyRequests, Count: count, RetryAfter: retryAfter, Global: global})
}

// InjectFailure queues a failure for bot's REST calls. Failures are checked
// in the order they were injected; injected failures are answered before
// any handler runs (nothing is mutated).
func (s *Server) InjectFailure(bot Bot, f Failure) error {
	if f.Status < 400 {
		return fmt.Errorf("discordtest: failure status %d is not an error", f.Status)
	}
	if f.Count <= 0 {
		f.Count = 1
	}
	if f.RetryAfter <= 0 {
		f.RetryAfter = DefaultRetryAfter
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.botLocked(bot)
	if err != nil {
		return err
	}
	b.failures = append(b.failures, &failure{Failure: f, left: f.Count})
	return nil
}

// takeFailureLocked consumes an injected failure matching the call.
func (s *Server) takeFailureLocked(b *botState, method, path string) *Failure {
	for i, f := range b.failures {
		if f.Route != nil && !f.Route(method, path) {
			continue
		}
		f.left--
		if f.left <= 0 {
			b.failures = append(b.failures[:i:i], b.failures[i+1:]...)
		}
		out := f.Failure
		return &out
	}
	return nil
}

// PendingFailures reports how many injected failures of bot are unused.
func (s *Server) PendingFailures(bot Bot) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.botLocked(bot)
	if err != nil {
		return 0
	}
	n := 0
	for _, f := range b.failures {
		n += f.left
	}
	return n
}

// renderFailure encodes the response of an injected failure.
func renderFailure(f *Failure, path string) rendered {
	if f.Status == http.StatusTooManyRequests {
		secs := f.RetryAfter.Seconds()
		body := map[string]any{"message": "You are being rate limited.", "retry_after": secs, "global": f.Global}
		if f.Global {
			body["code"] = 0
		}
		out := render(http.StatusTooManyRequests, body)
		h := out.header
		scope := "user"
		if f.Global {
			h.Set("X-RateLimit-Global", "true")
			scope = "global"
		}
		h.Set("Retry-After", fmt.Sprintf("%d", int(secs+0.999)))
		h.Set("X-RateLimit-Limit", "5")
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Reset-After", fmt.Sprintf("%.3f", secs))
		h.Set("X-RateLimit-Reset", fmt.Sprintf("%.3f", float64(time.Now().Add(f.RetryAfter).UnixMilli())/1000))
		h.Set("X-RateLimit-Bucket", "fake-"+strings.ReplaceAll(strings.Trim(path, "/"), "/", "-"))
		h.Set("X-RateLimit-Scope", scope)
		return out
	}
	msg := f.Message
	if msg == "" {
		msg = fmt.Sprintf("%d: %s", f.Status, http.StatusText(f.Status))
	}
	return render(f.Status, map[string]any{"message": msg, "code": f.Code})
}
