package app

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/blissark/bliss"

// fileImports are the imports of one non-test Go file: project packages
// (module-relative, "." for the root) and others (standard library or
// third party).
type fileImports struct {
	project, other []string
}

// tree maps a package dir (module-relative) to its files' imports.
type tree map[string]map[string]fileImports

// Bot packages: one per bot. Other packages under bots/ (embed, economy,
// discordtest) are libraries the bots share.
var botPackages = []string{"bots/master", "bots/server", "bots/ap", "bots/gp", "bots/tickets", "bots/assistant"}

// clients are the protocol-client leaves under app that bots and jobs may
// import directly (with their subpackages, except the …test fakes).
var clients = []string{"app/nitrado", "app/rcon"}

func under(pkg, top string) bool { return pkg == top || strings.HasPrefix(pkg, top+"/") }

// isFake reports a package for tests only: a fake (nitradotest, rcontest,
// discordtest, …) or a test harness (bots/bottest).
func isFake(pkg string) bool { return strings.HasSuffix(path.Base(pkg), "test") }

// fakeOf returns the client whose fake pkg is (app/rcon/rcontest → app/rcon),
// or "" if pkg is not a client's fake.
func fakeOf(pkg string) string {
	for _, c := range clients {
		if under(pkg, c) && isFake(pkg) {
			return c
		}
	}
	return ""
}

// clientOf returns the client leaf pkg belongs to ("" if none); fakes
// belong to none.
func clientOf(pkg string) string {
	for _, c := range clients {
		if under(pkg, c) && !isFake(pkg) {
			return c
		}
	}
	return ""
}

func botOf(pkg string) string {
	for _, b := range botPackages {
		if under(pkg, b) {
			return b
		}
	}
	return ""
}

// sandboxFile reports the sandbox's files in package app: the one
// production code allowed to use the fakes.
func sandboxFile(pkg, file string) bool {
	return pkg == "app" && strings.HasPrefix(file, "sandbox")
}

