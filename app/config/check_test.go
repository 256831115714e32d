package config

import (
	"fmt"
	"strings"
	"testing"
)

// The settings serve used to reject (or silently mis-read) after check
// passed them are now refused at load, named by key, in one pass with the
// missing ones.
func TestLoadAndValidateOnePass(t *testing.T) {
	env := []string{
		"BLISS_BACKUP_SCHEDULE=0 4 * *",
		"BLISS_PARSE_SCHEDULE=every hour",
		"BLISS_SHUTDOWN_TIMEOUT=1h",
	}
	_, err := LoadAndValidate("", env)
	if err == nil {
		t.Fatal("accepted")
	}
	msg := err.Error()
	for _, want := range []string{
		`BLISS_BACKUP_SCHEDULE="0 4 * *": want a cron schedule`,
		`BLISS_PARSE_SCHEDULE="every hour": want a cron schedule`,
		`BLISS_SHUTDOWN_TIMEOUT="1h": must be at most 25s`,
		"BLISS_NITRADO_TOKEN is required",
		"BLISS_MASTER_TOKEN is required",
		"BLISS_GUILD_IDS is required",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Count(msg, "config: ") != 1 {
		t.Errorf("doubled prefix:\n%s", msg)
	}
}

func TestSchedulesAccepted(t *testing.T) {
	for _, spec := range []string{"@hourly", "@daily", "@every 30m", "0 4 * * *", "*/15 * * * *"} {
		c, err := Load("", []string{"BLISS_PARSE_SCHEDULE=" + spec, "BLISS_BACKUP_SCHEDULE=" + spec})
		if err != nil {
			t.Errorf("%q: %v", spec, err)
			continue
		}
		if c.ParseSchedule != spec || c.BackupSchedule != spec {
			t.Errorf("%q: got %q %q", spec, c.ParseSchedule, c.BackupSchedule)
		}
	}
}

func TestWarnings(t *testing.T) {
	p := writeFile(t, "bliss.env", fmt.Sprintf(`BLISS_NITRADO_TOKEN=%s
BLISS_MASTER_TOKEN=%s # the master bot
BLISS_MASTER_APP_ID=%s
BLISS_GUILD_IDS=%s
BLISS_STATE_DIR=/srv/bliss # moved here
BLISS_HTTP_ADDR=:8089
`, tokN, tokM, app1, gid))
	c, err := LoadAndValidate(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(c.Warnings, "\n")
	for _, want := range []string{
		`BLISS_STATE_DIR="/srv/bliss # moved here": a trailing comment is part of the value`,
		`BLISS_HTTP_ADDR=":8089" listens on all interfaces`,
	} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings lack %q:\n%s", want, w)
		}
	}
	if !strings.Contains(w, "BLISS_MASTER_TOKEN (value not shown): a trailing comment") {
		t.Errorf("secret with a trailing comment not warned:\n%s", w)
	}
	if strings.Contains(w, tokM) {
		t.Errorf("a secret's value is quoted in a warning:\n%s", w)
	}
	for _, addr := range []string{"0.0.0.0:8089", "[::]:8089"} {
		c, err := Load("", []string{"BLISS_HTTP_ADDR=" + addr})
		if err != nil || len(c.Warnings) != 1 {
			t.Errorf("%s: warnings %v err %v", addr, c.Warnings, err)
		}
	}
	c, _ = Load("", []string{"BLISS_HTTP_ADDR=127.0.0.1:8089"})
	if len(c.Warnings) != 0 {
		t.Errorf("loopback warned: %v", c.Warnings)
	}
}
