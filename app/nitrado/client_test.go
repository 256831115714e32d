package nitrado_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blissark/bliss/app/nitrado"
	"github.com/blissark/bliss/app/nitrado/nitradotest"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type env struct {
	fake *nitradotest.Server
	c    *nitrado.Client
	logs *syncBuffer
}

// setup starts a fake with one ASA service (id 1001) and a client with tiny
// retry waits and no client-side rate limit unless opts say otherwise.
func setup(t *testing.T, opts nitrado.Options) *env {
	t.Helper()
	fake := nitradotest.New(t)
	fake.AddService(nitradotest.Service{
		ID: 1001, Name: "Bliss PvE TheIsland", Map: "TheIsland_WP", RCONPort: 27020,
		RCONPassword: "rc0n-S3cret", ServerPassword: "join-pw", PlayerCurrent: 7, Slots: 70,
	})
	logs := &syncBuffer{}
	if opts.Token == "" {
		opts.Token = fake.Token()
	}
	opts.BaseURL = fake.URL()
	if opts.RateLimit == 0 {
		opts.RateLimit = -1
	}
	if opts.RetryWaitMin == 0 {
		opts.RetryWaitMin = time.Millisecond
	}
	if opts.RetryWaitMax == 0 {
		opts.RetryWaitMax = 10 * time.Millisecond
	}
	opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := nitrado.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return &env{fake: fake, c: c, logs: logs}
}

const gsPath = "/services/1001/gameservers"

func TestNewValidates(t *testing.T) {
	if _, err := nitrado.New(nitrado.Options{}); err == nil {
		t.Fatal("want error for missing token")
	}
	if _, err := nitrado.New(nitrado.Options{Token: "x", BaseURL: "ftp://x"}); err == nil {
		t.Fatal("want error for bad base url")
	}
	if _, err := nitrado.New(nitrado.Options{Token: "a\nb"}); err == nil {
		t.Fatal("want error for token with newline")
	}
}

func TestPing(t *testing.T) {
	e := setup(t, nitrado.Options{UserAgent: "bliss-test/1"})
	if err := e.c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	calls := e.fake.Calls()
	if len(calls) != 1 || calls[0].Path != "/ping" || !calls[0].Authorized || calls[0].UserAgent != "bliss-test/1" {
		t.Fatalf("calls = %+v", calls)
	}
	rl := e.c.RateLimit()
	if rl.Limit != 4000 || rl.Remaining != 3999 || rl.Reset.IsZero() {
		t.Fatalf("rate limit state = %+v", rl)
	}
}

func TestListServices(t *testing.T) {
	e := setup(t, nitrado.Options{})
	e.fake.AddService(nitradotest.Service{ID: 1002, Name: "ASE", Game: "arkse"})
	svcs, err := e.c.ListServices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(svcs) != 2 {
		t.Fatalf("got %d services", len(svcs))
	}
	s := svcs[0]
	if s.ID != 1001 || !s.IsASA() || s.Details.Name != "Bliss PvE TheIsland" || s.Details.Address != "127.0.0.1:7777" ||
		s.Status != "active" || s.Username != "ni1001_1" || s.Details.Slots != 70 || len(s.Roles) != 1 {
		t.Fatalf("service = %+v", s)
	}
	if want := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC); !s.StartDate.Equal(want) {
		t.Fatalf("start date = %v", s.StartDate)
	}
	if svcs[1].IsASA() {
		t.Fatal("arkse detected as ASA")
	}
}

