package app

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/storage/savefile"
)

const parseUsage = `usage: bliss parse FILE [--profiles DIR] [--json] [--workers N] [--top N]

Decode an ARK: Survival Ascended world save (.ark) offline and print a summary.

  --profiles DIR  also read *.arkprofile and *.arktribe files from DIR (needed
                  when the server does not embed them in the save, i.e. runs
                  without -usestore)
  --json          print the stable JSON document (schema "bliss.parse/v1")
  --workers N     decoding goroutines (default: number of CPUs)
  --top N         tamed dinos to list, highest level first (default 20, 0 = all)

A progress bar is drawn on stderr when stderr is a terminal.
`

// parseSchema names the --json document. Fields are only ever added within a
// schema version; renames or removals bump it.
//
//	schema           "bliss.parse/v1"
//	file             base name of FILE
//	map              persistent map name (DataFiles[0]), e.g. "TheIsland_WP"
//	save_version     13 or 14
//	game_time        world clock in seconds
//	saved_at         RFC 3339 wall-clock save time (file mtime), "" if unknown
//	counts           {players, tribes, tamed_dinos, wild_dinos, structures}
//	rows             {total, decoded, skipped, failed, unknown_names, bytes,
//	                  failed_by_class: {class: n}} (game rows and blob bytes)
//	tribes           every tribe, most structures first (then dinos, then id):
//	                 {id, name, members, structures, tamed_dinos}; ids seen only
//	                 on structures/dinos appear with an empty name
//	players          every player by player_data_id: {player_data_id, eos_id,
//	                 platform_name, character_name, level, tribe_id,
//	                 tribe_name, last_login (RFC 3339 or ""), login_game_time,
//	                 location ({x, y, z, lat, lon, has_lat_lon} or null)}
//	structures_by_material  {material: n}
//	tamed_dinos_total       number of tamed dinos
//	tamed_dinos      the top --top dinos by level (ties: class, name, id):
//	                 {id (32 hex), dino_id, class, name, level, sex
//	                 ("male"/"female"), tribe_id, tribe_name, owner_name,
//	                 cryopodded, location (as above or null)}
const parseSchema = "bliss.parse/v1"

type parseCmdFlags struct {
	file     string
	profiles string
	json     bool
	workers  int
	top      int
}

// parseArgs accepts flags before and after FILE.
func parseArgs(args []string, stdout io.Writer) (parseCmdFlags, error) {
	var pf parseCmdFlags
	fs := flag.NewFlagSet("parse", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&pf.profiles, "profiles", "", "")
	fs.BoolVar(&pf.json, "json", false, "")
	fs.IntVar(&pf.workers, "workers", 0, "")
	fs.IntVar(&pf.top, "top", 20, "")
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, parseUsage)
				return pf, flag.ErrHelp
			}
			return pf, &UsageError{Msg: "parse: " + err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch {
	case len(pos) == 0:
		return pf, &UsageError{Msg: "parse: missing FILE (see 'bliss parse -h')"}
	case len(pos) > 1:
		return pf, &UsageError{Msg: "parse: exactly one FILE expected, got " + strconv.Itoa(len(pos))}
	case pf.workers < 0:
		return pf, &UsageError{Msg: "parse: --workers must be >= 0"}
	case pf.top < 0:
		return pf, &UsageError{Msg: "parse: --top must be >= 0"}
	}
	pf.file = pos[0]
	return pf, nil
}

// runParse implements `bliss parse`.
func runParse(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	pf, err := parseArgs(args, stdout)
	if err != nil {
		return err
	}
	opts := arksave.Options{Workers: pf.workers}
	if pf.profiles != "" {
		st, err := os.Stat(pf.profiles)
		if err != nil {
			return fmt.Errorf("parse: profiles: %w", err)
		}
		if !st.IsDir() {
			return fmt.Errorf("parse: profiles: %s is not a directory", pf.profiles)
		}
		opts.Archives = os.DirFS(pf.profiles)
	}
	save, err := decodeFile(ctx, pf.file, opts, stderr)
	if err != nil {
		return err
	}
	rep := buildReport(filepath.Base(pf.file), save, pf.top)
	if pf.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("parse: write json: %w", err)
		}
		return nil
	}
	if err := writeSummary(stdout, rep); err != nil {
		return fmt.Errorf("parse: write: %w", err)
	}
	return nil
}

