package bases

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/blissark/bliss/arksave"
)

var savedAt = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

const gameTime = 2e8

// grid returns n structures of owner laid out on an x/y grid with step
// spacing, starting at (x0, y0, z).
func grid(owner int64, n int, x0, y0, z, step float64, material string) []arksave.Structure {
	side := int(math.Ceil(math.Sqrt(float64(n))))
	out := make([]arksave.Structure, n)
	for i := range out {
		out[i] = arksave.Structure{
			Class:       "Foundation_" + material,
			Material:    material,
			TribeID:     owner,
			OwnerName:   fmt.Sprint("tribe ", owner),
			Location:    arksave.Location{X: x0 + float64(i%side)*step, Y: y0 + float64(i/side)*step, Z: z},
			HasLocation: true,
		}
	}
	return out
}

func newSave(structs ...[]arksave.Structure) *arksave.Save {
	s := &arksave.Save{Map: "TheIsland_WP", GameTime: gameTime, SavedAt: savedAt}
	for _, g := range structs {
		s.Structures = append(s.Structures, g...)
	}
	return s
}

func TestClusteringLayouts(t *testing.T) {
	chain := func(owner int64, n int, step float64) []arksave.Structure {
		out := grid(owner, n, 0, 0, 0, 1, Wood)
		for i := range out {
			out[i].Location = arksave.Location{X: float64(i) * step, Y: 100, Z: 50}
		}
		return out
	}
	withStorage := func(g []arksave.Structure, k int) []arksave.Structure {
		for i := range k {
			g[i].IsStorage = true
		}
		return g
	}
	tests := []struct {
		name  string
		save  *arksave.Save
		opts  Options
		sizes []int // structures per base, in output order
	}{
		{"two tribes side by side", newSave(
			grid(1, 60, 0, 0, 0, 300, Stone),
			grid(2, 70, 2700, 0, 0, 300, Stone), // touching tribe 1's edge
		), Options{}, []int{60, 70}}, // same decay: owner order
		{"chain 2000 apart is one base", newSave(chain(5, 200, 2000)), Options{}, []int{200}},
		{"chain 2600 apart falls apart", newSave(chain(5, 200, 2600)), Options{}, nil},
		{"chain exactly at link distance", newSave(chain(5, 60, 2500)), Options{}, []int{60}},
		{"lone foundation filtered", newSave(grid(9, 1, 0, 0, 0, 300, Thatch)), Options{}, nil},
		{"lone foundation kept with min 1", newSave(grid(9, 1, 0, 0, 0, 300, Thatch)), Options{MinStructures: 1}, []int{1}},
		{"19 with storage filtered", newSave(withStorage(grid(3, 19, 0, 0, 0, 300, Wood), 1)), Options{}, nil},
		{"20 with storage kept", newSave(withStorage(grid(3, 20, 0, 0, 0, 300, Wood), 1)), Options{}, []int{20}},
		{"49 without storage filtered", newSave(grid(3, 49, 0, 0, 0, 300, Wood)), Options{}, nil},
		{"50 without storage kept", newSave(grid(3, 50, 0, 0, 0, 300, Wood)), Options{}, []int{50}},
		{"custom storage rule", newSave(withStorage(grid(3, 10, 0, 0, 0, 300, Wood), 2)), Options{MinWithStorage: 10}, []int{10}},
		{"3D separation", newSave(
			grid(4, 60, 0, 0, 0, 300, Metal),
			grid(4, 55, 0, 0, 10000, 300, Metal),
		), Options{}, []int{60, 55}},
		{"same tribe two bases far apart", newSave(
			grid(4, 60, 0, 0, 0, 300, Metal),
			grid(4, 80, 100000, -50000, 0, 300, Metal),
		), Options{}, []int{80, 60}},
		{"custom link distance joins", newSave(
			grid(4, 30, 0, 0, 0, 300, Metal),
			grid(4, 30, 0, 0, 4000, 300, Metal),
		), Options{LinkDistance: 5000}, []int{60}},
		{"no location ignored", func() *arksave.Save {
			g := grid(6, 60, 0, 0, 0, 300, Wood)
			g[0].HasLocation = false
			g[1].Location.X = math.NaN()
			return newSave(g)
		}(), Options{MinStructures: 1}, []int{58}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Analyze(tt.save, tt.opts)
			if len(got) != len(tt.sizes) {
				t.Fatalf("got %d bases %v, want %d", len(got), sizes(got), len(tt.sizes))
			}
			// Output is sorted by DecaysAt then owner then size desc; all
			// fixtures share decay, so compare as sorted.
			for i, b := range got {
				if b.Structures != tt.sizes[i] {
					t.Errorf("sizes = %v, want %v", sizes(got), tt.sizes)
					break
				}
			}
		})
	}
}

