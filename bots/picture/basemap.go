package picture

import (
	"cmp"
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"strings"
	"time"
)

// Base is one base on the map.
type Base struct {
	Lat, Lon   float64
	Structures int
	Label      string // tribe or owner name
	// DecayIn is the time left until the base can be demolished; DecayKnown
	// false draws it grey.
	DecayIn    time.Duration
	DecayKnown bool
}

// Point is a named marker (a teleport point, a point of interest).
type Point struct {
	Lat, Lon float64
	Name     string
}

// BaseMap is the input of RenderBaseMap.
type BaseMap struct {
	Title     string // e.g. "Ragnarok — 1,234 bases"
	Bases     []Base
	Teleports []Point
	// Labels is how many of the largest bases get a tribe label (default 12,
	// negative: none).
	Labels int
	// Size is the width and height of the map area in pixels (default 1024,
	// clamped to 256…2048).
	Size int
	// DecayScale is the decay time drawn fully green (default 20 days: the
	// Tek timer); shorter times shade towards red.
	DecayScale time.Duration
	// Background, when set, is drawn under the grid (a staff-provided map
	// image; no map artwork ships with Bliss). It is scaled to the map area.
	Background image.Image
}

const (
	mapMargin  = 36 // room for the grid labels
	legendH    = 64 // room under the map for the legend
	titleH     = 26 // room above the map for the title
	maxLabel   = 24 // characters of a tribe label
	defaultMap = 1024
)

// DecayColor maps the time left to a colour from red (none) to green
// (scale or more); unknown is grey.
func DecayColor(left, scale time.Duration, known bool) color.RGBA {
	if !known {
		return colUnkown
	}
	if scale <= 0 {
		scale = 20 * 24 * time.Hour
	}
	f := math.Max(0, math.Min(1, float64(left)/float64(scale)))
	// Hue 0° (red) → 120° (green) at full saturation, value 0.9.
	return hsv(120*f, 0.85, 0.92)
}

func hsv(h, s, v float64) color.RGBA {
	c := v * s
	x := c * (1 - math.Abs(math.Mod(h/60, 2)-1))
	m := v - c
	var r, g, b float64
	switch {
	case h < 60:
		r, g = c, x
	case h < 120:
		r, g = x, c
	default:
		g, b = c, x
	}
	return rgb(uint8((r+m)*255+0.5), uint8((g+m)*255+0.5), uint8((b+m)*255+0.5))
}

// DotRadius is the radius in pixels for a base of n structures at a map
// area of size pixels: 3 px for a lone structure up to 14 px for 10,000+.
func DotRadius(n, size int) float64 {
	if n < 1 {
		n = 1
	}
	r := (2.5 + 3*math.Log10(float64(n))) * math.Sqrt(float64(mapSize(size))/defaultMap)
	return math.Max(3, math.Min(r, 14))
}

// MapPixel converts lat/lon (0…100 across the map) to pixel coordinates of
// a RenderBaseMap picture of the given map size (lat grows downwards, lon
// to the right, as on the in-game map).
func MapPixel(lat, lon float64, size int) (x, y float64) {
	size = mapSize(size)
	return mapMargin + lon/100*float64(size), titleH + mapMargin/2 + lat/100*float64(size)
}

func mapSize(s int) int {
	if s == 0 {
		return defaultMap
	}
	return max(256, min(s, 2048))
}

