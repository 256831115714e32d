package picture

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden PNGs in testdata")

func sampleMap() BaseMap {
	day := 24 * time.Hour
	return BaseMap{
		Title: "The Island — 6 bases",
		Bases: []Base{
			{Lat: 20, Lon: 20, Structures: 5000, Label: "Big Tribe", DecayIn: 19 * day, DecayKnown: true},
			{Lat: 50, Lon: 50, Structures: 300, Label: "Middle", DecayIn: 10 * day, DecayKnown: true},
			{Lat: 80, Lon: 80, Structures: 40, Label: "Dying", DecayIn: 2 * time.Hour, DecayKnown: true},
			{Lat: 80, Lon: 20, Structures: 1, Label: "Lone", DecayKnown: false},
			{Lat: 30, Lon: 75, Structures: 900, Label: "A tribe with a very long name indeed", DecayIn: 30 * day, DecayKnown: true},
			{Lat: math.NaN(), Lon: 10, Structures: 10, Label: "Broken"},
		},
		Teleports: []Point{{Lat: 60, Lon: 40, Name: "Hub"}},
		Size:      512,
	}
}

func decode(t testing.TB, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	return img
}

// golden compares got with testdata/name within a tolerance: at most 0.5 %
// of pixels may differ by more than 24 in any channel (font hinting or
// rounding may move a few pixels; a layout change moves many).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s missing (run with -update): %v", path, err)
	}
	a, b := decode(t, got), decode(t, want)
	if a.Bounds() != b.Bounds() {
		t.Fatalf("%s: size %v, golden %v", name, a.Bounds(), b.Bounds())
	}
	bad, total := 0, a.Bounds().Dx()*a.Bounds().Dy()
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			if chanDiff(a.At(x, y), b.At(x, y)) > 24 {
				bad++
			}
		}
	}
	if float64(bad) > 0.005*float64(total) {
		t.Fatalf("%s: %d of %d pixels differ from the golden (run with -update after checking the picture)", name, bad, total)
	}
}

func chanDiff(a, b color.Color) int {
	r1, g1, b1, _ := a.RGBA()
	r2, g2, b2, _ := b.RGBA()
	d := max(absDiff(r1, r2), absDiff(g1, g2), absDiff(b1, b2))
	return int(d >> 8)
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

func TestBaseMapGolden(t *testing.T) {
	b, err := RenderBaseMap(sampleMap())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "basemap.png", b)
}

// TestBaseMapSemantics checks the picture's meaning without a golden: the
// centre of each dot has its decay colour, the teleport is cyan.
func TestBaseMapSemantics(t *testing.T) {
	in := sampleMap()
	b, err := RenderBaseMap(in)
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, b)
	at := func(lat, lon float64) color.RGBA {
		x, y := MapPixel(lat, lon, in.Size)
		r, g, bl, _ := img.At(int(x), int(y)).RGBA()
		return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 255}
	}
	if c := at(20, 20); !(c.G > 150 && c.R < 100) {
		t.Errorf("19 days left is not green: %v", c)
	}
	if c := at(80, 80); !(c.R > 180 && c.G < 80) {
		t.Errorf("2 hours left is not red: %v", c)
	}
	if c := at(50, 50); !(c.R > 150 && c.G > 150 && c.B < 80) {
		t.Errorf("10 of 20 days is not yellow: %v", c)
	}
	if c := at(80, 20); !(c.R == c.G && c.R > 100) {
		t.Errorf("unknown decay is not grey: %v", c)
	}
	if c := at(60, 40); !(c.B > 200 && c.G > 150 && c.R < 120) {
		t.Errorf("teleport is not cyan: %v", c)
	}
	if c := at(93, 7); c != colPanel {
		t.Errorf("empty map area: %v", c)
	}
}

func TestBaseMapBackgroundAndEdges(t *testing.T) {
	bg := image.NewRGBA(image.Rect(0, 0, 10, 10))
	for i := range bg.Pix {
		bg.Pix[i] = 200
	}
	for _, in := range []BaseMap{{}, {Size: 10}, {Size: 99999, Labels: -1}, {Background: bg, Bases: []Base{{Lat: -50, Lon: 500, Structures: -3}}},
		{Bases: []Base{{Lat: math.Inf(1), Lon: 1}}, Teleports: []Point{{Lat: math.NaN()}}}} {
		b, err := RenderBaseMap(in)
		if err != nil {
			t.Fatal(err)
		}
		decode(t, b)
	}
}

