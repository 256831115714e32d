package assistant

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	_ "time/tzdata" // embeds the zone database so a minimal VPS without /usr/share/zoneinfo resolves every IANA zone

	"github.com/olebedev/when"
	"github.com/olebedev/when/rules/common"
	"github.com/olebedev/when/rules/en"
)

// Parser turns phrases like "in 2 hours", "tomorrow 18:00", "next friday
// 20:30", "2026-12-24 20:00" or "8pm" into instants. Natural phrases are
// parsed by github.com/olebedev/when (English and common rules); ISO and
// numeric date-times are parsed exactly first, because when reads
// "2026-12-24 20:00" as "12-24". It is safe for concurrent use.
type Parser struct{ w *when.Parser }

// NewParser returns a Parser.
func NewParser() *Parser {
	w := when.New(nil)
	w.Add(en.All...)
	w.Add(common.All...)
	return &Parser{w: w}
}

// Parsed is a parse result.
type Parsed struct {
	At time.Time // in the zone the phrase was read in
	// Understood is the part of the phrase the natural-language parser used
	// ("" for ISO input); shown to the user when it is not all of it.
	Understood string
	// Partial: some words of the phrase were ignored.
	Partial bool
}

// ErrNotUnderstood means no date or time was found in the phrase.
var ErrNotUnderstood = errors.New("no date or time found")

var isoLayouts = []string{
	"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04",
	"2006-01-02", "2006/01/02 15:04", "2006/01/02",
}

// clockOnly matches phrases that name only a time of day ("8pm", "20:30",
// "at 8:30 pm"): when that time has passed today, the next one is meant.
var clockOnly = regexp.MustCompile(`^(?:at\s+)?(?:\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2}(?::\d{2})?|noon|midnight)$`)

// hasClock matches an explicit time or part of day anywhere in a phrase.
var hasClock = regexp.MustCompile(`\d{1,2}:\d{2}|\d\s*(?:am|pm|a\.m\.|p\.m\.)\b|\b(?:noon|midnight|morning|afternoon|evening|tonight|night)\b`)

// subDay matches relative amounts below a day ("in 2 hours", "in 30 min").
var subDay = regexp.MustCompile(`\b(?:hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b`)

// midnightRE finds the word "midnight".
var midnightRE = regexp.MustCompile(`(?i)\bmidnight\b`)

// filler is what may be left unparsed without calling the result partial.
var filler = regexp.MustCompile(`(?i)\b(?:at|on|the|of|in|,|\.)\b`)

// ErrTooFar means the phrase points more than a century away.
var ErrTooFar = errors.New("that is more than 100 years away")

// Parse reads phrase in loc relative to now. Exact forms go first: RFC 3339
// and ISO date-times, sums of amounts ("in 2h 30m") and calendar dates
// with month names or numbers ("24 december 20:00", "2026-12-24 8pm",
// exact.go); everything else goes to olebedev/when.
func (p *Parser) Parse(phrase string, now time.Time, loc *time.Location) (Parsed, error) {
	if loc == nil {
		loc = time.UTC
	}
	r, err := p.parse(phrase, now, loc)
	if err == nil && (r.At.Sub(now) > maxAhead || now.Sub(r.At) > maxAhead) {
		return Parsed{}, ErrTooFar
	}
	return r, err
}

func (p *Parser) parse(phrase string, now time.Time, loc *time.Location) (Parsed, error) {
	s := strings.Join(strings.Fields(phrase), " ")
	if s == "" {
		return Parsed{}, ErrNotUnderstood
	}
	if len(s) > 200 {
		return Parsed{}, fmt.Errorf("phrase too long (%d characters, at most 200)", len(s))
	}
	// Exact forms first: RFC 3339 with an offset is absolute; the others are
	// wall-clock times in loc.
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return Parsed{At: t.In(loc)}, nil
	}
	if t, err := time.Parse("2006-01-02T15:04Z07:00", s); err == nil {
		return Parsed{At: t.In(loc)}, nil
	}
	for _, l := range isoLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return Parsed{At: t}, nil
		}
	}
	low := strings.ToLower(s)
	if t, ok, tooFar := parseAmounts(low, now, loc); ok || tooFar {
		if tooFar {
			return Parsed{}, ErrTooFar
		}
		return Parsed{At: t}, nil
	}
	if t, understood, partial, ok := parseCalendar(low, now, loc); ok {
		return Parsed{At: t, Understood: understood, Partial: partial}, nil
	}
	if looksLikeDate(low) {
		return Parsed{}, fmt.Errorf("%w: no such calendar date", ErrNotUnderstood)
	}
	s = midnightRE.ReplaceAllString(s, "00:00") // when does not know the word
	base := now.In(loc)
	r, err := p.w.Parse(s, base)
	if err != nil {
		return Parsed{}, fmt.Errorf("parse %q: %w", s, err)
	}
	if r == nil {
		return Parsed{}, ErrNotUnderstood
	}
	t := r.Time.In(loc)
	text := strings.ToLower(strings.TrimSpace(r.Text))
	switch {
	case clockOnly.MatchString(text) && t.Before(base):
		// "8pm" at 21:00 means tomorrow's 8pm (wall clock, across DST).
		t = time.Date(t.Year(), t.Month(), t.Day()+1, t.Hour(), t.Minute(), t.Second(), 0, loc)
	case !hasClock.MatchString(text) && !subDay.MatchString(text):
		// Day-granular phrases ("tomorrow", "in 3 days", "friday") keep the
		// current wall-clock time; when adds 24 h per day, which is an hour
		// off across a DST change.
		t = time.Date(t.Year(), t.Month(), t.Day(), base.Hour(), base.Minute(), base.Second(), 0, loc)
	}
	rest := strings.Replace(strings.ToLower(s), text, " ", 1)
	rest = strings.TrimSpace(filler.ReplaceAllString(rest, " "))
	return Parsed{At: t, Understood: r.Text, Partial: rest != ""}, nil
}