func TestGameserverDetails(t *testing.T) {
	e := setup(t, nitrado.Options{})
	gs, err := e.c.Gameserver(context.Background(), 1001)
	if err != nil {
		t.Fatal(err)
	}
	if gs.Status != "started" || gs.IP != "127.0.0.1" || gs.Port != 7777 || gs.RCONPort != 27020 || gs.QueryPort != 27015 ||
		gs.Game != "arksa" || !gs.IsASA() || gs.Slots != 70 || gs.Location != "DE" || gs.ServiceID != 1001 {
		t.Fatalf("gameserver = %+v", gs)
	}
	if gs.Query.ServerName != "Bliss PvE TheIsland" || gs.Query.Map != "TheIsland_WP" || gs.Query.PlayerCurrent != 7 || gs.Query.PlayerMax != 70 {
		t.Fatalf("query = %+v", gs.Query)
	}
	if gs.GameSpecific.Path != "/games/ni1001_1/ftproot/arksa/" || !gs.GameSpecific.Features["has_rcon"] {
		t.Fatalf("game_specific = %+v", gs.GameSpecific)
	}
	if gs.RCONPassword().Reveal() != "rc0n-S3cret" || gs.Settings.Get("config", "server-password") != "join-pw" {
		t.Fatal("settings not decoded")
	}
	d := gs.Details()
	if d2, err := e.c.ServerDetails(context.Background(), 1001); err != nil || d2 != d {
		t.Fatalf("ServerDetails: %+v %v", d2, err)
	}
	want := nitrado.ServerDetails{
		ServiceID: 1001, Name: "Bliss PvE TheIsland", Map: "TheIsland_WP", Status: "started", Game: "arksa",
		IP: "127.0.0.1", Port: 7777, QueryPort: 27015, RCONPort: 27020, RCONPassword: "rc0n-S3cret",
		GamePath: "/games/ni1001_1/ftproot/arksa", Slots: 70, PlayerCurrent: 7, PlayerMax: 70, Location: "DE",
	}
	if d != want {
		t.Fatalf("details = %+v\nwant      %+v", d, want)
	}
	if d.RCONAddr() != "127.0.0.1:27020" {
		t.Fatalf("rcon addr = %q", d.RCONAddr())
	}
	// Secrets never print.
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("details", "d", d, "gs", gs, "pw", d.RCONPassword, "settings", gs.Settings)
	printed := fmt.Sprintf("%v %+v %#v %s %q %x", d, gs, d, d.RCONPassword, d.RCONPassword, d.RCONPassword) + logBuf.String()
	for _, secret := range []string{"rc0n-S3cret", "join-pw"} {
		if strings.Contains(printed, secret) {
			t.Fatalf("secret %q printed: %s", secret, printed)
		}
	}
}

func TestGameserverMapVariants(t *testing.T) {
	e := setup(t, nitrado.Options{})
	e.fake.AddService(nitradotest.Service{ID: 7, Map: "Mod:988598:Astraeos_WP"})
	e.fake.AddService(nitradotest.Service{ID: 8, Map: "TheIsland,Ragnarok"})
	for id, want := range map[int64]string{7: "Astraeos_WP", 8: "Ragnarok"} {
		gs, err := e.c.Gameserver(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if gs.MapName() != want {
			t.Errorf("service %d: map %q, want %q", id, gs.MapName(), want)
		}
	}
}

func TestRestartStopStart(t *testing.T) {
	e := setup(t, nitrado.Options{})
	ctx := context.Background()
	if err := e.c.Stop(ctx, 1001, "Server stops in 1 min", "bliss: admin stop"); err != nil {
		t.Fatal(err)
	}
	if s, _ := e.fake.Service(1001); s.Status != "stopped" {
		t.Fatalf("status after stop = %q", s.Status)
	}
	if err := e.c.Start(ctx, 1001, "", "bliss: start"); err != nil {
		t.Fatal(err)
	}
	if s, _ := e.fake.Service(1001); s.Status != "started" {
		t.Fatalf("status after start = %q", s.Status)
	}
	if err := e.c.Restart(ctx, 1001, "Restarting!", "bliss: restart"); err != nil {
		t.Fatal(err)
	}
	calls := e.fake.Calls()
	if len(calls) != 3 {
		t.Fatalf("calls = %d", len(calls))
	}
	stop, start, restart := calls[0], calls[1], calls[2]
	if stop.Method != http.MethodPost || stop.Path != gsPath+"/stop" || stop.Form.Get("stop_message") != "Server stops in 1 min" || stop.Form.Get("message") != "bliss: admin stop" {
		t.Fatalf("stop call = %+v", stop)
	}
	if start.Path != gsPath+"/restart" || start.Form.Has("restart_message") || start.Form.Get("message") != "bliss: start" {
		t.Fatalf("start call = %+v", start)
	}
	if restart.Path != gsPath+"/restart" || restart.Form.Get("restart_message") != "Restarting!" {
		t.Fatalf("restart call = %+v", restart)
	}
}

func TestInvalidInput(t *testing.T) {
	e := setup(t, nitrado.Options{})
	ctx := context.Background()
	if _, err := e.c.Gameserver(ctx, 0); err == nil {
		t.Fatal("id 0 accepted")
	}
	if _, err := e.c.ListFiles(ctx, 1001, "relative/dir"); err == nil {
		t.Fatal("relative dir accepted")
	}
	if _, err := e.c.Download(ctx, 1001, "/a\x00b", &bytes.Buffer{}); err == nil {
		t.Fatal("control char accepted")
	}
	if _, err := e.c.Download(ctx, 1001, "/a", nil); err == nil {
		t.Fatal("nil writer accepted")
	}
	if n := len(e.fake.Calls()); n != 0 {
		t.Fatalf("invalid input hit the network %d times", n)
	}
}

func TestListFiles(t *testing.T) {
	e := setup(t, nitrado.Options{})
	base := "/games/ni1001_1/ftproot/arksa/ShooterGame/Saved"
	e.fake.AddFileBytes(1001, base+"/Logs/ShooterGame.log", []byte("log line\n"))
	e.fake.AddFileBytes(1001, base+"/SavedArks/TheIsland_WP/TheIsland_WP.ark", []byte("ark"))
	e.fake.AddFileBytes(1001, base+"/Config/WindowsServer/Game.ini", []byte("[x]"))
	ents, err := e.c.ListFiles(context.Background(), 1001, base)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range ents {
		if !f.IsDir() {
			t.Fatalf("unexpected file %+v", f)
		}
		names = append(names, f.Name)
	}
	if strings.Join(names, ",") != "Config,Logs,SavedArks" {
		t.Fatalf("names = %v", names)
	}
	ents, err = e.c.ListFiles(context.Background(), 1001, base+"/Logs")
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Type != "file" || ents[0].Size != 9 || ents[0].Path != base+"/Logs/ShooterGame.log" || ents[0].ModifiedAt.IsZero() {
		t.Fatalf("entries = %+v", ents)
	}
	if got := e.fake.Calls()[1].Query.Get("dir"); got != base+"/Logs" {
		t.Fatalf("dir param = %q", got)
	}
	_, err = e.c.ListFiles(context.Background(), 1001, "/nope")
	if !errors.Is(err, nitrado.ErrNotFound) {
		t.Fatalf("missing dir: %v", err)
	}
}

func TestDownloadStreamsMultiMB(t *testing.T) {
	e := setup(t, nitrado.Options{})
	data := make([]byte, 6<<20+123)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(t.TempDir(), "TheIsland_WP.ark")
	if err := os.WriteFile(local, data, 0o600); err != nil {
		t.Fatal(err)
	}
	remote := "/games/ni1001_1/ftproot/arksa/ShooterGame/Saved/SavedArks/TheIsland_WP/TheIsland_WP.ark"
	e.fake.AddFile(1001, remote, local)

	w := &chunkWriter{}
	n, err := e.c.Download(context.Background(), 1001, remote, w)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(data)) || !bytes.Equal(w.buf.Bytes(), data) {
		t.Fatalf("downloaded %d bytes, equal=%v", n, bytes.Equal(w.buf.Bytes(), data))
	}
	if w.maxWrite >= len(data) || w.writes < 2 {
		t.Fatalf("not streamed: %d writes, largest %d", w.writes, w.maxWrite)
	}
	calls := e.fake.Calls()
	if len(calls) != 2 || calls[0].Query.Get("file") != remote || !strings.HasPrefix(calls[1].Path, "/dl/") || calls[1].Query.Get("token") == "" {
		t.Fatalf("calls = %+v", calls)
	}

	// DownloadFile writes atomically.
	dst := filepath.Join(t.TempDir(), "out.ark")
	if _, err := e.c.DownloadFile(context.Background(), 1001, remote, dst); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(dst)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("DownloadFile: err=%v equal=%v", err, bytes.Equal(got, data))
	}
	// A failing DownloadFile leaves nothing behind.
	dir := t.TempDir()
	if _, err := e.c.DownloadFile(context.Background(), 1001, "/missing.ark", filepath.Join(dir, "x.ark")); !errors.Is(err, nitrado.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("left behind: %v", ents)
	}
}