func chartSamples() (players, cpu, mem []Sample) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 48; i++ {
		t := t0.Add(time.Duration(i) * 30 * time.Minute)
		players = append(players, Sample{t, float64((i * 7) % 23)})
		cpu = append(cpu, Sample{t, 30 + 20*math.Sin(float64(i)/5)})
		mem = append(mem, Sample{t, 9000 + float64(i*40)})
	}
	return
}

func TestChartsGolden(t *testing.T) {
	p, c, m := chartSamples()
	panels := append([]Chart{PlayersOnline("Players online — last 24 h", p, nil)}, Resources("Island", c, m, nil)...)
	b, err := RenderCharts(ChartSize{Width: 800, Height: 260}, panels...)
	if err != nil {
		t.Fatal(err)
	}
	if img := decode(t, b); img.Bounds().Dx() != 800 || img.Bounds().Dy() != 3*260 {
		t.Fatalf("size %v", img.Bounds())
	}
	golden(t, "charts.png", b)
}

func TestChartEdges(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	cases := []Chart{
		{},
		{Series: []Series{{Samples: []Sample{{now, 3}}}}},
		{Series: []Series{{Samples: []Sample{{now, math.NaN()}, {time.Time{}, 1}}}}},
		{Series: []Series{{Samples: []Sample{{now.Add(time.Hour), -5}, {now, 5}}}, {Name: "b", Samples: []Sample{{now, 1e12}}}}, YMin: 0, YMax: 10},
		{Series: []Series{{Samples: []Sample{{now, 1}, {now.Add(40 * 24 * time.Hour), 1}}}}, Loc: time.FixedZone("X", 3600)},
	}
	for i, c := range cases {
		b, err := RenderCharts(ChartSize{}, c)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		decode(t, b)
	}
	if _, err := RenderCharts(ChartSize{Width: -1, Height: 1 << 20}); err != nil {
		t.Fatal(err)
	}
}

func TestNiceStep(t *testing.T) {
	for raw, want := range map[float64]float64{0.3: 0.5, 1: 1, 1.2: 2, 3: 5, 7: 10, 45: 50, 0: 1} {
		if got := niceStep(raw); math.Abs(got-want) > 1e-12 {
			t.Errorf("niceStep(%v) = %v, want %v", raw, got, want)
		}
	}
}

// bigMap is a 100k-structure map: 4,000 bases of 1…2,000 structures
// (clustered like a busy official server) summing to ~100k.
func bigMap(n int) BaseMap {
	rng := rand.New(rand.NewPCG(7, 7))
	in := BaseMap{Title: "benchmark"}
	total := 0
	for total < n {
		s := 1 + int(math.Pow(rng.Float64(), 4)*2000)
		total += s
		in.Bases = append(in.Bases, Base{Lat: rng.Float64() * 100, Lon: rng.Float64() * 100, Structures: s,
			Label: fmt.Sprintf("Tribe %d", len(in.Bases)), DecayIn: time.Duration(rng.IntN(20*24)) * time.Hour, DecayKnown: true})
	}
	for i := 0; i < 60; i++ {
		in.Teleports = append(in.Teleports, Point{Lat: rng.Float64() * 100, Lon: rng.Float64() * 100})
	}
	return in
}

// BenchmarkBaseMap100k renders the default 1024-px map of ~100k structures
// (bases). Report with -benchmem; peak heap is reported as a metric too.
func BenchmarkBaseMap100k(b *testing.B) {
	in := bigMap(100_000)
	b.ReportMetric(float64(len(in.Bases)), "bases")
	var ms runtime.MemStats
	for b.Loop() {
		if _, err := RenderBaseMap(in); err != nil {
			b.Fatal(err)
		}
	}
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapSys)/(1<<20), "heap-sys-MiB")
}

// BenchmarkBaseMap100kDots is the worst case: every structure its own
// base (100k dots).
func BenchmarkBaseMap100kDots(b *testing.B) {
	rng := rand.New(rand.NewPCG(8, 8))
	in := BaseMap{}
	for i := 0; i < 100_000; i++ {
		in.Bases = append(in.Bases, Base{Lat: rng.Float64() * 100, Lon: rng.Float64() * 100, Structures: 1 + rng.IntN(3),
			DecayIn: time.Duration(rng.IntN(480)) * time.Hour, DecayKnown: true})
	}
	for b.Loop() {
		if _, err := RenderBaseMap(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCharts(b *testing.B) {
	p, c, m := chartSamples()
	panels := append([]Chart{PlayersOnline("players", p, nil)}, Resources("x", c, m, nil)...)
	for b.Loop() {
		if _, err := RenderCharts(ChartSize{}, panels...); err != nil {
			b.Fatal(err)
		}
	}
}
