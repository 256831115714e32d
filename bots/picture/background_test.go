package picture

import (
	"image"
	"image/color"
	"testing"
)

// quadrants is a synthetic background (no ARK artwork in the tests): red,
// green, blue and a transparent bottom-right quarter.
func quadrants(w, h int, rgba bool) image.Image {
	cols := []color.NRGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}, {0, 0, 0, 0}}
	at := func(x, y int) color.NRGBA { return cols[(y*2/h)*2+x*2/w] }
	if rgba {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				img.Set(x, y, at(x, y))
			}
		}
		return img
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, at(x, y))
		}
	}
	return img
}

// TestBaseMapBackgroundPixels: the background is stretched to the map area
// (its edges are the map's edges, whatever its aspect), dimmed to 55 %,
// under the grid; transparent pixels leave the panel; the RGBA fast path
// and the generic path agree; no background leaves the bare panel.
func TestBaseMapBackgroundPixels(t *testing.T) {
	probe := func(img image.Image, lat, lon float64, size int) color.RGBA {
		x, y := MapPixel(lat, lon, size)
		r, g, b, _ := img.At(int(x), int(y)).RGBA()
		return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 255}
	}
	red, green, blue := color.RGBA{140, 0, 0, 255}, color.RGBA{0, 140, 0, 255}, color.RGBA{0, 0, 140, 255}
	for _, tc := range []struct {
		name string
		bg   image.Image
		size int
	}{
		{"square rgba at the area size", quadrants(1024, 1024, true), 0},
		{"wide nrgba", quadrants(300, 120, false), 0},
		{"tall rgba, small map", quadrants(64, 500, true), 512},
	} {
		b, err := RenderBaseMap(BaseMap{Background: tc.bg, Size: tc.size, Labels: -1})
		if err != nil {
			t.Fatal(err)
		}
		img := decode(t, b)
		for _, p := range []struct {
			lat, lon float64
			want     color.RGBA
		}{{22, 22, red}, {22, 77, green}, {77, 22, blue}, {77, 77, colPanel}, {2.2, 2.2, red}, {97.7, 2.2, blue}} {
			if got := probe(img, p.lat, p.lon, tc.size); got != p.want {
				t.Errorf("%s: pixel at %v/%v = %v, want %v", tc.name, p.lat, p.lon, got, p.want)
			}
		}
	}
	b, err := RenderBaseMap(BaseMap{Labels: -1})
	if err != nil {
		t.Fatal(err)
	}
	if got := probe(decode(t, b), 22, 22, 0); got != colPanel {
		t.Errorf("no background: %v, want the panel %v", got, colPanel)
	}
	if MapSize(0) != 1024 || MapSize(10) != 256 || MapSize(1<<20) != 2048 {
		t.Errorf("MapSize: %d %d %d", MapSize(0), MapSize(10), MapSize(1<<20))
	}
}

// BenchmarkBaseMapBackground: a base map over a background of the area's
// size (what the Server bot stores), against BenchmarkBaseMap's bare one.
func BenchmarkBaseMapBackground(b *testing.B) {
	bg := quadrants(1024, 1024, true)
	in := BaseMap{Background: bg, Bases: []Base{{Lat: 50, Lon: 50, Structures: 100, Label: "x"}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := RenderBaseMap(in); err != nil {
			b.Fatal(err)
		}
	}
}
