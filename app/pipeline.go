package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/blissark/bliss/app/pipelineio"
	"github.com/blissark/bliss/jobs/bases"
	"github.com/blissark/bliss/jobs/pipeline"
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
		Files:       pipelineio.Files{Client: a.nitrado},
		Snapshots:   pipelineio.Snapshots{DB: a.db},
		Open:        pipelineio.Open,
		TempDir:     tmp,
		Workers:     a.cfg.ParseWorkers,
		Logger:      a.log.With("component", "pipeline"),
		BaseOptions: a.baseOptions,
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
		return pipeline.Server{ID: itoa(id), Name: d.Name, GamePath: d.GamePath, Map: d.Map}, nil
	})
}

// baseOptions applies the server's decay multiplier (the first guild that
// links the server decides).
func (a *appliance) baseOptions(serverID string) bases.Options {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	id, _ := strconv.ParseInt(serverID, 10, 64)
	servers, err := a.db.AllServers(ctx)
	if err != nil {
		return bases.Options{}
	}
	for _, s := range servers {
		if s.ServiceID == id {
			return bases.Options{Multiplier: s.DecayMultiplier}
		}
	}
	return bases.Options{}
}
