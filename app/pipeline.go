package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/blissark/bliss/app/nitrado"
	"github.com/blissark/bliss/jobs/pipeline"
	"github.com/blissark/bliss/storage"
	"github.com/blissark/bliss/storage/savefile"
)

// newPipeline builds the save pipeline over the Nitrado file server, the
// SQLite snapshot store and read-only save files. Leftover downloads from a
// crash are removed first.
func (a *appliance) newPipeline() (*pipeline.Pipeline, error) {
	tmp := filepath.Join(a.cfg.StateDir, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	if err := pipeline.CleanTemp(tmp); err != nil {
		a.log.Warn("clean temp downloads", "dir", tmp, "err", err)
	}
	return pipeline.New(pipeline.Options{
		Files:     nitradoFiles{a.nitrado},
		Snapshots: snapshotStore{db: a.db},
		Open:      openSave,
		TempDir:   tmp,
		Workers:   a.cfg.ParseWorkers,
		Logger:    a.log.With("component", "pipeline"),
	})
}

// parseJob is the hourly (and on-demand) save parse of one server. The
// server's game path and map come from the details cache, which serves the
// last known copy while Nitrado is degraded.
func (a *appliance) parseJob(id int64) func(ctx context.Context) error {
	return a.pipe.Job(func(ctx context.Context) (pipeline.Server, error) {
		d, err := a.sd.Get(ctx, id)
		if err != nil {
			return pipeline.Server{}, err
		}
		return pipeline.Server{ID: id, Name: d.Name, GamePath: d.GamePath, Map: d.Map,
			DecayMultiplier: decayMultiplier(a.decayOverride(ctx, id), d.DecayMultiplier)}, nil
	})
}

// decayMultiplier is the multiplier a parse uses: the staff override when
// set, else the server's own PvEStructureDecayPeriodMultiplier from its
// Nitrado settings (0 = the default, 1).
func decayMultiplier(override, fromNitrado float64) float64 {
	if override > 0 {
		return override
	}
	return fromNitrado
}

// decayOverride is the multiplier staff stored for the server (the first
// guild that links it decides); 0 when none differs from the default 1.
func (a *appliance) decayOverride(ctx context.Context, serviceID int64) float64 {
	servers, err := a.db.AllServers(ctx)
	if err != nil {
		return 0
	}
	for _, s := range servers {
		if s.ServiceID == serviceID && s.DecayMultiplier > 0 && s.DecayMultiplier != 1 {
			return s.DecayMultiplier
		}
	}
	return 0
}

// nitradoFiles is the pipeline's file server: the Nitrado client's listing
// in the pipeline's terms.
type nitradoFiles struct{ c *nitrado.Client }

func (f nitradoFiles) ListFiles(ctx context.Context, serviceID int64, dir string) ([]pipeline.FileInfo, error) {
	ents, err := f.c.ListFiles(ctx, serviceID, dir)
	if err != nil {
		return nil, err
	}
	out := make([]pipeline.FileInfo, 0, len(ents))
	for _, e := range ents {
		out = append(out, pipeline.FileInfo{Name: e.Name, Path: e.Path, Size: e.Size, ModTime: e.ModifiedAt, IsDir: e.IsDir()})
	}
	return out, nil
}

func (f nitradoFiles) Download(ctx context.Context, serviceID int64, path string, w io.Writer) error {
	_, err := f.c.Download(ctx, serviceID, path, w)
	return err
}

// openSave opens a downloaded save read-only (pipeline.OpenFunc).
func openSave(ctx context.Context, path string) (pipeline.SaveFile, error) {
	return savefile.Open(ctx, path)
}

// snapshotStore is the pipeline's snapshot store over SQLite.
type snapshotStore struct {
	db   *storage.DB
	keep int // runs kept per server; 0 = storage.DefaultSnapshotKeep
}

func (s snapshotStore) LastSnapshot(ctx context.Context, serviceID int64) (pipeline.SnapshotInfo, bool, error) {
	in, err := s.db.LastSnapshot(ctx, serviceID)
	if errors.Is(err, storage.ErrNotFound) {
		return pipeline.SnapshotInfo{}, false, nil
	}
	if err != nil {
		return pipeline.SnapshotInfo{}, false, err
	}
	return pipeline.SnapshotInfo{RunID: in.RunID, FileName: in.FileName, FileSize: in.FileSize,
		FileModTime: in.FileModTime, ContentHash: in.ContentHash, ListFingerprint: in.ListFingerprint}, true, nil
}

func (s snapshotStore) ReplaceSnapshot(ctx context.Context, p *pipeline.Snapshot) error {
	sv := p.Save
	snap := &storage.Snapshot{
		Info: storage.SnapshotInfo{
			ServerID: p.ServerID, RunID: p.RunID, Map: sv.Map, SaveVersion: sv.SaveVersion, SavedAt: sv.SavedAt,
			GameTime: sv.GameTime, FileName: p.Source.FileName, FileSize: p.Source.FileSize,
			FileModTime: p.Source.FileModTime, Compressed: p.Source.Compressed, ContentHash: p.Source.ContentHash,
			ListFingerprint: p.Source.ListFingerprint, WildDinos: sv.WildDinos, Pawns: sv.Pawns,
			Structures: len(sv.Structures), RowsTotal: sv.Stats.Rows, RowsFailed: sv.Stats.Failed,
			FailedByClass: sv.Stats.FailedByClass, StructuresByMaterial: p.StructuresByMaterial,
			List: p.Durations.List, Download: p.Durations.Download, Decode: p.Durations.Decode,
			Analyze: p.Durations.Analyze, PeakHeapBytes: p.PeakHeapBytes, PeakRSSDelta: p.PeakRSSDelta,
		},
		Players:           sv.Players,
		Tribes:            sv.Tribes,
		Dinos:             sv.Dinos,
		StructuresByTribe: p.StructuresByTribe,
		Keep:              s.keep,
		Bases:             make([]storage.Base, len(p.Bases)),
	}
	for i, b := range p.Bases {
		snap.Bases[i] = storage.Base(b) // same fields: a conversion, not a copy by hand
	}
	if err := s.db.ReplaceSnapshot(ctx, snap); err != nil {
		return err
	}
	// The snapshot is committed: its teleporters (the Assistant's /teleport)
	// follow even if the run is being cancelled, so the two never disagree.
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return s.db.ReplaceSaveTeleporters(tctx, p.ServerID, sv.Map, sv.Structures)
}