// LoadZone resolves an IANA zone name (case-insensitive for the names in
// Zones, "UTC" and "Z"). It never returns Local.
func LoadZone(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	switch strings.ToLower(name) {
	case "", "utc", "z", "gmt", "etc/utc":
		return time.UTC, nil
	case "local":
		return nil, fmt.Errorf("zone %q: give an IANA name like Europe/Berlin", name)
	}
	for _, z := range zones {
		if strings.EqualFold(z, name) {
			name = z
			break
		}
	}
	if strings.ContainsAny(name, " .\\") || strings.HasPrefix(name, "/") || len(name) > 64 {
		return nil, fmt.Errorf("zone %q: give an IANA name like Europe/Berlin", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q: give an IANA name like Europe/Berlin", name)
	}
	return loc, nil
}

// MatchZones returns up to n zone names containing q (case-insensitive),
// prefix matches first.
func MatchZones(q string, n int) []string {
	q = strings.ToLower(strings.TrimSpace(q))
	var pre, sub []string
	for _, z := range zones {
		l := strings.ToLower(z)
		city := l[strings.LastIndex(l, "/")+1:]
		switch {
		case strings.HasPrefix(l, q) || strings.HasPrefix(city, q):
			pre = append(pre, z)
		case strings.Contains(l, q):
			sub = append(sub, z)
		}
	}
	out := append(pre, sub...)
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// zones are the IANA names offered by autocomplete (any valid IANA name is
// accepted when typed). Written for Bliss: the canonical zones of the
// regions ARK players come from.
var zones = []string{
	"UTC",
	"Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Amsterdam",
	"Europe/Brussels", "Europe/Luxembourg", "Europe/Zurich", "Europe/Vienna", "Europe/Rome", "Europe/Madrid",
	"Europe/Prague", "Europe/Warsaw", "Europe/Budapest", "Europe/Copenhagen", "Europe/Stockholm", "Europe/Oslo",
	"Europe/Helsinki", "Europe/Tallinn", "Europe/Riga", "Europe/Vilnius", "Europe/Athens", "Europe/Bucharest",
	"Europe/Sofia", "Europe/Belgrade", "Europe/Zagreb", "Europe/Ljubljana", "Europe/Bratislava", "Europe/Kyiv",
	"Europe/Istanbul", "Europe/Moscow", "Europe/Minsk", "Atlantic/Reykjavik", "Atlantic/Canary", "Atlantic/Azores",
	"America/New_York", "America/Detroit", "America/Toronto", "America/Chicago", "America/Winnipeg",
	"America/Denver", "America/Edmonton", "America/Phoenix", "America/Los_Angeles", "America/Vancouver",
	"America/Anchorage", "Pacific/Honolulu", "America/Halifax", "America/St_Johns", "America/Mexico_City",
	"America/Monterrey", "America/Tijuana", "America/Guatemala", "America/Costa_Rica", "America/Panama",
	"America/Bogota", "America/Lima", "America/Caracas", "America/Santiago", "America/Argentina/Buenos_Aires",
	"America/Montevideo", "America/Sao_Paulo", "America/Puerto_Rico", "America/Havana", "America/Santo_Domingo",
	"Africa/Casablanca", "Africa/Lagos", "Africa/Cairo", "Africa/Johannesburg", "Africa/Nairobi", "Africa/Algiers",
	"Africa/Tunis", "Asia/Dubai", "Asia/Riyadh", "Asia/Qatar", "Asia/Tehran", "Asia/Jerusalem", "Asia/Beirut",
	"Asia/Baghdad", "Asia/Karachi", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Dhaka", "Asia/Bangkok",
	"Asia/Ho_Chi_Minh", "Asia/Jakarta", "Asia/Kuala_Lumpur", "Asia/Singapore", "Asia/Manila", "Asia/Hong_Kong",
	"Asia/Shanghai", "Asia/Taipei", "Asia/Seoul", "Asia/Tokyo", "Asia/Almaty", "Asia/Tashkent", "Asia/Yekaterinburg",
	"Asia/Novosibirsk", "Asia/Vladivostok", "Australia/Perth", "Australia/Darwin", "Australia/Adelaide",
	"Australia/Brisbane", "Australia/Sydney", "Australia/Melbourne", "Australia/Hobart", "Pacific/Auckland",
	"Pacific/Fiji", "Pacific/Guam",
}
