package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/blissark/bliss/arksave"
)

// snapshotCacheKiB is the page cache of the connection writing a snapshot.
const snapshotCacheKiB = 64 << 10

// DefaultSnapshotKeep is how many save_snapshots runs per server
// ReplaceSnapshot keeps when Snapshot.Keep is 0.
const DefaultSnapshotKeep = 48

// snapTimeFormat is fixed-width so that stored times sort lexically.
const snapTimeFormat = "2006-01-02T15:04:05.000000000Z"

// SnapshotInfo is one parse run (a save_snapshots row): where the save came
// from, what it held and how long each stage took.
type SnapshotInfo struct {
	ID          int64 // row id, set by ReplaceSnapshot
	ServerID    int64 // Nitrado service id
	RunID       string
	Map         string
	SaveVersion int
	SavedAt     time.Time // wall-clock save time; zero if unknown
	GameTime    float64
	FileName    string // remote path of the world save
	FileSize    int64  // as listed by Nitrado (compressed size for .ark.gz)
	FileModTime time.Time
	Compressed  bool
	ContentHash string // hex sha256 of the downloaded bytes (see pipeline)
	// ListFingerprint summarises the file listing (names, sizes, mtimes) the
	// run was based on; an unchanged fingerprint means no download is needed.
	ListFingerprint string

	Players, Tribes, TamedDinos, WildDinos, Pawns, Structures, Bases int
	RowsTotal, RowsFailed                                            int
	FailedByClass                                                    map[string]int
	StructuresByMaterial                                             map[string]int

	List, Download, Decode, Analyze, Write time.Duration
	PeakHeapBytes                          int64
	PeakRSSDelta                           int64
	CreatedAt                              time.Time
}

// Snapshot is a full snapshot of one server's save data: the run's Info and
// the rows. ReplaceSnapshot sets the Info counts it can derive from the row
// slices (Players, Tribes, TamedDinos, Bases).
type Snapshot struct {
	Info    SnapshotInfo
	Players []arksave.Player
	Tribes  []arksave.Tribe
	Dinos   []arksave.Dino
	Bases   []Base
	// StructuresByTribe counts owned structures per TribeID (stored on the
	// tribe rows); optional.
	StructuresByTribe map[int64]int
	// Keep is how many runs of this server to keep in save_snapshots
	// (0: DefaultSnapshotKeep).
	Keep int
}

// ofServer names an operation on one server's snapshot for error text.
func ofServer(op string, serverID int64) string {
	return op + " of server " + strconv.FormatInt(serverID, 10)
}

func snapTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(snapTimeFormat)
}

func parseSnapTime(ns sql.NullString) (time.Time, error) {
	if !ns.Valid || ns.String == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(snapTimeFormat, ns.String)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse time %q: %w", ns.String, err)
	}
	return t, nil
}

