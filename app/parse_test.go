package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/arksave/arksavetest"
	"github.com/blissark/bliss/jobs/bases"
	"github.com/blissark/bliss/storage/savefile"
)

var update = flag.Bool("update", false, "regenerate testdata/synthetic-* saves and parse goldens")

const (
	smallSave    = "../testdata/synthetic-small.ark"
	noStoreSave  = "../testdata/synthetic-nostore.ark"
	noStoreProfs = "../testdata/synthetic-nostore-profiles"
)

// regenerate rewrites the synthetic saves from arksavetest (with -update).
func regenerate(t *testing.T) {
	t.Helper()
	small := arksavetest.Generate(arksavetest.Counts{
		Seed: 2026, Players: 6, Tribes: 3, TamedDinos: 22, WildDinos: 6, Structures: 30,
		Places: []arksave.Location{{X: 12000, Y: -34000, Z: 500}, {X: -200000, Y: 150000, Z: 2500}, {X: 250000, Y: 250000, Z: 100}},
	})
	if err := arksavetest.Write(smallSave, small, arksavetest.Options{Seed: 2026, FillerRows: 10, BrokenRows: 2}); err != nil {
		t.Fatal(err)
	}
	ns := arksavetest.Generate(arksavetest.Counts{Seed: 99, Map: "Ragnarok_WP", Players: 4, Tribes: 1, TamedDinos: 3, WildDinos: 2, Structures: 6})
	if err := os.RemoveAll(noStoreProfs); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(noStoreProfs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := arksavetest.Write(noStoreSave, ns, arksavetest.Options{Seed: 99, FillerRows: 10, NoStore: true, ProfileDir: noStoreProfs}); err != nil {
		t.Fatal(err)
	}
}

// stagedCopy copies a committed save into a temp dir with the synthetic
// save time as mtime (git checkouts do not keep mtimes).
func stagedCopy(t *testing.T, src string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(dst, arksavetest.DefaultSavedAt, arksavetest.DefaultSavedAt); err != nil {
		t.Fatal(err)
	}
	return dst
}

// parseNow is the clock of parse tests: a day after the synthetic saves.
var parseNow = arksavetest.DefaultSavedAt.Add(24 * time.Hour)

func runParseArgs(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = runParseAt(context.Background(), args, &out, &errb, parseNow)
	return out.String(), errb.String(), err
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("..", "testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./app -run Parse -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from golden (rerun with -update if intended):\n%s", name, firstDiff(got, string(want)))
	}
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n got  " + gl + "\n want " + wl
		}
	}
	return "(equal lines, different bytes)"
}

func TestParseGoldens(t *testing.T) {
	if *update {
		regenerate(t)
	}
	path := stagedCopy(t, smallSave)

	out, errOut, err := runParseArgs(t, path, "--json")
	if err != nil {
		t.Fatal(err)
	}
	if errOut != "" {
		t.Errorf("stderr not empty without a terminal: %q", errOut)
	}
	checkGolden(t, "synthetic-small.parse.json", out)

	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep["schema"] != parseSchema {
		t.Errorf("schema %v", rep["schema"])
	}
	counts := rep["counts"].(map[string]any)
	if counts["structures"] != 30.0 || counts["tamed_dinos"] != 22.0 || counts["wild_dinos"] != 6.0 ||
		counts["players"] != 6.0 || counts["tribes"] != 3.0 {
		t.Errorf("counts %v", counts)
	}
	if n := len(rep["tamed_dinos"].([]any)); n != 20 {
		t.Errorf("tamed_dinos list has %d entries, want the default top 20", n)
	}
	rows := rep["rows"].(map[string]any)
	if rows["failed"] != 2.0 || rows["failed_by_class"].(map[string]any)[arksavetest.ClassBroken] != 2.0 {
		t.Errorf("rows %v", rows)
	}

	text, _, err := runParseArgs(t, "--workers", "2", path)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "synthetic-small.parse.txt", text)

	all, _, err := runParseArgs(t, path, "--json", "--top", "0")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(all), &rep); err != nil {
		t.Fatal(err)
	}
	if n := len(rep["tamed_dinos"].([]any)); n != 22 {
		t.Errorf("--top 0 listed %d dinos, want all 22", n)
	}
}

