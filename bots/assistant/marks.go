package assistant

import (
	"math"
	"strconv"
	"strings"
)

// MinimapMark is one SavedMinimapMarks entry of an ASA client's
// GameUserSettings.ini (addendum §5.2): a name and a UE position, with the
// map it belongs to when the line says.
type MinimapMark struct {
	Name    string
	X, Y, Z float64
	MapName string
}

// maxMarksInput bounds what ParseMinimapMarks reads (Discord caps the
// option at 6000 characters anyway).
const maxMarksInput = 64 << 10

// ParseMinimapMarks reads pasted SavedMinimapMarks=(Name="…",Location=(X=…,
// Y=…,Z=…),…,MapName="…") entries. Entries without a name or a complete,
// finite location inside the maps' range are counted in skipped. It never
// panics on hostile input.
func ParseMinimapMarks(s string) (marks []MinimapMark, skipped int) {
	if len(s) > maxMarksInput {
		s = s[:maxMarksInput]
	}
	const key = "SavedMinimapMarks="
	for {
		i := strings.Index(s, key)
		if i < 0 {
			return marks, skipped
		}
		s = s[i+len(key):]
		entry := s
		if j := strings.Index(s, key); j >= 0 {
			entry = s[:j]
		}
		if m, ok := parseMark(entry); ok {
			marks = append(marks, m)
		} else {
			skipped++
		}
	}
}

func parseMark(e string) (MinimapMark, bool) {
	var m MinimapMark
	name, ok := quoted(e, "Name=")
	if !ok || strings.TrimSpace(name) == "" {
		return m, false
	}
	m.Name = name
	m.MapName, _ = quoted(e, "MapName=")
	i := strings.Index(e, "Location=(")
	if i < 0 {
		return m, false
	}
	loc := e[i+len("Location=("):]
	if j := strings.IndexByte(loc, ')'); j >= 0 {
		loc = loc[:j]
	} else {
		return m, false
	}
	var have [3]bool
	for _, part := range strings.Split(loc, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > ueMax {
			return m, false
		}
		switch strings.TrimSpace(k) {
		case "X":
			m.X, have[0] = f, true
		case "Y":
			m.Y, have[1] = f, true
		case "Z":
			m.Z, have[2] = f, true
		}
	}
	return m, have[0] && have[1] && have[2]
}

// quoted returns the "…" value after key, where key starts the entry or
// follows '(' or ','.
func quoted(e, key string) (string, bool) {
	from := 0
	for {
		i := strings.Index(e[from:], key)
		if i < 0 {
			return "", false
		}
		i += from
		from = i + len(key)
		if i > 0 && e[i-1] != '(' && e[i-1] != ',' {
			continue // "MapName=" when looking for "Name="
		}
		rest := e[from:]
		if !strings.HasPrefix(rest, `"`) {
			return "", false
		}
		rest = rest[1:]
		end := strings.IndexByte(rest, '"')
		if end < 0 {
			return "", false
		}
		return rest[:end], true
	}
}
