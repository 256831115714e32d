package nitrado

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/time/rate"
)

// Defaults for Options.
const (
	DefaultBaseURL          = "https://api.nitrado.net"
	DefaultUserAgent        = "bliss-nitrado/1 (+https://github.com/blissark/bliss)"
	DefaultRateLimit        = 1.0 // requests per second
	DefaultRateBurst        = 2
	DefaultRetryMax         = 4
	DefaultRetryWaitMin     = 1 * time.Second
	DefaultRetryWaitMax     = 30 * time.Second
	DefaultMaxBodyBytes     = 4 << 20  // 4 MiB for JSON answers
	DefaultMaxDownloadBytes = 16 << 30 // 16 GiB for file downloads
	// DefaultDownloadIdleTimeout fails a download whose body sends nothing
	// for this long (a stalled transfer), however long the file.
	DefaultDownloadIdleTimeout = 2 * time.Minute
)

// Options configures a Client. Zero values select the defaults.
type Options struct {
	// Token is the Nitrado long-life token (scope "service" suffices).
	// Required. It is only ever sent in the Authorization header.
	Token string
	// BaseURL defaults to DefaultBaseURL.
	BaseURL string
	// UserAgent defaults to DefaultUserAgent.
	UserAgent string
	// RateLimit is the client-side limit in requests per second shared by all
	// callers (retries and downloads included). 0 selects 1 req/s; a negative
	// value disables the limiter.
	RateLimit float64
	// RateBurst is the token bucket size; 0 selects DefaultRateBurst.
	RateBurst int
	// RetryMax is the number of retries of idempotent requests; 0 selects
	// DefaultRetryMax, a negative value disables retries.
	RetryMax int
	// RetryWaitMin/Max bound the backoff between retries. A server-requested
	// wait (Retry-After, X-RateLimit-Reset) longer than RetryWaitMax is not
	// waited for: the error (e.g. *RateLimitError) is returned instead.
	RetryWaitMin time.Duration
	RetryWaitMax time.Duration
	// HTTPClient is copied; its Transport (default http.DefaultTransport
	// clone) is wrapped with the rate limiter. Use context deadlines rather
	// than HTTPClient.Timeout, which would also cut long downloads.
	HTTPClient *http.Client
	// Logger receives debug records per request and warnings per retry.
	// nil discards.
	Logger *slog.Logger
	// MaxBodyBytes caps JSON answers; 0 selects DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxDownloadBytes caps Download; 0 selects DefaultMaxDownloadBytes, a
	// negative value removes the cap.
	MaxDownloadBytes int64
	// DownloadIdleTimeout fails a download (ErrStalled) when its body
	// delivers no byte for this long; 0 selects DefaultDownloadIdleTimeout,
	// a negative value disables it.
	DownloadIdleTimeout time.Duration
	// Now is the clock for Retry-After / X-RateLimit-Reset arithmetic
	// (tests); nil = time.Now. The token bucket always uses real time.
	Now func() time.Time
}

// String redacts the token.
func (o Options) String() string {
	return fmt.Sprintf("nitrado.Options{BaseURL:%q Token:%s RateLimit:%g RetryMax:%d}", o.BaseURL, redacted, o.RateLimit, o.RetryMax)
}

// GoString redacts the token.
func (o Options) GoString() string { return o.String() }

// LogValue redacts the token.
func (o Options) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base_url", o.BaseURL), slog.String("token", redacted))
}

// RateLimitInfo is the last X-RateLimit-* state reported by Nitrado.
type RateLimitInfo struct {
	Limit     int       // requests per hour, -1 unknown
	Remaining int       // -1 unknown
	Reset     time.Time // zero unknown
	Updated   time.Time // when the headers were seen; zero if never
}

// Client talks to the Nitrado API. It is safe for concurrent use.
type Client struct {
	token       string
	base        *url.URL
	ua          string
	rc          *retryablehttp.Client
	log         *slog.Logger
	now         func() time.Time
	maxBody     int64
	maxDownload int64
	idle        time.Duration
	waitMin     time.Duration
	waitMax     time.Duration

	rlMu sync.Mutex
	rl   RateLimitInfo
}

