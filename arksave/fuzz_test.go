package arksave_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"testing"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/storage/savefile"
)

// sampleDirOpt is sampleDir without skipping: "" when samples are absent.
func sampleDirOpt() string {
	if d := os.Getenv("ARKSAVE_SAMPLES"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Dir(file)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	d := filepath.Join(dir, "..", "shared", "testdata", "asa")
	if _, err := os.Stat(d); err != nil {
		return ""
	}
	return d
}

// fuzzHeaders returns a v14 and a v13 header (from samples when present).
func fuzzHeaders(f *testing.F) (h14, h13 *arksave.Header, rows14, rows13 [][]byte) {
	names := map[uint32]string{0x09AD2622: "None", 0xF3FAB271: "IntProperty", 0xFAA4C670: "StructProperty", 1: "/Game/X.X_C"}
	h14 = &arksave.Header{Version: 14, Names: names}
	h13 = &arksave.Header{Version: 13, Names: names}
	dir := sampleDirOpt()
	if dir == "" {
		return
	}
	load := func(rel string) (*arksave.Header, [][]byte) {
		sf, err := savefile.Open(context.Background(), filepath.Join(dir, rel))
		if err != nil {
			f.Fatal(err)
		}
		defer sf.Close()
		hb, err := sf.Custom(context.Background(), "SaveHeader")
		if err != nil {
			f.Fatal(err)
		}
		h, err := arksave.ReadHeader(hb)
		if err != nil {
			f.Fatal(err)
		}
		// One small row per class keeps the corpus varied but fast.
		byClass := map[string][]byte{}
		sf.ScanGame(context.Background(), func(_ arksave.GUID, v []byte) error {
			if len(v) < 8 || len(v) > 16<<10 {
				return nil
			}
			c := string(v[:4])
			if old, ok := byClass[c]; !ok || len(v) > len(old) {
				byClass[c] = append([]byte(nil), v...)
			}
			return nil
		})
		var rows [][]byte
		for _, v := range byClass {
			rows = append(rows, v)
		}
		sort.Slice(rows, func(i, j int) bool { return bytes.Compare(rows[i], rows[j]) < 0 })
		if len(rows) > 150 {
			rows = rows[:150]
		}
		return h, rows
	}
	h14, rows14 = load("hallipr-v14/Ragnarok_WP.ark")
	h13, rows13 = load("pleinx-solo-v13/solo.ark")
	return
}

// allocCap fails when a decode of n input bytes allocated more than the
// documented bound.
func allocCap(t *testing.T, n int, fn func()) {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	if got, max := b.TotalAlloc-a.TotalAlloc, uint64(256*n+4<<20); got > max {
		t.Fatalf("allocated %d bytes for %d input bytes (cap %d)", got, n, max)
	}
}

func FuzzObjectRecord(f *testing.F) {
	h14, h13, rows14, rows13 := fuzzHeaders(f)
	for _, r := range rows14 {
		f.Add(byte(14), r)
	}
	for _, r := range rows13 {
		f.Add(byte(13), r)
	}
	f.Add(byte(14), []byte{1, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, ver byte, data []byte) {
		h := h14
		if ver&1 == 1 {
			h = h13
		}
		allocCap(t, len(data), func() {
			o, err := arksave.DecodeObject(h, arksave.GUID{}, data)
			if err == nil && o == nil {
				t.Fatal("nil object without error")
			}
		})
	})
}

func FuzzArchive(f *testing.F) {
	if dir := sampleDirOpt(); dir != "" {
		ms, _ := filepath.Glob(filepath.Join(dir, "*", "*.ark*"))
		for _, m := range ms {
			if filepath.Ext(m) == ".ark" {
				continue
			}
			b, err := os.ReadFile(m)
			if err == nil && len(b) < 12<<10 {
				f.Add(b)
			}
		}
	}
	f.Add([]byte{7, 0, 0, 0, 10, 2, 0, 0, 245, 3, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{6, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		allocCap(t, len(data), func() {
			arksave.ReadArchive(data)
			arksave.DecodeProfile(data)
			arksave.DecodeTribe(data)
			arksave.ReadStore(data)
		})
	})
}

func deflate(version uint32, namesOff uint32, payload []byte) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(payload)
	zw.Close()
	out := binary.LittleEndian.AppendUint32(nil, version)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(payload)))
	out = binary.LittleEndian.AppendUint32(out, namesOff)
	return append(out, z.Bytes()...)
}

func FuzzInflate(f *testing.F) {
	f.Add(deflate(0x0407, 0, []byte{1, 2, 0xF0, 0xF5, 0xF1, 0xAB, 0xF3, 0xFF, 1, 2, 9}))
	f.Add(deflate(0x0406, 4, []byte("hello world")))
	f.Add([]byte{7, 4, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var a, b runtime.MemStats
		runtime.ReadMemStats(&a)
		c, err := arksave.Inflate(data)
		runtime.ReadMemStats(&b)
		if err == nil && len(c.Data) > arksave.MaxInflatedSize {
			t.Fatalf("inflated %d bytes", len(c.Data))
		}
		if got := b.TotalAlloc - a.TotalAlloc; got > 8*arksave.MaxInflatedSize {
			t.Fatalf("allocated %d bytes", got)
		}
	})
}

func TestInflateWildcards(t *testing.T) {
	in := []byte{1, 0xF0, 0xF5, 0xF1, 0xAB, 0xF3, 0xFF, 7, 8, 2}
	c, err := arksave.Inflate(deflate(0x0407, 3, in))
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{1, 0xF5, 0xFA, 0xFB, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 8, 0, 0, 0, 2}
	if !bytes.Equal(c.Data, want) || c.NamesOffset != 3 || c.Version != 0x0407 {
		t.Fatalf("got %v", c.Data)
	}
	if _, err := arksave.Inflate(deflate(0x0407, 0, []byte{0xF0})); err == nil {
		t.Fatal("dangling escape accepted")
	}
	bad := deflate(0x0407, 0, []byte("abc"))
	binary.LittleEndian.PutUint32(bad[4:], 1<<30)
	if _, err := arksave.Inflate(bad); err == nil {
		t.Fatal("oversized inflate accepted")
	}
}
