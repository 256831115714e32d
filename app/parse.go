package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/blissark/bliss/arksave"
)

const parseUsage = `usage: bliss parse FILE [--profiles DIR] [--json] [--workers N] [--top N]
                   [--decay-multiplier X] [--max-size SIZE]

Decode an ARK: Survival Ascended world save (.ark, or .ark.gz) offline and
print a summary: players, tribes, bases and when they decay, tamed dinos.

  --profiles DIR        also read *.arkprofile and *.arktribe files from DIR
                        (needed when the server does not embed them in the
                        save, i.e. runs without -usestore)
  --json                print the stable JSON document (schema "bliss.parse/v1")
  --workers N           decoding goroutines (default: number of CPUs)
  --top N               tamed dinos to list, highest level first (default 20,
                        0 = all)
  --decay-multiplier X  the server's PvEStructureDecayPeriodMultiplier
                        (default 1); scales every base's decay timer as the
                        bot does
  --max-size SIZE       largest decompressed size of a .ark.gz (default 16G);
                        it is unpacked to a temporary file in $TMPDIR, and
                        never beyond the free space there

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
//	saved_at         RFC 3339 wall-clock save time, "" if unknown
//	saved_at_source  "file_mtime" (the save records no wall-clock time, so
//	                 this is the file's modification time) or "gzip_header"
//	                 (the time a .ark.gz recorded for the file it holds)
//	gzipped          FILE was gzip-compressed
//	has_store        the save embeds its tribes and profiles (-usestore)
//	decay_multiplier the --decay-multiplier the bases were computed with
//	counts           {players, tribes, tamed_dinos, wild_dinos, structures,
//	                 owned_structures, all_structures, bases}; structures is
//	                 owned_structures (with an owner team), all_structures
//	                 counts every structure row; tribes = len(tribes)
//	rows             {total, decoded, skipped, failed, unknown_names, bytes,
//	                 failed_by_class: {class: n}, cryopods, cryopod_failed,
//	                 cryopod_wild} (game rows and blob bytes; cryopods: tamed
//	                 dinos read from pods; cryopod_failed: pods that could
//	                 not be read, also in failed; cryopod_wild: wild
//	                 creatures held in pods)
//	tribes           every owner team, most structures first (then dinos,
//	                 then id): {id, name, label, archived, tribeless,
//	                 members, structures, tamed_dinos}; name is the name the
//	                 save gives the id (tribe archive, else its dinos' and
//	                 structures' tribe name), "" if none; label is what the
//	                 text summary prints; archived: read from a tribe archive
//	                 (store or .arktribe); tribeless: the id is a player's (a
//	                 player without a tribe owns things under their own id)
//	players          every player by player_data_id: {player_data_id, eos_id,
//	                 platform_name, character_name, level, tribe_id,
//	                 tribe_name, last_login (RFC 3339 or ""), login_game_time,
//	                 location ({x, y, z, lat, lon, has_lat_lon} or null)}
//	structures_by_material  {material: n}
//	bases            the bases the bot computes (jobs/bases), soonest decay
//	                 first: {owner, owner_label, structures, storage,
//	                 foundations, tamed_dinos, tier, decay_seconds,
//	                 last_refresh, refresh_known, decays_at, center}
//	tamed_dinos_total       number of tamed dinos
//	tamed_dinos      the top --top dinos by level (ties: class, name, id):
//	                 {id (32 hex), dino_id, class, species, name, level, sex
//	                 ("male"/"female"), tribe_id, tribe_name, owner_name,
//	                 cryopodded, location (as above or null)}
const parseSchema = "bliss.parse/v1"

type parseCmdFlags struct {
	file       string
	profiles   string
	json       bool
	workers    int
	top        int
	multiplier float64
	maxSize    int64
}

// parseArgs accepts flags before and after FILE.
func parseArgs(args []string, stdout io.Writer) (parseCmdFlags, error) {
	pf := parseCmdFlags{maxSize: defaultMaxUnzipped}
	fs := flag.NewFlagSet("parse", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&pf.profiles, "profiles", "", "")
	fs.BoolVar(&pf.json, "json", false, "")
	fs.IntVar(&pf.workers, "workers", 0, "")
	fs.IntVar(&pf.top, "top", 20, "")
	fs.Float64Var(&pf.multiplier, "decay-multiplier", 1, "")
	fs.Func("max-size", "", func(v string) (err error) {
		pf.maxSize, err = parseSize(v)
		return err
	})
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
	case !(pf.multiplier > 0) || math.IsInf(pf.multiplier, 0):
		return pf, &UsageError{Msg: "parse: --decay-multiplier must be a number above 0"}
	}
	pf.file = pos[0]
	return pf, nil
}

// runParse implements `bliss parse`.
func runParse(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runParseAt(ctx, args, stdout, stderr, time.Now())
}

// runParseAt is runParse with the time decay is told against ("in 3d",
// "overdue").
func runParseAt(ctx context.Context, args []string, stdout, stderr io.Writer, now time.Time) error {
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
	in, err := decodeFile(ctx, pf.file, opts, pf.maxSize, stderr)
	if err != nil {
		return err
	}
	rep := buildReport(filepath.Base(pf.file), in, reportOptions{top: pf.top, multiplier: pf.multiplier})
	if pf.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("parse: write json: %w", err)
		}
		return nil
	}
	if err := writeSummary(stdout, rep, summaryOptions{now: now, profilesGiven: pf.profiles != ""}); err != nil {
		return fmt.Errorf("parse: write: %w", err)
	}
	return nil
}
