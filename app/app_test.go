package app

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/blissark/bliss/app/config"
	"github.com/blissark/bliss/bots/discordtest"
)

const (
	testNitradoToken = "nitrado-TOKEN-do-not-log-0123456789"
	testMasterToken  = "master-TOKEN-do-not-log"
)

// testEnv is a valid configuration as BLISS_* variables. The bots talk to a
// fake Discord on loopback (closed at the end of the test), never discord.com.
func testEnv(t *testing.T, stateDir string) []string {
	t.Helper()
	fake := discordtest.New(discordtest.Options{AckDeadline: discordtest.LoadedAckDeadline})
	t.Cleanup(fake.Close)
	fake.AddBot(testMasterToken)
	return []string{
		"BLISS_DISCORD_URL=" + fake.URL(),
		"BLISS_STATE_DIR=" + stateDir,
		"BLISS_HTTP_ADDR=127.0.0.1:0",
		"BLISS_NITRADO_TOKEN=" + testNitradoToken,
		"BLISS_NITRADO_URL=http://127.0.0.1:1",
		"BLISS_MASTER_TOKEN=" + testMasterToken,
		"BLISS_MASTER_APP_ID=100000000000000001",
		"BLISS_GUILD_IDS=200000000000000001",
		"BLISS_SHUTDOWN_TIMEOUT=10s",
	}
}

func testConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Load("", testEnv(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestCommandLine(t *testing.T) {
	ctx := context.Background()
	var out, errb bytes.Buffer
	if err := Main(ctx, []string{"nope"}, &out, &errb); ExitCode(err) != 2 || !strings.Contains(errb.String(), "usage: bliss") {
		t.Errorf("unknown command: code %d, stderr %q", ExitCode(err), errb.String())
	}
	errb.Reset()
	if err := Main(ctx, nil, &out, &errb); ExitCode(err) != 2 {
		t.Errorf("no command: code %d", ExitCode(err))
	}
	for _, cmd := range []string{"serve", "check", "version", "example-config", "parse"} {
		errb.Reset()
		out.Reset()
		err := Main(ctx, []string{cmd, "-h"}, &out, &errb)
		if ExitCode(err) != 0 || !strings.Contains(errb.String()+out.String(), "usage: bliss "+cmd) {
			t.Errorf("%s -h: code %d, stderr %q", cmd, ExitCode(err), errb.String())
		}
	}
	errb.Reset()
	if err := Main(ctx, []string{"serve", "-bogus"}, &out, &errb); ExitCode(err) != 2 {
		t.Errorf("bad flag: code %d", ExitCode(err))
	}
	out.Reset()
	if err := Main(ctx, []string{"version"}, &out, &errb); err != nil || !strings.HasPrefix(out.String(), "bliss ") {
		t.Errorf("version: %v %q", err, out.String())
	}
	out.Reset()
	if err := Main(ctx, []string{"example-config"}, &out, &errb); err != nil || !strings.Contains(out.String(), "BLISS_NITRADO_TOKEN=") {
		t.Errorf("example-config: %v", err)
	}
}

func TestServeEmptyConfigListsEveryMissingSetting(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "bliss.env")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"BLISS_NITRADO_TOKEN", "BLISS_MASTER_TOKEN", "BLISS_GUILD_IDS"} {
		t.Setenv(k, "")
	}
	var out, errb bytes.Buffer
	err := Main(context.Background(), []string{"serve", "-config", empty}, &out, &errb)
	if ExitCode(err) != 1 {
		t.Fatalf("exit code %d, err %v", ExitCode(err), err)
	}
	for _, key := range []string{"BLISS_NITRADO_TOKEN", "BLISS_MASTER_TOKEN", "BLISS_MASTER_APP_ID", "BLISS_GUILD_IDS"} {
		if !strings.Contains(errb.String(), key) {
			t.Errorf("stderr does not name %s:\n%s", key, errb.String())
		}
	}
}