// New builds a Client. It performs no network I/O.
func New(opts Options) (*Client, error) {
	if strings.TrimSpace(opts.Token) == "" {
		return nil, errors.New("nitrado: token is required")
	}
	if strings.ContainsAny(opts.Token, "\r\n") {
		return nil, errors.New("nitrado: token contains a line break")
	}
	raw := opts.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	base, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("nitrado: invalid base url %q", raw)
	}
	base.User = nil
	c := &Client{
		token:       opts.Token,
		base:        base,
		ua:          opts.UserAgent,
		log:         opts.Logger,
		now:         opts.Now,
		maxBody:     opts.MaxBodyBytes,
		maxDownload: opts.MaxDownloadBytes,
		idle:        opts.DownloadIdleTimeout,
		waitMin:     opts.RetryWaitMin,
		waitMax:     opts.RetryWaitMax,
		rl:          RateLimitInfo{Limit: -1, Remaining: -1},
	}
	if c.ua == "" {
		c.ua = DefaultUserAgent
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBodyBytes
	}
	if c.idle == 0 {
		c.idle = DefaultDownloadIdleTimeout
	}
	if c.maxDownload == 0 {
		c.maxDownload = DefaultMaxDownloadBytes
	}
	if c.waitMin <= 0 {
		c.waitMin = DefaultRetryWaitMin
	}
	if c.waitMax <= 0 {
		c.waitMax = DefaultRetryWaitMax
	}
	if c.waitMax < c.waitMin {
		c.waitMax = c.waitMin
	}
	retryMax := opts.RetryMax
	switch {
	case retryMax == 0:
		retryMax = DefaultRetryMax
	case retryMax < 0:
		retryMax = 0
	}

	hc := httpClient(opts)
	c.rc = &retryablehttp.Client{
		HTTPClient:      hc,
		Logger:          nil, // we log ourselves, without query strings
		RetryWaitMin:    c.waitMin,
		RetryWaitMax:    c.waitMax,
		RetryMax:        retryMax,
		CheckRetry:      c.checkRetry,
		Backoff:         c.backoff,
		ErrorHandler:    passthrough,
		RequestLogHook:  c.requestHook,
		ResponseLogHook: c.responseHook,
	}
	return c, nil
}

// httpClient is the HTTP client under the retries: opts.HTTPClient (or a
// default transport with a response-header timeout) behind the token
// bucket that every request, retry and download passes.
func httpClient(opts Options) *http.Client {
	var hc http.Client
	var baseRT http.RoundTripper
	if opts.HTTPClient != nil {
		hc = *opts.HTTPClient
		baseRT = hc.Transport
	}
	if baseRT == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.ResponseHeaderTimeout = 60 * time.Second
		baseRT = tr
	}
	var lim *rate.Limiter
	if opts.RateLimit >= 0 {
		perSec := opts.RateLimit
		if perSec == 0 {
			perSec = DefaultRateLimit
		}
		burst := opts.RateBurst
		if burst <= 0 {
			burst = DefaultRateBurst
		}
		lim = newLimiter(perSec, burst)
	}
	hc.Transport = &limitedTransport{base: baseRT, lim: lim}
	return &hc

}

// String never includes the token.
func (c *Client) String() string { return "nitrado.Client{" + c.base.String() + "}" }

// GoString never includes the token.
func (c *Client) GoString() string { return c.String() }

// LogValue never includes the token.
func (c *Client) LogValue() slog.Value { return slog.StringValue(c.String()) }

// RateLimit returns the last X-RateLimit-* values seen.
func (c *Client) RateLimit() RateLimitInfo {
	c.rlMu.Lock()
	defer c.rlMu.Unlock()
	return c.rl
}

// preflight fails fast with a *RateLimitError, without touching the network,
// while Nitrado has reported an exhausted hourly window (X-RateLimit-Remaining
// 0) whose reset is still in the future. This protects the token from being
// hammered with 429s.
func (c *Client) preflight() error {
	c.rlMu.Lock()
	rl := c.rl
	c.rlMu.Unlock()
	if rl.Remaining == 0 && !rl.Reset.IsZero() && c.now().Before(rl.Reset) {
		return &RateLimitError{Reset: rl.Reset, Remaining: 0, Limit: rl.Limit, Message: "hourly limit exhausted (client-side check)"}
	}
	return nil
}