type chunkWriter struct {
	buf      bytes.Buffer
	writes   int
	maxWrite int
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	w.writes++
	w.maxWrite = max(w.maxWrite, len(p))
	return w.buf.Write(p)
}

func TestDownloadErrors(t *testing.T) {
	e := setup(t, nitrado.Options{MaxDownloadBytes: 1000})
	ctx := context.Background()
	e.fake.AddFileBytes(1001, "/big.bin", bytes.Repeat([]byte("x"), 1001))
	e.fake.AddFileBytes(1001, "/ok.bin", []byte("hello"))

	// Missing file: Nitrado's 500 "File doesn't exist" → ErrNotFound, not retried.
	_, err := e.c.Download(ctx, 1001, "/missing.ark", &bytes.Buffer{})
	var ae *nitrado.APIError
	if !errors.Is(err, nitrado.ErrNotFound) || !errors.As(err, &ae) || ae.Status != 500 {
		t.Fatalf("missing: %v", err)
	}
	if n := e.fake.CountCalls("GET", gsPath+"/file_server/download"); n != 1 {
		t.Fatalf("not-found retried: %d attempts", n)
	}
	// Over the cap.
	if _, err := e.c.Download(ctx, 1001, "/big.bin", &bytes.Buffer{}); !errors.Is(err, nitrado.ErrTooLarge) {
		t.Fatalf("big: %v", err)
	}
	// Truncated body (Content-Length larger than what arrives).
	e.fake.Fail(nitradotest.Fault{Path: nitradotest.DownloadPathPattern, Status: 200, Count: 1, ContentType: "application/octet-stream",
		Header: http.Header{"Content-Length": {"500"}}, Body: "only a little"})
	if _, err := e.c.Download(ctx, 1001, "/ok.bin", &bytes.Buffer{}); !errors.Is(err, nitrado.ErrBadResponse) || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("truncated: %v", err)
	}
	// Dropped connection on the file URL is retried.
	e.fake.Fail(nitradotest.Fault{Path: nitradotest.DownloadPathPattern, Drop: true, Count: 2})
	var buf bytes.Buffer
	if _, err := e.c.Download(ctx, 1001, "/ok.bin", &buf); err != nil || buf.String() != "hello" {
		t.Fatalf("after drops: %q %v", buf.String(), err)
	}
	// Bad download url in the token answer.
	e.fake.Fail(nitradotest.Fault{Path: gsPath + "/file_server/download", Status: 200, Count: 1,
		Body: `{"status":"success","data":{"token":{"url":"file:///etc/passwd","token":"t"}}}`})
	if _, err := e.c.Download(ctx, 1001, "/ok.bin", &buf); !errors.Is(err, nitrado.ErrBadResponse) {
		t.Fatalf("bad url: %v", err)
	}
}

