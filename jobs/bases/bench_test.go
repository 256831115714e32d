package bases

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/blissark/bliss/arksave"
)

// synthSave builds a save with about n structures shaped like real bases:
// 90 % in dense bases (foundation grid at 300 units, 6 pieces stacked per
// foundation, 1–3 storeys, 50–3000 pieces each) and 10 % scattered pieces
// (pillar spam, lone foundations), over a ±400 000-unit map. Tribes own one
// to three bases. Also adds one tamed dino per 10 structures.
func synthSave(n int, seed uint64) *arksave.Save {
	r := rand.New(rand.NewPCG(seed, 1))
	materials := []string{Thatch, Wood, Stone, Metal, Tek, Greenhouse, Other}
	s := &arksave.Save{Map: "TheIsland_WP", GameTime: 2e8, SavedAt: savedAt}
	s.Structures = make([]arksave.Structure, 0, n)
	owner := int64(1000)
	basesLeft := 0
	for len(s.Structures) < n*9/10 {
		if basesLeft == 0 {
			owner++
			basesLeft = 1 + r.IntN(3)
		}
		basesLeft--
		size := min(50+r.IntN(1500)+r.IntN(1500), n*9/10-len(s.Structures))
		cx, cy, cz := (r.Float64()-0.5)*800000, (r.Float64()-0.5)*800000, r.Float64()*20000
		mat := materials[r.IntN(len(materials))]
		side := 1
		for side*side*6 < size {
			side++
		}
		for i := range size {
			f := i / 6
			st := arksave.Structure{
				Material:        mat,
				TribeID:         owner,
				OwnerName:       "tribe",
				Location:        arksave.Location{X: cx + float64(f%side)*300, Y: cy + float64(f/side)*300, Z: cz + float64(i%6)*150},
				HasLocation:     true,
				IsFoundation:    i%6 == 0,
				IsStorage:       i%50 == 1,
				LastStasisTime:  2e8 - r.Float64()*1e6,
				LastAllyInRange: 0,
			}
			s.Structures = append(s.Structures, st)
		}
		for range size / 10 {
			s.Dinos = append(s.Dinos, arksave.Dino{TribeID: owner, Location: &arksave.Location{X: cx + r.Float64()*3000, Y: cy, Z: cz}})
		}
	}
	for len(s.Structures) < n {
		s.Structures = append(s.Structures, arksave.Structure{
			Material: Wood, TribeID: 5000 + int64(r.IntN(500)), IsFoundation: true, HasLocation: true,
			Location: arksave.Location{X: (r.Float64() - 0.5) * 800000, Y: (r.Float64() - 0.5) * 800000, Z: r.Float64() * 20000},
		})
	}
	return s
}

func BenchmarkAnalyze(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		s := synthSave(n, 1)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			var bases int
			for b.Loop() {
				bases = len(Analyze(s, Options{}))
			}
			b.ReportMetric(float64(bases), "bases")
		})
	}
}

func BenchmarkCluster(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		s := synthSave(n, 1)
		in := make([]clusterInput, len(s.Structures))
		for i, st := range s.Structures {
			in[i] = clusterInput{owner: st.TribeID, pos: vec{st.Location.X, st.Location.Y, st.Location.Z}}
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				cluster(in, DefaultLinkDistance)
			}
		})
	}
}

// A single megabase: one owner, everything in a few cells.
func BenchmarkClusterMegabase(b *testing.B) {
	const n = 200_000
	in := make([]clusterInput, n)
	for i := range in {
		f := i / 10
		in[i] = clusterInput{owner: 1, pos: vec{float64(f%140) * 300, float64(f/140) * 300, float64(i%10) * 150}}
	}
	b.ReportAllocs()
	for b.Loop() {
		cluster(in, DefaultLinkDistance)
	}
}

func TestSynthSaveShape(t *testing.T) {
	s := synthSave(20_000, 2)
	if len(s.Structures) != 20_000 {
		t.Fatalf("n = %d", len(s.Structures))
	}
	bs := Analyze(s, Options{})
	if len(bs) == 0 {
		t.Fatal("no bases")
	}
	total := 0
	for _, b := range bs {
		total += b.Structures
	}
	if total < 17_000 || total > 18_000 {
		t.Errorf("structures in bases = %d of 18 000 in generated bases", total)
	}
}
