package config

import (
	"bytes"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

const (
	tokN = "nitrado-SECRET-token-1234567890"
	tokM = "master.SECRET.token"
	app1 = "123456789012345678"
	gid  = "987654321098765432"
)

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func validFile(t *testing.T) string {
	return writeFile(t, "bliss.env", fmt.Sprintf(`# comment
BLISS_NITRADO_TOKEN=%s
BLISS_MASTER_TOKEN="%s"
BLISS_MASTER_APP_ID=%s
BLISS_GUILD_IDS=%s, %s
BLISS_CACHE_TTL='90s'
`, tokN, tokM, app1, gid, app1))
}

func TestLoadFileThenEnv(t *testing.T) {
	c, err := Load(validFile(t), []string{"BLISS_CACHE_TTL=2m", "HOME=/root", "BLISS_HTTP_ADDR=127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.CacheTTL != 2*time.Minute {
		t.Errorf("env must override file: CacheTTL=%v", c.CacheTTL)
	}
	if c.NitradoToken.Reveal() != tokN || c.Bots[BotMaster].Token.Reveal() != tokM {
		t.Errorf("tokens not loaded")
	}
	if got := strings.Join(c.GuildIDs, ","); got != gid+","+app1 {
		t.Errorf("GuildIDs=%q", got)
	}
	if c.StateDir != "/var/lib/bliss" || c.ShutdownTimeout != 20*time.Second || c.ParseConcurrency != 1 {
		t.Errorf("defaults not applied: %+v", c)
	}
	if c.DBPath() != "/var/lib/bliss/bliss.db" || c.StatePath() != "/var/lib/bliss/state.db" {
		t.Errorf("paths: %s %s", c.DBPath(), c.StatePath())
	}
	if got := c.ConfiguredBots(); len(got) != 1 || got[0] != BotMaster {
		t.Errorf("ConfiguredBots=%v", got)
	}
}

func TestSecretFile(t *testing.T) {
	sec := writeFile(t, "tok", "  "+tokN+"\n")
	c, err := Load("", []string{"BLISS_NITRADO_TOKEN_FILE=" + sec})
	if err != nil {
		t.Fatal(err)
	}
	if c.NitradoToken.Reveal() != tokN {
		t.Fatalf("token from file = %q", c.NitradoToken.Reveal())
	}
	empty := writeFile(t, "empty", "\n")
	_, err = Load("", []string{"BLISS_NITRADO_TOKEN_FILE=" + empty})
	if err == nil || !strings.Contains(err.Error(), "BLISS_NITRADO_TOKEN_FILE") {
		t.Fatalf("empty secret file: %v", err)
	}
	_, err = Load("", []string{"BLISS_NITRADO_TOKEN_FILE=" + sec, "BLISS_NITRADO_TOKEN=x"})
	if err == nil || !strings.Contains(err.Error(), "both set") {
		t.Fatalf("both set: %v", err)
	}
}

func TestValidateListsEveryMissingSetting(t *testing.T) {
	c, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	if err == nil {
		t.Fatal("empty config validated")
	}
	for _, key := range []string{"BLISS_NITRADO_TOKEN", "BLISS_MASTER_TOKEN", "BLISS_MASTER_APP_ID", "BLISS_GUILD_IDS"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("missing %s in %v", key, err)
		}
	}
}

func TestMalformedValuesReportedTogether(t *testing.T) {
	p := writeFile(t, "bad.env", "BLISS_CACHE_TTL=soon\nBLISS_LOG_LEVEL=loud\nBLISS_MASTER_TOKEN_FILE=/nonexistent/x\nBLISS_TYPO=1\nBLISS_GUILD_IDS=abc\n")
	_, err := Load(p, nil)
	if err == nil {
		t.Fatal("bad config loaded")
	}
	for _, key := range []string{"BLISS_CACHE_TTL", "BLISS_LOG_LEVEL", "BLISS_MASTER_TOKEN_FILE", "BLISS_TYPO", "BLISS_GUILD_IDS"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s: %v", key, err)
		}
	}
}

func TestBadSecretValueIsRedacted(t *testing.T) {
	// A secret never fails to parse, but a malformed line near it must not leak it.
	_, err := Load(writeFile(t, "x.env", "BLISS_NITRADO_TOKEN="+tokN+"\nnot a line\n"), nil)
	if err == nil || strings.Contains(err.Error(), tokN) {
		t.Fatalf("err=%v", err)
	}
}

func TestMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.env"), nil)
	if err == nil || !strings.Contains(err.Error(), "nope.env does not exist") {
		t.Fatalf("err=%v", err)
	}
}

func TestSecretsRedactedEverywhere(t *testing.T) {
	c, err := Load(validFile(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("cfg", "token", c.NitradoToken, "cfg", c)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("cfg", "cfg", c, "bots", c.Bots)
	fmt.Fprintf(&buf, "%v %+v %#v %s", c, c, c, c.NitradoToken)
	for _, s := range []string{tokN, tokM} {
		if strings.Contains(buf.String(), s) {
			t.Fatalf("secret leaked: %s", buf.String())
		}
	}
	if !strings.Contains(buf.String(), "[REDACTED]") {
		t.Fatal("no redaction marker")
	}
}

func TestExampleConfigGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteExample(&buf); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "example.env")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("example config differs from %s (run go test ./app/config -update)", golden)
	}
	// The example must load, and only fail validation for the required keys.
	p := writeFile(t, "ex.env", buf.String())
	c, err := Load(p, nil)
	if err != nil {
		t.Fatalf("example does not load: %v", err)
	}
	if c.HTTPAddr != "127.0.0.1:8089" {
		t.Errorf("HTTPAddr=%q", c.HTTPAddr)
	}
}

func TestDefaultsParse(t *testing.T) {
	c := &Config{Bots: map[Bot]BotConfig{}}
	for _, o := range options() {
		if o.def == "" {
			continue
		}
		if err := o.set(c, o.def); err != nil {
			t.Errorf("default %s=%q: %v", o.key, o.def, err)
		}
	}
}

func TestParseEnvFile(t *testing.T) {
	in := "A=1\n  # c\n; c\n\nB = ' two '\nC=\"x\\ty\"\nD=long\\\nline\nE=a=b\n"
	got, err := ParseEnvFile(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"A": "1", "B": " two ", "C": "x\ty", "D": "longline", "E": "a=b"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s=%q want %q", k, got[k], v)
		}
	}
	if _, err := ParseEnvFile(strings.NewReader("1A=x\n")); err == nil {
		t.Error("invalid key accepted")
	}
}

func FuzzParseEnvFile(f *testing.F) {
	f.Add("A=1\nB='x'\n# c\nC=\"a\\\\b\"\\\n")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseEnvFile(strings.NewReader(s))
	})
}

// TestREADMEDocumentsEveryKey keeps the README's configuration table true.
func TestREADMEDocumentsEveryKey(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Skipf("README.md not found: %v", err)
	}
	for _, k := range Keys() {
		if !strings.Contains(string(readme), "`"+k[0]+"`") {
			t.Errorf("README.md does not document %s", k[0])
		}
	}
}
