package btree

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/blissark/bliss/arksave"
)

// seeds reads the committed base databases (small files written by the
// SQLite driver; regenerate with BLISS_WRITE_FUZZ_SEEDS=1 go test -run
// TestWriteFuzzSeeds ./storage/savefile/), smallest first.
func seeds(t testing.TB) [][]byte {
	ps, _ := filepath.Glob(filepath.Join("testdata", "base-*.db"))
	var out [][]byte
	for _, p := range ps {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		t.Fatal("no base databases in testdata")
	}
	slices.SortFunc(out, func(a, b []byte) int { return len(a) - len(b) })
	return out
}

// exercise runs every entry point and checks the output stays bounded.
func exercise(t *testing.T, b []byte) error {
	tr, err := Open(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return err
	}
	ctx := context.Background()
	var total int
	err = tr.ScanGame(ctx, func(_ arksave.GUID, v []byte) error {
		total += len(v)
		if total > 2*len(b) {
			t.Fatalf("scan returned %d bytes from a %d-byte file", total, len(b))
		}
		return nil
	})
	for _, k := range []string{"SaveHeader", "ActorTransforms", "x"} {
		_, _ = tr.StreamCustom(ctx, k, func([]byte) error { return nil })
		if v, _, _ := tr.Custom(ctx, k); cap(v) > len(b) {
			t.Fatalf("custom %q: %d bytes allocated for a %d-byte file", k, cap(v), len(b))
		}
	}
	return err
}

func TestSeedsScan(t *testing.T) {
	for _, b := range seeds(t) {
		if err := exercise(t, b); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCorrupt(t *testing.T) {
	var data []byte
	for _, b := range seeds(t) {
		if len(b) > len(data) {
			data = b // the 40-row seed: interior pages and overflow chains
		}
	}
	tr, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	put32 := func(b []byte, v uint32) { b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v) }
	muts := map[string]func(b []byte){
		"cycle": func(b []byte) { // interior root's right child points to itself
			off := int(tr.game-1) * tr.pageSize
			if b[off] != 0x05 {
				t.Fatalf("seed game root is not an interior page")
			}
			put32(b[off+8:], tr.game)
		},
		"child out of range": func(b []byte) {
			off := int(tr.game-1) * tr.pageSize
			put32(b[off+8:], 1<<30)
		},
		"bad page type": func(b []byte) { b[int(tr.game-1)*tr.pageSize] = 0x42 },
		"cell count": func(b []byte) {
			off := int(tr.game-1) * tr.pageSize
			b[off+3], b[off+4] = 0xff, 0xff
		},
		"garbage tail": func(b []byte) {
			for i := len(b) / 2; i < len(b); i++ {
				b[i] = 0xff
			}
		},
	}
	for name, mut := range muts {
		b := bytes.Clone(data)
		mut(b)
		if err := exercise(t, b); err == nil {
			t.Errorf("%s: corrupt file scanned without error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// applyPatch returns a copy of base edited by p, a list of operations
// [uint16 offset][uint8 n][n bytes]: the bytes overwrite base from offset
// (mod its length); n = 0xFF cuts base at offset instead.
func applyPatch(base, p []byte) []byte {
	out := bytes.Clone(base)
	for len(p) >= 3 && len(out) > 0 {
		off := int(binary.LittleEndian.Uint16(p)) % len(out)
		n := int(p[2])
		p = p[3:]
		if n == 0xFF {
			out = out[:off]
			continue
		}
		n = min(n, len(p))
		copy(out[off:], p[:n])
		p = p[n:]
	}
	return out
}

// FuzzReader: the reader must never panic, loop or return more bytes than
// the file has. mode 0 reads data as the file; other modes apply data as a
// patch (applyPatch) to one of the base databases in testdata. Inputs stay
// small either way: the fuzzer minimises each new input with an O(n²) pass,
// and with whole 19-250 KB databases as its corpus it spent its runs
// minimising (issue 16: 8 executions in 45 s).
func FuzzReader(f *testing.F) {
	bases := seeds(f)
	for i := range bases {
		f.Add(byte(i+1), []byte{})
		f.Add(byte(i+1), []byte{0, 2, 4, 0xff, 0xff, 0xff, 0xff}) // page 1 size / header bytes
		f.Add(byte(i+1), []byte{0, 10, 0xff})                     // cut at page 6
	}
	f.Add(byte(0), []byte("SQLite format 3\x00"))
	f.Fuzz(func(t *testing.T, mode byte, data []byte) {
		if k := int(mode) % (len(bases) + 1); k > 0 {
			data = applyPatch(bases[k-1], data)
		}
		_ = exercise(t, data)
	})
}
