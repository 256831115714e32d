package arksavetest_test

import (
	"bytes"
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/arksave/arksavetest"
	"github.com/blissark/bliss/storage/savefile"
)

// TestDecodeWorkersAgree decodes a save big enough for the partitioned
// structure merge with 1, 2 and 5 workers, through the native reader and
// the SQLite driver: every result must be identical and sorted.
func TestDecodeWorkersAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("writes an 8 MiB save")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.ark")
	sum, err := arksavetest.WriteSized(ctx, path, 8<<20, arksavetest.Options{Seed: 5, BrokenRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Structures < 1<<12 {
		t.Fatalf("only %d structures: too few to exercise the partitioned merge", sum.Structures)
	}
	var first *arksave.Save
	for _, open := range []func(context.Context, string) (*savefile.File, error){savefile.Open, savefile.OpenSQLite} {
		for _, w := range []int{1, 2, 5} {
			f, err := open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			s, err := arksave.Decode(ctx, f, arksave.Options{Workers: w})
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Structures) != sum.Structures || len(s.Dinos) != sum.TamedDinos {
				t.Fatalf("workers %d: %d structures %d dinos, want %+v", w, len(s.Structures), len(s.Dinos), sum)
			}
			if !slices.IsSortedFunc(s.Structures, func(a, b arksave.Structure) int { return bytes.Compare(a.ID[:], b.ID[:]) }) {
				t.Fatalf("workers %d: structures not sorted", w)
			}
			for i := range s.Structures {
				if !s.Structures[i].HasLocation {
					t.Fatalf("workers %d: structure %d has no location", w, i)
				}
			}
			if first == nil {
				first = s
				continue
			}
			if !reflect.DeepEqual(first, s) {
				t.Fatalf("workers %d: result differs from workers 1", w)
			}
		}
	}
}
