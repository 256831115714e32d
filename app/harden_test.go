package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blissark/bliss/app/config"
	"github.com/blissark/bliss/app/nitrado"
	"github.com/blissark/bliss/app/nitrado/nitradotest"
	"github.com/blissark/bliss/bots/master"
	"github.com/blissark/bliss/storage"
)

// plantedSecrets are the secrets the appliance knows, and where they come
// from: the configuration (bot and Nitrado tokens) and the server details
// (an RCON password), plus a Discord interaction token inside the URLs
// discordgo puts in its errors.
type plantedSecrets struct {
	botToken, nitradoToken, rconPassword, interactionToken string
}

func (p plantedSecrets) all() []string {
	return []string{p.botToken, p.nitradoToken, p.rconPassword, p.interactionToken}
}

// upstream is an error message an upstream (Discord, Nitrado, RCON) might
// send back, quoting every secret.
func (p plantedSecrets) upstream() string {
	return fmt.Sprintf(`Post "https://discord.com/api/v9/interactions/1234567890123/%s/callback": EOF; `+
		`PATCH https://discord.com/api/v9/webhooks/100000000000000001/%s/messages/@original: 404; `+
		`authorization "Bot %s" refused; token %s invalid; rcon password %s rejected`,
		p.interactionToken, p.interactionToken, p.botToken, p.nitradoToken, p.rconPassword)
}

func newPlanted(t *testing.T) (plantedSecrets, *config.Config, *redactor) {
	t.Helper()
	p := plantedSecrets{
		botToken:         "MTIzNDU2Nzg5.bot-token-planted.XYZ",
		nitradoToken:     "nitrado-planted-long-life-token-0123456789",
		rconPassword:     "rcon-planted-pw",
		interactionToken: "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzpwbGFudGVk",
	}
	cfg, err := config.Load("", []string{"BLISS_NITRADO_TOKEN=" + p.nitradoToken, "BLISS_SERVER_TOKEN=" + p.botToken})
	if err != nil {
		t.Fatal(err)
	}
	r := newRedactor(cfg)
	r.Add(p.rconPassword) // learned from the server details (learnSecrets)
	return p, cfg, r
}

func assertClean(t *testing.T, where, text string, p plantedSecrets) {
	t.Helper()
	for _, s := range p.all() {
		if strings.Contains(text, s) {
			t.Errorf("%s leaks %q:\n%s", where, s, text)
		}
	}
}

type stringer struct{ s string }

func (s stringer) String() string { return s.s }

type valuer struct{ s string }

func (v valuer) LogValue() slog.Value { return slog.StringValue(v.s) }

// Every secret planted in every shape a log line can carry (message, string
// attribute, error, Stringer, LogValuer, group, With, JSON and text) comes
// out redacted; so do /healthz details and the error Main prints.
func TestRedactionEveryOutput(t *testing.T) {
	p, _, r := newPlanted(t)
	up := p.upstream()
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		log := withRedaction(newLogger(&buf, "debug", format, false), r)
		log.Error("upstream said: "+up, "err", errors.New(up), "detail", up, "s", stringer{up}, "v", valuer{up},
			slog.Group("g", "inner", up, slog.Group("deeper", "x", errors.New(up))))
		log.With("with", up).WithGroup("grp").Warn("x", "y", up)
		log.With(slog.Group("wg", "k", up)).Info("z")
		assertClean(t, format+" log", buf.String(), p)
		if n := strings.Count(buf.String(), redactedText); n < 20 {
			t.Errorf("%s log: only %d redactions:\n%s", format, n, buf.String())
		}
		if !strings.Contains(buf.String(), "/interactions/1234567890123/"+redactedText+"/callback") ||
			!strings.Contains(buf.String(), "/webhooks/100000000000000001/"+redactedText+"/messages/@original") {
			t.Errorf("%s log: URLs not kept around the redacted token:\n%s", format, buf.String())
		}
	}

	m := &monitor{redact: r.Redact,
		storage: func(context.Context) []ComponentStatus {
			return []ComponentStatus{{Name: "sqlite", State: StateDown, Detail: up}}
		},
		sources: []statusFunc{func(context.Context) []ComponentStatus {
			return []ComponentStatus{{Name: "nitrado", State: StateDegraded, Detail: up}, {Name: "bot/server", State: StateDegraded, Detail: up}}
		}}}
	srv := httptest.NewServer(m.handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assertClean(t, "/healthz", string(body), p)
	if !strings.Contains(string(body), redactedText) {
		t.Errorf("/healthz: %s", body)
	}

	err = redactErr(fmt.Errorf("wire: %w", errors.New(up)), r)
	assertClean(t, "serve's error", err.Error(), p)
	if errors.Unwrap(err) == nil {
		t.Error("redactErr dropped the chain")
	}
}