func passthrough(resp *http.Response, err error, _ int) (*http.Response, error) { return resp, err }

// reqState travels in the request context so the retry hooks know whether
// the request may be retried and can count attempts. One per request.
type reqState struct {
	op         string
	method     string
	path       string // without query (may carry a download token)
	idempotent bool
	attempts   int
	lastStatus int
	lastErr    error
}

type reqStateKey struct{}

func stateFrom(ctx context.Context) *reqState {
	st, _ := ctx.Value(reqStateKey{}).(*reqState)
	return st
}

func (c *Client) requestHook(_ retryablehttp.Logger, r *http.Request, i int) {
	st := stateFrom(r.Context())
	if st == nil {
		return
	}
	st.attempts = i + 1
	if i == 0 {
		c.log.LogAttrs(r.Context(), slog.LevelDebug, "nitrado request",
			slog.String("op", st.op), slog.String("method", st.method), slog.String("path", st.path))
		return
	}
	attrs := []slog.Attr{slog.String("op", st.op), slog.String("method", st.method),
		slog.String("path", st.path), slog.Int("attempt", i+1)}
	if st.lastStatus != 0 {
		attrs = append(attrs, slog.Int("status", st.lastStatus))
	}
	if st.lastErr != nil {
		attrs = append(attrs, slog.String("error", c.sanitizeErr(st.lastErr)))
	}
	c.log.LogAttrs(r.Context(), slog.LevelWarn, "nitrado retry", attrs...)
}

func (c *Client) responseHook(_ retryablehttp.Logger, resp *http.Response) {
	h := resp.Header
	if h.Get("X-RateLimit-Remaining") == "" && h.Get("X-RateLimit-Reset") == "" && h.Get("X-RateLimit-Limit") == "" {
		return
	}
	info := RateLimitInfo{
		Limit:     headerInt(h, "X-RateLimit-Limit"),
		Remaining: headerInt(h, "X-RateLimit-Remaining"),
		Reset:     headerUnix(h, "X-RateLimit-Reset"),
		Updated:   c.now(),
	}
	c.rlMu.Lock()
	c.rl = info
	c.rlMu.Unlock()
}

func headerInt(h http.Header, k string) int {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get(k)))
	if err != nil {
		return -1
	}
	return n
}

func headerUnix(h http.Header, k string) time.Time {
	n, err := strconv.ParseInt(strings.TrimSpace(h.Get(k)), 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0)
}

// checkRetry retries idempotent requests on network errors, 429 and 5xx
// (except 501/505 and Nitrado's "doesn't exist" 500), unless the server asks
// for a wait longer than RetryWaitMax.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return false, ctxErr
	}
	st := stateFrom(ctx)
	if st == nil || !st.idempotent {
		return false, nil
	}
	st.lastErr, st.lastStatus = nil, 0
	if err != nil {
		st.lastErr = err
		return retryableNetErr(err), nil
	}
	st.lastStatus = resp.StatusCode
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests:
	case code == http.StatusInternalServerError:
		if peekNotExist(resp) {
			return false, nil
		}
	case code == http.StatusNotImplemented || code == http.StatusHTTPVersionNotSupported:
		return false, nil
	case code >= 500:
	default:
		return false, nil
	}
	if d, ok := c.serverWait(resp); ok && d > c.waitMax {
		return false, nil // caller gets the typed error with the reset time
	}
	return true, nil
}

// retryableNetErr rejects errors a retry cannot fix.
func retryableNetErr(err error) bool {
	var ue *url.Error
	if errors.As(err, &ue) {
		msg := ue.Err.Error()
		if strings.Contains(msg, "stopped after") || strings.Contains(msg, "unsupported protocol scheme") ||
			strings.Contains(msg, "certificate") {
			return false
		}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return false
	}
	return true
}

// peekNotExist reads the head of a 500 body to recognise "File doesn't
// exist" and puts the bytes back.
func peekNotExist(resp *http.Response) bool {
	if resp.Body == nil {
		return false
	}
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	var env envelope
	if json.Unmarshal(head, &env) == nil {
		return isNotExistMessage(env.Message)
	}
	return false
}

