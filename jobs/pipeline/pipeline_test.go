package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/arksave/arksavetest"
	"github.com/blissark/bliss/storage/savefile"
)

// memFiles is an in-memory Files.
type memFiles struct {
	mu        sync.Mutex
	files     map[string]memFile // remote path -> file
	downloads int
	// failAt, if > 0, makes downloads of failPath fail after that many bytes.
	failPath string
	failAt   int
	listErr  error
}

type memFile struct {
	data []byte
	mod  time.Time
}

func newMemFiles() *memFiles { return &memFiles{files: map[string]memFile{}} }

func (m *memFiles) put(p string, data []byte, mod time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files[p] = memFile{data: data, mod: mod}
}

func (m *memFiles) ListFiles(ctx context.Context, serverID int64, dir string) ([]FileInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.listErr != nil {
		return nil, m.listErr
	}
	var out []FileInfo
	seen := map[string]bool{}
	for p, f := range m.files {
		rest, ok := strings.CutPrefix(p, strings.TrimSuffix(dir, "/")+"/")
		if !ok {
			continue
		}
		if sub, _, deeper := strings.Cut(rest, "/"); deeper {
			if !seen[sub] {
				seen[sub] = true
				out = append(out, FileInfo{Name: sub, Path: path.Join(dir, sub), IsDir: true})
			}
			continue
		}
		out = append(out, FileInfo{Name: rest, Path: p, Size: int64(len(f.data)), ModTime: f.mod})
	}
	if out == nil {
		return nil, errors.New("directory doesn't exist")
	}
	return out, nil
}

