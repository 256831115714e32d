package app

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blissark/bliss/app/nitrado"
	"github.com/blissark/bliss/app/nitrado/nitradotest"
	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/jobs"
	"github.com/blissark/bliss/jobs/pipeline"
	"github.com/blissark/bliss/storage"
	"github.com/blissark/bliss/storage/savefile"
)

// sampleDir finds ../shared/testdata/asa from the module root, or skips.
func e2eSampleDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("ARKSAVE_SAMPLES"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("module root not found")
		}
		dir = parent
	}
	d := filepath.Join(dir, "..", "shared", "testdata", "asa")
	if _, err := os.Stat(d); err != nil {
		t.Skipf("real ASA sample saves not available at %s (set ARKSAVE_SAMPLES); skipping end-to-end test", d)
	}
	return d
}

type pipeEnv struct {
	fake  *nitradotest.Server
	db    *storage.DB
	snaps *cancelableSnaps
	p     *pipeline.Pipeline
	tmp   string
}

// cancelableSnaps wraps the storage adapter; when cancelAfter > 0 the ctx
// of ReplaceSnapshot is cancelled in the middle of the write.
type cancelableSnaps struct {
	snapshotStore
	cancelAfter atomic.Int64
}

func (c *cancelableSnaps) ReplaceSnapshot(ctx context.Context, s *pipeline.Snapshot) error {
	if n := c.cancelAfter.Load(); n > 0 {
		cctx := newCancelAfter(ctx, n)
		defer cctx.cancel()
		return c.snapshotStore.ReplaceSnapshot(cctx, s)
	}
	return c.snapshotStore.ReplaceSnapshot(ctx, s)
}

// cancelAfter cancels itself after Done has been asked n times, i.e. in
// the middle of the snapshot's statements.
type cancelAfter struct {
	context.Context
	cancel context.CancelFunc
	left   atomic.Int64
}

func newCancelAfter(parent context.Context, n int64) *cancelAfter {
	ctx, cancel := context.WithCancel(parent)
	c := &cancelAfter{Context: ctx, cancel: cancel}
	c.left.Store(n)
	return c
}

func (c *cancelAfter) Done() <-chan struct{} {
	if c.left.Add(-1) == 0 {
		c.cancel()
	}
	return c.Context.Done()
}

func newPipeEnv(t testing.TB) *pipeEnv {
	t.Helper()
	return newPipeEnvWith(t, nitrado.Options{})
}

