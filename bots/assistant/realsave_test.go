package assistant_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/blissark/bliss/app/assistantstore"
	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/arksave/maps"
	"github.com/blissark/bliss/storage"
	"github.com/blissark/bliss/storage/savefile"
)

// realSaves lists the .ark files under ../shared/testdata/asa, or skips.
func realSaves(t *testing.T) []string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Dir(file)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		if filepath.Dir(dir) == dir {
			t.Skip("real saves not available: repository root not found")
		}
		dir = filepath.Dir(dir)
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "..", "shared", "testdata", "asa", "*", "*.ark"))
	if len(paths) == 0 {
		t.Skip("real saves not available in ../shared/testdata/asa")
	}
	return paths
}

// TestRealSaveTeleporters decodes each real save, stores its teleporters
// as the pipeline does and reads them back through the Assistant's
// adapter: every teleporter structure of the save is there, with its
// owner, and (on maps of the table) inside the map's lat/lon grid, like
// every other structure of the save. Only counts are logged. (None of the
// public saves holds a teleporter today; the synthetic save of
// TestE2ETeleportFromSave does.)
func TestRealSaveTeleporters(t *testing.T) {
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "bliss.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := assistantstore.New(db)
	for i, path := range realSaves(t) {
		f, err := savefile.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		sv, err := arksave.Decode(ctx, f, arksave.Options{Workers: 2})
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(path), err)
		}
		want := 0
		for _, s := range sv.Structures {
			if s.HasLocation && storage.IsTeleporterClass(s.Class) {
				want++
			}
		}
		id := int64(i + 1)
		if err := db.ReplaceSaveTeleporters(ctx, id, sv.Map, sv.Structures); err != nil {
			t.Fatal(err)
		}
		got, err := st.SaveTeleporters(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != want {
			t.Errorf("%s: %d teleporters stored, the save has %d", filepath.Base(path), len(got), want)
		}
		m, known := maps.Lookup(sv.Map)
		for _, p := range got {
			if p.Class == "" || p.TribeID == 0 {
				t.Errorf("%s: teleporter without class or owner", filepath.Base(path))
			}
			if lat, lon := m.LatLon(p.X, p.Y); known && (lat < 0 || lat > 100 || lon < 0 || lon > 100) {
				t.Errorf("%s: a teleporter at %.1f/%.1f is off the %s grid", filepath.Base(path), lat, lon, m.Name)
			}
		}
		// The coordinate table places every structure of the save on the
		// map's grid (what /coords and /teleport rely on).
		off := 0
		for _, s := range sv.Structures {
			if lat, lon := m.LatLon(s.Location.X, s.Location.Y); known && s.HasLocation && (lat < 0 || lat > 100 || lon < 0 || lon > 100) {
				off++
			}
		}
		if off > 0 {
			t.Errorf("%s: %d structures off the %s grid", filepath.Base(path), off, m.Name)
		}
		t.Logf("%s (%s, in the table: %v): %d structures, %d teleporters", filepath.Base(path), sv.Map, known, len(sv.Structures), len(got))
	}
}