// RenderBaseMap draws the lat/lon grid with every base as a dot sized by
// structure count and coloured by time to decay, labels for the largest
// bases, teleport points and a legend, and returns a PNG.
func RenderBaseMap(in BaseMap) ([]byte, error) {
	size := mapSize(in.Size)
	w, h := size+2*mapMargin, titleH+mapMargin/2+size+mapMargin/2+legendH
	cv := newCanvas(w, h, colBG)
	ox, oy := mapMargin, titleH+mapMargin/2
	area := image.Rect(ox, oy, ox+size, oy+size)
	cv.rect(area.Min.X, area.Min.Y, area.Max.X, area.Max.Y, colPanel)
	if in.Background != nil {
		drawScaled(cv.img, area, in.Background)
	}
	// Grid every 10° with labels; finer lines every 5°.
	for i := 0; i <= 20; i++ {
		p := i * size / 20
		a := 0.12
		if i%2 == 0 {
			a = 0.28
		}
		cv.vline(ox+p, oy, oy+size, colGrid, a)
		cv.hline(ox, ox+size, oy+p, colGrid, a)
		if i%2 == 0 {
			lbl := fmt.Sprint(i * 5)
			cv.text(ox+p-textWidth(lbl)/2, oy-4, lbl, colMuted)       // lon on top
			cv.text(ox-textWidth(lbl)-4, oy+p+4, lbl, colMuted)       // lat on the left
			cv.text(ox+size+4, oy+p+4, lbl, colMuted)                 // and right
			cv.text(ox+p-textWidth(lbl)/2, oy+size+13, lbl, colMuted) // and bottom
		}
	}
	title := in.Title
	if title == "" {
		title = fmt.Sprintf("%d bases", len(in.Bases))
	}
	cv.text(ox, 17, clip(Printable(title), (w-2*ox)/7), colText)

	// Bigger dots are drawn later (on top); dots of the same size are drawn
	// top to bottom, which keeps the pixel writes cache-friendly on a
	// 100k-dot map. The order is deterministic.
	type key struct {
		q, n int
		lat  float64
	}
	keys := make([]key, len(in.Bases))
	order := make([]int, len(in.Bases))
	for i, b := range in.Bases {
		order[i] = i
		keys[i] = key{int(math.Round(DotRadius(b.Structures, size) * 4)), b.Structures, b.Lat}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ka, kb := keys[a], keys[b]
		if c := cmp.Compare(ka.q, kb.q); c != 0 {
			return c
		}
		if c := cmp.Compare(ka.n, kb.n); c != 0 {
			return c
		}
		return cmp.Compare(ka.lat, kb.lat)
	})
	scale := in.DecayScale
	if scale <= 0 {
		scale = 20 * 24 * time.Hour
	}
	for _, i := range order {
		b := in.Bases[i]
		if !finite(b.Lat) || !finite(b.Lon) {
			continue
		}
		x, y := MapPixel(b.Lat, b.Lon, size)
		cv.disc(x, y, DotRadius(b.Structures, size), DecayColor(b.DecayIn, scale, b.DecayKnown), colHalo)
	}
	for _, t := range in.Teleports {
		if !finite(t.Lat) || !finite(t.Lon) {
			continue
		}
		x, y := MapPixel(t.Lat, t.Lon, size)
		diamond(cv, x, y, 6*float64(size)/defaultMap+2, colTele)
	}
	// Labels for the largest bases, skipping ones that would overlap.
	n := in.Labels
	if n == 0 {
		n = 12
	}
	var placed []image.Rectangle
	for k := len(order) - 1; k >= 0 && n > 0; k-- {
		b := in.Bases[order[k]]
		lbl := clip(Printable(strings.TrimSpace(b.Label)), maxLabel)
		if lbl == "" || !finite(b.Lat) || !finite(b.Lon) {
			continue
		}
		x, y := MapPixel(b.Lat, b.Lon, size)
		r := DotRadius(b.Structures, size)
		lx, ly := int(x+r+3), int(y+4)
		if lx+textWidth(lbl) > ox+size {
			lx = int(x-r-3) - textWidth(lbl)
		}
		box := image.Rect(lx-1, ly-11, lx+textWidth(lbl)+1, ly+3)
		if slices.ContainsFunc(placed, box.Overlaps) {
			continue
		}
		placed = append(placed, box)
		cv.outlined(lx, ly, lbl, colText, colHalo)
		n--
	}
	legend(cv, ox, oy+size+mapMargin/2+6, size, scale, len(in.Teleports) > 0)
	return cv.encode()
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func clip(s string, n int) string {
	if n <= 0 {
		return ""
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 3 {
		return string(r[:n])
	}
	return string(r[:n-3]) + "..."
}

func diamond(cv *canvas, cx, cy, r float64, c color.RGBA) {
	for y := int(cy - r - 1); y <= int(cy+r+1); y++ {
		for x := int(cx - r - 1); x <= int(cx+r+1); x++ {
			d := math.Abs(float64(x)+0.5-cx) + math.Abs(float64(y)+0.5-cy)
			switch {
			case d <= r-1.5:
				cv.blend(x, y, c, 1)
			case d <= r:
				cv.blend(x, y, colHalo, 1)
			}
		}
	}
}

// legend draws the decay gradient, the dot sizes and the teleport marker.
func legend(cv *canvas, x, y, width int, scale time.Duration, tele bool) {
	cv.text(x, y+10, "Time to decay", colText)
	gx, gw := x+110, min(360, width/2)
	for i := 0; i < gw; i++ {
		c := DecayColor(time.Duration(float64(scale)*float64(i)/float64(gw-1)), scale, true)
		cv.rect(gx+i, y, gx+i+1, y+14, c)
	}
	days := scale.Hours() / 24
	for k := 0; k <= 4; k++ {
		lbl := fmt.Sprintf("%.0fd", days*float64(k)/4)
		if k == 4 {
			lbl += "+"
		}
		px := gx + k*(gw-1)/4
		cv.vline(px, y+14, y+17, colMuted, 1)
		cv.text(px-textWidth(lbl)/2, y+29, lbl, colMuted)
	}
	ux := gx + gw + 24
	cv.disc(float64(ux)+5, float64(y)+7, 5, colUnkown, colHalo)
	cv.text(ux+14, y+11, "unknown", colMuted)
	// Dot sizes.
	sx := x
	sy := y + 48
	cv.text(sx, sy+4, "Structures", colText)
	px := sx + 90
	for _, n := range []int{1, 10, 100, 1000, 10000} {
		r := DotRadius(n, width)
		cv.disc(float64(px)+r, float64(sy), r, colMuted, colHalo)
		lbl := fmt.Sprint(n)
		cv.text(px+int(2*r)+4, sy+4, lbl, colMuted)
		px += int(2*r) + textWidth(lbl) + 16
	}
	if tele {
		diamond(cv, float64(px+16), float64(sy), 7, colTele)
		cv.text(px+28, sy+4, "teleport", colMuted)
	}
}

// MapSize is the width and height in pixels of the map area of a
// RenderBaseMap picture for BaseMap.Size (0: the default 1024). A
// background scaled to fit it once is drawn without further resampling
// loss.
func MapSize(size int) int { return mapSize(size) }

// bgDim is how much of a background's brightness is kept (percent) so the
// dots stay readable.
const bgDim = 55

// drawScaled draws src stretched into r of dst with nearest-neighbour
// scaling (its edges are the map's edges), dimmed; fully transparent pixels
// leave the panel as it is. An *image.RGBA source is read directly.
func drawScaled(dst *image.RGBA, r image.Rectangle, src image.Image) {
	sb := src.Bounds()
	if sb.Empty() || r.Empty() {
		return
	}
	rgba, _ := src.(*image.RGBA)
	xs := make([]int, r.Dx())
	for x := range xs {
		xs[x] = sb.Min.X + x*sb.Dx()/r.Dx()
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		sy := sb.Min.Y + (y-r.Min.Y)*sb.Dy()/r.Dy()
		di := dst.PixOffset(r.Min.X, y)
		for _, sx := range xs {
			var cr, cg, cb, ca uint32
			if rgba != nil {
				si := rgba.PixOffset(sx, sy)
				p := rgba.Pix[si : si+4 : si+4]
				cr, cg, cb, ca = uint32(p[0]), uint32(p[1]), uint32(p[2]), uint32(p[3])
			} else {
				cr, cg, cb, ca = src.At(sx, sy).RGBA()
				cr, cg, cb, ca = cr>>8, cg>>8, cb>>8, ca>>8
			}
			if ca != 0 {
				q := dst.Pix[di : di+4 : di+4]
				q[0], q[1], q[2], q[3] = uint8(cr*bgDim/100), uint8(cg*bgDim/100), uint8(cb*bgDim/100), 255
			}
			di += 4
		}
	}
}
