package storage_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blissark/bliss/arksave/arksavetest"
	"github.com/blissark/bliss/storage"
)

// crashCounts make a snapshot whose write takes long enough to be killed
// in the middle.
var crashCounts = arksavetest.Counts{Seed: 7, Players: 400, Tribes: 60, TamedDinos: 6000, WildDinos: 10, Structures: 200}

const crashServer = 77

// TestCrashChildWritesSnapshots is the child of TestKill9DuringSnapshotWrite:
// it writes snapshots in a loop, announcing each, until it is killed.
func TestCrashChildWritesSnapshots(t *testing.T) {
	path := os.Getenv("BLISS_CRASH_DB")
	if path == "" {
		t.Skip("child process of TestKill9DuringSnapshotWrite")
	}
	db, err := storage.Open(context.Background(), path)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	for i := 0; ; i++ {
		run := fmt.Sprintf("%s-%d", os.Getenv("BLISS_CRASH_RUN"), i)
		s := genSnapshot(crashServer, run, crashCounts, 30)
		fmt.Println("begin", run)
		if err := db.ReplaceSnapshot(context.Background(), s); err != nil {
			fmt.Println("error", err)
			os.Exit(3)
		}
		fmt.Println("done", run)
	}
}

// TestKill9DuringSnapshotWrite kills (SIGKILL) a child process in the
// middle of a snapshot write, again and again, and checks after each kill
// that SQLite is intact (PRAGMA integrity_check) and that a whole snapshot,
// the previous one or the one being written, is present: never a mix,
// never none.
func TestKill9DuringSnapshotWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary; skipped with -short")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "bliss.db")
	db, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	want := genSnapshot(crashServer, "initial", crashCounts, 30)
	if err := db.ReplaceSnapshot(ctx, want); err != nil {
		t.Fatal(err)
	}
	wantCounts, err := db.CountSnapshot(ctx, crashServer)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	const kills = 8
	midWrite := 0
	for k := 0; k < kills; k++ {
		last, completed := killChild(t, path, fmt.Sprintf("k%d", k))
		if strings.HasPrefix(last, "begin ") {
			midWrite++
		}
		db, err := storage.Open(ctx, path) // recovers the WAL
		if err != nil {
			t.Fatalf("kill %d: reopen: %v", k, err)
		}
		var check string
		if err := db.SQL().QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
			t.Fatalf("kill %d: integrity_check = %q, %v", k, check, err)
		}
		got, err := db.CountSnapshot(ctx, crashServer)
		if err != nil {
			t.Fatalf("kill %d: %v", k, err)
		}
		db.Close()
		whole := got.Players == wantCounts.Players && got.Tribes == wantCounts.Tribes && got.Dinos == wantCounts.Dinos &&
			got.Bases == wantCounts.Bases && got.RunPlayers == got.Players && got.RunDinos == got.Dinos
		if !whole {
			t.Fatalf("kill %d (last child line %q): not a whole snapshot: %+v, want counts %+v", k, last, got, wantCounts)
		}
		// The snapshot present is the last one committed before the kill,
		// or the one being written if its COMMIT got through.
		inFlight := strings.TrimPrefix(last, "begin ")
		if got.RunID != completed && got.RunID != inFlight && !(completed == "" && got.RunID == wantCounts.RunID) {
			t.Fatalf("kill %d: snapshot %q is neither the last committed %q nor the in-flight %q", k, got.RunID, completed, inFlight)
		}
		wantCounts.RunID = got.RunID
	}
	t.Logf("%d kills, %d in the middle of a write: integrity ok and a whole snapshot every time", kills, midWrite)
	if midWrite == 0 {
		t.Fatal("no kill landed in the middle of a write")
	}
}

// killChild starts the child, lets it write for a random moment after its
// first snapshot began, SIGKILLs it, and returns its last line and the last
// run it reported done.
func killChild(t *testing.T, path, run string) (last, completed string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChildWritesSnapshots$")
	cmd.Env = append(os.Environ(), "BLISS_CRASH_DB="+path, "BLISS_CRASH_RUN="+run)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 64)
	go func() { // owned: ends when the killed child's pipe closes
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(60 * time.Second)
	started := false
	var kill <-chan time.Time
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				_ = cmd.Wait()
				return last, completed
			}
			if strings.HasPrefix(l, "error") {
				t.Fatalf("child: %s", l)
			}
			if strings.HasPrefix(l, "begin ") || strings.HasPrefix(l, "done ") {
				last = l
			}
			if strings.HasPrefix(l, "done ") {
				completed = strings.TrimPrefix(l, "done ")
			}
			if !started && strings.HasPrefix(l, "begin ") {
				started = true
				// Any moment of the loop; most of it is spent inside writes.
				kill = time.After(time.Duration(rand.IntN(600)) * time.Millisecond)
			}
		case <-kill:
			kill = nil
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Fatal(err)
			}
		case <-deadline:
			_ = cmd.Process.Kill()
			t.Fatal("child did not start writing in 60s")
		}
	}
}