func sizes(bs []Base) []int {
	out := make([]int, len(bs))
	for i, b := range bs {
		out[i] = b.Structures
	}
	return out
}

// TestClusterMatchesBruteForce checks the grid against an O(n²) union-find on
// random layouts.
func TestClusterMatchesBruteForce(t *testing.T) {
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 7))
		n := 300 + r.IntN(300)
		link := 500 + r.Float64()*3000
		in := make([]clusterInput, n)
		span := 4000 + r.Float64()*30000
		for i := range in {
			in[i] = clusterInput{owner: int64(r.IntN(3)), pos: vec{
				(r.Float64() - 0.5) * span, (r.Float64() - 0.5) * span, (r.Float64() - 0.5) * span / 4,
			}}
		}
		got := cluster(in, link)
		byIdx := make([]int32, n)
		for i, p := range got.points {
			byIdx[p.idx] = got.label[i]
		}
		uf := newUnionFind(n)
		for i := range in {
			for j := i + 1; j < n; j++ {
				a, b := in[i], in[j]
				dx, dy, dz := a.pos.x-b.pos.x, a.pos.y-b.pos.y, a.pos.z-b.pos.z
				if a.owner == b.owner && dx*dx+dy*dy+dz*dz <= link*link {
					uf.union(i, j)
				}
			}
		}
		for i := range in {
			for j := i + 1; j < n; j++ {
				same := uf.find(i) == uf.find(j)
				if same != (byIdx[i] == byIdx[j]) {
					t.Fatalf("seed %d link %.0f: %d and %d: brute=%v grid=%v", seed, link, i, j, same, !same)
				}
			}
		}
	}
}

func TestDecayPerMaterial(t *testing.T) {
	tests := []struct {
		name      string
		materials []string // foundation materials, one each; rest of the base is tek walls
		mult      float64
		dinos     int
		timers    map[string]time.Duration
		wantTier  string
		wantDur   time.Duration
	}{
		{"thatch", []string{Thatch}, 1, 0, nil, Thatch, 4 * day},
		{"wood", []string{Wood}, 1, 0, nil, Wood, 8 * day},
		{"adobe", []string{Adobe}, 1, 0, nil, Adobe, 8 * day},
		{"stone", []string{Stone}, 1, 0, nil, Stone, 12 * day},
		{"metal", []string{Metal}, 1, 0, nil, Metal, 16 * day},
		{"greenhouse", []string{Greenhouse}, 1, 0, nil, Greenhouse, 16 * day},
		{"tek", []string{Tek}, 1, 0, nil, Tek, 20 * day},
		{"weakest foundation wins", []string{Tek, Metal, Stone, Metal}, 1, 0, nil, Stone, 12 * day},
		{"wood before adobe on tie", []string{Adobe, Wood}, 1, 0, nil, Wood, 8 * day},
		{"unknown foundation ignored", []string{Other, Metal}, 1, 0, nil, Metal, 16 * day},
		{"multiplier x4", []string{Thatch}, 4, 0, nil, Thatch, 16 * day},
		{"multiplier x0.5", []string{Stone}, 0.5, 0, nil, Stone, 6 * day},
		{"bad multiplier is 1", []string{Stone}, math.NaN(), 0, nil, Stone, 12 * day},
		{"dinos keep the dino timer", []string{Thatch}, 1, 2, nil, Thatch, 8 * day},
		{"dinos do not shorten", []string{Metal}, 1, 2, nil, Metal, 16 * day},
		{"dino timer scaled", []string{Thatch}, 2, 1, nil, Thatch, 16 * day},
		{"override timer", []string{Stone}, 1, 0, map[string]time.Duration{Stone: 30 * day}, Stone, 30 * day},
		{"override dino timer", []string{Thatch}, 1, 1, map[string]time.Duration{DinoTimer: 10 * day}, Thatch, 10 * day},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := grid(42, 60, 0, 0, 0, 300, Tek)
			for i := range g {
				g[i].IsFoundation = false
				g[i].Class = "Wall_Tek"
			}
			for i, m := range tt.materials {
				g[i].Material, g[i].IsFoundation = m, true
			}
			g[5].LastStasisTime = gameTime - 3600
			s := newSave(g)
			for i := range tt.dinos {
				s.Dinos = append(s.Dinos, arksave.Dino{TribeID: 42, Location: &arksave.Location{X: 100 + float64(i), Y: 100}})
			}
			bs := Analyze(s, Options{Multiplier: tt.mult, Timers: tt.timers})
			if len(bs) != 1 {
				t.Fatalf("got %d bases", len(bs))
			}
			b := bs[0]
			if b.DecayTier != tt.wantTier || b.DecayDuration != tt.wantDur {
				t.Errorf("tier %s %v, want %s %v", b.DecayTier, b.DecayDuration, tt.wantTier, tt.wantDur)
			}
			if want := savedAt.Add(-time.Hour).Add(tt.wantDur); !b.DecaysAt.Equal(want) {
				t.Errorf("DecaysAt = %v, want %v", b.DecaysAt, want)
			}
			if b.TamedDinos != tt.dinos {
				t.Errorf("TamedDinos = %d, want %d", b.TamedDinos, tt.dinos)
			}
		})
	}
}