// decodeFile opens and decodes one world save, drawing a progress bar on
// stderr when it is a terminal.
func decodeFile(ctx context.Context, path string, opts arksave.Options, stderr io.Writer) (*arksave.Save, error) {
	f, err := savefile.Open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	defer f.Close()
	opts.SavedAt = f.ModTime()
	var src arksave.Source = f
	if isTerminal(stderr) {
		p := &progress{Source: f, total: f.Size(), w: stderr}
		defer p.finish()
		src = p
	}
	save, err := arksave.Decode(ctx, src, opts)
	if err != nil {
		return nil, fmt.Errorf("parse: %s: %w", filepath.Base(path), err)
	}
	return save, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progress wraps a Source and redraws a one-line bar from the game blob
// bytes seen so far, at most every 100 ms. The file size is the total, so the
// bar is an estimate (SQLite pages carry some overhead) and is capped at 99%
// until the scan returns.
type progress struct {
	arksave.Source
	total int64
	w     io.Writer

	mu    sync.Mutex
	done  int64
	rows  int64
	last  time.Time
	drawn bool
}

func (p *progress) ScanGame(ctx context.Context, fn func(arksave.GUID, []byte) error) error {
	return p.Source.ScanGame(ctx, func(k arksave.GUID, v []byte) error {
		p.mu.Lock()
		p.done += int64(len(v))
		p.rows++
		if p.rows&255 == 0 {
			if now := time.Now(); now.Sub(p.last) >= 100*time.Millisecond {
				p.last = now
				p.draw(false)
			}
		}
		p.mu.Unlock()
		return fn(k, v)
	})
}

func (p *progress) draw(final bool) {
	const width = 30
	frac := 1.0
	if p.total > 0 {
		frac = min(float64(p.done)/float64(p.total), 0.99)
	}
	if final {
		frac = 1
	}
	n := int(frac * width)
	fmt.Fprintf(p.w, "\r[%s%s] %3.0f%%  %d rows  %.1f/%.1f MB", strings.Repeat("#", n), strings.Repeat(".", width-n),
		frac*100, p.rows, float64(p.done)/1e6, float64(p.total)/1e6)
	p.drawn = true
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		p.draw(true)
		fmt.Fprintln(p.w)
	}
}

type parseReport struct {
	Schema      string         `json:"schema"`
	File        string         `json:"file"`
	Map         string         `json:"map"`
	SaveVersion int            `json:"save_version"`
	GameTime    float64        `json:"game_time"`
	SavedAt     string         `json:"saved_at"`
	Counts      reportCounts   `json:"counts"`
	Rows        reportRows     `json:"rows"`
	Tribes      []reportTribe  `json:"tribes"`
	Players     []reportPlayer `json:"players"`
	ByMaterial  map[string]int `json:"structures_by_material"`
	TamedTotal  int            `json:"tamed_dinos_total"`
	TamedDinos  []reportDino   `json:"tamed_dinos"`
}

type reportCounts struct {
	Players    int `json:"players"`
	Tribes     int `json:"tribes"`
	TamedDinos int `json:"tamed_dinos"`
	WildDinos  int `json:"wild_dinos"`
	Structures int `json:"structures"`
}

type reportRows struct {
	Total         int            `json:"total"`
	Decoded       int            `json:"decoded"`
	Skipped       int            `json:"skipped"`
	Failed        int            `json:"failed"`
	UnknownNames  int            `json:"unknown_names"`
	Bytes         int64          `json:"bytes"`
	FailedByClass map[string]int `json:"failed_by_class"`
}

type reportTribe struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Members    int    `json:"members"`
	Structures int    `json:"structures"`
	TamedDinos int    `json:"tamed_dinos"`
}

type reportLocation struct {
	X         float64 `json:"x"`
	Y         float64 `json:"y"`
	Z         float64 `json:"z"`
	Lat       float64 `json:"lat"`
	Lon       float64 `json:"lon"`
	HasLatLon bool    `json:"has_lat_lon"`
}