// violations applies the layout rules (README, "Layout") to t.
func violations(t tree) []string {
	var out []string
	bad := func(pkg, file, dep, why string) {
		out = append(out, pkg+"/"+file+" imports "+dep+": "+why)
	}
	for pkg, files := range t {
		for file, imps := range files {
			for _, dep := range imps.project {
				switch {
				case clientOf(pkg) != "" && !under(dep, clientOf(pkg)):
					bad(pkg, file, dep, "the protocol clients are leaves: they import no other project package")
				case fakeOf(pkg) != "" && !under(dep, fakeOf(pkg)):
					bad(pkg, file, dep, "a client's fake is a leaf too: it may import only its client")
				case isFake(dep) && !isFake(pkg) && !sandboxFile(pkg, file):
					bad(pkg, file, dep, "fakes are for tests (and the sandbox files in app) only")
				case under(dep, "app") && clientOf(dep) == "" && !isFake(dep) && !under(pkg, "app") && pkg != ".":
					bad(pkg, file, dep, "only main imports app (its clients app/nitrado and app/rcon excepted)")
				case clientOf(dep) != "" && !(under(pkg, "app") || under(pkg, "bots") || under(pkg, "jobs") || pkg == "."):
					bad(pkg, file, dep, "the clients serve bots, jobs and app")
				case (under(pkg, "bots") || under(pkg, "jobs")) && under(dep, "storage"):
					bad(pkg, file, dep, "bots and jobs declare interfaces instead of importing storage")
				case under(pkg, "bots") && under(dep, "jobs"), under(pkg, "jobs") && under(dep, "bots"):
					bad(pkg, file, dep, "bots and jobs are siblings: flows between them are wired in app")
				case botOf(pkg) != "" && botOf(dep) != "" && botOf(dep) != botOf(pkg):
					bad(pkg, file, dep, "a bot never imports another bot")
				case under(pkg, "storage") && (under(dep, "bots") || under(dep, "jobs") || under(dep, "app")):
					bad(pkg, file, dep, "storage is below bots, jobs and app")
				case pkg == "arksave" && dep != "arksave/maps", pkg == "arksave/maps", pkg == "arksave/species":
					bad(pkg, file, dep, "arksave is a leaf (it may use only its coordinate table arksave/maps; the tables arksave/maps and arksave/species import no project package)")
				}
			}
			if pkg == "arksave" || pkg == "arksave/maps" || pkg == "arksave/species" {
				for _, dep := range imps.other {
					if strings.Contains(strings.SplitN(dep, "/", 2)[0], ".") {
						bad(pkg, file, dep, "arksave uses only the standard library")
					}
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// readTree parses the imports of every non-test file under root.
func readTree(t *testing.T, root string) tree {
	t.Helper()
	tr := tree{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if p != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		rel = filepath.ToSlash(rel)
		if tr[rel] == nil {
			tr[rel] = map[string]fileImports{}
		}
		var fi fileImports
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(ip, module+"/") {
				fi.project = append(fi.project, strings.TrimPrefix(ip, module+"/"))
			} else {
				fi.other = append(fi.other, ip)
			}
		}
		tr[rel][filepath.Base(p)] = fi
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestImportDirection enforces the layout: main → app → {bots, jobs,
// storage, arksave}; the clients app/nitrado and app/rcon are leaves that
// bots and jobs may import; bots and jobs never import storage or each
// other; a bot never imports another bot; fakes stay out of production code
// except the sandbox's files.
func TestImportDirection(t *testing.T) {
	root := ".."
	if _, err := os.Stat(filepath.Join(root, "main.go")); err != nil {
		t.Fatalf("walked the wrong tree: %v", err)
	}
	tr := readTree(t, root)
	for _, v := range violations(tr) {
		t.Error(v)
	}
	if len(tr["."]) == 0 || !slices.Contains(tr["."]["main.go"].project, "app") {
		t.Error("main.go does not import app")
	}
	for _, c := range clients {
		if _, err := os.Stat(filepath.Join(root, c, "doc.go")); err != nil {
			t.Errorf("%s has no doc.go saying why it lives there: %v", c, err)
		}
	}
}

// TestImportRules shows that the rules catch each kind of mistake, on
// synthetic import maps (the real tree stays untouched).
func TestImportRules(t *testing.T) {
	one := func(pkg, file string, deps ...string) tree {
		return tree{pkg: {file: {project: deps}}}
	}
	for _, tc := range []struct {
		name string
		tree tree
		want string // "" = allowed
	}{
		{"bot imports storage", one("bots/ap", "ap.go", "storage"), "declare interfaces"},
		{"job imports storage", one("jobs/livefeed", "feed.go", "storage/state"), "declare interfaces"},
		{"client imports a project package", one("app/rcon", "pool.go", "bots"), "clients are leaves"},
		{"client parser imports storage", one("app/nitrado", "types.go", "storage"), "clients are leaves"},
		{"client imports its fake", one("app/nitrado", "client.go", "app/nitrado/nitradotest"), "fakes are for tests"},
		{"bot imports another bot", one("bots/ap", "shop.go", "bots/gp"), "another bot"},
		{"bot imports a job", one("bots/server", "x.go", "jobs/bases"), "siblings"},
		{"job imports bots", one("jobs/delivery", "x.go", "bots"), "siblings"},
		{"bot imports app wiring", one("bots/master", "x.go", "app/guildstore"), "only main imports app"},
		{"bot imports app/config", one("bots/master", "x.go", "app/config"), "only main imports app"},
		{"production code imports a fake", one("bots/tickets", "x.go", "bots/discordtest"), "fakes are for tests"},
		{"production code imports the bots' test harness", one("bots/gp", "x.go", "bots/bottest"), "fakes are for tests"},
		{"the bots' test harness imports the fake Discord", one("bots/bottest", "x.go", "bots", "bots/discordtest"), ""},
		{"the bots' test harness imports storage", one("bots/bottest", "x.go", "storage"), "declare interfaces"},
		{"app non-sandbox file imports a fake", one("app", "wire.go", "app/rcon/rcontest"), "fakes are for tests"},
		{"storage imports a client", one("storage", "x.go", "app/nitrado"), "clients serve"},
		{"storage imports jobs", one("storage", "x.go", "jobs"), "storage is below"},
		{"arksave imports storage", one("arksave", "x.go", "storage"), "arksave is a leaf"},
		{"bot imports a client", one("bots/server", "rcon.go", "app/rcon", "app/nitrado"), ""},
		{"job imports a client", one("jobs/livefeed", "feed.go", "app/rcon"), ""},
		{"client imports its own subpackage", one("app/nitrado", "x.go", "app/nitrado/internal/wire"), ""},
		{"bot imports a shared bots library", one("bots/ap", "x.go", "bots/economy", "bots/embed", "bots"), ""},
		{"sandbox imports the fakes", one("app", "sandbox_world.go", "app/nitrado/nitradotest", "bots/discordtest"), ""},
		{"fake imports its client", one("app/nitrado/nitradotest", "server.go", "app/nitrado"), ""},
		{"client fake imports a project package", one("app/rcon/rcontest", "server.go", "bots"), "fake is a leaf too"},
		{"client fake imports the other client", one("app/rcon/rcontest", "server.go", "app/nitrado"), "fake is a leaf too"},
		{"storage imports a fake", one("storage", "x.go", "app/rcon/rcontest"), "fakes are for tests"},
		{"job imports a fake", one("jobs/livefeed", "x.go", "app/rcon/rcontest"), "fakes are for tests"},
		{"main imports app", one(".", "main.go", "app"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := violations(tc.tree)
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("allowed import refused: %v", got)
			case tc.want != "" && (len(got) == 0 || !strings.Contains(strings.Join(got, "\n"), tc.want)):
				t.Errorf("violations = %v, want one saying %q", got, tc.want)
			}
		})
	}
}

// TestNoTestingInBinary: the production binary links neither package
// testing nor a fake other than those the sandbox needs (go list -deps .).
func TestNoTestingInBinary(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not in PATH; run `go list -deps .` by hand")
	}
	cmd := exec.CommandContext(t.Context(), goTool, "list", "-deps", ".")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps .: %v", err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, module+"/app") {
		t.Fatalf("go list -deps . does not list app: %q", out)
	}
	// The fakes the sandbox's files import are the only ones allowed in.
	sandboxFakes := map[string]bool{}
	for file, imps := range readTree(t, "..")["app"] {
		if sandboxFile("app", file) {
			for _, dep := range imps.project {
				if isFake(dep) {
					sandboxFakes[dep] = true
				}
			}
		}
	}
	for _, d := range deps {
		if d == "testing" || strings.HasPrefix(d, "testing/") {
			t.Errorf("the binary links %s (find who imports it: go list -f '{{.ImportPath}} {{.Imports}}' -deps . | grep %s)", d, d)
		}
		if rel, ok := strings.CutPrefix(d, module+"/"); ok && isFake(rel) && !sandboxFakes[rel] {
			t.Errorf("the binary links the fake %s, which no sandbox file imports", rel)
		}
	}
}
