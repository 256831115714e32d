package nitrado

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
)

// Sentinel errors. Errors returned by the client wrap one of these where it
// applies; use errors.Is.
var (
	// ErrInvalidToken: HTTP 401, the token is invalid, expired or revoked.
	ErrInvalidToken = errors.New("invalid or expired token")
	// ErrForbidden: HTTP 403, the token lacks the role (permission) the call
	// needs, e.g. RoleScheduledRestartRead for Tasks.
	ErrForbidden = errors.New("permission denied")
	// ErrActionInProgress: HTTP 428, another action is still running on the
	// service; try again later.
	ErrActionInProgress = errors.New("another action is in progress")
	// ErrRateLimited: HTTP 429. The error is a *RateLimitError.
	ErrRateLimited = errors.New("rate limit exceeded")
	// ErrMaintenance: HTTP 503, Nitrado is in maintenance.
	ErrMaintenance = errors.New("nitrado maintenance")
	// ErrNotFound: HTTP 404, or HTTP 500 whose message says the file or
	// directory doesn't exist (Nitrado reports missing files as 500).
	ErrNotFound = errors.New("not found")
	// ErrBadResponse: the response could not be understood (truncated or
	// invalid JSON, an HTML page, a missing field, a bad download URL).
	ErrBadResponse = errors.New("bad response")
	// ErrTooLarge: a response body or download exceeded the configured cap.
	ErrTooLarge = errors.New("response too large")
	// ErrStalled: a download's body sent nothing for
	// Options.DownloadIdleTimeout.
	ErrStalled = errors.New("download stalled")
)

// APIError is an error answer from the API other than 429. Its sentinel (see
// Is) depends on Status: 401 ErrInvalidToken, 403 ErrForbidden, 428 ErrActionInProgress,
// 503 ErrMaintenance, 404 or "doesn't exist" 500 ErrNotFound.
type APIError struct {
	Status    int    // HTTP status code (200 when the envelope said "error")
	Message   string // envelope message, sanitised and shortened
	Code      string // data.error_code when present (e.g. "access_token_invalid")
	RequestID string // X-Raven-Event-ID when present
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "http %d", e.Status)
	if t := http.StatusText(e.Status); t != "" {
		b.WriteString(" " + strings.ToLower(t))
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %q", e.Message)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, " (code %s)", e.Code)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (event %s)", e.RequestID)
	}
	return b.String()
}

// Is maps the status code to the package's sentinel errors.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrInvalidToken:
		return e.Status == http.StatusUnauthorized
	case ErrForbidden:
		return e.Status == http.StatusForbidden
	case ErrActionInProgress:
		return e.Status == http.StatusPreconditionRequired
	case ErrMaintenance:
		return e.Status == http.StatusServiceUnavailable
	case ErrNotFound:
		return e.Status == http.StatusNotFound || (e.Status == http.StatusInternalServerError && isNotExistMessage(e.Message))
	}
	return false
}

// RateLimitError is returned for HTTP 429. Reset is when the window resets
// (from Retry-After or X-RateLimit-Reset; zero when unknown).
type RateLimitError struct {
	Reset     time.Time
	Remaining int // X-RateLimit-Remaining, -1 when absent
	Limit     int // X-RateLimit-Limit (requests per hour), -1 when absent
	Message   string
}

func (e *RateLimitError) Error() string {
	s := "http 429 rate limit exceeded"
	if !e.Reset.IsZero() {
		s += " until " + e.Reset.UTC().Format(time.RFC3339)
	}
	if e.Remaining >= 0 {
		s += fmt.Sprintf(" (remaining %d)", e.Remaining)
	}
	return s
}

// Is reports target == ErrRateLimited.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// isNotExistMessage recognises Nitrado's "404 as 500" messages.
func isNotExistMessage(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "doesn't exist") || strings.Contains(m, "does not exist") ||
		strings.Contains(m, "doesn’t exist") || strings.Contains(m, "not found")
}

// maxMessageLen caps server-provided text copied into errors.
const maxMessageLen = 200

// sanitize makes server-provided text safe for an error or log line: the
// token is removed, control characters become spaces and the length is capped.
func sanitize(s, token string) string {
	if token != "" && strings.Contains(s, token) {
		s = strings.ReplaceAll(s, token, redacted)
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > maxMessageLen {
		cut := maxMessageLen
		for cut > 0 && !utf8Start(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