func (m *memFiles) Download(ctx context.Context, serverID int64, p string, w io.Writer) error {
	m.mu.Lock()
	f, ok := m.files[p]
	m.downloads++
	failAt := 0
	if p == m.failPath {
		failAt = m.failAt
	}
	m.mu.Unlock()
	if !ok {
		return errors.New("file doesn't exist")
	}
	data := f.data
	if failAt > 0 && failAt < len(data) {
		if _, err := w.Write(data[:failAt]); err != nil {
			return err
		}
		return errors.New("503 Service Unavailable")
	}
	for len(data) > 0 { // chunked like a network body
		n := min(len(data), 32<<10)
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := w.Write(data[:n]); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

func (m *memFiles) downloadCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.downloads
}

// memSnaps is an in-memory Snapshots.
type memSnaps struct {
	mu       sync.Mutex
	last     *Snapshot
	writes   int
	writeErr error
}

func (m *memSnaps) LastSnapshot(ctx context.Context, serverID int64) (SnapshotInfo, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.last == nil {
		return SnapshotInfo{}, false, nil
	}
	s := m.last.Source
	return SnapshotInfo{RunID: m.last.RunID, FileName: s.FileName, FileSize: s.FileSize, FileModTime: s.FileModTime,
		ContentHash: s.ContentHash, ListFingerprint: s.ListFingerprint}, true, nil
}

func (m *memSnaps) ReplaceSnapshot(ctx context.Context, s *Snapshot) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.writeErr != nil {
		return m.writeErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.last = s
	m.writes++
	return nil
}

func openSave(ctx context.Context, p string) (SaveFile, error) { return savefile.Open(ctx, p) }

const gamePath = "/games/ni1_1/ftproot/arksa/"

var testCounts = arksavetest.Counts{Seed: 7, Map: "TheIsland_WP", Players: 12, Tribes: 3, TamedDinos: 30, WildDinos: 10, Structures: 200}

// writeSave writes a synthetic save and returns its bytes.
func writeSave(t testing.TB, c arksavetest.Counts, opts arksavetest.Options) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "w.ark")
	if err := arksavetest.Write(p, arksavetest.Generate(c), opts); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type fixture struct {
	files *memFiles
	snaps *memSnaps
	tmp   string
	p     *Pipeline
	srv   Server
	dir   string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{files: newMemFiles(), snaps: &memSnaps{}, tmp: t.TempDir(),
		srv: Server{ID: 1, GamePath: gamePath, Map: "TheIsland_WP"}}
	f.dir = SavedArksDir(gamePath, "TheIsland_WP")
	var err error
	f.p, err = New(Options{Files: f.files, Snapshots: f.snaps, Open: openSave, TempDir: f.tmp, Workers: 2,
		MemSampleEvery: time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) assertTempEmpty(t *testing.T) {
	t.Helper()
	ents, err := os.ReadDir(f.tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("temp leftover: %s", e.Name())
	}
}

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func TestPickWorldSave(t *testing.T) {
	t.Parallel()
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	cases := []struct {
		name  string
		files []FileInfo
		want  string
	}{
		{"map name wins over newer", []FileInfo{{Name: "TheIsland_WP.ark", ModTime: at(1)}, {Name: "Other.ark", ModTime: at(5)}}, "TheIsland_WP.ark"},
		{"gz of the map", []FileInfo{{Name: "TheIsland_WP.ark.gz", ModTime: at(1)}, {Name: "x.txt", ModTime: at(5)}}, "TheIsland_WP.ark.gz"},
		{"newer of plain and gz", []FileInfo{{Name: "TheIsland_WP.ark", ModTime: at(1)}, {Name: "theisland_wp.ark.gz", ModTime: at(2)}}, "theisland_wp.ark.gz"},
		{"backups ignored", []FileInfo{
			{Name: "TheIsland_WP_20.11.2026_10.00.00.ark", ModTime: at(9)},
			{Name: "TheIsland_WP.ark.bak", ModTime: at(9)},
			{Name: "TheIsland_WP_2026-11-20.ark", ModTime: at(9)},
			{Name: "TheIsland_WP.ark", ModTime: at(1)}}, "TheIsland_WP.ark"},
		{"else newest ark", []FileInfo{{Name: "solo.ark", ModTime: at(2)}, {Name: "old.ark", ModTime: at(1)}, {Name: "a.arkprofile", ModTime: at(3)}}, "solo.ark"},
		{"dirs ignored", []FileInfo{{Name: "TheIsland_WP.ark", IsDir: true}}, ""},
		{"none", []FileInfo{{Name: "1.arktribe"}, {Name: "TheIsland_WP.tmp"}}, ""},
	}
	for _, c := range cases {
		got, ok := PickWorldSave(c.files, "TheIsland_WP")
		if got.Name != c.want || ok != (c.want != "") {
			t.Errorf("%s: got %q %v, want %q", c.name, got.Name, ok, c.want)
		}
	}
}

func TestPipeline_RunSkipAndContentHash(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	data := writeSave(t, testCounts, arksavetest.Options{Seed: 7})
	f.files.put(f.dir+"/TheIsland_WP.ark", data, t0)
	f.files.put(f.dir+"/TheIsland_WP_19.11.2026_10.00.00.ark", []byte("backup, never read"), t0.Add(time.Hour))
	ctx := t.Context()

	res, err := f.p.Run(ctx, f.srv)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Counts
	if res.Skipped || c.Players != 12 || c.Tribes != 3 || c.TamedDinos != 30 || c.Structures != 200 || c.WildDinos != 10 {
		t.Fatalf("result %+v", res)
	}
	if f.snaps.writes != 1 || f.snaps.last.Save == nil || len(f.snaps.last.Save.Players) != 12 || f.snaps.last.Source.SaveBytes != int64(len(data)) {
		t.Fatalf("snapshot not written: %+v", f.snaps.last)
	}
	if res.Durations.Download <= 0 || res.Durations.Decode <= 0 || res.Durations.Total <= 0 || res.PeakHeapBytes <= 0 {
		t.Errorf("durations/memory not recorded: %+v", res)
	}
	if res.File.Name != "TheIsland_WP.ark" || f.snaps.last.Save.SavedAt != t0 {
		t.Errorf("file %+v saved at %v", res.File, f.snaps.last.Save.SavedAt)
	}
	f.assertTempEmpty(t)

	// Unchanged listing: skipped without a download.
	n := f.files.downloadCount()
	res, err = f.p.Run(ctx, f.srv)
	if err != nil || !res.Skipped || !strings.Contains(res.SkipReason, "size and mtime") {
		t.Fatalf("second run: %+v, %v", res, err)
	}
	if f.files.downloadCount() != n {
		t.Errorf("skipped run downloaded")
	}

	// Touched but identical: downloaded, skipped by content hash.
	f.files.put(f.dir+"/TheIsland_WP.ark", data, t0.Add(2*time.Hour))
	res, err = f.p.Run(ctx, f.srv)
	if err != nil || !res.Skipped || !strings.Contains(res.SkipReason, "content hash") {
		t.Fatalf("third run: %+v, %v", res, err)
	}
	if f.snaps.writes != 1 {
		t.Errorf("writes = %d", f.snaps.writes)
	}
	f.assertTempEmpty(t)
}

func TestPipeline_Gzip(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	data := writeSave(t, testCounts, arksavetest.Options{Seed: 7})
	f.files.put(f.dir+"/TheIsland_WP.ark.gz", gz(t, data), t0)
	res, err := f.p.Run(t.Context(), f.srv)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Source.Compressed || res.Source.SaveBytes != int64(len(data)) || res.Counts.Players != 12 || res.Counts.Structures != 200 {
		t.Errorf("gzip run: %+v", res)
	}
	f.assertTempEmpty(t)
}

func TestPipeline_FailuresKeepPrevious(t *testing.T) {
	t.Parallel()
	data := writeSave(t, testCounts, arksavetest.Options{Seed: 7})
	other := writeSave(t, arksavetest.Counts{Seed: 8, Map: "TheIsland_WP", Players: 2}, arksavetest.Options{Seed: 8})
	zipped := gz(t, other)

	cases := []struct {
		name    string
		setup   func(f *fixture)
		wantErr string
		is      error
	}{
		{"truncated gzip", func(f *fixture) {
			f.files.put(f.dir+"/TheIsland_WP.ark.gz", zipped[:len(zipped)/2], t0.Add(time.Hour))
		}, "truncated gzip", io.ErrUnexpectedEOF},
		{"not gzip", func(f *fixture) {
			f.files.put(f.dir+"/TheIsland_WP.ark.gz", other[:4096], t0.Add(time.Hour))
		}, "corrupt gzip", nil},
		{"503 mid download", func(f *fixture) {
			f.files.put(f.dir+"/TheIsland_WP.ark", other, t0.Add(time.Hour))
			f.files.failPath, f.files.failAt = f.dir+"/TheIsland_WP.ark", len(other)/3
		}, "503", nil},
		{"503 mid gzip download", func(f *fixture) {
			f.files.put(f.dir+"/TheIsland_WP.ark.gz", zipped, t0.Add(time.Hour))
			f.files.failPath, f.files.failAt = f.dir+"/TheIsland_WP.ark.gz", len(zipped)/3
		}, "download TheIsland_WP.ark.gz: 503", nil},
		{"broken save", func(f *fixture) {
			f.files.put(f.dir+"/TheIsland_WP.ark", bytes.Repeat([]byte("garbage!"), 1000), t0.Add(time.Hour))
		}, "open TheIsland_WP.ark", nil},
		{"empty save", func(f *fixture) {
			f.files.put(f.dir+"/TheIsland_WP.ark", nil, t0.Add(time.Hour))
		}, "open TheIsland_WP.ark", nil},
		{"write fails", func(f *fixture) {
			f.files.put(f.dir+"/TheIsland_WP.ark", other, t0.Add(time.Hour))
			f.snaps.writeErr = errors.New("disk I/O error")
		}, "write snapshot: disk I/O error", nil},
		{"list fails", func(f *fixture) {
			f.files.listErr = errors.New("nitrado: 503")
		}, "list /games", nil},
		{"no save", func(f *fixture) {
			f.files.put(f.dir+"/TheIsland_WP.ark", nil, t0) // replaced below
			f.files.mu.Lock()
			delete(f.files.files, f.dir+"/TheIsland_WP.ark")
			f.files.mu.Unlock()
			f.files.put(f.dir+"/readme.txt", []byte("x"), t0)
		}, "no world save", ErrNoSave},
		{"decompressed cap", func(f *fixture) {
			f.files.put(f.dir+"/TheIsland_WP.ark.gz", gz(t, bytes.Repeat([]byte{0}, 10<<20)), t0.Add(time.Hour))
			f.p.maxBytes = 1 << 20
		}, "gunzip TheIsland_WP.ark.gz: save exceeds", ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.files.put(f.dir+"/TheIsland_WP.ark", data, t0)
			if _, err := f.p.Run(t.Context(), f.srv); err != nil {
				t.Fatal(err)
			}
			prev := f.snaps.last
			c.setup(f)
			res, err := f.p.Run(t.Context(), f.srv)
			if err == nil {
				t.Fatalf("no error; result %+v", res)
			}
			if !strings.Contains(err.Error(), c.wantErr) || !strings.HasPrefix(err.Error(), "pipeline: server 1: ") {
				t.Errorf("error %q, want it to contain %q", err, c.wantErr)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %v is not %v", err, c.is)
			}
			if f.snaps.last != prev {
				t.Errorf("previous snapshot replaced")
			}
			f.assertTempEmpty(t)
		})
	}
}

func TestPipeline_CanceledContext(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.files.put(f.dir+"/TheIsland_WP.ark", writeSave(t, testCounts, arksavetest.Options{Seed: 7}), t0)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := f.p.Run(ctx, f.srv); err == nil {
		t.Fatal("no error")
	}
	if f.snaps.last != nil {
		t.Error("snapshot written")
	}
	f.assertTempEmpty(t)
}

func TestPipeline_ArchivesWhenNoStore(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	pdir := t.TempDir()
	data := writeSave(t, testCounts, arksavetest.Options{Seed: 7, NoStore: true, ProfileDir: pdir})
	f.files.put(f.dir+"/TheIsland_WP.ark", data, t0)
	ents, err := os.ReadDir(pdir)
	if err != nil || len(ents) == 0 {
		t.Fatalf("no profile files: %v", err)
	}
	for i, e := range ents {
		b, err := os.ReadFile(filepath.Join(pdir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			f.files.put(f.dir+"/"+e.Name()+".gz", gz(t, b), t0) // gzipped archives work too
			continue
		}
		f.files.put(f.dir+"/"+e.Name(), b, t0)
	}
	res, err := f.p.Run(t.Context(), f.srv)
	if err != nil {
		t.Fatal(err)
	}
	if res.Source.Archives != len(ents) || res.Counts.Tribes != 3 || res.Counts.FailedRows != 0 {
		t.Fatalf("archives %d of %d, counts %+v", res.Source.Archives, len(ents), res.Counts)
	}
	named := 0
	for _, p := range f.snaps.last.Save.Players {
		if p.PlatformName != "" {
			named++
		}
	}
	if named != 12 {
		t.Errorf("%d of 12 players have profile data", named)
	}
	f.assertTempEmpty(t)

	// A touched profile alone changes the listing fingerprint: the files
	// are downloaded again (then skipped on the unchanged content hash).
	n := f.files.downloadCount()
	f.files.put(f.dir+"/"+ents[len(ents)-1].Name(), mustRead(t, filepath.Join(pdir, ents[len(ents)-1].Name())), t0.Add(time.Minute))
	res, err = f.p.Run(t.Context(), f.srv)
	if err != nil || !res.Skipped || !strings.Contains(res.SkipReason, "content hash") || f.files.downloadCount() == n {
		t.Fatalf("profile touched: %+v %v", res, err)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPipeline_MapFromFolder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.files.put(f.dir+"/TheIsland_WP.ark", writeSave(t, testCounts, arksavetest.Options{Seed: 7}), t0)
	srv := f.srv
	srv.Map = ""
	res, err := f.p.Run(t.Context(), srv)
	if err != nil || res.Counts.Players != 12 {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestCleanTemp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, tempPrefix+"1-123", "archives"), 0o700)
	os.WriteFile(filepath.Join(dir, tempPrefix+"1-123", "world.ark"), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(dir, "keep.txt"), []byte("x"), 0o600)
	if err := CleanTemp(dir); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != "keep.txt" {
		t.Errorf("left: %v", ents)
	}
	if err := CleanTemp(filepath.Join(dir, "missing")); err != nil {
		t.Errorf("missing dir: %v", err)
	}
}

func TestNew_Validates(t *testing.T) {
	t.Parallel()
	for i, o := range []Options{{}, {Files: newMemFiles()}, {Files: newMemFiles(), Snapshots: &memSnaps{}},
		{Files: newMemFiles(), Snapshots: &memSnaps{}, Open: openSave}} {
		if _, err := New(o); err == nil {
			t.Errorf("options %d accepted", i)
		}
	}
}

func TestPipeline_Job(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.files.put(f.dir+"/TheIsland_WP.ark", writeSave(t, testCounts, arksavetest.Options{Seed: 7}), t0)
	var got []Result
	f.p.onSuccess = func(_ context.Context, r Result) { got = append(got, r) }
	job := f.p.Job(func(context.Context) (Server, error) { return f.srv, nil })
	if err := job(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Counts.Players != 12 {
		t.Errorf("OnSnapshot calls: %+v", got)
	}
	bad := f.p.Job(func(context.Context) (Server, error) { return Server{}, fs.ErrNotExist })
	if err := bad(t.Context()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("resolve error: %v", err)
	}
	_ = fmt.Sprint()
	_ = arksave.ErrNotFound
}

// TestPipeline_DecayMultiplier: the server's decay multiplier (staff
// override or Nitrado settings, resolved by the caller) scales every base's
// decay timer.
func TestPipeline_DecayMultiplier(t *testing.T) {
	t.Parallel()
	data := writeSave(t, testCounts, arksavetest.Options{Seed: 7})
	decay := func(mult float64) []time.Duration {
		f := newFixture(t)
		f.files.put(f.dir+"/TheIsland_WP.ark", data, t0)
		f.srv.DecayMultiplier = mult
		if _, err := f.p.Run(t.Context(), f.srv); err != nil {
			t.Fatal(err)
		}
		var out []time.Duration
		for _, b := range f.snaps.last.Bases {
			out = append(out, b.DecayDuration)
		}
		return out
	}
	one, two := decay(0), decay(2)
	if len(one) == 0 || len(one) != len(two) {
		t.Fatalf("bases: %d and %d", len(one), len(two))
	}
	for i := range one {
		if two[i] != 2*one[i] {
			t.Fatalf("base %d: decay %v with multiplier 2, %v by default", i, two[i], one[i])
		}
	}
}
