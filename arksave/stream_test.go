package arksave_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/blissark/bliss/arksave"
)

func TestStoreAndTransformsOracles(t *testing.T) {
	for _, s := range samples {
		t.Run(s.path, func(t *testing.T) {
			m, _ := loadMem(t, s)
			if got := len(m.custom["GameModeCustomBytes"]); got != s.customBytes {
				t.Errorf("GameModeCustomBytes %d want %d", got, s.customBytes)
			}
			n := 0
			if err := arksave.ReadActorTransforms(m.custom["ActorTransforms"], func(arksave.GUID, arksave.Transform) { n++ }); err != nil {
				t.Fatal(err)
			}
			if n != s.transforms {
				t.Errorf("transforms %d want %d", n, s.transforms)
			}
			st, err := arksave.ReadStore(m.custom["GameModeCustomBytes"])
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Tribes) != s.storeTribes || len(st.Profiles) != s.storeProfiles {
				t.Errorf("store %d+%d want %d+%d", len(st.Tribes), len(st.Profiles), s.storeTribes, s.storeProfiles)
			}
			for i, b := range st.Tribes {
				if _, err := arksave.DecodeTribe(b); err != nil {
					t.Errorf("store tribe %d: %v", i, err)
				}
			}
			for i, b := range st.Profiles {
				if _, err := arksave.DecodeProfile(b); err != nil {
					t.Errorf("store profile %d: %v", i, err)
				}
			}
		})
	}
}

// TestRowFailureIsolation corrupts one row: it is counted with its class and
// everything else still decodes.
func TestRowFailureIsolation(t *testing.T) {
	s := samples[3]
	m, _ := loadMem(t, s)
	h, err := arksave.ReadHeader(m.custom["SaveHeader"])
	if err != nil {
		t.Fatal(err)
	}
	victim := -1
	var class string
	for i, v := range m.vals {
		o, err := arksave.DecodeObject(h, m.keys[i], v)
		if err == nil && o.Class != "" && len(o.Props) > 3 && containsStr(o.Class, "_Character_") {
			victim, class = i, o.Class
			break
		}
	}
	if victim < 0 {
		t.Fatal("no character row")
	}
	m.vals[victim] = m.vals[victim][:len(m.vals[victim])/2]
	save, err := arksave.Decode(context.Background(), m, arksave.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if save.Stats.Failed != 1 || save.Stats.FailedByClass[class] != 1 {
		t.Fatalf("failed %d by class %v", save.Stats.Failed, len(save.Stats.FailedByClass))
	}
	if got := len(save.Dinos) - save.Stats.Cryopods + save.WildDinos; got != s.chars-1 {
		t.Fatalf("chars %d want %d", got, s.chars-1)
	}
}

func containsStr(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// endless repeats the sample rows forever (until ctx is cancelled).
type endless struct{ *memSource }

func (e endless) ScanGame(ctx context.Context, fn func(arksave.GUID, []byte) error) error {
	for i := 0; ; i++ {
		k := e.keys[i%len(e.keys)]
		k[0] ^= byte(i >> 8)
		if err := fn(k, e.vals[i%len(e.vals)]); err != nil {
			return err
		}
	}
}

func TestCancelPromptly(t *testing.T) {
	m, _ := loadMem(t, samples[2])
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := arksave.Decode(ctx, endless{m}, arksave.Options{Workers: 2})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v after cancel", d)
	}
	time.Sleep(50 * time.Millisecond)
	if after := runtime.NumGoroutine(); after > before {
		t.Fatalf("goroutines %d -> %d", before, after)
	}
}

// TestMemoryFlat decodes a save replicated 1× and 8×: the peak live heap
// must not grow with the number of rows (only compact rows are kept).
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	m, _ := loadMem(t, samples[2])
	peak := func(reps int) uint64 {
		src := &repeated{m, reps}
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		done := make(chan struct{})
		res := make(chan uint64)
		go func() {
			var ms runtime.MemStats
			var max uint64
			for {
				select {
				case <-done:
					res <- max
					return
				default:
				}
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > max {
					max = ms.HeapAlloc
				}
				time.Sleep(time.Millisecond)
			}
		}()
		_, err := arksave.Decode(context.Background(), src, arksave.Options{Workers: 2})
		close(done)
		max := <-res
		if err != nil {
			t.Fatal(err)
		}
		if max < base.HeapAlloc {
			return 0
		}
		return max - base.HeapAlloc
	}
	p1, p8 := peak(1), peak(8)
	t.Logf("peak heap above baseline: 1x %d KB, 8x %d KB", p1>>10, p8>>10)
	if p8 > 3*p1+8<<20 {
		t.Fatalf("peak heap grows with rows: %d -> %d", p1, p8)
	}
}

type repeated struct {
	*memSource
	n int
}

func (r *repeated) ScanGame(ctx context.Context, fn func(arksave.GUID, []byte) error) error {
	for rep := range r.n {
		for i := range r.keys {
			k := r.keys[i]
			k[15] ^= byte(rep)
			if err := fn(k, r.vals[i]); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}

func TestDamagedTransformsAndExtraArchives(t *testing.T) {
	m, _ := loadMem(t, samples[2])
	xb := m.custom["ActorTransforms"]
	m.custom["ActorTransforms"] = xb[:len(xb)/2+5]
	st, err := arksave.ReadStore(m.custom["GameModeCustomBytes"])
	if err != nil {
		t.Fatal(err)
	}
	save, err := arksave.Decode(context.Background(), m, arksave.Options{
		Profiles: st.Profiles[:1],
		Tribes:   [][]byte{st.Tribes[0], {6, 0, 0, 0}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if save.Stats.FailedByClass["ActorTransforms"] != 1 || save.Stats.FailedByClass[".arktribe"] != 1 || save.Stats.Failed != 2 {
		t.Fatalf("failures %d %v", save.Stats.Failed, save.Stats.FailedByClass)
	}
	if len(save.Tribes) != 3 || save.Pawns != 3 {
		t.Fatalf("tribes %d pawns %d", len(save.Tribes), save.Pawns)
	}
	located := 0
	for _, s := range save.Structures {
		if s.HasLocation {
			located++
		}
	}
	if located == len(save.Structures) && len(save.Structures) > 0 {
		t.Log("all structures located before the damage")
	}
}