func TestSDNotify(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := sdNotify(sock, "READY=1"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := conn.Read(buf)
	if err != nil || string(buf[:n]) != "READY=1" {
		t.Fatalf("got %q, %v", buf[:n], err)
	}
	if err := sdNotify("", "READY=1"); err != nil {
		t.Fatalf("no socket must be a no-op: %v", err)
	}
}

// startAppliance runs an appliance in the background and returns its HTTP
// address and a stop function that returns run's error.
func startAppliance(t *testing.T, cfg *config.Config, logw io.Writer, notify string) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	a := &appliance{cfg: cfg, log: slog.New(slog.NewTextHandler(logw, nil)), notifySocket: notify,
		ready: func(addr string) { addrc <- addr }}
	errc := make(chan error, 1)
	go func() { errc <- a.run(ctx) }()
	select {
	case addr := <-addrc:
		return addr, func() error { cancel(); return <-errc }
	case err := <-errc:
		cancel()
		t.Fatalf("appliance did not start: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("appliance did not start in 30s")
	}
	return "", nil
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode
}

// waitComponent polls /healthz until component reaches state (bounded).
func waitComponent(t *testing.T, addr, component, state string) healthReport {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var h healthReport
		if code := getJSON(t, "http://"+addr+"/healthz", &h); code != 200 {
			t.Fatalf("/healthz status %d", code)
		}
		for _, c := range h.Components {
			if c.Name == component && c.State == state {
				return h
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never became %s: %+v", component, state, h.Components)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestServeLifecycle(t *testing.T) {
	cfg := testConfig(t)
	sock := filepath.Join(t.TempDir(), "notify.sock")
	nconn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer nconn.Close()
	var logs syncBuffer
	addr, stop := startAppliance(t, cfg, &logs, sock)

	buf := make([]byte, 128)
	nconn.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := nconn.Read(buf)
	if err != nil || !strings.Contains(string(buf[:n]), "READY=1") {
		t.Fatalf("sd_notify: %q %v", buf[:n], err)
	}
	h := waitComponent(t, addr, "bot/master", StateOK)
	if len(h.Storage) != 2 || h.Storage[0].State != StateOK {
		t.Errorf("storage health: %+v", h.Storage)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"# TYPE bliss_up gauge", "bliss_up 1", `bliss_component_state{component="sqlite",state="ok"} 1`, "go_goroutines"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("run returned %v", err)
	}
	for _, f := range []string{cfg.DBPath(), cfg.StatePath()} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if s := logs.String(); strings.Contains(s, testNitradoToken) || strings.Contains(s, testMasterToken) {
		t.Fatalf("a secret was logged:\n%s", s)
	}
}

func TestSecondInstanceFailsFast(t *testing.T) {
	cfg := testConfig(t)
	_, stop := startAppliance(t, cfg, io.Discard, "")
	defer stop()
	a := &appliance{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	err := a.run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "state.db") {
		t.Fatalf("second instance: %v", err)
	}
}

func TestUnwritableStateDir(t *testing.T) {
	if os.Getuid() == 0 {
		// root ignores permissions; use a path below a regular file instead.
	}
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	cfg := testConfig(t)
	cfg.StateDir = filepath.Join(file, "state")
	a := &appliance{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	err := a.run(context.Background())
	if err == nil || !strings.Contains(err.Error(), cfg.StateDir) {
		t.Fatalf("got %v", err)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writes (log handlers).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var buildOnce struct {
	sync.Once
	path string
	err  error
}

// buildBinary builds bliss once per test process (CGO_ENABLED=0, as shipped).
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "bliss-bin-")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.path = filepath.Join(dir, "bliss")
		cmd := exec.Command("go", "build", "-o", buildOnce.path, "..")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildOnce.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildOnce.err != nil {
		t.Fatal(buildOnce.err)
	}
	return buildOnce.path
}

// TestBinaryServe runs the built binary: it starts, answers /healthz and
// stops cleanly on SIGTERM. Start-up time and idle RSS are logged.
func TestBinaryServe(t *testing.T) {
	bin := buildBinary(t)
	cmd := exec.Command(bin, "serve", "-config", "")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, testEnv(t, t.TempDir())...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	addrRe := regexp.MustCompile(`http=(127\.0\.0\.1:\d+)`)
	sc := bufio.NewScanner(stderr)
	var addr string
	var logs strings.Builder
	for sc.Scan() {
		logs.WriteString(sc.Text() + "\n")
		if m := addrRe.FindStringSubmatch(sc.Text()); m != nil {
			addr = m[1]
			break
		}
	}
	if addr == "" {
		t.Fatalf("no start line:\n%s", logs.String())
	}
	startup := time.Since(start)
	go io.Copy(&logs, stderr)
	waitComponent(t, addr, "bot/master", StateOK)
	rss := "?"
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)); err == nil {
		if m := regexp.MustCompile(`VmRSS:\s+(\d+) kB`).FindSubmatch(b); m != nil {
			rss = string(m[1]) + " kB"
		}
	}
	t.Logf("startup to serving: %v, idle RSS: %s", startup.Round(time.Millisecond), rss)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("did not stop within 60s of SIGTERM")
	}
}

// TestInstallRoot runs install.sh --root twice: the first run lays out the
// binary, config (0640), state dir and unit; the second changes nothing.
func TestInstallRoot(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("install.sh targets Linux")
	}
	bin := buildBinary(t)
	root := t.TempDir()
	run := func() string {
		cmd := exec.Command("sh", "../install.sh", "--root", root, "--binary", bin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("install.sh: %v\n%s", err, out)
		}
		return string(out)
	}
	first := run()
	m1 := manifest(t, root)
	for _, want := range []string{
		"usr/local/bin/bliss 755",
		"etc/bliss/bliss.env 640", // root:bliss: the service reads its secrets, it does not own them
		"etc/systemd/system/bliss.service 644",
		"var/lib/bliss/ 700",
	} {
		if !strings.Contains(m1, want) {
			t.Errorf("manifest lacks %q:\n%s", want, m1)
		}
	}
	env, _ := os.ReadFile(filepath.Join(root, "etc/bliss/bliss.env"))
	if !strings.Contains(string(env), "BLISS_NITRADO_TOKEN=") {
		t.Error("bliss.env is not the example config")
	}
	// The operator edits the config and loosens its mode; a re-run keeps the
	// edit and re-applies 0640.
	envPath := filepath.Join(root, "etc/bliss/bliss.env")
	os.WriteFile(envPath, append(env, []byte("BLISS_LOG_LEVEL=debug\n")...), 0o644)
	os.Chmod(envPath, 0o644)
	run()
	edited, _ := os.ReadFile(envPath)
	if !strings.Contains(string(edited), "BLISS_LOG_LEVEL=debug") {
		t.Error("re-run overwrote the operator's config")
	}
	m2 := manifest(t, root)
	second := run()
	m3 := manifest(t, root)
	if m2 != m3 {
		t.Errorf("second run changed files:\nbefore:\n%s\nafter:\n%s", m2, m3)
	}
	if strings.Contains(second, "installing") || strings.Contains(second, "creating") {
		t.Errorf("second run reported changes:\n%s\n(first run:\n%s)", second, first)
	}
}

// manifest lists every path under root with mode, size, mtime and hash.
func manifest(t *testing.T, root string) string {
	t.Helper()
	var lines []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		info, _ := d.Info()
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			lines = append(lines, fmt.Sprintf("%s/ %o", rel, info.Mode().Perm()))
			return nil
		}
		b, _ := os.ReadFile(p)
		sum := sha256.Sum256(b)
		lines = append(lines, fmt.Sprintf("%s %o %d %d %s", rel, info.Mode().Perm(), info.Size(), info.ModTime().UnixNano(), hex.EncodeToString(sum[:8])))
		return nil
	})
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
