package storage

// Snapshot bases of a snapshot (see jobs/bases), soonest decay first.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/blissark/bliss/arksave"
)

// Base is one base of a snapshot. Its fields are those of jobs/bases.Base,
// so a base converts with storage.Base(b) (storage is below jobs and cannot
// import it).
type Base struct {
	Owner        int64
	OwnerName    string
	Structures   int
	ByMaterial   map[string]int
	StorageCount int
	Foundations  int
	TamedDinos   int
	Center       arksave.Location
	Min, Max     arksave.Location

	DecayTier     string
	DecayDuration time.Duration
	LastRefresh   time.Time
	RefreshKnown  bool
	DecaysAt      time.Time
}

// BaseRow is a stored base.
type BaseRow struct {
	ServerID int64
	Seq      int // position in the analysis (soonest decay first)
	Base
}

var baseCols = []string{"server_id", "seq", "owner", "owner_name", "structures", "by_material", "storage_count",
	"foundations", "tamed_dinos", "x", "y", "z", "lat", "lon", "min_x", "min_y", "min_z", "max_x", "max_y", "max_z",
	"decay_tier", "decay_ns", "last_refresh", "refresh_known", "decays_at"}

func insertBases(ctx context.Context, dc any, s *Snapshot) error {
	w, err := newInsertWriter(ctx, dc, "bases", baseCols)
	if err != nil {
		return err
	}
	defer w.close()
	sid := s.Info.ServerID
	for i := range s.Bases {
		if i%ctxCheckRows == 0 {
			if err := canceled(ctx); err != nil {
				return err
			}
		}
		bs := &s.Bases[i]
		w.int(1, sid)
		w.int(2, int64(i))
		w.int(3, bs.Owner)
		w.text(4, bs.OwnerName)
		w.int(5, int64(bs.Structures))
		w.text(6, mapJSON(bs.ByMaterial))
		w.int(7, int64(bs.StorageCount))
		w.int(8, int64(bs.Foundations))
		w.int(9, int64(bs.TamedDinos))
		w.real(10, realOr0(bs.Center.X))
		w.real(11, realOr0(bs.Center.Y))
		w.real(12, realOr0(bs.Center.Z))
		if bs.Center.HasLatLon {
			w.real(13, bs.Center.Lat)
			w.real(14, bs.Center.Lon)
		} else {
			w.null(13)
			w.null(14)
		}
		for j, f := range [...]float64{bs.Min.X, bs.Min.Y, bs.Min.Z, bs.Max.X, bs.Max.Y, bs.Max.Z} {
			w.real(15+j, realOr0(f))
		}
		w.text(21, bs.DecayTier)
		w.int(22, int64(bs.DecayDuration))
		bindTime(w, 23, bs.LastRefresh)
		bindBool(w, 24, bs.RefreshKnown)
		bindTime(w, 25, bs.DecaysAt)
		if err := w.exec(); err != nil {
			return err
		}
	}
	return nil
}

// Bases returns up to limit (≤ 0: 25) bases of serverID: soonest decay
// first when orderByDecay (bases without a decay time last), else largest
// first.
func (db *DB) Bases(ctx context.Context, serverID int64, orderByDecay bool, limit int) ([]BaseRow, error) {
	op := ofServer("bases", serverID)
	limit, _ = pageArgs(limit, 0)
	order := ` ORDER BY structures DESC, seq`
	if orderByDecay {
		order = ` ORDER BY decays_at IS NULL, decays_at, seq`
	}
	rows, err := db.db.QueryContext(ctx, `SELECT seq, owner, owner_name, structures, by_material, storage_count,
	foundations, tamed_dinos, x, y, z, lat, lon, min_x, min_y, min_z, max_x, max_y, max_z, decay_tier, decay_ns,
	last_refresh, refresh_known, decays_at FROM bases WHERE server_id = ?`+order+` LIMIT ?`, serverID, limit)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []BaseRow
	for rows.Next() {
		b := BaseRow{ServerID: serverID}
		var byMat string
		var lat, lon sql.NullFloat64
		var decay int64
		var refresh, decays sql.NullString
		if err := rows.Scan(&b.Seq, &b.Owner, &b.OwnerName, &b.Structures, &byMat, &b.StorageCount, &b.Foundations,
			&b.TamedDinos, &b.Center.X, &b.Center.Y, &b.Center.Z, &lat, &lon, &b.Min.X, &b.Min.Y, &b.Min.Z,
			&b.Max.X, &b.Max.Y, &b.Max.Z, &b.DecayTier, &decay, &refresh, &b.RefreshKnown, &decays); err != nil {
			return nil, wrap(op, err)
		}
		if lat.Valid && lon.Valid {
			b.Center.Lat, b.Center.Lon, b.Center.HasLatLon = lat.Float64, lon.Float64, true
		}
		b.DecayDuration = time.Duration(decay)
		if err := json.Unmarshal([]byte(byMat), &b.ByMaterial); err != nil {
			return nil, wrap(op, fmt.Errorf("by_material: %w", err))
		}
		if b.LastRefresh, err = parseSnapTime(refresh); err != nil {
			return nil, wrap(op, err)
		}
		if b.DecaysAt, err = parseSnapTime(decays); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}
