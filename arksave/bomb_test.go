package arksave_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/arksave/arksavetest"
	"github.com/blissark/bliss/storage/savefile"
)

// writeBomb writes a small save whose pods each inflate to the largest size
// a blob may declare (issue 16 finding 5: 40 such pods are a 1.3 MB file).
func writeBomb(tb testing.TB, path string, pods int) {
	tb.Helper()
	blob := arksavetest.BombBlob(arksave.MaxInflatedSize)
	s := arksavetest.Generate(arksavetest.Counts{Seed: 9, Players: 2, Tribes: 1, TamedDinos: 3, Structures: 10})
	opts := arksavetest.Options{Seed: 9, FillerRows: 20}
	for range pods {
		opts.Cryopods = append(opts.Cryopods, blob)
	}
	if err := arksavetest.Write(path, s, opts); err != nil {
		tb.Fatal(err)
	}
}

// wideBombPods is the number of WideCryoBlob pods in the wide bomb save.
const wideBombPods = 40

// writeWideBomb writes a small save whose pods each hold a dino property of
// 30M one-byte elements (arksavetest.WideCryoBlob): cheap to inflate, ~3.6
// GB each if materialised.
func writeWideBomb(tb testing.TB, path string, pods int) {
	tb.Helper()
	blob := arksavetest.WideCryoBlob(30 << 20)
	s := arksavetest.Generate(arksavetest.Counts{Seed: 9, Players: 2, Tribes: 1, TamedDinos: 3, Structures: 10})
	opts := arksavetest.Options{Seed: 9, FillerRows: 20}
	for range pods {
		opts.Cryopods = append(opts.Cryopods, blob)
	}
	if err := arksavetest.Write(path, s, opts); err != nil {
		tb.Fatal(err)
	}
}

// TestWriteBombSave writes the bomb saves for measuring `bliss parse` by
// hand: BLISS_BOMB_OUT=/tmp/bomb.ark go test ./arksave -run TestWriteBombSave
// then /usr/bin/time -v bliss parse /tmp/bomb.ark --workers 8. It also
// writes the wide bomb (WideCryoBlob pods) next to it as wide-<name>.
func TestWriteBombSave(t *testing.T) {
	out := os.Getenv("BLISS_BOMB_OUT")
	if out == "" {
		t.Skip("set BLISS_BOMB_OUT to write the bomb save")
	}
	writeBomb(t, out, 40)
	writeWideBomb(t, filepath.Join(filepath.Dir(out), "wide-"+filepath.Base(out)), wideBombPods)
}

// TestWideCryopodBomb: pods whose dino declares 30M one-byte elements fail
// without materialising them (before the reader's maxBuilt cap each pod
// asked for ~3.6 GB), at 1 and 8 workers, within the same heap bound as the
// inflate bomb.
func TestWideCryopodBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("inflates 8 × 30 MiB")
	}
	path := filepath.Join(t.TempDir(), "wide.ark")
	const pods = 8
	writeWideBomb(t, path, pods)
	f, err := savefile.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, workers := range []int{1, 8} {
		runtime.GC()
		var save *arksave.Save
		peak := peakHeap(func() {
			save, err = arksave.Decode(context.Background(), f, arksave.Options{Workers: workers})
		})
		if err != nil {
			t.Fatal(err)
		}
		if save.Stats.CryopodFailed != pods || len(save.Dinos) != 3 {
			t.Fatalf("workers %d: cryopod failed %d, dinos %d", workers, save.Stats.CryopodFailed, len(save.Dinos))
		}
		t.Logf("workers %d: peak heap in use ≥ %d MiB", workers, peak>>20)
		if limit := uint64(4 * arksave.MaxInflatedSize); peak > limit {
			t.Errorf("workers %d: heap in use reached %d MiB (limit %d MiB)", workers, peak>>20, limit>>20)
		}
	}
}

// peakHeap runs fn while sampling the heap in use; it returns the largest
// sample. Sampling can miss a short peak, so the result is a lower bound.
func peakHeap(fn func()) uint64 {
	var peak uint64
	var mu sync.Mutex
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			mu.Lock()
			peak = max(peak, m.HeapInuse)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	})
	fn()
	close(done)
	wg.Wait()
	return peak
}

// TestCryopodBombMemory: pods that each inflate to MaxInflatedSize are
// counted as failed, and the workers together never hold more than the
// in-flight budget (one such blob) plus the rest of the decode.
func TestCryopodBombMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("inflates 12 × 2 × 32 MiB")
	}
	path := filepath.Join(t.TempDir(), "bomb.ark")
	const pods = 6
	writeBomb(t, path, pods)
	f, err := savefile.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, workers := range []int{1, 8} {
		runtime.GC()
		var save *arksave.Save
		peak := peakHeap(func() {
			save, err = arksave.Decode(context.Background(), f, arksave.Options{Workers: workers})
		})
		if err != nil {
			t.Fatal(err)
		}
		if save.Stats.CryopodFailed != pods || save.Stats.Failed != pods || len(save.Dinos) != 3 {
			t.Fatalf("workers %d: cryopod failed %d, failed %d, dinos %d", workers, save.Stats.CryopodFailed, save.Stats.Failed, len(save.Dinos))
		}
		t.Logf("workers %d: peak heap in use ≥ %d MiB", workers, peak>>20)
		if limit := uint64(4 * arksave.MaxInflatedSize); peak > limit {
			t.Errorf("workers %d: heap in use reached %d MiB (limit %d MiB)", workers, peak>>20, limit>>20)
		}
	}
}