func realOr0(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func mapJSON(m map[string]int) string {
	if len(m) == 0 {
		return "{}"
	}
	s, err := jsonText(m)
	if err != nil { // unreachable for map[string]int
		return "{}"
	}
	return s
}

// ReplaceSnapshot replaces every player, tribe, dino and base row of
// s.ServerID with s's rows and appends a save_snapshots run, all in one
// immediate transaction: concurrent readers (WAL) see the previous snapshot
// or the new one, never a mix, and never wait. Old runs beyond s.Keep are
// pruned in the same transaction. On any error (including ctx cancellation)
// the transaction is rolled back and the previous snapshot stays intact.
//
// ReplaceSnapshot sets s.Info.ID, CreatedAt, Write (time spent up to
// COMMIT) and the counts derived from the slices (Players, Tribes,
// TamedDinos, Bases). s.Info.ServerID and s.Info.RunID must be set.
func (db *DB) ReplaceSnapshot(ctx context.Context, s *Snapshot) (err error) {
	if s == nil {
		return fmt.Errorf("storage: replace snapshot: %w: nil snapshot", ErrInvalid)
	}
	sid := s.Info.ServerID
	op := ofServer("replace snapshot", sid)
	switch {
	case sid <= 0:
		return fmt.Errorf("storage: replace snapshot: %w: server id %d", ErrInvalid, sid)
	case s.Info.RunID == "":
		return fmt.Errorf("storage: %s: %w: empty run id", op, ErrInvalid)
	case s.Keep < 0:
		return fmt.Errorf("storage: %s: %w: keep %d", op, ErrInvalid, s.Keep)
	}
	keep := s.Keep
	if keep == 0 {
		keep = DefaultSnapshotKeep
	}
	start := time.Now()

	// A dedicated connection with a larger page cache for the duration of
	// the write: with SQLite's default 2 MiB cache a big snapshot spills
	// pages into the WAL mid-transaction (and re-reads them), which costs
	// several times the insert work. The cache is shrunk back afterwards so
	// the pooled connection does not keep the memory.
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return wrap(op, explain(err))
	}
	defer conn.Close()
	var prevCache int64
	if err := conn.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&prevCache); err != nil {
		return wrap(op+": cache size", err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = %d`, -snapshotCacheKiB)); err != nil {
		return wrap(op+": cache size", err)
	}
	defer func() {
		// Not the caller's ctx: it may be cancelled, and the pragma must run.
		if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf(`PRAGMA cache_size = %d`, prevCache)); rerr != nil {
			conn.Raw(func(any) error { return driver.ErrBadConn }) // drop the connection instead
		}
	}()

	// The transaction runs on the driver connection itself (see
	// snapshot_raw.go): Raw gives exclusive use of it until the callback
	// returns, and the callback always ends the transaction.
	err = conn.Raw(func(dc any) error { return db.writeSnapshot(ctx, dc, s, keep, start) })
	if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		// A cancelled ctx interrupts SQLite mid-statement, which reports
		// SQLITE_INTERRUPT; keep the cause so callers can tell a shutdown
		// from a database failure.
		err = fmt.Errorf("%w: %w", err, ctx.Err())
	}
	return err
}

// driverConn is what writeSnapshot needs of the driver connection
// (modernc.org/sqlite's conn implements all of it).
type driverConn interface {
	driver.ConnBeginTx
	driver.ExecerContext
}

func (db *DB) writeSnapshot(ctx context.Context, dc any, s *Snapshot, keep int, start time.Time) (err error) {
	op := ofServer("replace snapshot", s.Info.ServerID)
	c, ok := dc.(driverConn)
	if !ok {
		return fmt.Errorf("storage: %s: driver connection %T cannot begin or exec", op, dc)
	}
	exec := func(q string, args ...any) (driver.Result, error) {
		return c.ExecContext(ctx, q, namedValues(args))
	}
	tx, err := c.BeginTx(ctx, driver.TxOptions{}) // BEGIN IMMEDIATE (DSN _txlock)
	if err != nil {
		return wrap(op, explain(err))
	}
	defer func() {
		if err != nil {
			if rerr := tx.Rollback(); rerr != nil {
				// The connection may still be inside the transaction:
				// make database/sql discard it.
				err = fmt.Errorf("%w; rollback: %v (%w)", err, rerr, driver.ErrBadConn)
			}
		}
	}()
	// Players and dinos (most of the rows) are written over the previous
	// ones (writePlayers, writeDinos); the other tables are cleared and
	// refilled.
	for _, table := range [...]string{"tribes", "bases"} {
		if _, err := exec("DELETE FROM "+table+" WHERE server_id = ?", s.Info.ServerID); err != nil {
			return wrap(op+": clear "+table, err)
		}
	}
	for _, ins := range [...]func(context.Context, any, *Snapshot) error{writePlayers, insertTribes, writeDinos, insertBases} {
		if err := ins(ctx, dc, s); err != nil {
			return wrap(op, err)
		}
	}

	info := &s.Info
	info.Players, info.Tribes, info.TamedDinos, info.Bases = len(s.Players), len(s.Tribes), len(s.Dinos), len(s.Bases)
	info.CreatedAt = db.Now().UTC()
	if err := insertInfo(exec, info); err != nil {
		return wrap(op, err)
	}
	if _, err := exec(`DELETE FROM save_snapshots WHERE server_id = ?1 AND id NOT IN
	(SELECT id FROM save_snapshots WHERE server_id = ?1 ORDER BY id DESC LIMIT ?2)`, info.ServerID, keep); err != nil {
		return wrap(op+": prune runs", err)
	}
	info.Write = time.Since(start)
	if _, err := exec(`UPDATE save_snapshots SET write_ns = ? WHERE id = ?`, int64(info.Write), info.ID); err != nil {
		return wrap(op, err)
	}
	if err := canceled(ctx); err != nil {
		return wrap(op, err)
	}
	if err := tx.Commit(); err != nil {
		return wrap(op+": commit", explain(err))
	}
	return nil
}

// namedValues converts arguments to driver values (ints to int64; the other
// types used here already are driver values).
func namedValues(args []any) []driver.NamedValue {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		if n, ok := a.(int); ok {
			a = int64(n)
		}
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return nv
}

// ctxCheckRows is how often (in rows) the inserts check for cancellation.
const ctxCheckRows = 64

// canceled reports ctx's error if it is done.
func canceled(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	default:
		return nil
	}
}

func bindTime(w rowWriter, i int, t time.Time) {
	if t.IsZero() {
		w.null(i)
		return
	}
	var buf [len(snapTimeFormat) + 8]byte
	b := t.UTC().AppendFormat(buf[:0], snapTimeFormat)
	w.text(i, unsafeString(b))
}

// unsafeString views b as a string for a call that copies it.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func bindBool(w rowWriter, i int, v bool) {
	if v {
		w.int(i, 1)
	} else {
		w.int(i, 0)
	}
}

// bindLoc binds x, y, z, lat, lon at i…i+4 (NULL when l is nil; lat, lon
// NULL without map coordinates).
func bindLoc(w rowWriter, i int, l *arksave.Location) {
	if l == nil {
		for j := range 5 {
			w.null(i + j)
		}
		return
	}
	w.real(i, l.X)
	w.real(i+1, l.Y)
	w.real(i+2, l.Z)
	if l.HasLatLon {
		w.real(i+3, l.Lat)
		w.real(i+4, l.Lon)
	} else {
		w.null(i + 3)
		w.null(i + 4)
	}
}

// likePattern turns user text into a LIKE substring pattern with '\' as
// the escape character.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

func pageArgs(limit, offset int) (int, int) {
	if limit <= 0 {
		limit = 25
	}
	return limit, max(offset, 0)
}

func nullLoc(x, y, z, lat, lon sql.NullFloat64) *arksave.Location {
	if !x.Valid || !y.Valid || !z.Valid {
		return nil
	}
	l := &arksave.Location{X: x.Float64, Y: y.Float64, Z: z.Float64}
	if lat.Valid && lon.Valid {
		l.Lat, l.Lon, l.HasLatLon = lat.Float64, lon.Float64, true
	}
	return l
}
