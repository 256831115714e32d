package assistant

import (
	"errors"
	"testing"
	"time"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := LoadZone(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestParsePhrases covers every phrase form in several zones, including
// both DST changes of Europe/Berlin and America/New_York and a half-hour
// zone. want is the wall-clock time in the zone.
func TestParsePhrases(t *testing.T) {
	p := NewParser()
	type tc struct {
		zone, now, phrase, want string
	}
	// now and want are "2006-01-02 15:04" wall clock in zone.
	tests := []tc{
		// Thursday 2026-12-03 13:00.
		{"UTC", "2026-12-03 13:00", "in 2 hours", "2026-12-03 15:00"},
		{"UTC", "2026-12-03 13:00", "in 30 minutes", "2026-12-03 13:30"},
		{"UTC", "2026-12-03 13:00", "in 3 days", "2026-12-06 13:00"},
		{"UTC", "2026-12-03 13:00", "tomorrow 18:00", "2026-12-04 18:00"},
		{"UTC", "2026-12-03 13:00", "tomorrow at 6pm", "2026-12-04 18:00"},
		{"UTC", "2026-12-03 13:00", "next friday 20:30", "2026-12-04 20:30"},
		{"UTC", "2026-12-03 13:00", "next tuesday 9am", "2026-12-08 09:00"},
		{"UTC", "2026-12-03 13:00", "2026-12-24 20:00", "2026-12-24 20:00"},
		{"UTC", "2026-12-03 13:00", "2026-12-24T20:00:00", "2026-12-24 20:00"},
		{"UTC", "2026-12-03 13:00", "2026-12-24", "2026-12-24 00:00"},
		{"UTC", "2026-12-03 13:00", "8pm", "2026-12-03 20:00"},
		{"UTC", "2026-12-03 21:00", "8pm", "2026-12-04 20:00"}, // passed today: tomorrow's
		{"UTC", "2026-12-03 21:00", "20:30", "2026-12-04 20:30"},
		{"UTC", "2026-12-03 13:00", "24/12/2026 20:00", "2026-12-24 20:00"},
		{"Europe/Berlin", "2026-12-03 13:00", "2026-12-24 20:00", "2026-12-24 20:00"},
		{"Europe/Berlin", "2026-12-03 13:00", "8pm", "2026-12-03 20:00"},
		{"Asia/Kolkata", "2026-12-03 13:00", "tomorrow 18:00", "2026-12-04 18:00"},
		// Europe/Berlin springs forward 2026-03-29 02:00 → 03:00.
		{"Europe/Berlin", "2026-03-28 13:00", "tomorrow 18:00", "2026-03-29 18:00"},
		{"Europe/Berlin", "2026-03-28 22:00", "tomorrow", "2026-03-29 22:00"}, // wall clock kept, not +24 h
		{"Europe/Berlin", "2026-03-28 22:00", "in 1 day", "2026-03-29 22:00"},
		{"Europe/Berlin", "2026-03-29 01:30", "in 2 hours", "2026-03-29 04:30"},        // 2 real hours
		{"Europe/Berlin", "2026-03-28 13:00", "next sunday 02:30", "2026-03-29 03:30"}, // 02:30 does not exist
		// Europe/Berlin falls back 2026-10-25 03:00 → 02:00.
		{"Europe/Berlin", "2026-10-24 22:00", "tomorrow", "2026-10-25 22:00"},
		{"Europe/Berlin", "2026-10-24 22:00", "tomorrow 18:00", "2026-10-25 18:00"},
		{"Europe/Berlin", "2026-10-25 01:30", "in 2 hours", "2026-10-25 02:30"}, // 01:30 CEST + 2 h = 02:30 CET
		// America/New_York: 2026-03-08 and 2026-11-01.
		{"America/New_York", "2026-03-07 20:00", "tomorrow 8pm", "2026-03-08 20:00"},
		{"America/New_York", "2026-10-31 20:00", "in 3 days", "2026-11-03 20:00"},
		{"America/New_York", "2026-10-31 20:00", "next friday 20:30", "2026-11-06 20:30"},
		// Forms parsed exactly (when reads them wrongly).
		{"UTC", "2026-12-03 13:00", "2026-12-24 8pm", "2026-12-24 20:00"},
		{"UTC", "2026-12-03 13:00", "2026-12-24 at 8:30 pm", "2026-12-24 20:30"},
		{"UTC", "2026-12-03 13:00", "24 december 20:00", "2026-12-24 20:00"},
		{"UTC", "2026-12-03 13:00", "24th of December 2027 at 9:15 am", "2027-12-24 09:15"},
		{"UTC", "2026-12-03 13:00", "Dec 24, 2026 8pm", "2026-12-24 20:00"},
		{"UTC", "2026-12-03 13:00", "jan 5 20:00", "2027-01-05 20:00"}, // no year: the next one
		{"UTC", "2026-12-03 13:00", "december 3 12:00", "2027-12-03 12:00"},
		{"UTC", "2026-12-03 13:00", "feb 29", "2028-02-29 00:00"},
		{"UTC", "2026-12-03 13:00", "12/24/2026 20:00", "2026-12-24 20:00"}, // month first only when day first is impossible
		{"UTC", "2026-12-03 13:00", "05/01/2027 18:00", "2027-01-05 18:00"},
		{"UTC", "2026-12-03 13:00", "24.12.2026 20:00", "2026-12-24 20:00"},
		{"UTC", "2026-12-03 13:00", "2026-12-24T20:00Z", "2026-12-24 20:00"},
		{"UTC", "2026-12-03 13:00", "in 2h", "2026-12-03 15:00"},
		{"UTC", "2026-12-03 13:00", "in 2 hours 30 minutes", "2026-12-03 15:30"},
		{"UTC", "2026-12-03 13:00", "in 1 day and 3 hours", "2026-12-04 16:00"},
		{"UTC", "2026-12-03 13:00", "in 1.5 hours", "2026-12-03 14:30"},
		{"UTC", "2026-12-03 13:00", "in 2 weeks", "2026-12-17 13:00"},
		{"UTC", "2026-12-03 13:00", "midnight", "2026-12-04 00:00"},
		{"UTC", "2026-12-03 13:00", "tomorrow midnight", "2026-12-04 00:00"},
		{"UTC", "2026-12-03 13:00", "noon", "2026-12-04 12:00"},
		{"UTC", "2026-12-03 13:00", "saturday morning", "2026-12-05 08:00"},
		{"UTC", "2026-12-03 13:00", "tomorrow evening", "2026-12-04 18:00"},
		{"Europe/Berlin", "2026-12-03 13:00", "24 december 20:00", "2026-12-24 20:00"},
		{"Europe/Berlin", "2026-03-28 22:00", "in 1 day and 2 hours", "2026-03-30 00:00"}, // a wall-clock day, then 2 real hours
		{"Europe/Berlin", "2026-03-01 12:00", "29 march 02:30", "2026-03-29 03:30"},       // 02:30 does not exist that night
		{"Europe/Berlin", "2026-10-24 12:00", "25 october 2026 18:00", "2026-10-25 18:00"},
		// Sydney's DST starts 2026-10-04.
		{"Australia/Sydney", "2026-10-03 12:00", "tomorrow 12:00", "2026-10-04 12:00"},
	}
	for _, tt := range tests {
		loc := zone(t, tt.zone)
		now, err := time.ParseInLocation("2006-01-02 15:04", tt.now, loc)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.Parse(tt.phrase, now, loc)
		if err != nil {
			t.Errorf("%s %s %q: %v", tt.zone, tt.now, tt.phrase, err)
			continue
		}
		if s := got.At.In(loc).Format("2006-01-02 15:04"); s != tt.want {
			t.Errorf("%s %s %q = %s (%s), want %s", tt.zone, tt.now, tt.phrase, s, got.At, tt.want)
		}
	}
}

func TestParseAbsoluteAndElapsed(t *testing.T) {
	p := NewParser()
	berlin := zone(t, "Europe/Berlin")
	now := time.Date(2026, 10, 25, 1, 30, 0, 0, berlin) // CEST
	got, err := p.Parse("in 2 hours", now, berlin)
	if err != nil || got.At.Sub(now) != 2*time.Hour {
		t.Fatalf("in 2 hours across fall-back: %v %v", got.At, err)
	}
	// RFC 3339 with an offset is an instant, whatever the zone.
	got, err = p.Parse("2026-12-24T20:00:00+01:00", now, time.UTC)
	if err != nil || !got.At.Equal(time.Date(2026, 12, 24, 19, 0, 0, 0, time.UTC)) {
		t.Fatalf("rfc3339: %v %v", got.At, err)
	}
	got, err = p.Parse("2026-12-24T19:00:00Z", now, berlin)
	if err != nil || got.At.Unix() != time.Date(2026, 12, 24, 19, 0, 0, 0, time.UTC).Unix() {
		t.Fatalf("rfc3339 Z: %v %v", got.At, err)
	}
}

func TestParseRejectsAndPartial(t *testing.T) {
	p := NewParser()
	now := time.Date(2026, 12, 3, 13, 0, 0, 0, time.UTC)
	for _, bad := range []string{"", "   ", "banana", "the day after the apocalypse", string(make([]byte, 300)),
		"31/02/2027", "2026-13-01 10:00", "in 9999999 weeks", "in 99999999999 days"} {
		if got, err := p.Parse(bad, now, nil); err == nil {
			t.Errorf("%q parsed as %v", bad, got.At)
		}
	}
	got, err := p.Parse("raid at 8pm tomorrow please", now, time.UTC)
	if err != nil || !got.Partial || got.At.Format("2006-01-02 15:04") != "2026-12-04 20:00" {
		t.Fatalf("partial: %+v %v", got, err)
	}
	if got, _ := p.Parse("at 8pm tomorrow", now, time.UTC); got.Partial {
		t.Fatalf("filler counted as ignored: %+v", got)
	}
}

func TestLoadZoneAndMatch(t *testing.T) {
	for _, ok := range []string{"UTC", "utc", "europe/berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "Asia/Kathmandu"} {
		if _, err := LoadZone(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"Local", "Mars/Olympus", "../../etc/passwd", "Europe/Berlin ", "/etc/localtime"} {
		if l, err := LoadZone(bad); err == nil && bad != "Europe/Berlin " {
			t.Errorf("%q accepted as %v", bad, l)
		}
	}
	for _, z := range zones {
		if _, err := time.LoadLocation(z); err != nil {
			t.Errorf("shipped zone %s: %v", z, err)
		}
	}
	if m := MatchZones("berl", 25); len(m) != 1 || m[0] != "Europe/Berlin" {
		t.Errorf("berl: %v", m)
	}
	if m := MatchZones("america/", 5); len(m) != 5 {
		t.Errorf("america/: %v", m)
	}
	if m := MatchZones("", 25); len(m) != 25 {
		t.Errorf("empty: %d", len(m))
	}
}

func FuzzParse(f *testing.F) {
	p := NewParser()
	for _, s := range []string{"in 2 hours", "tomorrow 18:00", "next friday 20:30", "2026-12-24 20:00", "8pm", "24/12/2026",
		"24th of december 2027 at 9:15 am", "in 1 day and 3h", "feb 29", "12/24/2026 8pm", "2026-12-24T20:00Z", "midnight"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 3, 13, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = p.Parse(s, now, time.UTC) // must not panic
	})
}

func TestParseClock(t *testing.T) {
	for _, tc := range []struct {
		in      string
		h, m, s int
		ok      bool
	}{
		{"20:30", 20, 30, 0, true}, {"8pm", 20, 0, 0, true}, {"8:30 pm", 20, 30, 0, true}, {"12am", 0, 0, 0, true},
		{"12pm", 12, 0, 0, true}, {"12:00:15", 12, 0, 15, true}, {"at 7 a.m.", 7, 0, 0, true}, {"noon", 12, 0, 0, true},
		{"midnight", 0, 0, 0, true}, {"8", 0, 0, 0, false}, {"24:00", 0, 0, 0, false}, {"13pm", 0, 0, 0, false},
		{"0am", 0, 0, 0, false}, {"10:60", 0, 0, 0, false}, {"evening", 0, 0, 0, false},
	} {
		h, m, s, ok := parseClock(tc.in)
		if ok != tc.ok || ok && (h != tc.h || m != tc.m || s != tc.s) {
			t.Errorf("parseClock(%q) = %d:%d:%d %v", tc.in, h, m, s, ok)
		}
	}
}

func TestParseErrors(t *testing.T) {
	p := NewParser()
	now := time.Date(2026, 12, 3, 13, 0, 0, 0, time.UTC)
	if _, err := p.Parse("in 9999999 weeks", now, nil); !errors.Is(err, ErrTooFar) {
		t.Errorf("far: %v", err)
	}
	if _, err := p.Parse("31 february 2027 10:00", now, nil); !errors.Is(err, ErrNotUnderstood) {
		t.Errorf("no such date: %v", err)
	}
	got, err := p.Parse("2026-12-24 evening", now, nil)
	if err != nil || !got.Partial || got.Understood != "2026-12-24" || got.At.Hour() != 0 {
		t.Errorf("date with a rest that is no time: %+v %v", got, err)
	}
}