func TestStats(t *testing.T) {
	e := setup(t, nitrado.Options{})
	st, err := e.c.Stats(context.Background(), 1001, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.CPUUsage) != 24 || len(st.CurrentPlayers) != 24 || len(st.MemoryUsage) != 24 || len(st.MaxPlayers) != 24 {
		t.Fatalf("stats lengths: %d %d", len(st.CPUUsage), len(st.CurrentPlayers))
	}
	last := st.CurrentPlayers[23]
	if !last.Valid || last.Value != 7 || last.Time.IsZero() || st.CPUUsage[0].Value != 12.5 {
		t.Fatalf("samples: %+v %+v", last, st.CPUUsage[0])
	}
	if d := st.CPUUsage[1].Time.Sub(st.CPUUsage[0].Time); d != 5*time.Minute {
		t.Fatalf("spacing %v", d)
	}
	if q := e.fake.Calls()[0].Query.Get("hours"); q != "2" {
		t.Fatalf("hours = %q", q)
	}
}

func TestBoostHistory(t *testing.T) {
	e := setup(t, nitrado.Options{})
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range 45 {
		e.fake.AddBoost(1001, nitradotest.Boost{ID: int64(i + 1), Username: "donor" + strconv.Itoa(i),
			ExtendedFor: 7 * 24 * time.Hour, Amount: "$1.00", Message: "LINK-ABC", BoostedAt: at.Add(time.Duration(i) * time.Hour)})
	}
	ctx := context.Background()
	p, err := e.c.BoostHistory(ctx, 1001, 3)
	if err != nil {
		t.Fatal(err)
	}
	if p.CurrentPage != 3 || p.PageCount != 3 || p.BoostsCount != 45 || p.BoostsPerPage != 20 || len(p.Boosts) != 5 {
		t.Fatalf("page = %+v", p)
	}
	b := p.Boosts[0]
	if b.ID != 41 || b.Username != "donor40" || b.ExtendedFor != 7*24*time.Hour || !b.BoostedAt.Equal(at.Add(40*time.Hour)) || b.Message != "LINK-ABC" {
		t.Fatalf("boost = %+v", b)
	}
	e.fake.ResetCalls()
	all, err := e.c.AllBoosts(ctx, 1001)
	if err != nil || len(all) != 45 || all[44].ID != 45 {
		t.Fatalf("all: %d %v", len(all), err)
	}
	if n := e.fake.CountCalls("GET", gsPath+"/boost/history"); n != 3 {
		t.Fatalf("pages fetched = %d", n)
	}
	// Breaking early stops fetching.
	e.fake.ResetCalls()
	seen := 0
	for _, err := range e.c.Boosts(ctx, 1001) {
		if err != nil {
			t.Fatal(err)
		}
		if seen++; seen == 3 {
			break
		}
	}
	if n := len(e.fake.Calls()); n != 1 {
		t.Fatalf("early break fetched %d pages", n)
	}
	// Errors are yielded.
	e.fake.Fail(nitradotest.Fault{Path: gsPath + "/boost/history", Status: 401})
	if _, err := e.c.AllBoosts(ctx, 1001); !errors.Is(err, nitrado.ErrInvalidToken) {
		t.Fatalf("want invalid token, got %v", err)
	}
}

