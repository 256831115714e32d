package assistant

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Forms olebedev/when reads wrongly are parsed exactly here, before it:
// calendar dates with a time ("2026-12-24 8pm", "24 december 20:00",
// "dec 24 2026 8pm", "24/12/2026 20:00"), and sums of amounts ("in 2h",
// "in 2 hours 30 minutes"). when reads "2026-12-24 8pm" as 12:24 today,
// "24 december" as the 20th, ignores years and puts "jan 5" in the past.

var months = map[string]time.Month{
	"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
	"may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
	"september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}

var (
	isoDateRE   = regexp.MustCompile(`^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:t|\b)`)
	numDateRE   = regexp.MustCompile(`^(\d{1,2})[./](\d{1,2})[./](\d{4})\b`)
	dayMonthRE  = regexp.MustCompile(`^(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+)\.?(?:,?\s+(\d{4})\b)?`)
	monthDayRE  = regexp.MustCompile(`^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4})\b)?`)
	clockRE     = regexp.MustCompile(`^(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$`)
	dateSepRE   = regexp.MustCompile(`^(?:t|,|\s|at\b|on\b)+`)
	amountRE    = regexp.MustCompile(`^(\d{1,9}(?:\.\d{1,3})?)\s*(weeks?|wks?|w|days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b`)
	amountSepRE = regexp.MustCompile(`^(?:\s|,|and\b)+`)
)

// maxAhead bounds how far a phrase may point (a sum of amounts could
// otherwise overflow time.Duration).
const maxAhead = 100 * 365 * 24 * time.Hour

// parseClock reads "20:30", "8pm", "8:30 pm", "noon", "midnight". A bare
// number is not a time of day.
func parseClock(s string) (h, m, sec int, ok bool) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "at "))
	switch s {
	case "noon":
		return 12, 0, 0, true
	case "midnight":
		return 0, 0, 0, true
	}
	g := clockRE.FindStringSubmatch(s)
	if g == nil || (g[2] == "" && g[4] == "") {
		return 0, 0, 0, false
	}
	h, _ = strconv.Atoi(g[1])
	if g[2] != "" {
		m, _ = strconv.Atoi(g[2])
	}
	if g[3] != "" {
		sec, _ = strconv.Atoi(g[3])
	}
	if m > 59 || sec > 59 {
		return 0, 0, 0, false
	}
	switch g[4] {
	case "":
		if h > 23 {
			return 0, 0, 0, false
		}
	default:
		if h < 1 || h > 12 {
			return 0, 0, 0, false
		}
		pm := strings.HasPrefix(g[4], "p")
		switch {
		case h == 12 && !pm:
			h = 0
		case h != 12 && pm:
			h += 12
		}
	}
	return h, m, sec, true
}

