// Package pipeline is the hourly save pipeline of one server: Nitrado file
// list → newest world save (+ .arkprofile/.arktribe files when the save has
// no embedded store) → streamed download to a temporary file (gunzipped on
// the fly for .gz) → arksave decode → bases.Analyze → one snapshot write.
//
// Like the rest of jobs, pipeline declares the small interfaces it needs
// (Files, Snapshots, Open) and never imports storage or app; app wires the
// Nitrado client, storage/savefile and storage.DB (app/pipeline.go).
//
//	p, err := pipeline.New(pipeline.Options{Files: files, Snapshots: snaps, Open: open, TempDir: tmp})
//	_ = pipeline.CleanTemp(tmp) // once at start, before any run
//	sched.AddParse(id, "", p.Job(resolve))
//
// # Which file is the world save
//
// In <GamePath>/ShooterGame/Saved/SavedArks/<Map>/ the candidates are files
// named *.ark or *.ark.gz (case-insensitive) that are not backups: names
// containing a date stamp (dd.mm.yyyy, yyyy.mm.dd or yyyy-mm-dd, as ARK's and
// Nitrado's timestamped copies have) are ignored, as are *.bak, *.tmp and
// everything else. The pick is <Map>.ark or <Map>.ark.gz (the newer of the
// two when both exist), else the newest candidate by modification time.
//
// # When a run is skipped
//
// A run is skipped (Result.Skipped, no error) when the newest snapshot came
// from the same remote file with the same listed size and modification time
// and the same listing fingerprint (names, sizes and mtimes of the world save
// and the profile/tribe files), so nothing is downloaded; or, after the
// download, when the content hash (sha256 of the downloaded bytes, combined
// with the archives' hashes when they are used) equals the snapshot's.
package pipeline

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/jobs/bases"
)

// Errors callers may branch on with errors.Is.
var (
	ErrNoSave   = errors.New("no world save found")
	ErrTooLarge = errors.New("save exceeds the size cap")
)

// FileInfo is one entry of a remote directory listing.
type FileInfo struct {
	Name    string // base name
	Path    string // absolute remote path
	Size    int64
	ModTime time.Time
	IsDir   bool
}

// Files is the Nitrado file server (app adapts *nitrado.Client).
type Files interface {
	// ListFiles lists the remote directory dir (absolute).
	ListFiles(ctx context.Context, serviceID int64, dir string) ([]FileInfo, error)
	// Download streams the remote file to w as it arrives.
	Download(ctx context.Context, serviceID int64, path string, w io.Writer) error
}

// SaveFile is an open world save (storage/savefile.File satisfies it).
type SaveFile interface {
	arksave.Source
	io.Closer
}

// OpenFunc opens a downloaded .ark read-only (app wires savefile.Open).
type OpenFunc func(ctx context.Context, path string) (SaveFile, error)

// SnapshotInfo is what the pipeline needs to know about the newest stored
// snapshot to decide whether a run can be skipped.
type SnapshotInfo struct {
	RunID           string
	FileName        string // remote path of the world save
	FileSize        int64
	FileModTime     time.Time
	ContentHash     string
	ListFingerprint string
}

// Snapshots stores snapshots (app adapts *storage.DB).
type Snapshots interface {
	// LastSnapshot returns the newest snapshot of serviceID; ok is false
	// when there is none.
	LastSnapshot(ctx context.Context, serviceID int64) (info SnapshotInfo, ok bool, err error)
	// ReplaceSnapshot atomically replaces the server's snapshot with s. On
	// error the previous snapshot must stay intact.
	ReplaceSnapshot(ctx context.Context, s *Snapshot) error
}

// Snapshot is what one run writes.
type Snapshot struct {
	ServerID int64 // Nitrado service id
	RunID    string
	Source   Source
	Save     *arksave.Save // compact decoded rows; Save.Structures is not stored row by row
	Bases    []bases.Base
	// StructuresByTribe and StructuresByMaterial summarise Save.Structures.
	StructuresByTribe    map[int64]int
	StructuresByMaterial map[string]int
	// Durations and memory up to (not including) the write.
	Durations     Durations
	PeakHeapBytes int64
	PeakRSSDelta  int64
}