func TestParseProfilesDir(t *testing.T) {
	if *update {
		regenerate(t)
	}
	path := stagedCopy(t, noStoreSave)
	decode := func(args ...string) map[string]any {
		t.Helper()
		out, _, err := runParseArgs(t, append([]string{path, "--json"}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		var rep map[string]any
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	without := decode()
	with := decode("--profiles", noStoreProfs)
	cw, cwo := with["counts"].(map[string]any), without["counts"].(map[string]any)
	// 4 players, the last one profile-only. The tribe has no store entry:
	// without its .arktribe it is known from its structures and dinos, by
	// the name they carry.
	if cw["players"] != 4.0 || cw["tribes"] != 1.0 {
		t.Errorf("with --profiles: %v", cw)
	}
	if cwo["players"] != 3.0 || cwo["tribes"] != 1.0 {
		t.Errorf("without --profiles: %v", cwo)
	}
	tw, two := with["tribes"].([]any)[0].(map[string]any), without["tribes"].([]any)[0].(map[string]any)
	if tw["archived"] != true || two["archived"] != false || tw["name"] == "" || two["name"] != tw["name"] || two["label"] != tw["name"] {
		t.Errorf("tribe with --profiles %v, without %v", tw, two)
	}
	if with["has_store"] != false || without["has_store"] != false {
		t.Errorf("has_store: %v / %v", with["has_store"], without["has_store"])
	}
	// The text summary hints at --profiles when the save has no store.
	text, _, err := runParseArgs(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "Rerun with\n--profiles DIR") {
		t.Errorf("no --profiles hint in:\n%s", text)
	}
	text, _, err = runParseArgs(t, path, "--profiles", noStoreProfs)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text, "--profiles") {
		t.Errorf("--profiles hint although given:\n%s", text)
	}
	store, _, err := runParseArgs(t, stagedCopy(t, smallSave))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(store, "--profiles") {
		t.Errorf("--profiles hint for a save with a store:\n%s", store)
	}
	if with["map"] != "Ragnarok_WP" {
		t.Errorf("map %v", with["map"])
	}
	for _, p := range with["players"].([]any) {
		pl := p.(map[string]any)
		if pl["level"].(float64) < 1 || pl["eos_id"] == "" {
			t.Errorf("player from profile incomplete: level %v", pl["level"])
		}
	}

	_, _, err = runParseArgs(t, path, "--profiles", filepath.Join(t.TempDir(), "missing"))
	if err == nil || ExitCode(err) != 1 {
		t.Errorf("missing profiles dir: %v", err)
	}
}

// gzipFile writes b gzip-compressed to path.
func gzipFile(t *testing.T, path string, b []byte, mtime time.Time) {
	t.Helper()
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.ModTime = mtime
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestParseBadFiles: every bad input is one error line in an admin's words
// (issue 15: a truncated save said "page 273 out of range (1..12)", a text
// file "file is not a database (26)"), and a .ark.gz leaves no temp file.
func TestParseBadFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.ark")
	if err := os.WriteFile(text, []byte("this is not a save\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(smallSave)
	if err != nil {
		t.Fatal(err)
	}
	trunc := filepath.Join(dir, "truncated.ark")
	if err := os.WriteFile(trunc, good[:len(good)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	garbled := filepath.Join(dir, "garbled.ark")
	g := bytes.Clone(good)
	for i := 8192; i < len(g); i += 7 {
		g[i] ^= 0x5a
	}
	if err := os.WriteFile(garbled, g, 0o644); err != nil {
		t.Fatal(err)
	}
	gzText := filepath.Join(dir, "notes.ark.gz")
	gzipFile(t, gzText, []byte("this is not a save\n"), time.Time{})
	gzTrunc := filepath.Join(dir, "cut.ark.gz")
	gzipFile(t, gzTrunc, good, time.Time{})
	if b, err := os.ReadFile(gzTrunc); err != nil {
		t.Fatal(err)
	} else if err := os.WriteFile(gzTrunc, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	// A gzip bomb: 64 MiB of zeros in ~64 KB, against a 1 MiB cap.
	bomb := filepath.Join(dir, "bomb.ark.gz")
	gzipFile(t, bomb, make([]byte, 64<<20), time.Time{})
	badGz := filepath.Join(dir, "bad.ark.gz")
	if err := os.WriteFile(badGz, []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef}, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		want string
	}{
		{text, "not an ARK save"},
		{trunc, "the file is truncated or not a complete save"},
		{garbled, "corrupt"},
		{filepath.Join(dir, "missing.ark"), "no such file"},
		{dir, "directory"},
		{gzText, "notes.ark.gz (decompressed): not an ARK save"},
		{gzTrunc, "cut.ark.gz: the file is truncated or not a complete save"},
		{bomb, "more than the 1 MiB cap (--max-size)"},
		{badGz, "corrupt gzip stream"},
	} {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			var out, errb bytes.Buffer
			err := Main(context.Background(), []string{"parse", c.path, "--max-size", "1M"}, &out, &errb)
			if err == nil {
				t.Fatalf("no error; stdout %q", out.String())
			}
			if ExitCode(err) != 1 {
				t.Errorf("exit code %d for %v", ExitCode(err), err)
			}
			msg := errb.String()
			if strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "bliss: parse") {
				t.Errorf("want one error line, got %q", msg)
			}
			if !strings.Contains(msg, c.want) {
				t.Errorf("error %q does not say %q", msg, c.want)
			}
			for _, internal := range []string{"out of range", "(26)", "file is not a database", "bliss-parse-"} {
				if strings.Contains(msg, internal) {
					t.Errorf("error %q speaks storage internals (%q)", msg, internal)
				}
			}
			if out.Len() != 0 {
				t.Errorf("stdout not empty: %q", out.String())
			}
		})
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

// TestParseGzip: a .ark.gz decodes like the .ark (streamed to a temp file
// that is removed), with the time from the gzip header, or the .gz file's
// mtime when the header has none.
func TestParseGzip(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	plain := stagedCopy(t, smallSave)
	b, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	decode := func(path string) map[string]any {
		t.Helper()
		out, _, err := runParseArgs(t, path, "--json")
		if err != nil {
			t.Fatal(err)
		}
		var rep map[string]any
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	want := decode(plain)
	gz := filepath.Join(t.TempDir(), "synthetic-small.ark.gz")
	gzipFile(t, gz, b, arksavetest.DefaultSavedAt)
	got := decode(gz)
	if got["gzipped"] != true || got["saved_at_source"] != "gzip_header" {
		t.Errorf("gz: gzipped %v saved_at %v (%v)", got["gzipped"], got["saved_at"], got["saved_at_source"])
	}
	for _, k := range []string{"file", "gzipped", "saved_at_source"} {
		delete(got, k)
		delete(want, k)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the .ark.gz decodes differently from the .ark")
	}
	stamp := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	gzipFile(t, gz, b, stamp)
	if got := decode(gz); got["saved_at"] != "2026-02-03T04:05:06Z" || got["saved_at_source"] != "gzip_header" {
		t.Errorf("gz: saved_at %v (%v)", got["saved_at"], got["saved_at_source"])
	}

	// No time in the header: the .gz file's modification time.
	gzipFile(t, gz, b, time.Time{})
	if err := os.Chtimes(gz, stamp, stamp); err != nil {
		t.Fatal(err)
	}
	got = decode(gz)
	if got["saved_at"] != "2026-02-03T04:05:06Z" || got["saved_at_source"] != "file_mtime" {
		t.Errorf("gz without header time: saved_at %v (%v)", got["saved_at"], got["saved_at_source"])
	}
	text, _, err := runParseArgs(t, gz)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "(gzip, ") || !strings.Contains(text, "(file modification time; the save itself records no date)") {
		t.Errorf("text summary:\n%s", text)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

// TestParseBases: bases are the pipeline's (jobs/bases), scaled by
// --decay-multiplier, and listed with their owner and decay time.
func TestParseBases(t *testing.T) {
	s := arksavetest.Generate(arksavetest.Counts{
		Seed: 31, Players: 2, Tribes: 1, TamedDinos: 2, Structures: 80,
		Places: []arksave.Location{{X: 1000, Y: 2000, Z: 100}},
	})
	path := filepath.Join(t.TempDir(), "base.ark")
	if err := arksavetest.Write(path, s, arksavetest.Options{Seed: 31}); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, arksavetest.DefaultSavedAt, arksavetest.DefaultSavedAt); err != nil {
		t.Fatal(err)
	}
	f, err := savefile.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	save, err := arksave.Decode(context.Background(), f, arksave.Options{SavedAt: arksavetest.DefaultSavedAt})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	wantBases := bases.Analyze(save, bases.Options{Multiplier: 2})
	if len(wantBases) == 0 {
		t.Fatal("the generated save has no base; change the test's counts")
	}
	decode := func(args ...string) map[string]any {
		t.Helper()
		out, _, err := runParseArgs(t, append([]string{path, "--json"}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		var rep map[string]any
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	one, two := decode(), decode("--decay-multiplier", "2")
	bs1, bs2 := one["bases"].([]any), two["bases"].([]any)
	if len(bs2) != len(wantBases) || len(bs1) != len(bs2) || two["counts"].(map[string]any)["bases"] != float64(len(wantBases)) {
		t.Fatalf("bases: %d and %d, jobs/bases finds %d", len(bs1), len(bs2), len(wantBases))
	}
	for i, wb := range wantBases {
		b1, b2 := bs1[i].(map[string]any), bs2[i].(map[string]any)
		if b2["structures"] != float64(wb.Structures) || b2["decays_at"] != wb.DecaysAt.UTC().Format(time.RFC3339) ||
			b2["decay_seconds"] != wb.DecayDuration.Seconds() || b2["owner"] != float64(wb.Owner) {
			t.Errorf("base %d: %v, want %+v", i, b2, wb)
		}
		if b2["decay_seconds"] != 2*b1["decay_seconds"].(float64) {
			t.Errorf("base %d: decay %v s at multiplier 2, %v s at 1", i, b2["decay_seconds"], b1["decay_seconds"])
		}
		if b2["owner_label"] != s.Tribes[0].Name {
			t.Errorf("base %d owner %v, want the tribe's name", i, b2["owner_label"])
		}
	}
	if two["decay_multiplier"] != 2.0 || one["decay_multiplier"] != 1.0 {
		t.Errorf("decay_multiplier %v / %v", one["decay_multiplier"], two["decay_multiplier"])
	}
	text, _, err := runParseArgs(t, path, "--decay-multiplier", "2")
	if err != nil {
		t.Fatal(err)
	}
	line := wantBases[0].DecaysAt.UTC().Format("2006-01-02 15:04") + " " + relative(wantBases[0].DecaysAt, parseNow)
	if !strings.Contains(text, "Bases (decay multiplier 2): "+strconv.Itoa(len(wantBases))) || !strings.Contains(text, line) {
		t.Errorf("text summary lacks the bases (%q):\n%s", line, text)
	}
}

func TestRelative(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		3*24*time.Hour + 4*time.Hour + 10*time.Minute: "(in 3d 4h)",
		-(2*time.Hour + 5*time.Minute):                "(overdue by 2h 5m)",
		90 * time.Second:                              "(in 2m)",
	} {
		if got := relative(now.Add(d), now); got != want {
			t.Errorf("relative(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestParseUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--json"},
		{"--bogus", "x.ark"},
		{"a.ark", "b.ark"},
		{"--workers", "-1", "a.ark"},
		{"--workers", "many", "a.ark"},
		{"--top", "-3", "a.ark"},
		{"--decay-multiplier", "0", "a.ark"},
		{"--decay-multiplier", "-1", "a.ark"},
		{"--decay-multiplier", "NaN", "a.ark"},
		{"--decay-multiplier", "+Inf", "a.ark"},
		{"--max-size", "lots", "a.ark"},
		{"--max-size", "0", "a.ark"},
	} {
		_, _, err := runParseArgs(t, args...)
		var ue *UsageError
		if !errors.As(err, &ue) || ExitCode(err) != 2 {
			t.Errorf("%q: got %v, want a usage error", args, err)
		}
	}
	out, _, err := runParseArgs(t, "-h")
	if !errors.Is(err, flag.ErrHelp) || ExitCode(err) != 0 {
		t.Errorf("-h: %v", err)
	}
	if !strings.HasPrefix(out, "usage: bliss parse FILE") {
		t.Errorf("-h printed %q", out)
	}
}

func TestParseFlagsAnywhere(t *testing.T) {
	for _, args := range [][]string{
		{"f.ark", "--json", "--workers", "3"},
		{"--json", "f.ark", "--workers=3"},
		{"--workers", "3", "--json", "f.ark"},
	} {
		pf, err := parseArgs(args, &bytes.Buffer{})
		if err != nil || pf.file != "f.ark" || !pf.json || pf.workers != 3 || pf.top != 20 {
			t.Errorf("%q: %+v %v", args, pf, err)
		}
	}
}

func TestPrintable(t *testing.T) {
	if got := printable("a\x1b[31mb\nc"); got != "a[31mbc" {
		t.Errorf("printable = %q", got)
	}
}

// TestParseSamples runs `bliss parse` on every shared real save (skipped
// when they are absent), with and without --profiles, and checks the facts
// measured in ../shared/testdata/asa/README.md: 0 failed rows, cryopods
// included. Only counts are compared and printed, never names.
func TestParseSamples(t *testing.T) {
	dir := e2eSampleDir(t)
	type facts struct {
		version, rows, tamed, wild, owned, cryopods int
		mapName                                     string
		gameTime                                    float64
		store                                       bool
	}
	want := map[string]facts{
		"hallipr-v14/GreenflatMap1.ark":    {14, 830, 0, 0, 0, 0, "GreenflatMap", 100000156.409, true},
		"hallipr-v14/LostColony_WP.ark":    {14, 3499, 0, 2, 0, 0, "LostColony_WP", 100001612.223, true},
		"hallipr-v14/Ragnarok_WP.ark":      {14, 4542, 0, 77, 12, 0, "Ragnarok_WP", 100001528.056, true},
		"miragedmuk-v14/LostColony_WP.ark": {14, 3713, 8, 63, 2, 3, "LostColony_WP", 100001304.068, true},
		"pleinx-solo-v13/solo.ark":         {13, 4675, 0, 81, 123, 0, "Aberration_WP", 100003889.287, false},
	}
	for rel, w := range want {
		path := filepath.Join(dir, rel)
		for _, extra := range [][]string{nil, {"--profiles", filepath.Dir(path)}} {
			name := rel
			if extra != nil {
				name += " --profiles"
			}
			t.Run(name, func(t *testing.T) {
				out, _, err := runParseArgs(t, append([]string{path, "--json", "--workers", "2"}, extra...)...)
				if err != nil {
					t.Fatal(err)
				}
				var rep parseReport
				if err := json.Unmarshal([]byte(out), &rep); err != nil {
					t.Fatal(err)
				}
				c, r := rep.Counts, rep.Rows
				if r.Failed != 0 || r.CryopodFailed != 0 || len(r.FailedByClass) != 0 {
					t.Errorf("failed %d (cryopods %d), by class %d entries", r.Failed, r.CryopodFailed, len(r.FailedByClass))
				}
				if rep.SaveVersion != w.version || rep.Map != w.mapName || r.Total != w.rows ||
					math.Abs(rep.GameTime-w.gameTime) > 0.001 || rep.HasStore != w.store {
					t.Errorf("v%d map %q rows %d game time %.3f store %v, want v%d %q %d %.3f %v",
						rep.SaveVersion, rep.Map, r.Total, rep.GameTime, rep.HasStore, w.version, w.mapName, w.rows, w.gameTime, w.store)
				}
				if c.TamedDinos != w.tamed || c.WildDinos != w.wild || c.OwnedStructures != w.owned || c.Structures != w.owned || r.Cryopods != w.cryopods {
					t.Errorf("tamed %d wild %d owned structures %d cryopods %d, want %d %d %d %d",
						c.TamedDinos, c.WildDinos, c.OwnedStructures, r.Cryopods, w.tamed, w.wild, w.owned, w.cryopods)
				}
				if c.AllStructures < c.OwnedStructures || c.Tribes != len(rep.Tribes) || c.Bases != len(rep.Bases) {
					t.Errorf("all structures %d < owned %d, or tribes %d ≠ %d listed, or bases %d ≠ %d",
						c.AllStructures, c.OwnedStructures, c.Tribes, len(rep.Tribes), c.Bases, len(rep.Bases))
				}
				for _, tr := range rep.Tribes {
					if tr.Label == "" {
						t.Errorf("tribe %d has no label", tr.ID)
					}
				}
				text, _, err := runParseArgs(t, append([]string{path}, extra...)...)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(text, "failed 0)") || !strings.Contains(text, fmt.Sprintf("· Tribes %d", len(rep.Tribes))) {
					t.Errorf("text summary disagrees with the JSON (failed rows or tribe count)")
				}
			})
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"16G": 16 << 30, "512M": 512 << 20, "512MiB": 512 << 20, "1000": 1000, "2k": 2 << 10, "1T": 1 << 40} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "G", "-1G", "1.5G", "0", "12X", "99999999999T"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
	for n, want := range map[int64]string{512 << 20: "512 MiB", 16 << 30: "16 GiB", 1536: "1.5 KiB", 10: "10 bytes"} {
		if got := sizeString(n); got != want {
			t.Errorf("sizeString(%d) = %q, want %q", n, got, want)
		}
	}
}