func TestDecayTierFallbacks(t *testing.T) {
	// No foundations: weakest known material of any structure.
	g := grid(1, 60, 0, 0, 0, 300, Metal)
	g[3].Material = Wood
	if b := Analyze(newSave(g), Options{}); len(b) != 1 || b[0].DecayTier != Wood || b[0].Foundations != 0 {
		t.Errorf("no foundations: %+v", b)
	}
	// Nothing known: other, 40 d.
	g = grid(1, 60, 0, 0, 0, 300, Other)
	if b := Analyze(newSave(g), Options{}); len(b) != 1 || b[0].DecayTier != Other || b[0].DecayDuration != 40*day {
		t.Errorf("unknown: %+v", b)
	}
}

func TestGameToWall(t *testing.T) {
	tests := []struct {
		gameTime, t float64
		want        time.Time
	}{
		{gameTime, gameTime, savedAt},
		{gameTime, gameTime - 86400, savedAt.Add(-24 * time.Hour)},
		{gameTime, gameTime - 0.5, savedAt.Add(-500 * time.Millisecond)},
		{1e8, 1e8 + 60, savedAt.Add(time.Minute)},
		{gameTime, -1e300, savedAt.Add(math.MinInt64)},
		{gameTime, 1e300, savedAt.Add(math.MaxInt64)},
		{gameTime, math.NaN(), savedAt},
	}
	for _, tt := range tests {
		if got := GameToWall(savedAt, tt.gameTime, tt.t); !got.Equal(tt.want) {
			t.Errorf("GameToWall(%v, %v) = %v, want %v", tt.gameTime, tt.t, got, tt.want)
		}
	}
}

func TestLastRefresh(t *testing.T) {
	tests := []struct {
		name      string
		ally      []float64 // per structure (first ones)
		stasis    []float64
		want      time.Time
		wantKnown bool
	}{
		{"none: saved at", nil, nil, savedAt, false},
		{"latest stasis", nil, []float64{gameTime - 86400, gameTime - 3600}, savedAt.Add(-time.Hour), true},
		{"ally beats stasis", []float64{gameTime - 60}, []float64{gameTime - 3600}, savedAt.Add(-time.Minute), true},
		{"future capped", []float64{gameTime + 600}, nil, savedAt, true},
		{"NaN ignored", []float64{math.NaN()}, []float64{gameTime - 60}, savedAt.Add(-time.Minute), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := grid(1, 60, 0, 0, 0, 300, Stone)
			for i, v := range tt.ally {
				g[i].LastAllyInRange = v
			}
			for i, v := range tt.stasis {
				g[10+i].LastStasisTime = v
			}
			b := Analyze(newSave(g), Options{})[0]
			if !b.LastRefresh.Equal(tt.want) || b.RefreshKnown != tt.wantKnown {
				t.Errorf("LastRefresh = %v (%v), want %v (%v)", b.LastRefresh, b.RefreshKnown, tt.want, tt.wantKnown)
			}
			if !b.DecaysAt.Equal(b.LastRefresh.Add(12 * day)) {
				t.Errorf("DecaysAt = %v", b.DecaysAt)
			}
		})
	}
}