type reportPlayer struct {
	PlayerDataID  uint64          `json:"player_data_id"`
	EOSID         string          `json:"eos_id"`
	PlatformName  string          `json:"platform_name"`
	CharacterName string          `json:"character_name"`
	Level         int             `json:"level"`
	TribeID       int64           `json:"tribe_id"`
	TribeName     string          `json:"tribe_name"`
	LastLogin     string          `json:"last_login"`
	LoginGameTime float64         `json:"login_game_time"`
	Location      *reportLocation `json:"location"`
}

type reportDino struct {
	ID         string          `json:"id"`
	DinoID     uint64          `json:"dino_id"`
	Class      string          `json:"class"`
	Name       string          `json:"name"`
	Level      int             `json:"level"`
	Sex        string          `json:"sex"`
	TribeID    int64           `json:"tribe_id"`
	TribeName  string          `json:"tribe_name"`
	OwnerName  string          `json:"owner_name"`
	Cryopodded bool            `json:"cryopodded"`
	Location   *reportLocation `json:"location"`
}

func toLocation(l *arksave.Location) *reportLocation {
	if l == nil {
		return nil
	}
	return &reportLocation{X: l.X, Y: l.Y, Z: l.Z, Lat: l.Lat, Lon: l.Lon, HasLatLon: l.HasLatLon}
}

func timeString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// buildReport turns a decoded save into the stable report (also the source
// of the human summary). top caps the dino list (0 = all).
func buildReport(file string, s *arksave.Save, top int) *parseReport {
	r := &parseReport{
		Schema:      parseSchema,
		File:        file,
		Map:         s.Map,
		SaveVersion: s.SaveVersion,
		GameTime:    s.GameTime,
		SavedAt:     timeString(s.SavedAt),
		Counts: reportCounts{
			Players: len(s.Players), Tribes: len(s.Tribes), TamedDinos: len(s.Dinos),
			WildDinos: s.WildDinos, Structures: len(s.Structures),
		},
		Rows: reportRows{
			Total: s.Stats.Rows, Decoded: s.Stats.Decoded, Skipped: s.Stats.Skipped, Failed: s.Stats.Failed,
			UnknownNames: s.Stats.UnknownNames, Bytes: s.Stats.Bytes, FailedByClass: map[string]int{},
		},
		ByMaterial: map[string]int{},
		TamedTotal: len(s.Dinos),
		Tribes:     []reportTribe{},
		Players:    []reportPlayer{},
		TamedDinos: []reportDino{},
	}
	for c, n := range s.Stats.FailedByClass {
		r.Rows.FailedByClass[c] = n
	}

	tribes := map[int64]*reportTribe{}
	tribe := func(id int64) *reportTribe {
		t, ok := tribes[id]
		if !ok {
			t = &reportTribe{ID: id}
			tribes[id] = t
		}
		return t
	}
	for _, t := range s.Tribes {
		rt := tribe(t.ID)
		rt.Name = t.Name
		rt.Members = max(len(t.MemberIDs), len(t.Members))
	}
	for _, st := range s.Structures {
		r.ByMaterial[st.Material]++
		tribe(st.TribeID).Structures++
	}
	for _, d := range s.Dinos {
		tribe(d.TribeID).TamedDinos++
	}
	for _, t := range tribes {
		r.Tribes = append(r.Tribes, *t)
	}
	slices.SortFunc(r.Tribes, func(a, b reportTribe) int {
		if a.Structures != b.Structures {
			return b.Structures - a.Structures
		}
		if a.TamedDinos != b.TamedDinos {
			return b.TamedDinos - a.TamedDinos
		}
		return cmp.Compare(a.ID, b.ID)
	})

	for _, p := range s.Players {
		r.Players = append(r.Players, reportPlayer{
			PlayerDataID: p.PlayerDataID, EOSID: p.EOSID, PlatformName: p.PlatformName,
			CharacterName: p.CharacterName, Level: p.Level, TribeID: p.TribeID, TribeName: p.TribeName,
			LastLogin: timeString(p.LastLogin), LoginGameTime: p.LoginGameTime, Location: toLocation(p.Location),
		})
	}
	slices.SortFunc(r.Players, func(a, b reportPlayer) int {
		switch {
		case a.PlayerDataID < b.PlayerDataID:
			return -1
		case a.PlayerDataID > b.PlayerDataID:
			return 1
		}
		return 0
	})

	dinos := slices.Clone(s.Dinos)
	slices.SortFunc(dinos, func(a, b arksave.Dino) int {
		if a.Level != b.Level {
			return b.Level - a.Level
		}
		if c := strings.Compare(a.Class, b.Class); c != 0 {
			return c
		}
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(string(a.ID[:]), string(b.ID[:]))
	})
	if top > 0 && len(dinos) > top {
		dinos = dinos[:top]
	}
	for _, d := range dinos {
		sex := "male"
		if d.Sex == arksave.Female {
			sex = "female"
		}
		r.TamedDinos = append(r.TamedDinos, reportDino{
			ID: fmt.Sprintf("%x", d.ID[:]), DinoID: d.DinoID, Class: d.Class, Name: d.Name, Level: d.Level,
			Sex: sex, TribeID: d.TribeID, TribeName: d.TribeName, OwnerName: d.OwnerName,
			Cryopodded: d.Cryopodded, Location: toLocation(d.Location),
		})
	}
	return r
}

