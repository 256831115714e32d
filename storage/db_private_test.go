package storage_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/blissark/bliss/storage"
)

// bliss.db (and its WAL files) are created 0600 whatever the umask.
func TestOpenCreatesPrivateFile(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	path := filepath.Join(dir, "bliss.db")
	db, err := storage.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			if p != path {
				continue // WAL files come and go
			}
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
	// An existing world-readable file is tightened.
	db.Close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	db2, err := storage.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	db2.Close()
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("existing file left %v", fi.Mode().Perm())
	}
}

// An unwritable directory is reported as such, not as SQLite's
// "out of memory (14)". Root ignores permissions, so as root the check runs
// in a child process as nobody.
func TestOpenUnwritableDir(t *testing.T) {
	if dir := os.Getenv("BLISS_TEST_UNWRITABLE_DIR"); dir != "" {
		_, err := storage.Open(context.Background(), filepath.Join(dir, "bliss.db"))
		if err == nil {
			t.Fatal("opened a database in an unwritable directory")
		}
		if strings.Contains(err.Error(), "out of memory") || !strings.Contains(err.Error(), "not writable") {
			t.Fatalf("error: %v", err)
		}
		return
	}
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	if os.Getuid() != 0 {
		t.Setenv("BLISS_TEST_UNWRITABLE_DIR", dir)
		TestOpenUnwritableDir(t)
		return
	}
	for _, p := range []string{filepath.Dir(dir), filepath.Dir(filepath.Dir(dir))} { // t.TempDir's two levels
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for p := filepath.Dir(dir); p != "/"; p = filepath.Dir(p) {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o001 == 0 {
			t.Skipf("%s is not searchable by nobody", p)
		}
	}
	bin, err := os.ReadFile(os.Args[0]) // the build dir is not readable by nobody
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(filepath.Dir(dir), "storage.test")
	if err := os.WriteFile(exe, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestOpenUnwritableDir$", "-test.v")
	cmd.Env = append(os.Environ(), "BLISS_TEST_UNWRITABLE_DIR="+dir)
	cmd.Dir = filepath.Dir(dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "PASS") {
		t.Fatalf("child did not run the check:\n%s", out)
	}
}

// Inspect reads without writing: the file's bytes and mtime are unchanged.
func TestInspectChangesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bliss.db")
	db, err := storage.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	before, _ := os.ReadFile(path)
	fi0, _ := os.Stat(path)
	in, err := storage.Inspect(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if in.Applied == 0 || in.Pending != 0 || len(in.Newer) != 0 {
		t.Errorf("inspection %+v", in)
	}
	after, _ := os.ReadFile(path)
	fi1, _ := os.Stat(path)
	if string(before) != string(after) || !fi0.ModTime().Equal(fi1.ModTime()) {
		t.Error("Inspect changed the file")
	}
	if _, err := storage.Inspect(context.Background(), filepath.Join(t.TempDir(), "missing.db")); err == nil {
		t.Error("Inspect of a missing file succeeded")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(path), "missing.db")); err == nil {
		t.Error("Inspect created a file")
	}
}