// The Nitrado client's upstream errors (an error envelope quoting every
// secret) pass through the appliance's logger and /healthz scrubbed: the
// real client against the fake, its error logged and shown as a detail.
func TestRedactionNitradoUpstreamError(t *testing.T) {
	p, cfg, r := newPlanted(t)
	fake := nitradotest.NewServer(nitradotest.Options{Token: p.nitradoToken})
	defer fake.Close()
	fake.AddService(nitradotest.Service{ID: 1001, Name: "x", RCONPassword: p.rconPassword})
	fake.Fail(nitradotest.Fault{Path: "/services/1001/gameservers", Status: 500, Message: p.upstream()})
	var buf syncBuffer
	log := withRedaction(newLogger(&buf, "debug", "json", false), r)
	nc, err := nitrado.New(nitrado.Options{Token: cfg.NitradoToken.Reveal(), BaseURL: fake.URL(), RetryMax: -1, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	_, err = nc.Gameserver(context.Background(), 1001)
	if err == nil {
		t.Fatal("fault not injected")
	}
	log.Error("refresh failed", "err", err)
	m := &monitor{redact: r.Redact, sources: []statusFunc{func(context.Context) []ComponentStatus {
		return []ComponentStatus{{Name: "nitrado", State: StateDegraded, Detail: err.Error()}}
	}}}
	rep := m.report(context.Background())
	assertClean(t, "log", buf.String(), p)
	assertClean(t, "healthz", rep.Components[0].Detail, p)
	if !strings.Contains(buf.String(), "/interactions/1234567890123/"+redactedText+"/callback") {
		t.Errorf("the upstream message itself is lost:\n%s", buf.String())
	}
}

func TestPausedDetail(t *testing.T) {
	for reason, want := range map[string]string{
		"":                                   "paused",
		"nitrado degraded: 503":              "paused: nitrado degraded: 503",
		"paused: nitrado degraded: timeout":  "paused: nitrado degraded: timeout",
		"  paused: paused: double  ":         "paused: double",
		"nitrado degraded (no reason given)": "paused: nitrado degraded (no reason given)",
	} {
		if got := pausedDetail(fakePauser(reason)); got != want {
			t.Errorf("reason %q: %q, want %q", reason, got, want)
		}
	}
}

type fakePauser string

func (f fakePauser) Paused() (bool, string) { return true, string(f) }

func TestServeBusyPortNamesKey(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := testConfig(t)
	cfg.HTTPAddr = ln.Addr().String()
	a := &appliance{cfg: cfg, log: slog.New(slog.DiscardHandler)}
	err = a.run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "BLISS_HTTP_ADDR="+cfg.HTTPAddr) {
		t.Fatalf("busy port: %v", err)
	}
}

func TestHTTPServerTimeouts(t *testing.T) {
	s := newHTTPServer(http.NotFoundHandler())
	if s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.WriteTimeout <= 0 || s.IdleTimeout <= 0 {
		t.Fatalf("timeouts %v %v %v %v", s.ReadHeaderTimeout, s.ReadTimeout, s.WriteTimeout, s.IdleTimeout)
	}
}

// checkEnv sets env for one check/serve run (they read os.Environ).
func checkEnv(t *testing.T, env []string) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "BLISS_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// check rejects what serve rejects, names every key in one pass, and
// leaves the disk as it found it.
func TestCheckRejectsWhatServeRejects(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	env := testEnv(t, state)
	var bad []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "BLISS_NITRADO_TOKEN=") {
			bad = append(bad, kv)
		}
	}
	bad = append(bad, "BLISS_BACKUP_SCHEDULE=0 4 * *", "BLISS_PARSE_SCHEDULE=every hour")
	for i, kv := range bad {
		if strings.HasPrefix(kv, "BLISS_SHUTDOWN_TIMEOUT=") {
			bad[i] = "BLISS_SHUTDOWN_TIMEOUT=1h"
		}
	}
	checkEnv(t, bad)
	for _, cmd := range []string{"check", "serve"} {
		var out, errb bytes.Buffer
		err := Main(context.Background(), []string{cmd, "-config", "", "-offline"}[:map[string]int{"check": 4, "serve": 3}[cmd]], &out, &errb)
		if ExitCode(err) != 1 {
			t.Fatalf("%s: exit %d (%v)", cmd, ExitCode(err), err)
		}
		for _, key := range []string{"BLISS_BACKUP_SCHEDULE", "BLISS_PARSE_SCHEDULE", "BLISS_SHUTDOWN_TIMEOUT", "BLISS_NITRADO_TOKEN is required"} {
			if !strings.Contains(errb.String(), key) {
				t.Errorf("%s does not name %s:\n%s", cmd, key, errb.String())
			}
		}
	}
	if _, err := os.Stat(state); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("check/serve created the state dir of a rejected config: %v", err)
	}
}

