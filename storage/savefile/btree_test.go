package savefile

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
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

// tinySave writes a few-KB database with the ASA schema (small pages, so it
// has interior pages and overflow chains) and returns its bytes.
func tinySave(tb testing.TB, pageSize, rows int) []byte {
	tb.Helper()
	return tinySaveSized(tb, pageSize, rows, 37, 700)
}

// tinySaveSized is tinySave with row i's value 10+i*step bytes and the
// custom rows custom and 2*custom bytes.
func tinySaveSized(tb testing.TB, pageSize, rows, step, custom int) []byte {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "tiny.ark")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	stmts := []string{
		fmt.Sprintf("PRAGMA page_size=%d", pageSize),
		"CREATE TABLE game (key BLOB primary key not null, value blob not null)",
		"CREATE TABLE custom (key VARCHAR(64) primary key not null, value blob not null)",
	}
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			tb.Fatal(err)
		}
	}
	for i := range rows {
		k := bytes.Repeat([]byte{byte(i + 1)}, 16)
		v := bytes.Repeat([]byte{byte(i)}, 10+i*step)
		if _, err := db.Exec("INSERT INTO game VALUES (?, ?)", k, v); err != nil {
			tb.Fatal(err)
		}
	}
	for i, k := range []string{"SaveHeader", "ActorTransforms"} {
		if _, err := db.Exec("INSERT INTO custom VALUES (?, ?)", k, bytes.Repeat([]byte{byte(i)}, custom*(i+1))); err != nil {
			tb.Fatal(err)
		}
	}
	db.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestNativeMatchesDriverTiny(t *testing.T) {
	for _, ps := range []int{512, 1024, 65536} {
		path := filepath.Join(t.TempDir(), "tiny.ark")
		if err := os.WriteFile(path, tinySave(t, ps, 60), 0o644); err != nil {
			t.Fatal(err)
		}
		checkAgainstDriver(t, path)
	}
}

// TestWriteFuzzSeeds regenerates the base databases of internal/btree's
// FuzzReader (small databases written by the driver, testdata/base-*.db)
// when BLISS_WRITE_FUZZ_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("BLISS_WRITE_FUZZ_SEEDS") == "" {
		t.Skip("set BLISS_WRITE_FUZZ_SEEDS=1 to regenerate")
	}
	dir := filepath.Join("internal", "btree", "testdata")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Small bases (2.5-6.5 KiB, were 19-250 KB); FuzzReader fuzzes patches
	// to them, not the files themselves (see there). The 40-row one has an
	// interior game root and overflow chains (TestCorrupt needs both).
	old, _ := filepath.Glob(filepath.Join(dir, "base-*.db"))
	for _, p := range old {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ ps, rows, step, custom int }{{512, 40, 1, 300}, {1024, 3, 150, 40}, {512, 0, 0, 30}} {
		b := tinySaveSized(t, c.ps, c.rows, c.step, c.custom)
		name := fmt.Sprintf("base-%d-%d.db", c.ps, c.rows)
		t.Logf("%s: %d bytes", name, len(b))
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDecodeSamplesNativeVsDriver: Decode gives the same Save through both
// readers on every sample.
func TestDecodeSamplesNativeVsDriver(t *testing.T) {
	ps := samplePaths(t)
	if len(ps) == 0 {
		t.Skip("no sample saves")
	}
	ctx := context.Background()
	for _, p := range ps {
		var got [2]*arksave.Save
		for i, open := range []func(context.Context, string) (*File, error){Open, OpenSQLite} {
			f, err := open(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			got[i], err = arksave.Decode(ctx, f, arksave.Options{Archives: os.DirFS(filepath.Dir(p))})
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
		if !reflect.DeepEqual(got[0], got[1]) {
			t.Errorf("%s: Decode differs between native reader and driver", p)
		}
	}
}
