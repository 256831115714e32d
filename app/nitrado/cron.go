package nitrado

import (
	"strconv"
	"strings"
	"time"
)

// cronField is the set of values a cron field matches (bit v set: v
// matches) and whether it was "*" (for the day-of-month/weekday rule).
type cronField struct {
	bits uint64
	star bool
}

func (f cronField) has(v int) bool { return f.bits&(1<<uint(v)) != 0 }

// maxCronField bounds the text of one field; Nitrado's are a few bytes.
const maxCronField = 128

// parseCronField reads one field of a standard cron expression: "*",
// "n", "a-b", lists of those ("1,15,30") and steps ("*/4", "a-b/n",
// "a/n"), within [lo, hi]. Names (MON, JAN) and anything else are not
// understood (ok false).
func parseCronField(s string, lo, hi int) (cronField, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxCronField {
		return cronField{}, false
	}
	f := cronField{star: s == "*"}
	for part := range strings.SplitSeq(s, ",") {
		rng, stepText, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 || n > hi-lo+1 {
				return cronField{}, false
			}
			step = n
		}
		var a, b int
		switch {
		case rng == "*":
			a, b = lo, hi
		case strings.Contains(rng, "-"):
			x, y, _ := strings.Cut(rng, "-")
			var err1, err2 error
			a, err1 = strconv.Atoi(x)
			b, err2 = strconv.Atoi(y)
			if err1 != nil || err2 != nil {
				return cronField{}, false
			}
		default:
			n, err := strconv.Atoi(rng)
			if err != nil {
				return cronField{}, false
			}
			a, b = n, n
			if hasStep {
				b = hi // "a/n": from a to the end
			}
		}
		if a < lo || b > hi || a > b {
			return cronField{}, false
		}
		for v := a; v <= b; v += step {
			f.bits |= 1 << uint(v)
		}
	}
	return f, f.bits != 0
}

// cronSchedule is a parsed five-field schedule.
type cronSchedule struct {
	minute, hour, day, month, weekday cronField
}

// parseCron reads the task's cron fields; ok false when any is not
// understood. Weekday 7 is Sunday, like 0.
func parseCron(minute, hour, day, month, weekday string) (cronSchedule, bool) {
	var c cronSchedule
	var ok [5]bool
	c.minute, ok[0] = parseCronField(minute, 0, 59)
	c.hour, ok[1] = parseCronField(hour, 0, 23)
	c.day, ok[2] = parseCronField(day, 1, 31)
	c.month, ok[3] = parseCronField(month, 1, 12)
	c.weekday, ok[4] = parseCronField(weekday, 0, 7)
	if c.weekday.has(7) {
		c.weekday.bits |= 1
	}
	return c, ok[0] && ok[1] && ok[2] && ok[3] && ok[4]
}

// dayMatches applies cron's rule: when both day of month and weekday are
// restricted, either matching is enough.
func (c cronSchedule) dayMatches(t time.Time) bool {
	if !c.month.has(int(t.Month())) {
		return false
	}
	dom, dow := c.day.has(t.Day()), c.weekday.has(int(t.Weekday()))
	switch {
	case c.day.star && c.weekday.star:
		return true
	case c.day.star:
		return dow
	case c.weekday.star:
		return dom
	}
	return dom || dow
}

// cronHorizon is how far ahead next looks: four years and a day, so a
// 29 February schedule is found.
const cronHorizon = 4*366 + 1

// next is the first minute after now that the schedule matches, in loc;
// zero when none within cronHorizon days (e.g. 31 February).
func (c cronSchedule) next(now time.Time, loc *time.Location) time.Time {
	n := now.In(loc)
	for i := 0; i <= cronHorizon; i++ {
		day := time.Date(n.Year(), n.Month(), n.Day()+i, 0, 0, 0, 0, loc)
		if !c.dayMatches(day) {
			continue
		}
		for h := 0; h < 24; h++ {
			if !c.hour.has(h) {
				continue
			}
			for m := 0; m < 60; m++ {
				if !c.minute.has(m) {
					continue
				}
				at := time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, loc)
				// A time skipped by a DST change lands on another day
				// or hour: not this schedule's.
				if at.Day() != day.Day() || at.Hour() != h {
					continue
				}
				if at.After(now) {
					return at.UTC()
				}
			}
		}
	}
	return time.Time{}
}
