// Package picture renders the appliance's pictures in-process, in pure Go
// (standard library image packages plus golang.org/x/image's bitmap font):
// a map of bases coloured by time to decay, and line charts of players
// online and CPU/memory over time. Inputs are plain values so any bot (the
// Assistant's /map, the Server bot's /info bases map, the daily decay post)
// can call them; outputs are PNG bytes.
package picture

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// canvas wraps an RGBA image with the few primitives the pictures need.
type canvas struct {
	img    *image.RGBA
	stamps map[stampKey][]stampPx
}

func newCanvas(w, h int, bg color.RGBA) *canvas {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), &image.Uniform{bg}, image.Point{}, draw.Src)
	return &canvas{img: img}
}

// blend paints c over the pixel at (x, y) with coverage a (0…1).
func (cv *canvas) blend(x, y int, c color.RGBA, a float64) {
	if !(image.Point{x, y}.In(cv.img.Rect)) || a <= 0 {
		return
	}
	if a > 1 {
		a = 1
	}
	i := cv.img.PixOffset(x, y)
	p := cv.img.Pix[i : i+4 : i+4]
	a *= float64(c.A) / 255
	p[0] = uint8(float64(p[0])*(1-a) + float64(c.R)*a + 0.5)
	p[1] = uint8(float64(p[1])*(1-a) + float64(c.G)*a + 0.5)
	p[2] = uint8(float64(p[2])*(1-a) + float64(c.B)*a + 0.5)
	p[3] = 255
}

// set writes an opaque pixel.
func (cv *canvas) set(x, y int, c color.RGBA) {
	if image.Pt(x, y).In(cv.img.Rect) {
		i := cv.img.PixOffset(x, y)
		cv.img.Pix[i], cv.img.Pix[i+1], cv.img.Pix[i+2], cv.img.Pix[i+3] = c.R, c.G, c.B, 255
	}
}

// rect fills [x0,x1)×[y0,y1).
func (cv *canvas) rect(x0, y0, x1, y1 int, c color.RGBA) {
	r := image.Rect(x0, y0, x1, y1).Intersect(cv.img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cv.set(x, y, c)
		}
	}
}

// disc fills a circle with an anti-aliased edge and an optional outline.
// The centre snaps to the pixel grid and the coverage mask of each radius
// (in quarter pixels) is computed once per canvas: a 100k-dot map blends
// precomputed masks instead of evaluating the circle per pixel.
func (cv *canvas) disc(cx, cy, r float64, fill, outline color.RGBA) {
	st := cv.stamp(r, outline.A != 0)
	x0, y0 := int(math.Floor(cx)), int(math.Floor(cy))
	for _, p := range st {
		c := fill
		if p.edge {
			c = outline
		}
		cv.blend8(x0+int(p.dx), y0+int(p.dy), c, p.cov)
	}
}

type stampPx struct {
	dx, dy int8
	cov    uint8 // coverage 1…255
	edge   bool
}

type stampKey struct {
	q       int
	outline bool
}

func (cv *canvas) stamp(r float64, outline bool) []stampPx {
	k := stampKey{int(math.Round(r * 4)), outline}
	if st, ok := cv.stamps[k]; ok {
		return st
	}
	if cv.stamps == nil {
		cv.stamps = map[stampKey][]stampPx{}
	}
	r = float64(k.q) / 4
	n := int(math.Ceil(r + 1))
	var st []stampPx
	for dy := -n; dy <= n; dy++ {
		for dx := -n; dx <= n; dx++ {
			d := math.Hypot(float64(dx), float64(dy))
			if d > r+0.5 {
				continue
			}
			cov := math.Min(1, r+0.5-d)
			st = append(st, stampPx{int8(dx), int8(dy), uint8(math.Max(1, cov*255)), outline && d > r-1.2})
		}
	}
	cv.stamps[k] = st
	return st
}

