package nitrado

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"
)

func newTestClient(t *testing.T, opts Options) *Client {
	t.Helper()
	if opts.Token == "" {
		opts.Token = "tok"
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func resp(code int, h map[string]string) *http.Response {
	r := &http.Response{StatusCode: code, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(""))}
	for k, v := range h {
		r.Header.Set(k, v)
	}
	return r
}

func TestBackoff(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	c := newTestClient(t, Options{Now: func() time.Time { return now }})
	minW, maxW := time.Second, 30*time.Second
	cases := []struct {
		name string
		resp *http.Response
		want time.Duration
	}{
		{"retry-after seconds", resp(503, map[string]string{"Retry-After": "7"}), 7 * time.Second},
		{"retry-after date", resp(429, map[string]string{"Retry-After": now.Add(12 * time.Second).Format(http.TimeFormat)}), 12 * time.Second},
		{"retry-after past date clamps to min", resp(429, map[string]string{"Retry-After": now.Add(-time.Hour).Format(http.TimeFormat)}), minW},
		{"retry-after huge clamps to max", resp(503, map[string]string{"Retry-After": "99999"}), maxW},
		{"ratelimit reset", resp(429, map[string]string{"X-RateLimit-Reset": strconv.FormatInt(now.Add(5*time.Second).Unix(), 10)}), 5 * time.Second},
		{"reset ignored on 503 with remaining", resp(503, map[string]string{"X-RateLimit-Reset": strconv.FormatInt(now.Add(5*time.Second).Unix(), 10), "X-RateLimit-Remaining": "10"}), -1},
	}
	for _, tc := range cases {
		got := c.backoff(minW, maxW, 0, tc.resp)
		if tc.want >= 0 && got != tc.want {
			t.Errorf("%s: got %v want %v", tc.name, got, tc.want)
		}
		if tc.want < 0 && (got < minW || got > 2*minW) {
			t.Errorf("%s: got %v, want exponential", tc.name, got)
		}
	}
	// Exponential with jitter stays within [d/2, d] of min*2^n, capped.
	for attempt := range 8 {
		d := min(minW<<attempt, maxW)
		for range 50 {
			got := c.backoff(minW, maxW, attempt, nil)
			if got < max(d/2, minW) || got > d {
				t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, got, d/2, d)
			}
		}
	}
}

func TestCheckRetry(t *testing.T) {
	c := newTestClient(t, Options{RetryWaitMax: 10 * time.Second})
	get := context.WithValue(context.Background(), reqStateKey{}, &reqState{idempotent: true})
	post := context.WithValue(context.Background(), reqStateKey{}, &reqState{idempotent: false})
	jsonResp := func(code int, body string) *http.Response {
		r := resp(code, nil)
		r.Body = io.NopCloser(strings.NewReader(body))
		return r
	}
	cases := []struct {
		name string
		ctx  context.Context
		resp *http.Response
		err  error
		want bool
	}{
		{"get net error", get, nil, errors.New("connection reset"), true},
		{"post net error", post, nil, errors.New("connection reset"), false},
		{"get 503", get, resp(503, nil), nil, true},
		{"post 503", post, resp(503, nil), nil, false},
		{"get 502", get, resp(502, nil), nil, true},
		{"get 501", get, resp(501, nil), nil, false},
		{"get 429", get, resp(429, nil), nil, true},
		{"get 429 long reset", get, resp(429, map[string]string{"Retry-After": "60"}), nil, false},
		{"get 428", get, resp(428, nil), nil, false},
		{"get 401", get, resp(401, nil), nil, false},
		{"get 200", get, resp(200, nil), nil, false},
		{"get 500", get, jsonResp(500, `{"status":"error","message":"boom"}`), nil, true},
		{"get 500 not found", get, jsonResp(500, `{"status":"error","message":"File doesn't exist"}`), nil, false},
	}
	for _, tc := range cases {
		got, err := c.checkRetry(tc.ctx, tc.resp, tc.err)
		if got != tc.want || err != nil {
			t.Errorf("%s: got %v, %v", tc.name, got, err)
		}
	}
	// The peeked 500 body is still readable.
	r := jsonResp(500, `{"status":"error","message":"File doesn't exist"}`)
	_, _ = c.checkRetry(get, r, nil)
	if b, _ := io.ReadAll(r.Body); !strings.Contains(string(b), "File doesn't exist") {
		t.Fatalf("body after peek: %q", b)
	}
	ctx, cancel := context.WithCancel(get)
	cancel()
	if ok, err := c.checkRetry(ctx, nil, context.Canceled); ok || !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v %v", ok, err)
	}
}

func TestLimiterWaitSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(10, 1)
		start := time.Now()
		var wg sync.WaitGroup
		for range 5 {
			wg.Go(func() {
				if err := l.Wait(context.Background()); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if el := time.Since(start); el != 400*time.Millisecond {
			t.Fatalf("5 tokens at 10/s burst 1 took %v, want 400ms", el)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := l.Wait(ctx); err == nil {
			t.Fatal("Wait with a cancelled ctx succeeded")
		}
		if got := newLimiter(5, 0).Burst(); got != 1 {
			t.Fatalf("burst 0 = %d, want 1", got)
		}
	})
}

// scriptRT answers from a script without a network, so retry waits can run
// inside a synctest bubble.
type scriptRT struct {
	mu      sync.Mutex
	answers []*http.Response
	calls   int
}

func (s *scriptRT) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Body != nil {
		_ = r.Body.Close()
	}
	s.calls++
	if len(s.answers) == 0 {
		return nil, errors.New("script exhausted")
	}
	a := s.answers[0]
	s.answers = s.answers[1:]
	a.Request = r
	return a, nil
}

func jsonAnswer(code int, body string, h map[string]string) *http.Response {
	r := resp(code, h)
	r.Header.Set("Content-Type", "application/json")
	r.Body = io.NopCloser(strings.NewReader(body))
	return r
}

func TestRetryHonoursRetryAfterSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := &scriptRT{answers: []*http.Response{
			jsonAnswer(429, `{"status":"error","message":"slow down"}`, map[string]string{"Retry-After": "3"}),
			jsonAnswer(503, `{"status":"error","message":"maintenance"}`, map[string]string{"Retry-After": "5"}),
			jsonAnswer(200, `{"status":"success","message":"All systems operate as expected."}`, nil),
		}}
		c := newTestClient(t, Options{BaseURL: "http://nitrado.invalid", RateLimit: -1, RetryWaitMin: 10 * time.Millisecond,
			RetryWaitMax: time.Minute, HTTPClient: &http.Client{Transport: rt}})
		start := time.Now()
		if err := c.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el != 8*time.Second {
			t.Fatalf("waited %v, want 3s+5s", el)
		}
		if rt.calls != 3 {
			t.Fatalf("calls = %d", rt.calls)
		}
	})
}

func TestSecretFormatting(t *testing.T) {
	s := Secret("hunter2")
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Info("x", "s", s)
	out := fmt.Sprintf("%s %v %+v %#v %q %x %X %d", s, s, s, s, s, s, s, s) + b.String()
	if strings.Contains(out, "hunter2") || strings.Contains(out, "68756e74657232") {
		t.Fatalf("leak: %s", out)
	}
	if s.Reveal() != "hunter2" || s.IsZero() || !Secret("").IsZero() {
		t.Fatal("reveal/iszero")
	}
	// encoding/json redacts too; persisting a secret takes Reveal.
	j, _ := json.Marshal(ServerDetails{RCONPassword: s})
	if strings.Contains(string(j), "hunter2") || !strings.Contains(string(j), `"rcon_password":"[REDACTED]"`) {
		t.Fatalf("json: %s", j)
	}
	if !s.IsSet() || Secret("").IsSet() || Secret("").String() != "" || fmt.Sprint(Secret("")) != "" {
		t.Fatal("unset secret")
	}
}

