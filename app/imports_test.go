package app

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/blissark/bliss"

// TestImportDirection enforces main → app → {bots, jobs, storage, arksave}:
// arksave imports only the standard library, bots and jobs never import
// storage (they declare interfaces), and nothing below app imports app.
func TestImportDirection(t *testing.T) {
	root := ".."
	imports := map[string][]string{} // package dir -> project imports (non-test files)
	stdlibOnly := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, module+"/") {
				imports[rel] = append(imports[rel], strings.TrimPrefix(p, module+"/"))
			} else if strings.Contains(strings.SplitN(p, "/", 2)[0], ".") {
				stdlibOnly[rel] = append(stdlibOnly[rel], p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	under := func(pkg, top string) bool { return pkg == top || strings.HasPrefix(pkg, top+"/") }
	for pkg, deps := range imports {
		for _, dep := range deps {
			switch {
			case under(dep, "app") && !under(pkg, "app") && pkg != ".":
				t.Errorf("%s imports %s: only main may import app", pkg, dep)
			case (under(pkg, "bots") || under(pkg, "jobs")) && under(dep, "storage"):
				t.Errorf("%s imports %s: bots and jobs declare interfaces instead of importing storage", pkg, dep)
			case under(pkg, "bots") && under(dep, "jobs"), under(pkg, "jobs") && under(dep, "bots"):
				t.Errorf("%s imports %s: bots and jobs are siblings", pkg, dep)
			case under(pkg, "storage") && (under(dep, "bots") || under(dep, "jobs")):
				t.Errorf("%s imports %s: storage is below bots and jobs", pkg, dep)
			case pkg == "arksave" && dep != "arksave/maps", pkg == "arksave/maps":
				t.Errorf("%s imports %s: arksave is a leaf (it may use only its coordinate table arksave/maps)", pkg, dep)
			}
		}
	}
	for _, leaf := range []string{"arksave", "arksave/maps"} {
		if ext := stdlibOnly[leaf]; len(ext) > 0 {
			t.Errorf("%s imports non-standard packages %v: it must use only the standard library", leaf, ext)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "main.go")); err != nil {
		t.Fatalf("walked the wrong tree: %v", err)
	}
	if len(imports["."]) == 0 {
		t.Error("main.go does not import app")
	}
}