func validDate(y int, mo time.Month, d int) bool {
	if mo < 1 || mo > 12 || d < 1 || y < 1 || y > 9999 {
		return false
	}
	return d <= time.Date(y, mo+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// parseDate reads a calendar date at the start of s; rest is what follows
// it; hasYear reports whether the year was given. ok is false when s does
// not start with a date, or (for numeric dates) with an impossible one;
// matched reports that it starts with something shaped like a date.
func parseDate(s string) (y int, mo time.Month, d int, hasYear bool, rest string, ok bool) {
	atoi := func(v string) int { n, _ := strconv.Atoi(v); return n }
	if g := isoDateRE.FindStringSubmatch(s); g != nil {
		y, mo, d = atoi(g[1]), time.Month(atoi(g[2])), atoi(g[3])
		return y, mo, d, true, s[len(g[0]):], validDate(y, mo, d)
	}
	if g := numDateRE.FindStringSubmatch(s); g != nil {
		a, b := atoi(g[1]), atoi(g[2])
		y = atoi(g[3])
		// Day first (24/12/2026, 24.12.2026); month first only when the
		// day-first reading is impossible (12/24/2026).
		d, mo = a, time.Month(b)
		if !validDate(y, mo, d) {
			d, mo = b, time.Month(a)
		}
		return y, mo, d, true, s[len(g[0]):], validDate(y, mo, d)
	}
	if g := dayMonthRE.FindStringSubmatch(s); g != nil {
		if m, isMonth := months[g[2]]; isMonth {
			d, mo = atoi(g[1]), m
			if g[3] != "" {
				y, hasYear = atoi(g[3]), true
			}
			return y, mo, d, hasYear, s[len(g[0]):], true
		}
	}
	if g := monthDayRE.FindStringSubmatch(s); g != nil {
		if m, isMonth := months[g[1]]; isMonth {
			d, mo = atoi(g[2]), m
			if g[3] != "" {
				y, hasYear = atoi(g[3]), true
			}
			return y, mo, d, hasYear, s[len(g[0]):], true
		}
	}
	return 0, 0, 0, false, "", false
}

// looksLikeDate reports whether s starts with something shaped like a
// calendar date (whether or not the date exists).
func looksLikeDate(s string) bool {
	if isoDateRE.MatchString(s) || numDateRE.MatchString(s) {
		return true
	}
	if g := dayMonthRE.FindStringSubmatch(s); g != nil && months[g[2]] != 0 {
		return true
	}
	g := monthDayRE.FindStringSubmatch(s)
	return g != nil && months[g[1]] != 0
}

// parseCalendar reads "date [time]" phrases exactly (s lower-case, single
// spaces). A date whose year is left out is the next one from now. ok is
// false when s does not start with a date; partial reports a rest that is
// not a time of day (the date's midnight is used).
func parseCalendar(s string, now time.Time, loc *time.Location) (t time.Time, understood string, partial, ok bool) {
	y, mo, d, hasYear, rest, ok := parseDate(s)
	if !ok {
		return time.Time{}, "", false, false
	}
	dateText := strings.TrimSpace(s[:len(s)-len(rest)])
	rest = strings.TrimSpace(dateSepRE.ReplaceAllString(rest, ""))
	h, mi, sec := 0, 0, 0
	if rest != "" {
		var clock bool
		if h, mi, sec, clock = parseClock(rest); !clock {
			partial, h, mi, sec = true, 0, 0, 0
		}
	}
	if hasYear {
		if !validDate(y, mo, d) {
			return time.Time{}, "", false, false
		}
		t = time.Date(y, mo, d, h, mi, sec, 0, loc)
	} else {
		// "jan 5" in December is next January; "feb 29" the next leap year.
		found := false
		for y = now.In(loc).Year(); y < now.In(loc).Year()+9; y++ {
			if t = time.Date(y, mo, d, h, mi, sec, 0, loc); validDate(y, mo, d) && !t.Before(now) {
				found = true
				break
			}
		}
		if !found {
			return time.Time{}, "", false, false
		}
	}
	if partial {
		return t, dateText, true, true
	}
	return t, s, false, true
}

// parseAmounts reads "in 2h", "in 2 hours 30 minutes", "in 1 day and 3
// hours". Weeks and days move the wall clock (across a DST change the time
// of day stays); hours, minutes and seconds are elapsed time. tooFar
// reports amounts of the right form past maxAhead.
func parseAmounts(s string, now time.Time, loc *time.Location) (t time.Time, ok, tooFar bool) {
	rest, ok := strings.CutPrefix(s, "in ")
	if !ok {
		return time.Time{}, false, false
	}
	var days int
	var d time.Duration
	n := 0
	for rest = strings.TrimSpace(rest); rest != ""; n++ {
		g := amountRE.FindStringSubmatch(rest)
		if g == nil {
			return time.Time{}, false, false
		}
		v, err := strconv.ParseFloat(g[1], 64)
		if err != nil {
			return time.Time{}, false, false
		}
		var unit time.Duration
		switch g[2][0] {
		case 'w', 'd':
			if v != float64(int(v)) {
				return time.Time{}, false, false // "in 1.5 days": left to when
			}
			if v > 36500 {
				return time.Time{}, false, true
			}
			if g[2][0] == 'w' {
				days += 7 * int(v)
			} else {
				days += int(v)
			}
		case 'h':
			unit = time.Hour
		case 'm':
			unit = time.Minute
		default:
			unit = time.Second
		}
		if unit != 0 {
			if v*float64(unit) > float64(maxAhead) {
				return time.Time{}, false, true
			}
			d += time.Duration(v * float64(unit))
		}
		if days > 36500 || d > maxAhead {
			return time.Time{}, false, true
		}
		rest = amountSepRE.ReplaceAllString(rest[len(g[0]):], "")
	}
	if n == 0 {
		return time.Time{}, false, false
	}
	return now.In(loc).AddDate(0, 0, days).Add(d), true, false
}