// newPipeEnvWith is newPipeEnv with client options (token, URL, rate limit
// and retries are set here).
func newPipeEnvWith(t testing.TB, opts nitrado.Options) *pipeEnv {
	t.Helper()
	e := &pipeEnv{fake: nitradotest.New(t), tmp: filepath.Join(t.TempDir(), "tmp")}
	if err := os.Mkdir(e.tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	var err error
	e.db, err = storage.Open(t.Context(), filepath.Join(t.TempDir(), "bliss.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.db.Close() })
	opts.Token, opts.BaseURL, opts.RateLimit, opts.RetryMax = e.fake.Token(), e.fake.URL(), -1, -1
	client, err := nitrado.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.snaps = &cancelableSnaps{snapshotStore: snapshotStore{db: e.db}}
	e.p, err = pipeline.New(pipeline.Options{
		Files: nitradoFiles{client}, Snapshots: e.snaps, Open: openSave, TempDir: e.tmp, Workers: 2,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *pipeEnv) assertTempEmpty(t *testing.T) {
	t.Helper()
	ents, err := os.ReadDir(e.tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ents {
		t.Errorf("temp leftover: %s", x.Name())
	}
}

// addServer serves local as <SavedArks>/<map>/<remoteName> of service id.
func (e *pipeEnv) addServer(id int64, mapName, remoteName, local string) pipeline.Server {
	e.fake.AddService(nitradotest.Service{ID: id, Map: mapName})
	svc, _ := e.fake.Service(id)
	dir := pipeline.SavedArksDir(svc.GamePath, mapName)
	e.fake.AddFile(id, dir+"/"+remoteName, local)
	return pipeline.Server{ID: id, GamePath: svc.GamePath, Map: mapName}
}

func e2eGzipFile(t testing.TB, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(out)
	if _, err := io.Copy(zw, in); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

type e2eSampleCase struct {
	file, mapName, remote string
	// facts from testdata/asa/README.md
	tamed, pawns, structures int
	withArchives             bool // serve the folder's .arkprofile/.arktribe too
}

var sampleCases = []e2eSampleCase{
	{"hallipr-v14/Ragnarok_WP.ark", "Ragnarok_WP", "Ragnarok_WP.ark", 0, 3, 12, false},
	{"miragedmuk-v14/LostColony_WP.ark", "LostColony_WP", "LostColony_WP.ark", 8, 1, 2, true}, // 5 + 3 filled cryopods
	{"pleinx-solo-v13/solo.ark", "Aberration_WP", "solo.ark", 0, 1, 123, false},
}

// TestE2E_RealSamples runs the pipeline against the Nitrado fake serving
// the real sample saves, plain and gzipped, into a real SQLite database.
func TestE2E_RealSamples(t *testing.T) {
	dir := e2eSampleDir(t)
	e := newPipeEnv(t)
	ctx := t.Context()
	id := int64(17000000)
	for _, c := range sampleCases {
		local := filepath.Join(dir, c.file)
		// Oracle: decode the file directly.
		f, err := savefile.Open(ctx, local)
		if err != nil {
			t.Fatal(err)
		}
		want, err := arksave.Decode(ctx, f, arksave.Options{})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(want.Dinos) != c.tamed || want.Pawns != c.pawns || len(want.Structures) != c.structures {
			t.Errorf("%s: decoder disagrees with README facts: tamed %d pawns %d structures %d", c.file, len(want.Dinos), want.Pawns, len(want.Structures))
		}
		gzLocal := filepath.Join(t.TempDir(), c.remote+".gz")
		e2eGzipFile(t, local, gzLocal)

		for _, compressed := range []bool{false, true} {
			name := c.file
			if compressed {
				name += ".gz"
			}
			t.Run(name, func(t *testing.T) {
				id++
				var srv pipeline.Server
				if compressed {
					srv = e.addServer(id, c.mapName, c.remote+".gz", gzLocal)
				} else {
					srv = e.addServer(id, c.mapName, c.remote, local)
				}
				if c.withArchives {
					ents, _ := os.ReadDir(filepath.Dir(local))
					for _, x := range ents {
						if strings.HasSuffix(x.Name(), ".arkprofile") || strings.HasSuffix(x.Name(), ".arktribe") {
							e.fake.AddFile(id, pipeline.SavedArksDir(srv.GamePath, c.mapName)+"/"+x.Name(), filepath.Join(filepath.Dir(local), x.Name()))
						}
					}
				}
				res, err := e.p.Run(ctx, srv)
				if err != nil {
					t.Fatal(err)
				}
				if res.Skipped || res.Source.Compressed != compressed || res.Source.Archives != 0 {
					t.Errorf("result %+v", res)
				}
				got, err := e.db.CountSnapshot(ctx, srv.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.Players != len(want.Players) || got.Tribes != len(want.Tribes) || got.Dinos != c.tamed || got.RunID != res.RunID {
					t.Errorf("rows %+v, want players %d tribes %d dinos %d", got, len(want.Players), len(want.Tribes), c.tamed)
				}
				last, err := e.db.LastSnapshot(ctx, srv.ID)
				if err != nil {
					t.Fatal(err)
				}
				if last.Pawns != c.pawns || last.Structures != c.structures || last.Map != want.Map ||
					last.RowsTotal != want.Stats.Rows || last.RowsFailed != want.Stats.Failed || last.Compressed != compressed ||
					last.Decode <= 0 || last.Write <= 0 || last.ContentHash == "" {
					t.Errorf("snapshot info %+v", last)
				}
				sum := 0
				for _, n := range last.StructuresByMaterial {
					sum += n
				}
				if sum != c.structures {
					t.Errorf("structures by material %v, want total %d", last.StructuresByMaterial, c.structures)
				}
				players, err := e.db.Players(ctx, srv.ID, "", 100, 0)
				if err != nil || len(players) != len(want.Players) {
					t.Errorf("Players = %d, %v", len(players), err)
				}
				e.assertTempEmpty(t)

				// Unchanged: the second run is skipped without a download.
				dl := e.fake.CountCalls("GET", nitradotest.DownloadPathPattern)
				res2, err := e.p.Run(ctx, srv)
				if err != nil || !res2.Skipped {
					t.Fatalf("second run: %+v, %v", res2, err)
				}
				if n := e.fake.CountCalls("GET", nitradotest.DownloadPathPattern); n != dl {
					t.Errorf("skipped run downloaded (%d -> %d)", dl, n)
				}
				if hist, _ := e.db.SnapshotHistory(ctx, srv.ID, 10); len(hist) != 1 {
					t.Errorf("history after skip: %d runs", len(hist))
				}
			})
		}
	}
}

// TestE2E_FailuresKeepPrevious injects failures into a second run over the
// real fake and database: the first snapshot stays intact and readable and
// no temporary files remain.
func TestE2E_FailuresKeepPrevious(t *testing.T) {
	dir := e2eSampleDir(t)
	ctx := t.Context()
	rag := filepath.Join(dir, "hallipr-v14/Ragnarok_WP.ark")
	solo := filepath.Join(dir, "pleinx-solo-v13/solo.ark")
	soloBytes, err := os.ReadFile(solo)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name    string
		inject  func(t *testing.T, e *pipeEnv, dir string)
		wantErr string
	}{
		{"nitrado 503 on download", func(t *testing.T, e *pipeEnv, dir string) {
			e.fake.AddFile(1, dir+"/Ragnarok_WP.ark", solo)
			e.fake.Fail(nitradotest.Fault{Path: nitradotest.DownloadPathPattern, Status: http.StatusServiceUnavailable})
		}, "download Ragnarok_WP.ark"},
		{"connection cut mid download", func(t *testing.T, e *pipeEnv, dir string) {
			e.fake.AddFile(1, dir+"/Ragnarok_WP.ark", solo)
			e.fake.Fail(nitradotest.Fault{Path: nitradotest.DownloadPathPattern, Status: http.StatusOK,
				Body: string(soloBytes[:len(soloBytes)/2]), ContentType: "application/octet-stream",
				Header: http.Header{"Content-Length": {strconv.Itoa(len(soloBytes))}}})
		}, "download Ragnarok_WP.ark"},
		{"truncated gzip", func(t *testing.T, e *pipeEnv, dir string) {
			full := filepath.Join(t.TempDir(), "full.gz")
			e2eGzipFile(t, solo, full)
			b, err := os.ReadFile(full)
			if err != nil {
				t.Fatal(err)
			}
			cut := filepath.Join(t.TempDir(), "cut.gz")
			if err := os.WriteFile(cut, b[:len(b)*2/3], 0o600); err != nil {
				t.Fatal(err)
			}
			e.fake.AddFile(1, dir+"/Ragnarok_WP.ark.gz", cut)
		}, "truncated gzip stream"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newPipeEnv(t)
			srv := e.addServer(1, "Ragnarok_WP", "Ragnarok_WP.ark", rag)
			first, err := e.p.Run(ctx, srv)
			if err != nil {
				t.Fatal(err)
			}
			before, _ := e.db.CountSnapshot(ctx, srv.ID)
			// Each injection also changes the listing (a newer .gz wins over
			// the .ark), so the second run really downloads.
			c.inject(t, e, pipeline.SavedArksDir(srv.GamePath, srv.Map))
			_, err = e.p.Run(ctx, srv)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want %q", err, c.wantErr)
			}
			t.Logf("error: %v", err)
			after, err := e.db.CountSnapshot(ctx, srv.ID)
			if err != nil {
				t.Fatal(err)
			}
			if after != before || after.RunID != first.RunID || after.Players != first.Counts.Players {
				t.Errorf("previous snapshot changed: %+v -> %+v", before, after)
			}
			if ps, err := e.db.Players(ctx, srv.ID, "", 10, 0); err != nil || len(ps) != first.Counts.Players {
				t.Errorf("previous players not readable: %d %v", len(ps), err)
			}
			e.assertTempEmpty(t)
		})
	}
}

// TestE2E_CancelInsideWrite cancels the run's ctx at every point of the
// snapshot write in turn (after 1, 2, 3 … statements) until the write gets
// through: each failed attempt leaves the previous snapshot intact.
func TestE2E_CancelInsideWrite(t *testing.T) {
	dir := e2eSampleDir(t)
	ctx := t.Context()
	e := newPipeEnv(t)
	srv := e.addServer(1, "Ragnarok_WP", "Ragnarok_WP.ark", filepath.Join(dir, "hallipr-v14/Ragnarok_WP.ark"))
	first, err := e.p.Run(ctx, srv)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := e.db.CountSnapshot(ctx, srv.ID)
	e.fake.AddFile(1, pipeline.SavedArksDir(srv.GamePath, srv.Map)+"/Ragnarok_WP.ark", filepath.Join(dir, "miragedmuk-v14/LostColony_WP.ark"))
	failed := 0
	for n := int64(1); ; n++ {
		if n > 200 {
			t.Fatal("write never got through")
		}
		e.snaps.cancelAfter.Store(n)
		res, err := e.p.Run(ctx, srv)
		if err == nil {
			after, _ := e.db.CountSnapshot(ctx, srv.ID)
			if after.RunID != res.RunID || after.Dinos != 8 {
				t.Errorf("final snapshot %+v", after)
			}
			break
		}
		failed++
		if !strings.Contains(err.Error(), "write snapshot") || !errors.Is(err, context.Canceled) {
			t.Fatalf("n=%d: %v", n, err)
		}
		after, cerr := e.db.CountSnapshot(ctx, srv.ID)
		if cerr != nil {
			t.Fatal(cerr)
		}
		if after != before || after.RunID != first.RunID {
			t.Fatalf("n=%d: previous snapshot changed: %+v -> %+v (run error: %v)", n, before, after, err)
		}
		e.assertTempEmpty(t)
	}
	t.Logf("%d cancelled writes left the previous snapshot intact", failed)
}

// TestE2E_SchedulerPauseResume: a degraded Nitrado pauses the parse job
// (skipped, nothing written); recovery resumes it.
func TestE2E_SchedulerPauseResume(t *testing.T) {
	dir := e2eSampleDir(t)
	ctx := t.Context()
	e := newPipeEnv(t)
	srv := e.addServer(1, "Ragnarok_WP", "Ragnarok_WP.ark", filepath.Join(dir, "hallipr-v14/Ragnarok_WP.ark"))
	s := jobs.NewScheduler(jobs.Options{Logger: slog.New(slog.DiscardHandler)})
	if err := s.AddParse(srv.ID, "", e.p.Job(func(context.Context) (pipeline.Server, error) { return srv, nil })); err != nil {
		t.Fatal(err)
	}
	name := jobs.ParseJobName(srv.ID)

	s.OnHealthChange(false)
	if err := s.Trigger(ctx, name); !errors.Is(err, jobs.ErrPaused) {
		t.Fatalf("paused trigger = %v, want ErrPaused", err)
	}
	if _, err := e.db.LastSnapshot(ctx, srv.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("paused job wrote a snapshot: %v", err)
	}
	if st, _ := s.State(name); st.Skips != 1 || !strings.Contains(st.LastSkip, "paused") {
		t.Errorf("state %+v", st)
	}

	s.OnHealthChange(true)
	if err := s.Trigger(ctx, name); err != nil {
		t.Fatal(err)
	}
	c, err := e.db.CountSnapshot(ctx, srv.ID)
	if err != nil || c.Players != 2 || c.Tribes != 3 {
		t.Errorf("after resume: %+v %v", c, err)
	}
}

// TestE2E_StalledDownload: a Nitrado download that stalls mid-way fails
// the parse with a clear error once the idle timeout passes, the previous
// snapshot stays, and the next run goes ahead as usual.
func TestE2E_StalledDownload(t *testing.T) {
	dir := e2eSampleDir(t)
	ctx := t.Context()
	e := newPipeEnvWith(t, nitrado.Options{DownloadIdleTimeout: 300 * time.Millisecond})
	srv := e.addServer(1, "Ragnarok_WP", "Ragnarok_WP.ark", filepath.Join(dir, "hallipr-v14/Ragnarok_WP.ark"))
	s := jobs.NewScheduler(jobs.Options{Logger: slog.New(slog.DiscardHandler)})
	if err := s.AddParse(srv.ID, "@daily", e.p.Job(func(context.Context) (pipeline.Server, error) { return srv, nil })); err != nil {
		t.Fatal(err)
	}
	name := jobs.ParseJobName(srv.ID)
	if err := s.Trigger(ctx, name); err != nil {
		t.Fatal(err)
	}
	before, _ := e.db.CountSnapshot(ctx, srv.ID)

	e.fake.AddFile(1, pipeline.SavedArksDir(srv.GamePath, srv.Map)+"/Ragnarok_WP.ark", filepath.Join(dir, "pleinx-solo-v13/solo.ark"))
	e.fake.Fail(nitradotest.Fault{Path: nitradotest.DownloadPathPattern, StallAfter: 64 << 10, Count: 1})
	err := s.Trigger(ctx, name)
	if !errors.Is(err, nitrado.ErrStalled) || !strings.Contains(err.Error(), "download stalled: no data for 300ms") {
		t.Fatalf("stalled run = %v, want a download-stalled error", err)
	}
	t.Logf("error: %v", err)
	if st, _ := s.State(name); !strings.Contains(st.LastErr, "download stalled") || st.Running {
		t.Errorf("job state after the stall: %+v", st)
	}
	if after, _ := e.db.CountSnapshot(ctx, srv.ID); after != before {
		t.Errorf("previous snapshot changed: %+v -> %+v", before, after)
	}
	e.assertTempEmpty(t)

	if err := s.Trigger(ctx, name); err != nil {
		t.Fatalf("next run after the stall: %v", err)
	}
	if after, _ := e.db.CountSnapshot(ctx, srv.ID); after.RunID == before.RunID {
		t.Errorf("next run wrote no snapshot: %+v", after)
	}
}
