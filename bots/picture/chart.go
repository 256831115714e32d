package picture

import (
	"fmt"
	"image/color"
	"math"
	"time"
)

// Sample is one value at one time.
type Sample struct {
	T time.Time
	V float64
}

// Series is one line of a chart.
type Series struct {
	Name    string
	Samples []Sample   // any order; sorted copies are drawn
	Color   color.RGBA // zero: a palette colour
	// Step draws the series as a step function (counts such as players
	// online), otherwise straight segments.
	Step bool
}

// Chart is one line chart panel.
type Chart struct {
	Title  string
	Unit   string // shown after the y-axis values ("%", " MiB", "")
	Series []Series
	// YMin/YMax fix the axis when YMax > YMin; otherwise it fits the data
	// (from 0 when all values are non-negative).
	YMin, YMax float64
	// Loc is the zone of the time axis (nil: UTC).
	Loc *time.Location
}

// ChartSize is the pixel size of one panel (default 900×320).
type ChartSize struct{ Width, Height int }

var palette = []color.RGBA{rgb(88, 166, 255), rgb(255, 166, 77), rgb(120, 220, 120), rgb(235, 100, 140), rgb(190, 150, 255)}

// RenderCharts draws the panels stacked vertically and returns a PNG.
func RenderCharts(size ChartSize, panels ...Chart) ([]byte, error) {
	w, h := size.Width, size.Height
	if w == 0 {
		w = 900
	}
	if h == 0 {
		h = 320
	}
	w, h = max(320, min(w, 2400)), max(160, min(h, 1200))
	if len(panels) == 0 {
		panels = []Chart{{Title: "no data"}}
	}
	if len(panels) > 8 {
		panels = panels[:8]
	}
	cv := newCanvas(w, h*len(panels), colBG)
	for i, p := range panels {
		drawChart(cv, 0, i*h, w, h, p)
	}
	return cv.encode()
}

// PlayersOnline is the chart of players online over time.
func PlayersOnline(title string, samples []Sample, loc *time.Location) Chart {
	return Chart{Title: title, Series: []Series{{Name: "players online", Samples: samples, Step: true}}, Loc: loc}
}

// Resources are the CPU (percent) and memory (MiB) panels of a server.
func Resources(title string, cpu, memMiB []Sample, loc *time.Location) []Chart {
	return []Chart{
		{Title: title + " — CPU", Unit: "%", Series: []Series{{Name: "cpu", Samples: cpu}}, Loc: loc},
		{Title: title + " — memory", Unit: " MiB", Series: []Series{{Name: "memory", Samples: memMiB, Color: palette[1]}}, Loc: loc},
	}
}

