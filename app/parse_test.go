package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/arksave/arksavetest"
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

func runParseArgs(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = runParse(context.Background(), args, &out, &errb)
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
	// 4 players, the last one profile-only; 1 tribe only known from its .arktribe.
	if cw["players"] != 4.0 || cw["tribes"] != 1.0 {
		t.Errorf("with --profiles: %v", cw)
	}
	if cwo["players"] != 3.0 || cwo["tribes"] != 0.0 {
		t.Errorf("without --profiles: %v", cwo)
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

	_, _, err := runParseArgs(t, path, "--profiles", filepath.Join(t.TempDir(), "missing"))
	if err == nil || ExitCode(err) != 1 {
		t.Errorf("missing profiles dir: %v", err)
	}
}

func TestParseBadFiles(t *testing.T) {
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
	for _, path := range []string{text, trunc, garbled, filepath.Join(dir, "missing.ark"), dir} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			var out, errb bytes.Buffer
			err := Main(context.Background(), []string{"parse", path}, &out, &errb)
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
			if out.Len() != 0 {
				t.Errorf("stdout not empty: %q", out.String())
			}
		})
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
