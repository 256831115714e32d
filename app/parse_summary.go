package app

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Caps of the tables in the text summary (--json lists everything).
const (
	maxTribesShown  = 10
	maxPlayersShown = 20
	maxBasesShown   = 10
)

type summaryOptions struct {
	now           time.Time // decay is told relative to it
	profilesGiven bool      // --profiles was set (no hint then)
}

// writeSummary prints the human-readable form of r.
func writeSummary(w io.Writer, r *parseReport, o summaryOptions) error {
	ew := &errWriter{w: w}
	p := func(format string, a ...any) { fmt.Fprintf(ew, format, a...) }
	table := func(header string, rows func(tw io.Writer)) {
		tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
		if header != "" {
			fmt.Fprintln(tw, header)
		}
		rows(tw)
		tw.Flush()
	}

	if r.Gzipped {
		p("File:         %s (gzip, %s unpacked)\n", r.File, sizeString(r.unzipped))
	} else {
		p("File:         %s\n", r.File)
	}
	p("Map:          %s (save v%d)\n", r.Map, r.SaveVersion)
	p("Game time:    %.1f s (day %.1f)\n", r.GameTime, r.GameTime/86400)
	if r.SavedAt != "" {
		src := "file modification time; the save itself records no date"
		if r.SavedAtSource == savedAtGzipHeader {
			src = "time recorded in the gzip header; the save itself records no date"
		}
		p("Saved at:     %s (%s)\n", r.SavedAt, src)
	}
	p("Rows:         %d (decoded %d, skipped %d, failed %d), %.1f MB of objects\n",
		r.Rows.Total, r.Rows.Decoded, r.Rows.Skipped, r.Rows.Failed, float64(r.Rows.Bytes)/1e6)
	if r.Rows.Cryopods+r.Rows.CryopodFailed+r.Rows.CryopodWild > 0 {
		p("Cryopods:     %d tamed dinos read (in the dinos below), %d failed, %d wild creatures\n",
			r.Rows.Cryopods, r.Rows.CryopodFailed, r.Rows.CryopodWild)
	}
	tribeless := 0
	for _, t := range r.Tribes {
		if t.Tribeless {
			tribeless++
		}
	}
	tribes := strconv.Itoa(r.Counts.Tribes)
	switch {
	case tribeless == 1:
		tribes += " (1 of them a player's own id)"
	case tribeless > 1:
		tribes += fmt.Sprintf(" (%d of them players' own ids)", tribeless)
	}
	p("Players %d · Tribes %s · Tamed dinos %d · Wild dinos %d · Structures %d (%d owned) · Bases %d\n",
		r.Counts.Players, tribes, r.Counts.TamedDinos, r.Counts.WildDinos, r.Counts.AllStructures, r.Counts.OwnedStructures, r.Counts.Bases)
	if !r.HasStore && !o.profilesGiven {
		p("\nNote: this save embeds no tribes or player profiles (the server runs without\n" +
			"-usestore), so players and tribe names are incomplete. Rerun with\n" +
			"--profiles DIR, DIR being the folder with the .arkprofile and .arktribe files\n" +
			"(on the server, next to the .ark).\n")
	}

	if len(r.Rows.FailedByClass) > 0 {
		p("\nFailed rows by class:\n")
		table("", func(tw io.Writer) {
			for _, e := range sortedCounts(r.Rows.FailedByClass) {
				fmt.Fprintf(tw, "  %s\t%d\n", printable(e.Key), e.N)
			}
		})
	}

	if len(r.Players) > 0 {
		ps := slices.Clone(r.Players)
		slices.SortStableFunc(ps, func(a, b reportPlayer) int { return strings.Compare(b.LastLogin, a.LastLogin) })
		n := min(len(ps), maxPlayersShown)
		p("\nPlayers, latest login first (%d of %d):\n", n, len(ps))
		table("  NAME\tLEVEL\tTRIBE\tLAST LOGIN", func(tw io.Writer) {
			for _, pl := range ps[:n] {
				name := orUnknown(printable(pl.CharacterName))
				if pn := printable(pl.PlatformName); pn != "" && pn != name {
					name += " (" + pn + ")"
				}
				tribe := "no tribe"
				if pl.TribeID != 0 {
					tribe = orUnknown(printable(pl.TribeName))
				}
				fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\n", name, pl.Level, tribe, orUnknown(pl.LastLogin))
			}
		})
	}

	if len(r.Tribes) > 0 {
		n := min(len(r.Tribes), maxTribesShown)
		p("\nTribes by structures (%d of %d):\n", n, len(r.Tribes))
		table("  ID\tSTRUCTURES\tDINOS\tMEMBERS\tNAME", func(tw io.Writer) {
			for _, t := range r.Tribes[:n] {
				fmt.Fprintf(tw, "  %d\t%d\t%d\t%d\t%s\n", t.ID, t.Structures, t.TamedDinos, t.Members, printable(t.Label))
			}
		})
	}

	p("\nBases (decay multiplier %s): %d\n", strconv.FormatFloat(r.DecayMultiplier, 'g', -1, 64), len(r.Bases))
	if len(r.Bases) > 0 {
		n := min(len(r.Bases), maxBasesShown)
		if n < len(r.Bases) {
			p("  soonest %d:\n", n)
		}
		table("  OWNER\tSTRUCTURES\tTIER\tDINOS\tLAT/LON\tDECAYS", func(tw io.Writer) {
			for _, b := range r.Bases[:n] {
				where := "-"
				if b.Center.HasLatLon {
					where = fmt.Sprintf("%.1f/%.1f", b.Center.Lat, b.Center.Lon)
				}
				decays := b.decaysAt.UTC().Format("2006-01-02 15:04") + " " + relative(b.decaysAt, o.now)
				if !b.RefreshKnown {
					decays += ", last visit unknown"
				}
				fmt.Fprintf(tw, "  %s\t%d\t%s\t%d\t%s\t%s\n", printable(b.OwnerLabel), b.Structures, orUnknown(b.Tier), b.TamedDinos, where, decays)
			}
		})
	}

	if len(r.ByMaterial) > 0 {
		p("\nOwned structures by material:\n")
		table("", func(tw io.Writer) {
			for _, e := range sortedCounts(r.ByMaterial) {
				fmt.Fprintf(tw, "  %s\t%d\n", e.Key, e.N)
			}
		})
	}

	if len(r.TamedDinos) > 0 {
		p("\nTamed dinos by level (%d of %d):\n", len(r.TamedDinos), r.TamedTotal)
		table("  LEVEL\tSPECIES\tNAME\tSEX\tTRIBE", func(tw io.Writer) {
			for _, d := range r.TamedDinos {
				// the tribe's one label: a pod keeps the tribe name of
				// when it was filled
				tribe := printable(cmp.Or(r.labels[d.TribeID], d.TribeName))
				if tribe == "" {
					tribe = "unnamed tribe " + strconv.FormatInt(d.TribeID, 10)
				}
				name := printable(d.Name)
				if d.Cryopodded {
					name = strings.TrimSpace(name + " (cryopod)")
				}
				fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\n", d.Level, orUnknown(printable(d.Species)), name, d.Sex, tribe)
			}
		})
	}
	return ew.err
}

// relative tells t against now: "(in 3d 4h)", "(overdue by 2h 5m)".
func relative(t, now time.Time) string {
	d := t.Sub(now)
	if d < 0 {
		return "(overdue by " + shortDuration(-d) + ")"
	}
	return "(in " + shortDuration(d) + ")"
}

// shortDuration prints days and hours, or hours and minutes under a day.
func shortDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	days, hours, mins := int64(d/(24*time.Hour)), int64(d/time.Hour)%24, int64(d/time.Minute)%60
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, hours)
	case hours > 0:
		return fmt.Sprintf("%dh %dm", hours, mins)
	}
	return fmt.Sprintf("%dm", mins)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

type countEntry struct {
	Key string
	N   int
}

// sortedCounts returns map entries by count descending, then key.
func sortedCounts(m map[string]int) []countEntry {
	out := make([]countEntry, 0, len(m))
	for k, n := range m {
		out = append(out, countEntry{k, n})
	}
	slices.SortFunc(out, func(a, b countEntry) int {
		if a.N != b.N {
			return b.N - a.N
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// printable strips control characters (names come from players).
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// errWriter remembers the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