// serverWait is the wait the server asked for: Retry-After (seconds or
// HTTP date), or X-RateLimit-Reset on a 429 / exhausted window.
func (c *Client) serverWait(resp *http.Response) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	h := resp.Header
	if ra := strings.TrimSpace(h.Get("Retry-After")); ra != "" {
		if n, err := strconv.ParseInt(ra, 10, 64); err == nil {
			if n < 0 {
				n = 0
			}
			if n > 1<<31 {
				n = 1 << 31
			}
			return time.Duration(n) * time.Second, true
		}
		if t, err := http.ParseTime(ra); err == nil {
			return max(t.Sub(c.now()), 0), true
		}
	}
	if resp.StatusCode == http.StatusTooManyRequests || h.Get("X-RateLimit-Remaining") == "0" {
		if reset := headerUnix(h, "X-RateLimit-Reset"); !reset.IsZero() {
			return max(reset.Sub(c.now()), 0), true
		}
	}
	return 0, false
}

// backoff honours the server's wait (clamped to [min, max]) and otherwise
// doubles from min with jitter, capped at max.
func (c *Client) backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if d, ok := c.serverWait(resp); ok {
		return min(max(d, minWait), maxWait)
	}
	d := minWait
	for i := 0; i < attempt && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	if half := int64(d / 2); half > 0 {
		d = time.Duration(half + rand.Int64N(half+1))
	}
	return max(d, minWait)
}