func TestCheckChangesNothingOnDisk(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	checkEnv(t, append(testEnv(t, state), "BLISS_HTTP_ADDR=:0"))
	var out, errb bytes.Buffer
	if err := Main(context.Background(), []string{"check", "-config", "", "-offline"}, &out, &errb); err != nil {
		t.Fatalf("check: %v\n%s%s", err, out.String(), errb.String())
	}
	if _, err := os.Stat(state); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("check created %s: %v", state, err)
	}
	for _, want := range []string{"does not exist yet", `warn  config: BLISS_HTTP_ADDR=":0" listens on all interfaces`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check output lacks %q:\n%s", want, out.String())
		}
	}

	// With a database in place: its bytes, and the directory listing, stay.
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(context.Background(), filepath.Join(state, "bliss.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	before := dirSnapshot(t, state)
	out.Reset()
	if err := Main(context.Background(), []string{"check", "-config", "", "-offline"}, &out, &errb); err != nil {
		t.Fatalf("check: %v\n%s", err, out.String())
	}
	if after := dirSnapshot(t, state); after != before {
		t.Errorf("check changed the state dir:\nbefore %s\nafter  %s", before, after)
	}
	if !strings.Contains(out.String(), "migrations applied") {
		t.Errorf("sqlite probe: %s", out.String())
	}
}

func dirSnapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		fi, _ := e.Info()
		data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		fmt.Fprintf(&b, "%s %v %d %x; ", e.Name(), fi.Mode(), fi.ModTime().UnixNano(), len(data))
	}
	return b.String()
}

