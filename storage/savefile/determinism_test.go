package savefile

import (
	"context"
	"reflect"
	"testing"

	"github.com/blissark/bliss/arksave"
)

// TestDecodeDeterministic: workers finish in any order, yet every decode of
// a save gives the same Save (Ragnarok has a player with two pawns, whose
// location once depended on which worker finished last).
func TestDecodeDeterministic(t *testing.T) {
	ps := samplePaths(t)
	if len(ps) == 0 {
		t.Skip("no sample saves in ../shared/testdata/asa")
	}
	ctx := context.Background()
	for _, p := range ps {
		var first *arksave.Save
		for i := 0; i < 8; i++ {
			f, err := Open(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			s, err := arksave.Decode(ctx, f, arksave.Options{Workers: 4})
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			if first == nil {
				first = s
				continue
			}
			if !reflect.DeepEqual(first, s) {
				t.Fatalf("%s: decode %d differs from the first", p, i)
			}
		}
	}
}