// sortedCounts returns map entries by count descending, then key.
func sortedCounts(m map[string]int) []struct {
	Key string
	N   int
} {
	out := make([]struct {
		Key string
		N   int
	}, 0, len(m))
	for k, n := range m {
		out = append(out, struct {
			Key string
			N   int
		}{k, n})
	}
	slices.SortFunc(out, func(a, b struct {
		Key string
		N   int
	}) int {
		if a.N != b.N {
			return b.N - a.N
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// maxTribesShown caps the tribe table of the human summary.
const maxTribesShown = 10

// writeSummary prints the human-readable form of r.
func writeSummary(w io.Writer, r *parseReport) error {
	ew := &errWriter{w: w}
	p := func(format string, a ...any) { fmt.Fprintf(ew, format, a...) }
	p("File:         %s\n", r.File)
	p("Map:          %s (save v%d)\n", r.Map, r.SaveVersion)
	p("Game time:    %.1f s (day %.1f)\n", r.GameTime, r.GameTime/86400)
	if r.SavedAt != "" {
		p("Saved at:     %s\n", r.SavedAt)
	}
	p("Rows:         %d (decoded %d, skipped %d, failed %d), %.1f MB of objects\n",
		r.Rows.Total, r.Rows.Decoded, r.Rows.Skipped, r.Rows.Failed, float64(r.Rows.Bytes)/1e6)
	p("Players %d · Tribes %d · Tamed dinos %d · Wild dinos %d · Structures %d\n",
		r.Counts.Players, r.Counts.Tribes, r.Counts.TamedDinos, r.Counts.WildDinos, r.Counts.Structures)

	if len(r.Rows.FailedByClass) > 0 {
		p("\nFailed rows by class:\n")
		tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
		for _, e := range sortedCounts(r.Rows.FailedByClass) {
			fmt.Fprintf(tw, "  %s\t%d\n", e.Key, e.N)
		}
		tw.Flush()
	}

	if len(r.Tribes) > 0 {
		n := min(len(r.Tribes), maxTribesShown)
		p("\nTop tribes by structures (%d of %d):\n", n, len(r.Tribes))
		tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "  ID\tSTRUCTURES\tDINOS\tMEMBERS\tNAME\n")
		for _, t := range r.Tribes[:n] {
			fmt.Fprintf(tw, "  %d\t%d\t%d\t%d\t%s\n", t.ID, t.Structures, t.TamedDinos, t.Members, printable(t.Name))
		}
		tw.Flush()
	}

	if len(r.ByMaterial) > 0 {
		p("\nStructures by material:\n")
		tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
		for _, e := range sortedCounts(r.ByMaterial) {
			fmt.Fprintf(tw, "  %s\t%d\n", e.Key, e.N)
		}
		tw.Flush()
	}

	if len(r.TamedDinos) > 0 {
		p("\nTamed dinos by level (%d of %d):\n", len(r.TamedDinos), r.TamedTotal)
		tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "  LEVEL\tCLASS\tNAME\tSEX\tTRIBE\n")
		for _, d := range r.TamedDinos {
			tribe := printable(d.TribeName)
			if tribe == "" {
				tribe = strconv.FormatInt(d.TribeID, 10)
			}
			name := printable(d.Name)
			if d.Cryopodded {
				name += " (cryopod)"
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\n", d.Level, strings.TrimSuffix(d.Class, "_C"), name, d.Sex, tribe)
		}
		tw.Flush()
	}
	return ew.err
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
