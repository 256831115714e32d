package savefile_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/storage/savefile"
)

func sample(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "testdata", "asa", "hallipr-v14", "GreenflatMap1.ark")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("sample save not available at %s", p)
	}
	return p
}

func TestOpenScan(t *testing.T) {
	ctx := context.Background()
	f, err := savefile.Open(ctx, sample(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.ModTime().IsZero() || f.Size() == 0 {
		t.Error("no mtime/size")
	}
	h, err := f.Custom(ctx, "SaveHeader")
	if err != nil || len(h) == 0 {
		t.Fatalf("SaveHeader: %v", err)
	}
	if _, err := f.Custom(ctx, "NoSuchKey"); !errors.Is(err, arksave.ErrNotFound) {
		t.Fatalf("missing key: %v", err)
	}
	n := 0
	if err := f.ScanGame(ctx, func(arksave.GUID, []byte) error { n++; return nil }); err != nil || n != 830 {
		t.Fatalf("scan: %d rows, %v", n, err)
	}
	stop := errors.New("stop")
	if err := f.ScanGame(ctx, func(arksave.GUID, []byte) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("callback error not returned: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := f.ScanGame(cctx, func(arksave.GUID, []byte) error { return nil }); err == nil {
		t.Fatal("cancelled scan succeeded")
	}
	save, err := arksave.Decode(ctx, f, arksave.Options{})
	if err != nil || save.Stats.Rows != 830 || save.SavedAt.IsZero() {
		t.Fatalf("decode: %v", err)
	}
}

func TestOpenRejects(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "x.ark")
	os.WriteFile(bad, []byte("not a database at all, definitely not"), 0o600)
	if f, err := savefile.Open(context.Background(), bad); err == nil {
		f.Close()
		t.Fatal("garbage file opened")
	}
	if _, err := savefile.Open(context.Background(), filepath.Join(dir, "missing.ark")); err == nil {
		t.Fatal("missing file opened")
	}
	if _, err := savefile.Open(context.Background(), dir); err == nil {
		t.Fatal("directory opened")
	}
}