// A failing probe says its name once ("FAIL  nitrado: …", not
// "nitrado: nitrado: …") and never quotes a secret from the upstream.
func TestCheckProbeErrors(t *testing.T) {
	p, _, _ := newPlanted(t)
	fake := nitradotest.NewServer(nitradotest.Options{Token: p.nitradoToken})
	defer fake.Close()
	fake.Fail(nitradotest.Fault{Path: "/services", Status: 500, Message: p.upstream()})
	state := t.TempDir()
	env := testEnv(t, state)
	for i, kv := range env {
		switch {
		case strings.HasPrefix(kv, "BLISS_NITRADO_TOKEN="):
			env[i] = "BLISS_NITRADO_TOKEN=" + p.nitradoToken
		case strings.HasPrefix(kv, "BLISS_NITRADO_URL="):
			env[i] = "BLISS_NITRADO_URL=" + fake.URL()
		}
	}
	checkEnv(t, append(env, "BLISS_SERVER_TOKEN="+p.botToken, "BLISS_SERVER_APP_ID=100000000000000002"))
	var out, errb bytes.Buffer
	err := Main(context.Background(), []string{"check", "-config", ""}, &out, &errb)
	if !errors.Is(err, errCheckFailed) {
		t.Fatalf("check: %v\n%s", err, out.String())
	}
	text := out.String() + errb.String()
	if !strings.Contains(text, "FAIL  nitrado: ") || strings.Contains(text, "nitrado: nitrado:") {
		t.Errorf("probe line:\n%s", text)
	}
	r := &redactor{}
	r.Add(p.rconPassword)
	assertClean(t, "check output", strings.ReplaceAll(text, p.rconPassword, "(an unknown password is not redacted)"), p)
}

// Secrets reach the process once: bliss reads -config itself, so the unit
// must not also load the file with EnvironmentFile= (which copies every
// secret into the environment); install.sh leaves the file root's, readable
// by the service's group.
func TestUnitReadsSecretsOnce(t *testing.T) {
	unit, err := os.ReadFile("../bliss.service")
	if err != nil {
		t.Fatal(err)
	}
	var execStart string
	for _, line := range strings.Split(string(unit), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "EnvironmentFile=") {
			t.Errorf("bliss.service loads the config twice: %s (and ExecStart's -config)", line)
		}
		if strings.HasPrefix(line, "ExecStart=") {
			execStart = line
		}
	}
	if !strings.Contains(execStart, "-config /etc/bliss/bliss.env") {
		t.Errorf("ExecStart does not read the config: %q", execStart)
	}
	inst, err := os.ReadFile("../install.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`chmod 0640 "$ENV_FILE"`, `chown root:bliss "$ETC" "$ENV_FILE"`} {
		if !strings.Contains(string(inst), want) {
			t.Errorf("install.sh lacks %s", want)
		}
	}
	if strings.Contains(string(inst), `chown bliss:bliss "$ENV_FILE"`) {
		t.Error("install.sh gives the service ownership of its secrets")
	}
}

// /status in Discord shows the same error texts as /healthz: scrubbed too.
func TestStatusRedacted(t *testing.T) {
	p, _, r := newPlanted(t)
	st := master.AppStatus{
		Caches:  []master.Health{{Name: "nitrado server details", LastError: p.upstream()}},
		Jobs:    []master.Health{{Name: "backup", LastError: p.upstream()}},
		Servers: []master.ServerParse{{ServiceID: 1, LastError: p.upstream()}},
	}
	redactStatus(&st, r)
	assertClean(t, "/status", fmt.Sprintf("%+v", st), p)
}

func TestNoDoubledPrefixes(t *testing.T) {
	for in, want := range map[string]string{
		"nitrado: nitrado: services: http 500":               "nitrado: services: http 500",
		"bots: bots: master router: bad":                     "bots: master router: bad",
		"config: x\nstorage: storage: open /a: denied":       "config: x\nstorage: open /a: denied",
		"rcon: say: say: hello":                              "rcon: say: hello",
		`server details: server details: "nitrado: nitrado"`: `server details: "nitrado: nitrado"`,
		"a: b: a: b":   "a: b: a: b",
		"value: value": "value: value", // the last part is the message itself
	} {
		if got := dedupePrefixes(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
	var out, errb bytes.Buffer
	err := Main(context.Background(), []string{"serve", "-config", filepath.Join(t.TempDir(), "missing.env")}, &out, &errb)
	if err == nil || strings.Contains(errb.String(), "config: config:") {
		t.Errorf("serve: %v %q", err, errb.String())
	}
}
