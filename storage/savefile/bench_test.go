package savefile_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/storage/savefile"
)

// buildLarge writes a synthetic large .ark: the Ragnarok sample's game rows
// replicated reps times under fresh keys, with the sample's custom rows.
func buildLarge(b *testing.B, reps int) (string, int64, int) {
	b.Helper()
	_, file, _, _ := runtime.Caller(0)
	src := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "testdata", "asa", "hallipr-v14", "Ragnarok_WP.ark")
	if _, err := os.Stat(src); err != nil {
		b.Skipf("sample save not available at %s", src)
	}
	ctx := context.Background()
	in, err := savefile.Open(ctx, src)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	path := filepath.Join(b.TempDir(), "Large_WP.ark")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"PRAGMA page_size=8192", "PRAGMA journal_mode=OFF", "PRAGMA synchronous=OFF",
		"CREATE TABLE game (key BLOB primary key not null, value blob not null)",
		"CREATE TABLE custom (key VARCHAR(64) primary key not null, value blob not null)",
	} {
		if _, err := db.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	for _, k := range []string{"SaveHeader", "ActorTransforms", "ActorTransformsDelta", "GameModeCustomBytes"} {
		v, err := in.Custom(ctx, k)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.Exec("INSERT INTO custom VALUES (?, ?)", k, v); err != nil {
			b.Fatal(err)
		}
	}
	var keys [][16]byte
	var vals [][]byte
	in.ScanGame(ctx, func(k arksave.GUID, v []byte) error {
		keys = append(keys, k)
		vals = append(vals, append([]byte(nil), v...))
		return nil
	})
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	st, err := tx.Prepare("INSERT OR IGNORE INTO game VALUES (?, ?)")
	if err != nil {
		b.Fatal(err)
	}
	for r := range reps {
		for i, k := range keys {
			if r > 0 {
				k[0] ^= 0xEE
				k[1] ^= byte(r)
			}
			if _, err := st.Exec(k[:], vals[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	var total int64
	var rows int
	if err := db.QueryRow("SELECT count(*), sum(length(value)) FROM game").Scan(&rows, &total); err != nil {
		b.Fatal(err)
	}
	return path, total, rows
}

// BenchmarkLarge compares Decode with a raw scan on a ~50 MB synthetic save,
// where the fixed per-save costs (header, transforms, store) no longer
// dominate.
func BenchmarkLarge(b *testing.B) {
	path, total, rows := buildLarge(b, 20)
	ctx := context.Background()
	f, err := savefile.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.Run("RawScan", func(b *testing.B) {
		b.SetBytes(total)
		b.ReportAllocs()
		for b.Loop() {
			if err := f.ScanGame(ctx, func(arksave.GUID, []byte) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Decode", func(b *testing.B) {
		b.SetBytes(total)
		b.ReportAllocs()
		for b.Loop() {
			s, err := arksave.Decode(ctx, f, arksave.Options{})
			if err != nil || s.Stats.Failed != 0 || s.Stats.Rows != rows {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
	})
}