// envelope is Nitrado's response wrapper.
type envelope struct {
	Status  string          `json:"status"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

// call is one API request.
type call struct {
	op     string // error prefix, e.g. "gameserver 123"
	method string
	path   string
	query  url.Values
	form   url.Values // POST body, form-urlencoded
}

// do performs c and decodes data into out (if non-nil). It returns the
// envelope message.
func (c *Client) do(ctx context.Context, cl call, out any) (string, error) {
	u := *c.base
	u.Path = c.base.Path + cl.path
	if len(cl.query) > 0 {
		u.RawQuery = cl.query.Encode()
	}
	if err := c.preflight(); err != nil {
		return "", c.errorf(cl.op, "%w", err)
	}
	st := &reqState{op: cl.op, method: cl.method, path: cl.path, idempotent: cl.method == http.MethodGet}
	ctx = context.WithValue(ctx, reqStateKey{}, st)
	var body any
	if cl.form != nil {
		body = []byte(cl.form.Encode())
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, cl.method, u.String(), body)
	if err != nil {
		return "", c.errorf(cl.op, "build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("User-Agent", c.ua)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Cache-Control", "no-cache")
	if cl.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.rc.Do(req)
	if err != nil {
		if resp != nil {
			drainClose(resp.Body)
		}
		return "", c.netError(st, err)
	}
	defer drainClose(resp.Body)

	raw, err := readCapped(resp.Body, c.maxBody)
	c.log.LogAttrs(ctx, slog.LevelDebug, "nitrado response", slog.String("op", cl.op),
		slog.Int("status", resp.StatusCode), slog.Int("bytes", len(raw)), slog.Int("attempts", st.attempts))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// The status code decides even when the body is unreadable or huge.
		return "", c.errorf(cl.op, "%w", c.statusError(resp, raw, st))
	}
	if err != nil {
		return "", c.errorf(cl.op, "%s %s: http %d: %w", strings.ToLower(cl.method), cl.path, resp.StatusCode, err)
	}
	if looksHTML(resp, raw) {
		return "", c.errorf(cl.op, "%w: http %d: unexpected HTML page%s", ErrBadResponse, resp.StatusCode, htmlHint(resp, raw, c.token))
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return "", c.errorf(cl.op, "%w", jsonError(err, raw))
	}
	msg := sanitize(env.Message, c.token)
	if env.Status == "error" {
		return "", c.errorf(cl.op, "%w", c.apiError(resp, env, raw))
	}
	if out != nil {
		if len(env.Data) == 0 || string(env.Data) == "null" {
			return "", c.errorf(cl.op, "%w: response has no data", ErrBadResponse)
		}
		if err := json.Unmarshal(env.Data, out); err != nil {
			return "", c.errorf(cl.op, "%w", jsonError(err, env.Data))
		}
	}
	return msg, nil
}

func (c *Client) errorf(op, format string, args ...any) error {
	return fmt.Errorf("nitrado: "+op+": "+format, args...)
}

// netError wraps a transport failure without the URL (which may carry a
// download token) and with the attempt count.
func (c *Client) netError(st *reqState, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	att := ""
	if st.attempts > 1 {
		att = fmt.Sprintf(" after %d attempts", st.attempts)
	}
	return c.errorf(st.op, "%s %s%s: %w", strings.ToLower(st.method), st.path, att, err)
}

func (c *Client) sanitizeErr(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return sanitize(err.Error(), c.token)
}

// statusError maps a non-2xx answer to *RateLimitError or *APIError.
func (c *Client) statusError(resp *http.Response, raw []byte, st *reqState) error {
	var env envelope
	isHTML := looksHTML(resp, raw)
	if !isHTML {
		_ = json.Unmarshal(raw, &env) // best effort: the status code decides
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		e := &RateLimitError{
			Remaining: headerInt(resp.Header, "X-RateLimit-Remaining"),
			Limit:     headerInt(resp.Header, "X-RateLimit-Limit"),
			Message:   sanitize(env.Message, c.token),
		}
		if d, ok := c.serverWait(resp); ok {
			e.Reset = c.now().Add(d)
		}
		return e
	}
	ae := c.apiError(resp, env, raw)
	if isHTML && ae.Message == "" {
		ae.Message = "HTML page" + htmlHint(resp, raw, c.token)
	}
	if st.attempts > 1 {
		return fmt.Errorf("after %d attempts: %w", st.attempts, ae)
	}
	return ae
}

func (c *Client) apiError(resp *http.Response, env envelope, _ []byte) *APIError {
	ae := &APIError{
		Status:    resp.StatusCode,
		Message:   sanitize(env.Message, c.token),
		RequestID: sanitize(resp.Header.Get("X-Raven-Event-ID"), c.token),
	}
	if len(env.Data) > 0 && env.Data[0] == '{' {
		var d struct {
			ErrorCode string `json:"error_code"`
		}
		if json.Unmarshal(env.Data, &d) == nil {
			ae.Code = sanitize(d.ErrorCode, c.token)
		}
	}
	return ae
}

// readCapped reads at most limit bytes; more is ErrTooLarge.
func readCapped(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: body truncated after %d bytes: %w", ErrBadResponse, len(b), err)
		}
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: body exceeds %d bytes", ErrTooLarge, limit)
	}
	return b, nil
}

func drainClose(b io.ReadCloser) {
	if b == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(b, 64<<10))
	_ = b.Close()
}

func looksHTML(resp *http.Response, raw []byte) bool {
	ct := strings.ToLower(resp.Header.Get("Content-Type"))
	if strings.Contains(ct, "text/html") {
		return true
	}
	t := bytes.TrimLeft(raw, " \t\r\n\ufeff")
	return len(t) > 0 && t[0] == '<'
}

// htmlHint describes an HTML page briefly: its <title> and a Cloudflare hint.
func htmlHint(resp *http.Response, raw []byte, token string) string {
	var parts []string
	lower := bytes.ToLower(raw)
	if i := bytes.Index(lower, []byte("<title>")); i >= 0 {
		rest := raw[i+len("<title>"):]
		if j := bytes.Index(bytes.ToLower(rest), []byte("</title>")); j >= 0 {
			rest = rest[:j]
		}
		if t := sanitize(string(rest), token); t != "" {
			if r := []rune(t); len(r) > 80 {
				t = string(r[:80]) + "…"
			}
			parts = append(parts, fmt.Sprintf("title %q", t))
		}
	}
	if resp.Header.Get("Cf-Mitigated") != "" {
		parts = append(parts, "cloudflare challenge, check the User-Agent")
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// jsonError classifies a decode failure as truncated or invalid JSON.
func jsonError(err error, raw []byte) error {
	var se *json.SyntaxError
	if errors.Is(err, io.ErrUnexpectedEOF) || (errors.As(err, &se) && se.Offset >= int64(len(raw))) {
		return fmt.Errorf("%w: truncated JSON (%d bytes): %w", ErrBadResponse, len(raw), err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("%w: unexpected JSON type for %q: %w", ErrBadResponse, te.Field, err)
	}
	return fmt.Errorf("%w: invalid JSON: %w", ErrBadResponse, err)
}
