package pipeline_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports enforces the layering: package pipeline declares the
// interfaces it needs and never imports storage (incl. savefile) or app.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	const mod = "github.com/blissark/bliss/"
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, banned := range []string{"storage", "app", "bots"} {
				if p == mod+banned || strings.HasPrefix(p, mod+banned+"/") {
					t.Errorf("%s imports %s", f, p)
				}
			}
		}
	}
}