// blend8 is blend with an integer coverage (0…255) and opaque colour c.
func (cv *canvas) blend8(x, y int, c color.RGBA, a uint8) {
	if uint(x-cv.img.Rect.Min.X) >= uint(cv.img.Rect.Dx()) || uint(y-cv.img.Rect.Min.Y) >= uint(cv.img.Rect.Dy()) {
		return
	}
	i := (y-cv.img.Rect.Min.Y)*cv.img.Stride + (x-cv.img.Rect.Min.X)*4
	p := cv.img.Pix[i : i+4 : i+4]
	if a == 255 && c.A == 255 {
		p[0], p[1], p[2], p[3] = c.R, c.G, c.B, 255
		return
	}
	aa := uint32(a) * uint32(c.A) / 255
	ia := 255 - aa
	p[0] = div255(uint32(p[0])*ia + uint32(c.R)*aa)
	p[1] = div255(uint32(p[1])*ia + uint32(c.G)*aa)
	p[2] = div255(uint32(p[2])*ia + uint32(c.B)*aa)
	p[3] = 255
}

// div255 is v/255 rounded, exact for v ≤ 255·255.
func div255(v uint32) uint8 {
	v += 128
	return uint8((v + v>>8) >> 8)
}

// line draws an anti-aliased line of width w (Wu-style by distance).
func (cv *canvas) line(x0, y0, x1, y1, w float64, c color.RGBA) {
	minX, maxX := int(math.Floor(math.Min(x0, x1)-w)), int(math.Ceil(math.Max(x0, x1)+w))
	minY, maxY := int(math.Floor(math.Min(y0, y1)-w)), int(math.Ceil(math.Max(y0, y1)+w))
	dx, dy := x1-x0, y1-y0
	l2 := dx*dx + dy*dy
	hw := w / 2
	for y := minY; y <= maxY; y++ {
		for x := minX; x <= maxX; x++ {
			px, py := float64(x)+0.5, float64(y)+0.5
			t := 0.0
			if l2 > 0 {
				t = math.Max(0, math.Min(1, ((px-x0)*dx+(py-y0)*dy)/l2))
			}
			d := math.Hypot(px-(x0+t*dx), py-(y0+t*dy))
			if d < hw+0.5 {
				cv.blend(x, y, c, math.Min(1, hw+0.5-d))
			}
		}
	}
}

// hline and vline draw crisp 1-px lines.
func (cv *canvas) hline(x0, x1, y int, c color.RGBA, a float64) {
	for x := x0; x <= x1; x++ {
		cv.blend(x, y, c, a)
	}
}

func (cv *canvas) vline(x, y0, y1 int, c color.RGBA, a float64) {
	for y := y0; y <= y1; y++ {
		cv.blend(x, y, c, a)
	}
}

var face = basicfont.Face7x13

// textWidth is the advance of s in pixels.
func textWidth(s string) int { return font.MeasureString(face, s).Ceil() }

// text draws s with its baseline-left at (x, y).
func (cv *canvas) text(x, y int, s string, c color.RGBA) {
	d := font.Drawer{Dst: cv.img, Src: image.NewUniform(c), Face: face, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// outlined draws s with a 1-px halo so it reads on any background.
func (cv *canvas) outlined(x, y int, s string, c, halo color.RGBA) {
	for _, o := range [...][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}, {-1, -1}, {1, 1}, {-1, 1}, {1, -1}} {
		cv.text(x+o[0], y+o[1], s, halo)
	}
	cv.text(x, y, s, c)
}

// encode writes the canvas as PNG (fast compression: the pictures are
// generated on demand and posted once).
func (cv *canvas) encode() ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(cv.img.Pix) / 8)
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, cv.img); err != nil {
		return nil, fmt.Errorf("picture: encode png: %w", err)
	}
	return buf.Bytes(), nil
}

func rgb(r, g, b uint8) color.RGBA { return color.RGBA{r, g, b, 255} }

var (
	colBG     = rgb(24, 28, 36)
	colPanel  = rgb(34, 39, 50)
	colGrid   = rgb(200, 205, 215)
	colText   = rgb(230, 232, 238)
	colMuted  = rgb(150, 156, 170)
	colHalo   = rgb(10, 12, 16)
	colUnkown = rgb(140, 140, 150)
	colTele   = rgb(80, 200, 255)
)

// Printable replaces what the bitmap font cannot draw: dashes and quotes by
// their ASCII forms, other runes outside ASCII and Latin-1 by '?'.
func Printable(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '—' || r == '–' || r == '−':
			return '-'
		case r == '‘' || r == '’':
			return '\''
		case r == '“' || r == '”':
			return '"'
		case r == '…':
			return '.'
		case r >= 0x20 && r < 0x7f, r >= 0xa1 && r <= 0xff:
			return r
		case r < 0x20 || r == 0x7f:
			return -1
		}
		return '?'
	}, s)
}