func TestErrorMapping(t *testing.T) {
	cases := []struct {
		name   string
		fault  nitradotest.Fault
		want   error
		status int
	}{
		{"401", nitradotest.Fault{Status: 401}, nitrado.ErrInvalidToken, 401},
		{"428", nitradotest.Fault{Status: 428}, nitrado.ErrActionInProgress, 428},
		{"503", nitradotest.Fault{Status: 503}, nitrado.ErrMaintenance, 503},
		{"404", nitradotest.Fault{Status: 404}, nitrado.ErrNotFound, 404},
		{"500 not found", nitradotest.Fault{Status: 500, Message: "File doesn't exist"}, nitrado.ErrNotFound, 500},
		{"500 other", nitradotest.Fault{Status: 500, Message: "The service is currently in state 4 but it expecting state 2,3."}, nil, 500},
		{"403", nitradotest.Fault{Status: 403, Message: "Access denied"}, nitrado.ErrForbidden, 403},
		{"200 error envelope", nitradotest.Fault{Status: 200, Body: `{"status":"error","message":"nope"}`}, nil, 200},
		{"502 html", nitradotest.Fault{Status: 502, ContentType: "text/html", Body: "<html><title>502 Bad Gateway</title></html>"}, nil, 502},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, nitrado.Options{RetryMax: -1})
			tc.fault.Path = gsPath
			e.fake.Fail(tc.fault)
			_, err := e.c.Gameserver(context.Background(), 1001)
			if err == nil {
				t.Fatal("want error")
			}
			if !strings.HasPrefix(err.Error(), "nitrado: gameserver 1001: ") {
				t.Fatalf("prefix: %v", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("want %v, got %v", tc.want, err)
			}
			for _, s := range []error{nitrado.ErrInvalidToken, nitrado.ErrForbidden, nitrado.ErrActionInProgress, nitrado.ErrMaintenance, nitrado.ErrNotFound, nitrado.ErrRateLimited} {
				if s != tc.want && errors.Is(err, s) {
					t.Fatalf("unexpected match %v: %v", s, err)
				}
			}
			var ae *nitrado.APIError
			if !errors.As(err, &ae) || ae.Status != tc.status {
				t.Fatalf("APIError: %#v from %v", ae, err)
			}
		})
	}
	t.Run("wrong token", func(t *testing.T) {
		e := setup(t, nitrado.Options{Token: "wrong-token-123"})
		err := e.c.Ping(context.Background())
		var ae *nitrado.APIError
		if !errors.Is(err, nitrado.ErrInvalidToken) || !errors.As(err, &ae) || ae.Code != "access_token_invalid" {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("429", func(t *testing.T) {
		e := setup(t, nitrado.Options{})
		reset := time.Now().Add(time.Hour).Truncate(time.Second)
		e.fake.Fail(nitradotest.Fault{Path: gsPath, Status: 429, Header: http.Header{
			"X-RateLimit-Limit": {"4000"}, "X-RateLimit-Remaining": {"0"}, "X-RateLimit-Reset": {strconv.FormatInt(reset.Unix(), 10)},
		}})
		_, err := e.c.Gameserver(context.Background(), 1001)
		var rl *nitrado.RateLimitError
		if !errors.Is(err, nitrado.ErrRateLimited) || !errors.As(err, &rl) {
			t.Fatalf("got %v", err)
		}
		if rl.Remaining != 0 || rl.Limit != 4000 || rl.Reset.Sub(reset).Abs() > 2*time.Second {
			t.Fatalf("rate limit error = %+v (want reset %v)", rl, reset)
		}
		// A reset far beyond RetryWaitMax is not waited for.
		if n := e.fake.CountCalls("", gsPath); n != 1 {
			t.Fatalf("attempts = %d", n)
		}
		if st := e.c.RateLimit(); st.Remaining != 0 {
			t.Fatalf("state = %+v", st)
		}
		// While the window is exhausted the client fails fast without a request.
		e.fake.ClearFaults()
		err = e.c.Ping(context.Background())
		if !errors.As(err, &rl) || !rl.Reset.Equal(reset) {
			t.Fatalf("preflight: %v", err)
		}
		if n := len(e.fake.Calls()); n != 1 {
			t.Fatalf("preflight hit the network: %d calls", n)
		}
	})
}

func TestRetries(t *testing.T) {
	ctx := context.Background()
	t.Run("two 503 then success", func(t *testing.T) {
		e := setup(t, nitrado.Options{})
		e.fake.Fail(nitradotest.Fault{Path: gsPath, Status: 503, Count: 2})
		if _, err := e.c.Gameserver(ctx, 1001); err != nil {
			t.Fatal(err)
		}
		if n := e.fake.CountCalls("GET", gsPath); n != 3 {
			t.Fatalf("attempts = %d, want 3", n)
		}
		if !strings.Contains(e.logs.String(), "nitrado retry") {
			t.Fatalf("retry not logged: %s", e.logs.String())
		}
	})
	t.Run("503 exhausts retries", func(t *testing.T) {
		e := setup(t, nitrado.Options{RetryMax: 2})
		e.fake.Fail(nitradotest.Fault{Path: gsPath, Status: 503})
		_, err := e.c.Gameserver(ctx, 1001)
		if !errors.Is(err, nitrado.ErrMaintenance) || !strings.Contains(err.Error(), "after 3 attempts") {
			t.Fatalf("got %v", err)
		}
		if n := e.fake.CountCalls("GET", gsPath); n != 3 {
			t.Fatalf("attempts = %d, want 3", n)
		}
	})
	t.Run("POST restart under 503 is not retried", func(t *testing.T) {
		e := setup(t, nitrado.Options{})
		e.fake.Fail(nitradotest.Fault{Path: gsPath + "/restart", Status: 503})
		if err := e.c.Restart(ctx, 1001, "", ""); !errors.Is(err, nitrado.ErrMaintenance) {
			t.Fatalf("got %v", err)
		}
		if n := e.fake.CountCalls("POST", gsPath+"/restart"); n != 1 {
			t.Fatalf("attempts = %d, want 1", n)
		}
	})
	t.Run("POST dropped connection is not retried", func(t *testing.T) {
		e := setup(t, nitrado.Options{})
		e.fake.Fail(nitradotest.Fault{Path: gsPath + "/stop", Drop: true})
		if err := e.c.Stop(ctx, 1001, "", ""); err == nil {
			t.Fatal("want error")
		}
		if n := e.fake.CountCalls("POST", gsPath+"/stop"); n != 1 {
			t.Fatalf("attempts = %d, want 1", n)
		}
	})
	t.Run("429 with Retry-After then success", func(t *testing.T) {
		e := setup(t, nitrado.Options{})
		e.fake.Fail(nitradotest.Fault{Path: "/services", Status: 429, Count: 2, Header: http.Header{"Retry-After": {"0"}}})
		if _, err := e.c.ListServices(ctx); err != nil {
			t.Fatal(err)
		}
		if n := e.fake.CountCalls("GET", "/services"); n != 3 {
			t.Fatalf("attempts = %d, want 3", n)
		}
	})
	t.Run("429 with long Retry-After is returned", func(t *testing.T) {
		e := setup(t, nitrado.Options{})
		e.fake.Fail(nitradotest.Fault{Path: "/services", Status: 429, Header: http.Header{"Retry-After": {"120"}}})
		before := time.Now()
		_, err := e.c.ListServices(ctx)
		var rl *nitrado.RateLimitError
		if !errors.As(err, &rl) || rl.Reset.Before(before.Add(119*time.Second)) {
			t.Fatalf("got %v", err)
		}
		if n := e.fake.CountCalls("GET", "/services"); n != 1 {
			t.Fatalf("attempts = %d, want 1", n)
		}
	})
	t.Run("428 is not retried", func(t *testing.T) {
		e := setup(t, nitrado.Options{})
		e.fake.Fail(nitradotest.Fault{Path: gsPath, Status: 428})
		if _, err := e.c.Gameserver(ctx, 1001); !errors.Is(err, nitrado.ErrActionInProgress) {
			t.Fatalf("got %v", err)
		}
		if n := e.fake.CountCalls("GET", gsPath); n != 1 {
			t.Fatalf("attempts = %d", n)
		}
	})
	t.Run("500 other is retried, 500 not found is not", func(t *testing.T) {
		e := setup(t, nitrado.Options{RetryMax: 3})
		e.fake.Fail(nitradotest.Fault{Path: gsPath, Status: 500, Message: "boom", Count: 1})
		if _, err := e.c.Gameserver(ctx, 1001); err != nil {
			t.Fatal(err)
		}
		if n := e.fake.CountCalls("GET", gsPath); n != 2 {
			t.Fatalf("attempts = %d, want 2", n)
		}
		e.fake.Fail(nitradotest.Fault{Path: "/services/1001/gameservers/file_server/list", Status: 500, Message: "File doesn't exist"})
		if _, err := e.c.ListFiles(ctx, 1001, "/x"); !errors.Is(err, nitrado.ErrNotFound) {
			t.Fatalf("got %v", err)
		}
		if n := e.fake.CountCalls("GET", gsPath+"/file_server/list"); n != 1 {
			t.Fatalf("attempts = %d, want 1", n)
		}
	})
	t.Run("dropped connection GET is retried", func(t *testing.T) {
		e := setup(t, nitrado.Options{})
		e.fake.Fail(nitradotest.Fault{Path: gsPath, Drop: true, Count: 2})
		gs, err := e.c.Gameserver(ctx, 1001)
		if err != nil || gs.RCONPort != 27020 {
			t.Fatalf("got %v", err)
		}
		if n := e.fake.CountCalls("GET", gsPath); n != 3 {
			t.Fatalf("attempts = %d, want 3", n)
		}
	})
	t.Run("dropped connection always", func(t *testing.T) {
		e := setup(t, nitrado.Options{RetryMax: 2})
		e.fake.Fail(nitradotest.Fault{Path: gsPath, Drop: true})
		_, err := e.c.Gameserver(ctx, 1001)
		if err == nil || !strings.HasPrefix(err.Error(), "nitrado: gameserver 1001: get /services/1001/gameservers") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestContextCancel(t *testing.T) {
	e := setup(t, nitrado.Options{})
	e.fake.Fail(nitradotest.Fault{Path: gsPath, Latency: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := e.c.Gameserver(ctx, 1001)
		done <- err
	}()
	// Cancel once the request has reached the fake.
	for e.fake.CountCalls("GET", gsPath) == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	if n := e.fake.CountCalls("GET", gsPath); n != 1 {
		t.Fatalf("canceled request retried: %d", n)
	}
}

func TestBadBodies(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		fault nitradotest.Fault
		want  error
		text  string
	}{
		{"truncated json", nitradotest.Fault{Status: 200, Body: `{"status":"success","data":{"gameserver":{"status":"sta`}, nitrado.ErrBadResponse, "truncated JSON"},
		{"invalid json", nitradotest.Fault{Status: 200, Body: `{"status":"success",,}`}, nitrado.ErrBadResponse, "invalid JSON"},
		{"wrong type", nitradotest.Fault{Status: 200, Body: `{"status":"success","data":{"gameserver":{"game_specific":{"path":42}}}}`}, nitrado.ErrBadResponse, "unexpected JSON type"},
		{"no data", nitradotest.Fault{Status: 200, Body: `{"status":"success","message":"ok"}`}, nitrado.ErrBadResponse, "no data"},
		{"no gameserver", nitradotest.Fault{Status: 200, Body: `{"status":"success","data":{}}`}, nitrado.ErrBadResponse, "no gameserver"},
		{"html 200", nitradotest.Fault{Status: 200, ContentType: "text/html; charset=UTF-8", Body: "<!DOCTYPE html><html><head><title>Just a moment...</title></head></html>",
			Header: http.Header{"Cf-Mitigated": {"challenge"}}}, nitrado.ErrBadResponse, `title "Just a moment..."`},
		{"html 403", nitradotest.Fault{Status: 403, ContentType: "text/html", Body: "<html><title>Attention Required!</title></html>"}, nil, "Attention Required!"},
		{"html 503", nitradotest.Fault{Status: 503, ContentType: "text/html", Body: "<html><title>Maintenance</title></html>"}, nitrado.ErrMaintenance, "http 503"},
		{"huge", nitradotest.Fault{Status: 200, Body: `{"status":"success","data":{"gameserver":{"label":"` + strings.Repeat("a", 5<<20) + `"}}}`}, nitrado.ErrTooLarge, "exceeds"},
		{"huge 503 html", nitradotest.Fault{Status: 503, ContentType: "text/html", Body: "<html>" + strings.Repeat("x", 5<<20)}, nitrado.ErrMaintenance, "http 503"},
		{"short body", nitradotest.Fault{Status: 200, Header: http.Header{"Content-Length": {"400"}}, Body: `{"status":"success"`}, nitrado.ErrBadResponse, "truncated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, nitrado.Options{RetryMax: -1})
			tc.fault.Path = gsPath
			e.fake.Fail(tc.fault)
			_, err := e.c.Gameserver(ctx, 1001)
			if err == nil {
				t.Fatal("want error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("want %v, got %v", tc.want, err)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("error %q does not mention %q", err, tc.text)
			}
			if len(err.Error()) > 600 {
				t.Fatalf("error too long (%d)", len(err.Error()))
			}
		})
	}
}

// TestRateLimitConcurrent checks the client-side token bucket from the
// arrival times recorded by the fake: in every window [t_i, t_j] at most
// burst + rate*(t_j-t_i) requests arrive, plus 2 for scheduling and network
// jitter between the limiter releasing a request and the fake recording it
// (without the limiter all 30 requests would arrive within milliseconds).
func TestRateLimitConcurrent(t *testing.T) {
	const rate, burst, workers, perWorker = 20.0, 2, 10, 3
	e := setup(t, nitrado.Options{RateLimit: rate, RateBurst: burst})
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for range workers {
		wg.Go(func() {
			for range perWorker {
				if err := e.c.Ping(context.Background()); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	calls := e.fake.Calls()
	if len(calls) != workers*perWorker {
		t.Fatalf("calls = %d", len(calls))
	}
	ts := make([]time.Time, len(calls))
	for i, c := range calls {
		ts[i] = c.Time
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	for i := range ts {
		for j := i; j < len(ts); j++ {
			n := float64(j - i + 1)
			allowed := burst + rate*ts[j].Sub(ts[i]).Seconds() + 2
			if n > allowed {
				t.Fatalf("%v requests in %v window (allowed %.1f)", n, ts[j].Sub(ts[i]), allowed)
			}
		}
	}
}

// TestNoSecretLeaks runs failing and succeeding calls with debug logging and
// checks the token never shows up in errors, logs or String().
func TestNoSecretLeaks(t *testing.T) {
	const token = "SUPER-secret-token-9f8e7d"
	fake := nitradotest.NewServer(nitradotest.Options{Token: token})
	t.Cleanup(fake.Close)
	fake.AddService(nitradotest.Service{ID: 1001})
	fake.AddFileBytes(1001, "/f.txt", []byte("hi"))
	logs := &syncBuffer{}
	opts := nitrado.Options{
		Token: token, BaseURL: fake.URL(), RateLimit: -1, RetryMax: 2,
		RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	c, err := nitrado.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var texts []string
	collect := func(err error) {
		if err != nil {
			texts = append(texts, err.Error(), fmt.Sprintf("%+v %#v", err, err))
		}
	}
	collect(c.Ping(ctx))
	fake.Fail(nitradotest.Fault{Path: "/ping", Status: 500, Message: "bad token " + token, Count: 3})
	collect(c.Ping(ctx))
	fake.Fail(nitradotest.Fault{Path: "/services", Status: 401, Header: http.Header{"X-Raven-Event-ID": {token}}})
	_, err = c.ListServices(ctx)
	collect(err)
	fake.Fail(nitradotest.Fault{Path: gsPath, Status: 200, ContentType: "text/html", Body: "<title>" + token + "</title>"})
	_, err = c.Gameserver(ctx, 1001)
	collect(err)
	fake.Fail(nitradotest.Fault{Path: gsPath + "/stop", Drop: true})
	collect(c.Stop(ctx, 1001, "", ""))
	fake.Fail(nitradotest.Fault{Path: nitradotest.DownloadPathPattern, Drop: true})
	_, err = c.Download(ctx, 1001, "/f.txt", &bytes.Buffer{})
	collect(err)
	_, err = c.Download(ctx, 1001, "/missing", &bytes.Buffer{})
	collect(err)
	bad, _ := nitrado.New(nitrado.Options{Token: token, BaseURL: "http://127.0.0.1:1", RateLimit: -1, RetryMax: -1, Logger: opts.Logger})
	collect(bad.Ping(ctx))
	if len(texts) < 8 {
		t.Fatalf("expected failures, got %d texts", len(texts))
	}
	texts = append(texts, logs.String(), c.String(), fmt.Sprintf("%v %+v %#v", c, opts, opts))
	var lb bytes.Buffer
	slog.New(slog.NewTextHandler(&lb, nil)).Info("x", "opts", opts, "client", c)
	texts = append(texts, lb.String())
	for _, s := range texts {
		if strings.Contains(s, token) {
			t.Fatalf("token leaked in: %s", s)
		}
	}
	if !strings.Contains(logs.String(), "nitrado retry") {
		t.Fatal("expected retry logs")
	}
}

// TestDownloadStall: a body that stops mid-way (connection open, nothing
// sent) fails with ErrStalled after the idle timeout, naming how far it
// got; a slow but steady body is not cut.
func TestDownloadStall(t *testing.T) {
	e := setup(t, nitrado.Options{DownloadIdleTimeout: 300 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	data := bytes.Repeat([]byte("ark!"), 64<<10) // 256 KiB
	e.fake.AddFileBytes(1001, "/world.ark", data)
	e.fake.Fail(nitradotest.Fault{Path: nitradotest.DownloadPathPattern, StallAfter: 100 << 10, Count: 1})
	var buf bytes.Buffer
	start := time.Now()
	n, err := e.c.Download(ctx, 1001, "/world.ark", &buf)
	if !errors.Is(err, nitrado.ErrStalled) || !strings.Contains(err.Error(), "no data for 300ms after") {
		t.Fatalf("stalled download = %d, %v; want ErrStalled", n, err)
	}
	if n != 100<<10 {
		t.Errorf("got %d bytes before the stall, want %d", n, 100<<10)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("stall noticed after %s", took)
	}
	// The next download (fault used up) works.
	buf.Reset()
	if _, err := e.c.Download(ctx, 1001, "/world.ark", &buf); err != nil || !bytes.Equal(buf.Bytes(), data) {
		t.Fatalf("after the stall: %d bytes, %v", buf.Len(), err)
	}
	// The caller's own cancellation is not reported as a stall.
	e.fake.Fail(nitradotest.Fault{Path: nitradotest.DownloadPathPattern, StallAfter: 1 << 10, Count: 1})
	cctx, ccancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer ccancel()
	if _, err := e.c.Download(cctx, 1001, "/world.ark", &buf); err == nil || errors.Is(err, nitrado.ErrStalled) {
		t.Fatalf("cancelled download = %v, want the ctx error, not ErrStalled", err)
	}
}
