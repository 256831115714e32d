package storage

// Snapshot save_snapshots runs: one row per parse, history, counts, deletion.

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

func insertInfo(exec func(string, ...any) (driver.Result, error), in *SnapshotInfo) error {
	const q = `INSERT INTO save_snapshots (server_id, run_id, map, save_version, saved_at, game_time,
	file_name, file_size, file_mtime, compressed, content_hash, list_fingerprint,
	players, tribes, tamed_dinos, wild_dinos, pawns, structures, bases, rows_total, rows_failed,
	failed_by_class, structures_by_material, list_ns, download_ns, decode_ns, analyze_ns, write_ns,
	peak_heap_bytes, peak_rss_delta, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	res, err := exec(q, in.ServerID, in.RunID, in.Map, in.SaveVersion, snapTime(in.SavedAt), realOr0(in.GameTime),
		in.FileName, in.FileSize, snapTime(in.FileModTime), in.Compressed, in.ContentHash, in.ListFingerprint,
		in.Players, in.Tribes, in.TamedDinos, in.WildDinos, in.Pawns, in.Structures, in.Bases, in.RowsTotal, in.RowsFailed,
		mapJSON(in.FailedByClass), mapJSON(in.StructuresByMaterial), int64(in.List), int64(in.Download), int64(in.Decode),
		int64(in.Analyze), int64(in.Write), in.PeakHeapBytes, in.PeakRSSDelta, snapTime(in.CreatedAt))
	if err != nil {
		return fmt.Errorf("save_snapshots: insert: %w", err)
	}
	if in.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("save_snapshots: insert: %w", err)
	}
	return nil
}

const infoCols = `id, server_id, run_id, map, save_version, saved_at, game_time,
	file_name, file_size, file_mtime, compressed, content_hash, list_fingerprint,
	players, tribes, tamed_dinos, wild_dinos, pawns, structures, bases, rows_total, rows_failed,
	failed_by_class, structures_by_material, list_ns, download_ns, decode_ns, analyze_ns, write_ns,
	peak_heap_bytes, peak_rss_delta, created_at`

func scanInfo(sc interface{ Scan(dest ...any) error }) (SnapshotInfo, error) {
	var in SnapshotInfo
	var savedAt, mtime, created sql.NullString
	var failedBy, byMat string
	var list, dl, dec, an, wr int64
	err := sc.Scan(&in.ID, &in.ServerID, &in.RunID, &in.Map, &in.SaveVersion, &savedAt, &in.GameTime,
		&in.FileName, &in.FileSize, &mtime, &in.Compressed, &in.ContentHash, &in.ListFingerprint,
		&in.Players, &in.Tribes, &in.TamedDinos, &in.WildDinos, &in.Pawns, &in.Structures, &in.Bases, &in.RowsTotal, &in.RowsFailed,
		&failedBy, &byMat, &list, &dl, &dec, &an, &wr, &in.PeakHeapBytes, &in.PeakRSSDelta, &created)
	if err != nil {
		return in, err
	}
	in.List, in.Download, in.Decode, in.Analyze, in.Write = time.Duration(list), time.Duration(dl), time.Duration(dec), time.Duration(an), time.Duration(wr)
	for _, p := range []struct {
		dst *time.Time
		src sql.NullString
	}{{&in.SavedAt, savedAt}, {&in.FileModTime, mtime}, {&in.CreatedAt, created}} {
		if *p.dst, err = parseSnapTime(p.src); err != nil {
			return in, err
		}
	}
	if err := json.Unmarshal([]byte(failedBy), &in.FailedByClass); err != nil {
		return in, fmt.Errorf("failed_by_class: %w", err)
	}
	if err := json.Unmarshal([]byte(byMat), &in.StructuresByMaterial); err != nil {
		return in, fmt.Errorf("structures_by_material: %w", err)
	}
	return in, nil
}

// LastSnapshot returns the newest run of serverID, or ErrNotFound.
func (db *DB) LastSnapshot(ctx context.Context, serverID int64) (SnapshotInfo, error) {
	row := db.db.QueryRowContext(ctx, `SELECT `+infoCols+` FROM save_snapshots WHERE server_id = ? ORDER BY id DESC LIMIT 1`, serverID)
	in, err := scanInfo(row)
	if errors.Is(err, sql.ErrNoRows) {
		return in, fmt.Errorf("storage: last snapshot of server %d: %w", serverID, ErrNotFound)
	}
	if err != nil {
		return in, wrap(ofServer("last snapshot", serverID), err)
	}
	return in, nil
}

// SnapshotHistory returns up to limit runs of serverID, newest first.
func (db *DB) SnapshotHistory(ctx context.Context, serverID int64, limit int) ([]SnapshotInfo, error) {
	op := ofServer("snapshot history", serverID)
	if limit <= 0 {
		limit = DefaultSnapshotKeep
	}
	rows, err := db.db.QueryContext(ctx, `SELECT `+infoCols+` FROM save_snapshots WHERE server_id = ? ORDER BY id DESC LIMIT ?`, serverID, limit)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []SnapshotInfo
	for rows.Next() {
		in, err := scanInfo(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// SnapshotCounts counts the stored rows of serverID in one statement (one
// read transaction), together with the newest run's counts, so callers can
// check that the rows and the run agree.
type SnapshotCounts struct {
	Players, Tribes, Dinos, Bases int
	RunID                         string // "" when there is no run
	RunPlayers, RunDinos          int
}

// CountSnapshot returns the row counts of serverID's current snapshot.
func (db *DB) CountSnapshot(ctx context.Context, serverID int64) (SnapshotCounts, error) {
	var c SnapshotCounts
	err := db.db.QueryRowContext(ctx, `SELECT
	(SELECT count(*) FROM players WHERE server_id = ?1),
	(SELECT count(*) FROM tribes WHERE server_id = ?1),
	(SELECT count(*) FROM dinos WHERE server_id = ?1),
	(SELECT count(*) FROM bases WHERE server_id = ?1),
	coalesce((SELECT run_id FROM save_snapshots WHERE server_id = ?1 ORDER BY id DESC LIMIT 1), ''),
	coalesce((SELECT players FROM save_snapshots WHERE server_id = ?1 ORDER BY id DESC LIMIT 1), 0),
	coalesce((SELECT tamed_dinos FROM save_snapshots WHERE server_id = ?1 ORDER BY id DESC LIMIT 1), 0)`,
		serverID).Scan(&c.Players, &c.Tribes, &c.Dinos, &c.Bases, &c.RunID, &c.RunPlayers, &c.RunDinos)
	if err != nil {
		return c, wrap(ofServer("count snapshot", serverID), err)
	}
	return c, nil
}

// DeleteSnapshots removes every snapshot row and run of serverID (for an
// unlinked server) in one transaction.
func (db *DB) DeleteSnapshots(ctx context.Context, serverID int64) (err error) {
	op := ofServer("delete snapshots", serverID)
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return wrap(op, explain(err))
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	for _, table := range [...]string{"players", "tribes", "dinos", "bases", "save_snapshots"} {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE server_id = ?", serverID); err != nil {
			return wrap(op+": "+table, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return wrap(op+": commit", explain(err))
	}
	return nil
}
