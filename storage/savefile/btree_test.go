package savefile

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/arksave/arksavetest"
)

// samplePaths lists every .ark under ../shared/testdata/asa.
func samplePaths(t testing.TB) []string {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "testdata", "asa")
	ps, _ := filepath.Glob(filepath.Join(root, "*", "*.ark"))
	return ps
}

type row struct {
	key arksave.GUID
	val []byte
}

func scanAll(t *testing.T, f *File) []row {
	t.Helper()
	var rows []row
	err := f.ScanGame(context.Background(), func(k arksave.GUID, v []byte) error {
		rows = append(rows, row{k, bytes.Clone(v)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// checkAgainstDriver compares the native reader with modernc (the oracle):
// identical game stream, identical custom values.
func checkAgainstDriver(t *testing.T, path string) {
	ctx := context.Background()
	nf, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer nf.Close()
	if !nf.Native() {
		t.Fatalf("%s: native reader declined the file", path)
	}
	of, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer of.Close()
	got, want := scanAll(t, nf), scanAll(t, of)
	if len(got) != len(want) {
		t.Fatalf("%s: %d game rows, driver %d", path, len(got), len(want))
	}
	for i := range got {
		if got[i].key != want[i].key || !bytes.Equal(got[i].val, want[i].val) {
			t.Fatalf("%s: game row %d differs (key %s vs %s, %d vs %d bytes)", path, i, got[i].key, want[i].key, len(got[i].val), len(want[i].val))
		}
	}
	rows, err := of.db.QueryContext(ctx, "SELECT key FROM custom")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	rows.Close()
	keys = append(keys, "NoSuchKey")
	for _, k := range keys {
		a, errA := nf.Custom(ctx, k)
		b, errB := of.Custom(ctx, k)
		if errors.Is(errA, arksave.ErrNotFound) != errors.Is(errB, arksave.ErrNotFound) || (errA == nil) != (errB == nil) {
			t.Fatalf("%s: custom %q: native %v, driver %v", path, k, errA, errB)
		}
		if !bytes.Equal(a, b) {
			t.Fatalf("%s: custom %q differs (%d vs %d bytes)", path, k, len(a), len(b))
		}
		var s []byte
		if err := nf.StreamCustom(ctx, k, func(p []byte) error { s = append(s, p...); return nil }); (err == nil) != (errB == nil) || !bytes.Equal(s, b) {
			t.Fatalf("%s: stream custom %q: %v, %d vs %d bytes", path, k, err, len(s), len(b))
		}
	}
	t.Logf("%s: %d game rows, %d custom keys identical", filepath.Base(path), len(got), len(keys)-1)
}

func TestNativeMatchesDriverSamples(t *testing.T) {
	ps := samplePaths(t)
	if len(ps) == 0 {
		t.Skip("no sample saves")
	}
	for _, p := range ps {
		t.Run(filepath.Base(filepath.Dir(p))+"/"+filepath.Base(p), func(t *testing.T) { checkAgainstDriver(t, p) })
	}
}

func TestNativeMatchesDriverSynthetic(t *testing.T) {
	for _, size := range []int64{0, 3 << 20} {
		path := filepath.Join(t.TempDir(), "syn.ark")
		var err error
		if size == 0 {
			err = arksavetest.Write(path, arksavetest.Generate(arksavetest.Counts{Seed: 7, Players: 5, Tribes: 2, TamedDinos: 30, WildDinos: 20, Structures: 200}), arksavetest.Options{BrokenRows: 2})
		} else {
			_, err = arksavetest.WriteSized(context.Background(), path, size, arksavetest.Options{Seed: 9})
		}
		if err != nil {
			t.Fatal(err)
		}
		checkAgainstDriver(t, path)
	}
}

func TestNativeCorrupt(t *testing.T) {
	ps := samplePaths(t)
	if len(ps) == 0 {
		t.Skip("no sample saves")
	}
	data, err := os.ReadFile(ps[0])
	if err != nil {
		t.Fatal(err)
	}
	// a cycle: point the game root's rightmost child at itself
	bt, err := newBtree(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, mut := range []func(b []byte){
		func(b []byte) { // interior page pointing to itself
			off := int(bt.game-1) * bt.pageSize
			if b[off] == 0x05 {
				copy(b[off+8:], []byte{byte(bt.game >> 24), byte(bt.game >> 16), byte(bt.game >> 8), byte(bt.game)})
			} else {
				b[off] = 0x42
			}
		},
		func(b []byte) { // truncated file
			for i := len(b) / 2; i < len(b); i++ {
				b[i] = 0xff
			}
		},
	} {
		b := bytes.Clone(data)
		mut(b)
		t2, err := newBtree(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			continue
		}
		err = t2.scanGame(context.Background(), func(arksave.GUID, []byte) error { return nil })
		if err == nil {
			t.Error("corrupt file scanned without error")
		}
	}
}

// FuzzReader feeds mutated small saves to the native reader: it must never
// panic, loop or allocate beyond the input size.
func FuzzReader(f *testing.F) {
	path := filepath.Join(f.TempDir(), "seed.ark")
	if err := arksavetest.Write(path, arksavetest.Generate(arksavetest.Counts{Seed: 3, Players: 2, Tribes: 1, TamedDinos: 3, WildDinos: 3, Structures: 10}), arksavetest.Options{}); err != nil {
		f.Fatal(err)
	}
	seed, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	for _, ps := range samplePaths(f) {
		if st, err := os.Stat(ps); err == nil && st.Size() < 1<<20 {
			if b, err := os.ReadFile(ps); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		bt, err := newBtree(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		ctx := context.Background()
		var total int
		_ = bt.scanGame(ctx, func(_ arksave.GUID, v []byte) error {
			total += len(v)
			if total > 2*len(b) {
				t.Fatalf("scan returned %d bytes from a %d-byte file", total, len(b))
			}
			return nil
		})
		for _, k := range []string{"SaveHeader", "ActorTransforms", "x"} {
			_, _ = bt.streamCustom(ctx, k, func([]byte) error { return nil })
		}
	})
}
