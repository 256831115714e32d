package app

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func TestLoggerJournaldDropsTime(t *testing.T) {
	var buf bytes.Buffer
	newLogger(&buf, "info", "text", true).Info("hello", "k", "v")
	if strings.Contains(buf.String(), "time=") || !strings.Contains(buf.String(), "msg=hello") {
		t.Errorf("journald text: %q", buf.String())
	}
	buf.Reset()
	newLogger(&buf, "debug", "json", false).Debug("hello")
	if !strings.Contains(buf.String(), `"time":`) || !strings.Contains(buf.String(), `"level":"DEBUG"`) {
		t.Errorf("json: %q", buf.String())
	}
	buf.Reset()
	newLogger(&buf, "warn", "text", false).Info("hidden")
	if buf.Len() != 0 {
		t.Errorf("level warn logged info: %q", buf.String())
	}
}

func TestBackupKeepsNewest(t *testing.T) {
	dir := t.TempDir()
	vacuum := func(_ context.Context, dst string) error { return os.WriteFile(dst, []byte("db"), 0o600) }
	base := time.Date(2026, 1, 1, 4, 0, 0, 0, time.UTC)
	for i := 0; i < 5; i++ {
		if err := backup(context.Background(), vacuum, dir, 3, base.Add(time.Duration(i)*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := "bliss-20260103-040000.db bliss-20260104-040000.db bliss-20260105-040000.db"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("kept %s, want %s", got, want)
	}
}