func TestTimeAndNumbers(t *testing.T) {
	var v struct {
		A, B, C, D, E, F Time
	}
	err := json.Unmarshal([]byte(`{"A":"2017-02-09T22:26:46","B":"2026-01-02T03:04:05+02:00","C":null,"D":"garbage","E":1700000000,"F":""}`), &v)
	if err != nil {
		t.Fatal(err)
	}
	if !v.A.Equal(time.Date(2017, 2, 9, 22, 26, 46, 0, time.UTC)) || !v.B.Equal(time.Date(2026, 1, 2, 1, 4, 5, 0, time.UTC)) ||
		!v.C.IsZero() || !v.D.IsZero() || v.E.Unix() != 1700000000 || !v.F.IsZero() {
		t.Fatalf("times: %+v", v)
	}
	var gs Gameserver
	if err := json.Unmarshal([]byte(`{"port":"7777","rcon_port":27020.0,"slots":null,"query":{"player_current":"3"},"settings":{"config":{"a":1,"b":true,"c":null,"d":"x"}}}`), &gs); err != nil {
		t.Fatal(err)
	}
	if gs.Port != 7777 || gs.RCONPort != 27020 || gs.Slots != 0 || gs.Query.PlayerCurrent != 3 ||
		gs.Settings.Get("config", "a") != "1" || gs.Settings.Get("config", "b") != "true" || gs.Settings.Get("config", "c") != "" || gs.Settings.Get("config", "d") != "x" {
		t.Fatalf("gameserver: %+v %v", gs, gs.Settings)
	}
	var withPlayers Gameserver
	if err := json.Unmarshal([]byte(`{"ip":"1.2.3.4","query":{"players":[{"id":42,"name":"Rex","time":"x"}]}}`), &withPlayers); err == nil {
		t.Fatal("want error for bad player time")
	}
	if err := json.Unmarshal([]byte(`{"ip":"1.2.3.4","rcon_port":1,"query":{"players":[{"id":42,"name":"Rex"},{"id":"eos-1"}]}}`), &withPlayers); err != nil {
		t.Fatal(err)
	}
	if p := withPlayers.Query.Players; len(p) != 2 || p[0].ID != "42" || p[1].ID != "eos-1" || withPlayers.RCONAddr() != "1.2.3.4:1" {
		t.Fatalf("players: %+v", p)
	}
	var off Gameserver
	if err := json.Unmarshal([]byte(`{"status":"stopped","query":[],"settings":{"config":[],"general":{"x":"1"}},"game_specific":{"features":[]}}`), &off); err != nil {
		t.Fatal(err)
	}
	if off.Query.ServerName != "" || off.Settings.Get("general", "x") != "1" || off.GameSpecific.Features["has_rcon"] {
		t.Fatalf("php empty arrays: %+v", off)
	}
	if err := json.Unmarshal([]byte(`{"game_specific":{"features":{"has_rcon":"1","has_ftp":0}}}`), &off); err != nil || !off.GameSpecific.Features["has_rcon"] || off.GameSpecific.Features["has_ftp"] {
		t.Fatalf("features: %v %v", off.GameSpecific.Features, err)
	}
	if err := json.Unmarshal([]byte(`{"port":"seven"}`), &gs); err == nil {
		t.Fatal("want error for non-numeric port")
	}
	var s Sample
	if err := json.Unmarshal([]byte(`[null, 1700000000]`), &s); err != nil || s.Valid || s.Time.Unix() != 1700000000 {
		t.Fatalf("sample: %+v %v", s, err)
	}
	if err := json.Unmarshal([]byte(`[1]`), &s); err == nil {
		t.Fatal("want error for short sample")
	}
}

func TestSanitize(t *testing.T) {
	got := sanitize("a\x00b\nc tok-1 "+strings.Repeat("é", 300), "tok-1")
	if strings.Contains(got, "tok-1") || strings.ContainsAny(got, "\x00\n") || len(got) > maxMessageLen+4 {
		t.Fatalf("sanitize: %q", got)
	}
	if !strings.HasSuffix(got, "…") || !utf8.ValidString(got) {
		t.Fatalf("cut: %q", got)
	}
}

func TestDecayMultiplier(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  Settings
		want float64
	}{
		{"absent", Settings{"config": {"map": "TheIsland_WP"}}, 0},
		{"gameini", Settings{"gameini": {"PvEStructureDecayPeriodMultiplier": " 2.5 "}}, 2.5},
		{"any category, any case", Settings{"config": {"pvestructuredecayperiodmultiplier": "4"}}, 4},
		{"not a number", Settings{"config": {"PvEStructureDecayPeriodMultiplier": "fast"}}, 0},
		{"not positive", Settings{"config": {"PvEStructureDecayPeriodMultiplier": "-1"}}, 0},
	} {
		g := &Gameserver{Settings: tc.set}
		if got := g.DecayMultiplier(); got != tc.want {
			t.Errorf("%s: DecayMultiplier = %v, want %v", tc.name, got, tc.want)
		}
		if got := g.Details().DecayMultiplier; got != tc.want {
			t.Errorf("%s: Details().DecayMultiplier = %v, want %v", tc.name, got, tc.want)
		}
	}
}