// Source describes the files a run used.
type Source struct {
	FileName        string // remote path of the world save
	FileSize        int64  // listed size (compressed size for .gz)
	FileModTime     time.Time
	Compressed      bool
	ContentHash     string // hex sha256 (see package doc)
	ListFingerprint string
	SaveBytes       int64 // decompressed world save bytes
	Archives        int   // .arkprofile/.arktribe files downloaded
}

// Server identifies the server a run parses.
type Server struct {
	ID       int64 // Nitrado service id
	Name     string
	GamePath string // gameserver.game_specific.path
	Map      string // e.g. "TheIsland_WP"; "" = the only folder under SavedArks
	// DecayMultiplier is the server's PvEStructureDecayPeriodMultiplier
	// (staff override, else the server's Nitrado settings); ≤ 0: 1. It
	// applies unless Options.BaseOptions sets a multiplier.
	DecayMultiplier float64
}

// Durations per stage.
type Durations struct {
	List, Download, Decode, Analyze, Write, Total time.Duration
}

// Counts of a decoded save.
type Counts struct {
	Players, Tribes, TamedDinos, WildDinos, Pawns, Structures, Bases int
	Rows, FailedRows                                                 int
}

// Result of one run.
type Result struct {
	ServerID   int64
	RunID      string
	Skipped    bool
	SkipReason string
	File       FileInfo // the world save picked (zero if listing failed)
	Source     Source
	Downloaded int64 // bytes received from Nitrado (world + archives)
	Counts     Counts
	Durations  Durations
	// PeakHeapBytes is the highest sampled Go heap (runtime/metrics
	// /memory/classes/heap/objects:bytes) during the run; PeakRSSDelta the
	// growth of the process's peak RSS (VmHWM, Linux) during the run. Both
	// are process-wide: concurrent runs share them.
	PeakHeapBytes int64
	PeakRSSDelta  int64
}

// LogValue summarises the result for slog.
func (r Result) LogValue() slog.Value {
	if r.Skipped {
		return slog.GroupValue(slog.Int64("server", r.ServerID), slog.String("run", r.RunID),
			slog.String("skipped", r.SkipReason), slog.Duration("total", r.Durations.Total))
	}
	return slog.GroupValue(slog.Int64("server", r.ServerID), slog.String("run", r.RunID),
		slog.String("file", r.File.Name), slog.Int64("size", r.Source.FileSize),
		slog.Int("players", r.Counts.Players), slog.Int("tribes", r.Counts.Tribes),
		slog.Int("tamed", r.Counts.TamedDinos), slog.Int("structures", r.Counts.Structures),
		slog.Int("bases", r.Counts.Bases), slog.Int("failed_rows", r.Counts.FailedRows),
		slog.Duration("list", r.Durations.List), slog.Duration("download", r.Durations.Download),
		slog.Duration("decode", r.Durations.Decode), slog.Duration("analyze", r.Durations.Analyze),
		slog.Duration("write", r.Durations.Write), slog.Duration("total", r.Durations.Total),
		slog.Int64("peak_heap", r.PeakHeapBytes), slog.Int64("peak_rss_delta", r.PeakRSSDelta))
}

// DefaultMaxSaveBytes caps a decompressed world save.
const DefaultMaxSaveBytes = 32 << 30

// Options configure New.
type Options struct {
	Files     Files     // required
	Snapshots Snapshots // required
	Open      OpenFunc  // required
	// TempDir receives the downloads (state dir/tmp; created if missing).
	// Each run uses its own subdirectory, removed when the run ends.
	TempDir string
	// Workers caps the decoding goroutines (0: GOMAXPROCS).
	Workers int
	Logger  *slog.Logger     // nil: slog.Default()
	Now     func() time.Time // nil: time.Now; timestamps only (durations use the monotonic clock)
	// BaseOptions returns the bases options of a server (decay multiplier…);
	// nil: zero options (defaults).
	BaseOptions func(serviceID int64) bases.Options
	// MaxSaveBytes caps the decompressed size of the world save (0:
	// DefaultMaxSaveBytes), against gzip bombs and full disks.
	MaxSaveBytes int64
	// MemSampleEvery is the heap sampling period (0: 50ms).
	MemSampleEvery time.Duration
	// OnSnapshot, if set, is called after a snapshot was written (e.g. to
	// invalidate caches). It is not called for skipped or failed runs.
	OnSnapshot func(ctx context.Context, res Result)
}