func TestBaseFields(t *testing.T) {
	a := grid(7, 100, -1000, 2000, 500, 100, Stone) // 10×10, x -1000…-100, y 2000…2900
	for i := range 10 {
		a[i].IsFoundation = true
	}
	a[0].IsStorage, a[1].IsStorage = true, true
	a[2].Material = Metal
	a[0].LastStasisTime = gameTime - 2*86400
	b := grid(8, 60, 200000, 0, 0, 300, Thatch)
	for i := range b {
		b[i].IsFoundation = true
	}
	b[0].LastStasisTime = gameTime - 86400
	s := newSave(a, b)
	s.Tribes = []arksave.Tribe{{ID: 7, Name: "Seven"}}
	s.Dinos = []arksave.Dino{
		{TribeID: 7, Location: &arksave.Location{X: -100 + 2400, Y: 2000, Z: 500}}, // inside widened box
		{TribeID: 7, Location: &arksave.Location{X: -100 + 2600, Y: 2000, Z: 500}}, // outside
		{TribeID: 8, Location: &arksave.Location{X: -500, Y: 2500, Z: 500}},        // other owner
		{TribeID: 7, Cryopodded: true},
	}
	bs := Analyze(s, Options{})
	if len(bs) != 2 {
		t.Fatalf("got %d bases", len(bs))
	}
	// Thatch decays first: 4 d after 1 d ago, vs stone 12 d after 2 d ago.
	th, st := bs[0], bs[1]
	if th.Owner != 8 || th.DecayTier != Thatch || !th.DecaysAt.Equal(savedAt.Add(3*day)) {
		t.Errorf("thatch base = %+v", th)
	}
	if st.Owner != 7 || st.OwnerName != "Seven" || st.Structures != 100 || st.StorageCount != 2 ||
		st.Foundations != 10 || st.TamedDinos != 1 || st.DecayTier != Stone ||
		!st.DecaysAt.Equal(savedAt.Add(10*day)) {
		t.Errorf("stone base = %+v", st)
	}
	if st.ByMaterial[Stone] != 99 || st.ByMaterial[Metal] != 1 || len(st.ByMaterial) != 2 {
		t.Errorf("ByMaterial = %v", st.ByMaterial)
	}
	if th.OwnerName != "tribe 8" {
		t.Errorf("owner name fallback = %q", th.OwnerName)
	}
	wantC := arksave.Location{X: -550, Y: 2450, Z: 500, Lat: 50 + 2450/6858.0, Lon: 50 - 550/6858.0, HasLatLon: true}
	if !near(st.Center, wantC) {
		t.Errorf("Center = %+v, want %+v", st.Center, wantC)
	}
	if st.Min.X != -1000 || st.Min.Y != 2000 || st.Max.X != -100 || st.Max.Y != 2900 || st.Max.Z != 500 {
		t.Errorf("bounds %+v %+v", st.Min, st.Max)
	}
}

func near(a, b arksave.Location) bool {
	const eps = 1e-9
	return math.Abs(a.X-b.X) < eps && math.Abs(a.Y-b.Y) < eps && math.Abs(a.Z-b.Z) < eps &&
		math.Abs(a.Lat-b.Lat) < eps && math.Abs(a.Lon-b.Lon) < eps && a.HasLatLon == b.HasLatLon
}

func TestLatLon(t *testing.T) {
	tests := []struct {
		mapName  string
		x, y     float64
		lat, lon float64
		ok       bool
	}{
		{"TheIsland_WP", 0, 0, 50, 50, true},
		{"TheIsland_WP", 68580, -68580, 40, 60, true},
		{"Ragnarok_WP", 131000, 0, 50.009388, 60.009388, true},
		{"TheCenter_WP", 0, 103740.4, 42.5057, 50.5458, true},
		{"ScorchedEarth_WP", 78740, 78740, 59.9936, 59.9936, true}, // addendum §5.1: 7874, not 8000
		{"LostColony_WP", 0, 81600, 60, 50, true},
		{"astraeos", 160000, 0, 50, 60, true},
		{"Nowhere_WP", 0, 0, 0, 0, false},
	}
	for _, tt := range tests {
		m := MapperFor(tt.mapName)
		if (m != nil) != tt.ok {
			t.Errorf("%s: mapper present = %v", tt.mapName, m != nil)
			continue
		}
		if m == nil {
			continue
		}
		lat, lon, ok := m(tt.x, tt.y)
		if !ok || math.Abs(lat-tt.lat) > 1e-9 || math.Abs(lon-tt.lon) > 1e-9 {
			t.Errorf("%s (%v,%v) = %v,%v, want %v,%v", tt.mapName, tt.x, tt.y, lat, lon, tt.lat, tt.lon)
		}
	}
	// Unknown map: no lat/lon; a custom mapper wins.
	s := newSave(grid(1, 60, 0, 0, 0, 300, Wood))
	s.Map = "Nowhere_WP"
	if b := Analyze(s, Options{}); b[0].Center.HasLatLon {
		t.Error("lat/lon on unknown map")
	}
	b := Analyze(s, Options{Mapper: MapConstants{0, 1000, 0, 1000}.Mapper()})
	if c := b[0].Center; !c.HasLatLon || math.Abs(c.Lat-c.Y/1000) > 1e-12 {
		t.Errorf("custom mapper: %+v", c)
	}
}

func TestAnalyzeEmpty(t *testing.T) {
	if Analyze(nil, Options{}) != nil || Analyze(&arksave.Save{}, Options{}) != nil {
		t.Error("want nil")
	}
	s := newSave(grid(1, 5, 0, 0, 0, 300, Wood))
	if Analyze(s, Options{}) != nil {
		t.Error("want nil when all filtered")
	}
}

func TestDefaultTimersIsACopy(t *testing.T) {
	DefaultTimers()[Thatch] = time.Hour
	if DefaultTimers()[Thatch] != 4*day {
		t.Error("DefaultTimers shares state")
	}
}
