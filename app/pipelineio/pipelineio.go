// Package pipelineio adapts the save pipeline's interfaces (jobs/pipeline)
// to the concrete Nitrado client, storage/savefile and the SQLite snapshot
// store. jobs may not import storage or app, so the glue lives here, shared
// by app and the pipeline's end-to-end tests.
package pipelineio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/blissark/bliss/app/nitrado"
	"github.com/blissark/bliss/jobs/pipeline"
	"github.com/blissark/bliss/storage"
	"github.com/blissark/bliss/storage/savefile"
)

// Files adapts *nitrado.Client to pipeline.Files.
type Files struct{ Client *nitrado.Client }

func serviceID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("invalid nitrado service id %q", s)
	}
	return id, nil
}

func (f Files) ListFiles(ctx context.Context, serverID, dir string) ([]pipeline.FileInfo, error) {
	id, err := serviceID(serverID)
	if err != nil {
		return nil, err
	}
	ents, err := f.Client.ListFiles(ctx, id, dir)
	if err != nil {
		return nil, err
	}
	out := make([]pipeline.FileInfo, 0, len(ents))
	for _, e := range ents {
		out = append(out, pipeline.FileInfo{Name: e.Name, Path: e.Path, Size: e.Size, ModTime: e.ModifiedAt, IsDir: e.IsDir()})
	}
	return out, nil
}

func (f Files) Download(ctx context.Context, serverID, path string, w io.Writer) error {
	id, err := serviceID(serverID)
	if err != nil {
		return err
	}
	_, err = f.Client.Download(ctx, id, path, w)
	return err
}

// Open adapts savefile.Open to pipeline.OpenFunc.
func Open(ctx context.Context, path string) (pipeline.SaveFile, error) {
	return savefile.Open(ctx, path)
}

// Snapshots adapts *storage.DB to pipeline.Snapshots.
type Snapshots struct {
	DB   *storage.DB
	Keep int // runs kept per server; 0 = storage.DefaultSnapshotKeep
}

func (s Snapshots) LastSnapshot(ctx context.Context, serverID string) (pipeline.SnapshotInfo, bool, error) {
	in, err := s.DB.LastSnapshot(ctx, serverID)
	if errors.Is(err, storage.ErrNotFound) {
		return pipeline.SnapshotInfo{}, false, nil
	}
	if err != nil {
		return pipeline.SnapshotInfo{}, false, err
	}
	return pipeline.SnapshotInfo{RunID: in.RunID, FileName: in.FileName, FileSize: in.FileSize,
		FileModTime: in.FileModTime, ContentHash: in.ContentHash, ListFingerprint: in.ListFingerprint}, true, nil
}

func (s Snapshots) ReplaceSnapshot(ctx context.Context, p *pipeline.Snapshot) error {
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
		Keep:              s.Keep,
	}
	snap.Bases = make([]storage.Base, len(p.Bases))
	for i, b := range p.Bases {
		snap.Bases[i] = storage.Base{
			Owner: b.Owner, OwnerName: b.OwnerName, Structures: b.Structures, ByMaterial: b.ByMaterial,
			StorageCount: b.StorageCount, Foundations: b.Foundations, TamedDinos: b.TamedDinos,
			Center: b.Center, Min: b.Min, Max: b.Max, DecayTier: b.DecayTier, DecayDuration: b.DecayDuration,
			LastRefresh: b.LastRefresh, RefreshKnown: b.RefreshKnown, DecaysAt: b.DecaysAt,
		}
	}
	return s.DB.ReplaceSnapshot(ctx, snap)
}