// Pipeline runs save parses. It holds no per-run state: runs of different
// servers may proceed concurrently (the scheduler caps them).
type Pipeline struct {
	files     Files
	snaps     Snapshots
	open      OpenFunc
	tempDir   string
	workers   int
	log       *slog.Logger
	now       func() time.Time
	baseOpts  func(int64) bases.Options
	maxBytes  int64
	sample    time.Duration
	onSuccess func(context.Context, Result)
}

// New validates opts and builds a Pipeline. It does no I/O.
func New(opts Options) (*Pipeline, error) {
	switch {
	case opts.Files == nil:
		return nil, errors.New("pipeline: new: nil Files")
	case opts.Snapshots == nil:
		return nil, errors.New("pipeline: new: nil Snapshots")
	case opts.Open == nil:
		return nil, errors.New("pipeline: new: nil Open")
	case opts.TempDir == "":
		return nil, errors.New("pipeline: new: empty TempDir")
	}
	p := &Pipeline{
		files:     opts.Files,
		snaps:     opts.Snapshots,
		open:      opts.Open,
		tempDir:   opts.TempDir,
		workers:   opts.Workers,
		log:       cmp.Or(opts.Logger, slog.Default()),
		now:       opts.Now,
		baseOpts:  opts.BaseOptions,
		maxBytes:  cmp.Or(max(opts.MaxSaveBytes, 0), DefaultMaxSaveBytes),
		sample:    cmp.Or(max(opts.MemSampleEvery, 0), 50*time.Millisecond),
		onSuccess: opts.OnSnapshot,
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.baseOpts == nil {
		p.baseOpts = func(int64) bases.Options { return bases.Options{} }
	}
	return p, nil
}

// Job returns a scheduler job (jobs.Job) that resolves the server (from
// cached Nitrado details) and runs the pipeline.
func (p *Pipeline) Job(resolve func(ctx context.Context) (Server, error)) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		srv, err := resolve(ctx)
		if err != nil {
			return fmt.Errorf("pipeline: resolve server: %w", err)
		}
		_, err = p.Run(ctx, srv)
		return err
	}
}