func drawChart(cv *canvas, x0, y0, w, h int, c Chart) {
	const right, top, bottom = 16, 28, 30
	left := 64
	loc := c.Loc
	if loc == nil {
		loc = time.UTC
	}
	// Data bounds.
	var tmin, tmax time.Time
	vmin, vmax := math.Inf(1), math.Inf(-1)
	n := 0
	series := make([][]Sample, len(c.Series))
	for i, s := range c.Series {
		series[i] = sortedFinite(s.Samples)
		for _, p := range series[i] {
			if n == 0 || p.T.Before(tmin) {
				tmin = p.T
			}
			if n == 0 || p.T.After(tmax) {
				tmax = p.T
			}
			vmin, vmax = math.Min(vmin, p.V), math.Max(vmax, p.V)
			n++
		}
	}
	if n == 0 {
		px0, py0, px1, py1 := x0+left, y0+top, x0+w-right, y0+h-bottom
		cv.rect(px0, py0, px1, py1, colPanel)
		cv.text(x0+left, y0+18, clip(Printable(c.Title), (w-left-right)/7), colText)
		msg := "no data"
		cv.text((px0+px1-textWidth(msg))/2, (py0+py1)/2, msg, colMuted)
		return
	}
	if c.YMax > c.YMin {
		vmin, vmax = c.YMin, c.YMax
	} else {
		if vmin >= 0 {
			vmin = 0
		}
		if vmax <= vmin {
			vmax = vmin + 1
		}
		vmax += (vmax - vmin) * 0.05
	}
	if !tmax.After(tmin) {
		tmin, tmax = tmin.Add(-30*time.Minute), tmax.Add(30*time.Minute)
	}
	step := niceStep((vmax - vmin) / 5)
	for v := math.Ceil(vmin/step) * step; v <= vmax+1e-9; v += step {
		left = max(left, textWidth(formatValue(v, step)+c.Unit)+12)
	}
	left = min(left, w/3)
	px0, py0, px1, py1 := x0+left, y0+top, x0+w-right, y0+h-bottom
	cv.rect(px0, py0, px1, py1, colPanel)
	cv.text(x0+left, y0+18, clip(Printable(c.Title), (w-left-right)/7), colText)
	span := tmax.Sub(tmin)
	tx := func(t time.Time) float64 {
		return float64(px0) + float64(t.Sub(tmin))/float64(span)*float64(px1-px0-1)
	}
	vy := func(v float64) float64 {
		return float64(py1-1) - (v-vmin)/(vmax-vmin)*float64(py1-py0-1)
	}
	// Y grid: ~5 nice steps.
	for v := math.Ceil(vmin/step) * step; v <= vmax+1e-9; v += step {
		y := int(math.Round(vy(v)))
		cv.hline(px0, px1-1, y, colGrid, 0.15)
		lbl := formatValue(v, step) + c.Unit
		cv.text(px0-6-textWidth(lbl), y+4, lbl, colMuted)
	}
	// X grid: a nice time step for ~6 ticks.
	ts := timeStep(span / 6)
	first := tmin.In(loc).Truncate(time.Hour)
	if ts >= 24*time.Hour {
		f := tmin.In(loc)
		first = time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, loc)
	}
	for t := first; !t.After(tmax); t = t.Add(ts) {
		if t.Before(tmin) {
			continue
		}
		x := int(math.Round(tx(t)))
		cv.vline(x, py0, py1-1, colGrid, 0.15)
		lbl := t.In(loc).Format("15:04")
		if ts >= 24*time.Hour {
			lbl = t.In(loc).Format("Jan 2")
		} else if t.In(loc).Hour() == 0 && t.In(loc).Minute() == 0 {
			lbl = t.In(loc).Format("Jan 2")
		}
		cv.text(x-textWidth(lbl)/2, py1+16, lbl, colMuted)
	}
	zone := loc.String()
	cv.text(px1-textWidth(zone), y0+18, zone, colMuted)
	// Lines.
	lx := px0 + 8 + textWidth(clip(Printable(c.Title), (w-left-right)/7)) + 24
	for i, s := range c.Series {
		col := s.Color
		if col.A == 0 {
			col = palette[i%len(palette)]
		}
		pts := series[i]
		for k := 1; k < len(pts); k++ {
			ax, ay := tx(pts[k-1].T), vy(pts[k-1].V)
			bx, by := tx(pts[k].T), vy(pts[k].V)
			if s.Step {
				cv.line(ax, ay, bx, ay, 2, col)
				cv.line(bx, ay, bx, by, 2, col)
			} else {
				cv.line(ax, ay, bx, by, 2, col)
			}
		}
		if len(pts) == 1 {
			cv.disc(tx(pts[0].T), vy(pts[0].V), 3, col, color.RGBA{})
		}
		if len(c.Series) > 1 && s.Name != "" {
			cv.rect(lx, y0+9, lx+10, y0+19, col)
			nm := Printable(s.Name)
			cv.text(lx+14, y0+18, nm, colMuted)
			lx += textWidth(nm) + 30
		}
	}
}

func sortedFinite(in []Sample) []Sample {
	out := make([]Sample, 0, len(in))
	for _, s := range in {
		if finite(s.V) && !s.T.IsZero() {
			out = append(out, s)
		}
	}
	// Insertion-friendly: samples usually arrive sorted.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].T.Before(out[j-1].T); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// niceStep rounds a raw step up to 1, 2 or 5 × 10^k.
func niceStep(raw float64) float64 {
	if raw <= 0 || !finite(raw) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func formatValue(v, step float64) string {
	if step >= 1 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.*f", int(math.Ceil(-math.Log10(step))), v)
}

func timeStep(raw time.Duration) time.Duration {
	for _, s := range []time.Duration{5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 48 * time.Hour, 7 * 24 * time.Hour} {
		if raw <= s {
			return s
		}
	}
	return 30 * 24 * time.Hour
}
