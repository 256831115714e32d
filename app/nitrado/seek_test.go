package nitrado_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/blissark/bliss/app/nitrado"
	"github.com/blissark/bliss/app/nitrado/nitradotest"
)

func TestSeekAndSize(t *testing.T) {
	fake := nitradotest.NewServer(nitradotest.Options{})
	defer fake.Close()
	fake.AddService(nitradotest.Service{ID: 42, Name: "Island", Map: "TheIsland_WP"})
	const log = "/games/ni42_1/ftproot/arksa/ShooterGame/Saved/Logs/ShooterGame.log"
	fake.AppendFileBytes(42, log, []byte("line one\n"))
	fake.AppendFileBytes(42, log, []byte("line two\n"))
	c, err := nitrado.New(nitrado.Options{Token: fake.Token(), BaseURL: fake.URL()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n, err := c.FileSize(ctx, 42, log)
	if err != nil || n != 18 {
		t.Fatalf("size %d %v", n, err)
	}
	var b bytes.Buffer
	if got, err := c.Seek(ctx, 42, log, 9, 100, &b); err != nil || got != 9 || b.String() != "line two\n" {
		t.Fatalf("seek 9: %d %q %v", got, b.String(), err)
	}
	b.Reset()
	if got, err := c.Seek(ctx, 42, log, -4, 2, &b); err != nil || got != 2 || b.String() != "tw" {
		t.Fatalf("seek -4: %d %q %v", got, b.String(), err)
	}
	b.Reset()
	if got, err := c.Seek(ctx, 42, log, 18, 10, &b); err != nil || got != 0 {
		t.Fatalf("seek at end: %d %v", got, err)
	}
	// Rotation: the file is replaced by a shorter one.
	fake.AddFileBytes(42, log, []byte("new\n"))
	if n, _ := c.FileSize(ctx, 42, log); n != 4 {
		t.Fatalf("size after rotation %d", n)
	}
	if _, err := c.FileSize(ctx, 42, "/nope.log"); !errors.Is(err, nitrado.ErrNotFound) {
		t.Logf("missing file error: %v", err) // Nitrado reports a 500
		if err == nil || !strings.Contains(err.Error(), "size") {
			t.Fatalf("missing file: %v", err)
		}
	}
	if _, err := c.Seek(ctx, 42, "relative", 0, 1, &b); err == nil {
		t.Fatal("relative path accepted")
	}
}