func newRunID(t time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics instead)
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// Run parses the newest save of srv and writes a snapshot, or skips when the
// save is unchanged. On any error the previous snapshot is untouched and the
// run's temporary files are removed.
func (p *Pipeline) Run(ctx context.Context, srv Server) (res Result, err error) {
	start := time.Now()
	res = Result{ServerID: srv.ID, RunID: newRunID(p.now())}
	if srv.ID <= 0 {
		return res, fmt.Errorf("pipeline: run: invalid server id %d", srv.ID)
	}
	if strings.TrimSpace(srv.GamePath) == "" {
		return res, fmt.Errorf("pipeline: server %d: empty game path", srv.ID)
	}
	mem := startMemWatch(p.sample)
	defer func() {
		res.PeakHeapBytes, res.PeakRSSDelta = mem.stop()
		res.Durations.Total = time.Since(start)
		if err != nil {
			err = fmt.Errorf("pipeline: server %d: %w", srv.ID, err)
			p.log.Error("save parse failed", "server", srv.ID, "run", res.RunID, "err", err)
			return
		}
		p.log.Info("save parse", "result", res)
	}()

	// 1. List.
	t := time.Now()
	world, archives, err := p.locate(ctx, srv)
	res.Durations.List = time.Since(t)
	if err != nil {
		return res, err
	}
	res.File = world
	fp := fingerprint(world, archives)
	res.Source = Source{FileName: world.Path, FileSize: world.Size, FileModTime: world.ModTime,
		Compressed: isGzip(world.Name), ListFingerprint: fp}
	last, haveLast, err := p.snaps.LastSnapshot(ctx, srv.ID)
	if err != nil {
		return res, fmt.Errorf("last snapshot: %w", err)
	}
	if haveLast && sameListing(last, world, fp) {
		res.Skipped, res.SkipReason = true, "unchanged since run "+last.RunID+" (size and mtime)"
		return res, nil
	}

	// 2. Download.
	runDir, err := p.makeRunDir(srv.ID)
	if err != nil {
		return res, err
	}
	defer p.removeRunDir(runDir)
	src, archiveFS, err := p.download(ctx, srv.ID, world, archives, runDir, &res)
	if err != nil {
		return res, err
	}
	defer src.Close()
	if haveLast && last.ContentHash != "" && last.ContentHash == res.Source.ContentHash {
		res.Skipped, res.SkipReason = true, "unchanged since run "+last.RunID+" (content hash)"
		return res, nil
	}

	// 3. Decode.
	t = time.Now()
	save, err := arksave.Decode(ctx, src, arksave.Options{Workers: p.workers, SavedAt: world.ModTime, Archives: archiveFS})
	res.Durations.Decode = time.Since(t)
	if err != nil {
		return res, fmt.Errorf("decode %s: %w", world.Name, err)
	}
	if srv.Map != "" && save.Map != "" && !strings.EqualFold(save.Map, srv.Map) {
		p.log.Warn("save map differs from server map", "server", srv.ID, "save_map", save.Map, "server_map", srv.Map)
	}
	if err := src.Close(); err != nil {
		p.log.Warn("close save", "server", srv.ID, "err", err)
	}

	// 4. Analyze.
	t = time.Now()
	bopts := p.baseOpts(srv.ID)
	if bopts.Multiplier <= 0 {
		bopts.Multiplier = srv.DecayMultiplier
	}
	bs := bases.Analyze(save, bopts)
	byTribe, byMat := countStructures(save)
	res.Durations.Analyze = time.Since(t)
	res.Counts = countsOf(save, bs)

	// 5. Write.
	heap, rss := mem.peak()
	snap := &Snapshot{
		ServerID: srv.ID, RunID: res.RunID, Source: res.Source, Save: save, Bases: bs,
		StructuresByTribe: byTribe, StructuresByMaterial: byMat,
		Durations: res.Durations, PeakHeapBytes: heap, PeakRSSDelta: rss,
	}
	snap.Durations.Total = time.Since(start)
	t = time.Now()
	err = p.snaps.ReplaceSnapshot(ctx, snap)
	res.Durations.Write = time.Since(t)
	if err != nil {
		return res, fmt.Errorf("write snapshot: %w", err)
	}
	if p.onSuccess != nil {
		p.onSuccess(ctx, res)
	}
	return res, nil
}

// sameListing reports whether the listed save is the one last parsed.
func sameListing(last SnapshotInfo, world FileInfo, fp string) bool {
	return last.FileName == world.Path && last.FileSize == world.Size &&
		last.FileModTime.Equal(world.ModTime) && last.ListFingerprint == fp
}

// countsOf is the run's row counts.
func countsOf(save *arksave.Save, bs []bases.Base) Counts {
	return Counts{
		Players: len(save.Players), Tribes: len(save.Tribes), TamedDinos: len(save.Dinos), WildDinos: save.WildDinos,
		Pawns: save.Pawns, Structures: len(save.Structures), Bases: len(bs),
		Rows: save.Stats.Rows, FailedRows: save.Stats.Failed,
	}
}

// countStructures counts a save's structures per tribe and per material.
func countStructures(save *arksave.Save) (byTribe map[int64]int, byMat map[string]int) {
	byTribe = make(map[int64]int)
	byMat = make(map[string]int)
	for i := range save.Structures {
		byTribe[save.Structures[i].TribeID]++
		byMat[save.Structures[i].Material]++
	}
	return byTribe, byMat
}
