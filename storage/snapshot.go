package storage

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
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
	ServerID    string
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

// Base is one base of a snapshot (see jobs/bases.Base).
type Base struct {
	Seq          int // position in the analysis; set by ReplaceSnapshot on write
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

// PlayerRow is a stored player.
type PlayerRow struct {
	ServerID string
	arksave.Player
}

// TribeRow is a stored tribe with per-tribe totals from the same snapshot.
type TribeRow struct {
	ServerID string
	arksave.Tribe
	TamedDinos int
	Structures int
}

// DinoRow is a stored tamed dino.
type DinoRow struct {
	ServerID string
	arksave.Dino
}

// DinoFilter selects dinos. Zero fields do not filter.
type DinoFilter struct {
	TribeID  int64  // exact owner (TargetingTeam); 0 = any
	Class    string // case-insensitive substring of the short class
	Name     string // case-insensitive substring of the dino's name
	MinLevel int
	// OrderByLevel sorts highest level first; otherwise by class, name.
	OrderByLevel bool
	Limit        int // ≤ 0: 25
	Offset       int
}

// BaseRow is a stored base.
type BaseRow struct {
	ServerID string
	Base
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
	op := "replace snapshot of server " + sid
	switch {
	case strings.TrimSpace(sid) == "":
		return fmt.Errorf("storage: replace snapshot: %w: empty server id", ErrInvalid)
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
	sid := s.Info.ServerID
	op := "replace snapshot of server " + sid
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
		if _, err := exec("DELETE FROM "+table+" WHERE server_id = ?", sid); err != nil {
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

var playerCols = []string{"server_id", "seq", "player_data_id", "eos_id", "platform_name", "character_name", "level",
	"tribe_id", "tribe_name", "last_login", "login_game_time", "x", "y", "z", "lat", "lon"}

// playerUpsert writes a player over the previous snapshot's row at the same
// position in place, unless an indexed column (names, EOS id) differs; then
// nothing happens and playerUpdate is used. See dinoUpsert.
var playerUpsert = insertSQL("players", playerCols) + `
ON CONFLICT (server_id, seq) DO UPDATE SET player_data_id = excluded.player_data_id, level = excluded.level,
	tribe_id = excluded.tribe_id, tribe_name = excluded.tribe_name, last_login = excluded.last_login,
	login_game_time = excluded.login_game_time,
	x = excluded.x, y = excluded.y, z = excluded.z, lat = excluded.lat, lon = excluded.lon
WHERE eos_id = excluded.eos_id COLLATE BINARY AND platform_name = excluded.platform_name COLLATE BINARY
	AND character_name = excluded.character_name COLLATE BINARY`

// playerUpdate rewrites the row at a player's key (parameter numbers of
// playerCols).
const playerUpdate = `UPDATE players SET player_data_id = ?3, eos_id = ?4, platform_name = ?5, character_name = ?6,
	level = ?7, tribe_id = ?8, tribe_name = ?9, last_login = ?10, login_game_time = ?11,
	x = ?12, y = ?13, z = ?14, lat = ?15, lon = ?16
WHERE server_id = ?1 AND seq = ?2`

// writePlayers replaces the players of s.Info.ServerID, written over the
// previous rows (playerUpsert); the previous rows beyond the new count are
// deleted.
func writePlayers(ctx context.Context, dc any, s *Snapshot) error {
	w, err := newRowWriter(ctx, dc, "players", playerUpsert, len(playerCols))
	if err != nil {
		return err
	}
	defer w.close()
	var upd rowWriter // prepared on first use
	defer func() {
		if upd != nil {
			upd.close()
		}
	}()
	sid := s.Info.ServerID
	for i := range s.Players {
		if i%ctxCheckRows == 0 {
			if err := canceled(ctx); err != nil {
				return err
			}
		}
		p := &s.Players[i]
		bindPlayer(w, sid, int64(i), p)
		if err := w.exec(); err != nil {
			return err
		}
		if w.changes() == 1 {
			continue
		}
		if upd == nil {
			if upd, err = newRowWriter(ctx, dc, "players", playerUpdate, len(playerCols)); err != nil {
				return err
			}
		}
		bindPlayer(upd, sid, int64(i), p)
		if err := upd.exec(); err != nil {
			return err
		}
	}
	del, err := newRowWriter(ctx, dc, "players", `DELETE FROM players WHERE server_id = ? AND seq >= ?`, 2)
	if err != nil {
		return err
	}
	defer del.close()
	del.text(1, sid)
	del.int(2, int64(len(s.Players)))
	return del.exec()
}

func bindPlayer(w rowWriter, sid string, seq int64, p *arksave.Player) {
	w.text(1, sid)
	w.int(2, seq)
	w.int(3, int64(p.PlayerDataID))
	w.text(4, p.EOSID)
	w.text(5, p.PlatformName)
	w.text(6, p.CharacterName)
	w.int(7, int64(p.Level))
	w.int(8, p.TribeID)
	w.text(9, p.TribeName)
	bindTime(w, 10, p.LastLogin)
	w.real(11, realOr0(p.LoginGameTime))
	bindLoc(w, 12, p.Location)
}

var tribeCols = []string{"server_id", "tribe_id", "name", "owner_id", "members", "member_ids", "member_names",
	"tamed_dinos", "structures"}

func insertTribes(ctx context.Context, dc any, s *Snapshot) error {
	dinos := make(map[int64]int, len(s.Tribes))
	for i := range s.Dinos {
		dinos[s.Dinos[i].TribeID]++
	}
	w, err := newInsertWriter(ctx, dc, "tribes", tribeCols)
	if err != nil {
		return err
	}
	defer w.close()
	sid := s.Info.ServerID
	var idJSON, nameJSON []byte
	for i := range s.Tribes {
		if i%ctxCheckRows == 0 {
			if err := canceled(ctx); err != nil {
				return err
			}
		}
		t := &s.Tribes[i]
		idJSON = append(idJSON[:0], '[')
		for j, id := range t.MemberIDs {
			if j > 0 {
				idJSON = append(idJSON, ',')
			}
			idJSON = strconv.AppendInt(idJSON, int64(id), 10)
		}
		idJSON = append(idJSON, ']')
		nameJSON = nameJSON[:0]
		if len(t.Members) == 0 {
			nameJSON = append(nameJSON, "[]"...)
		} else {
			b, err := json.Marshal(t.Members)
			if err != nil {
				return fmt.Errorf("tribes: %w", err)
			}
			nameJSON = append(nameJSON, b...)
		}
		w.text(1, sid)
		w.int(2, t.ID)
		w.text(3, t.Name)
		w.int(4, int64(t.OwnerID))
		w.int(5, int64(max(len(t.MemberIDs), len(t.Members))))
		w.text(6, unsafeString(idJSON))
		w.text(7, unsafeString(nameJSON))
		w.int(8, int64(dinos[t.ID]))
		w.int(9, int64(s.StructuresByTribe[t.ID]))
		if err := w.exec(); err != nil {
			return err
		}
	}
	return nil
}

var dinoCols = []string{"server_id", "tribe_id", "seq", "guid", "dino_id", "class", "name", "level", "sex", "tribe_name",
	"owner_name", "cryopodded", "tamed_at_game", "x", "y", "z", "lat", "lon"}

// dinoUpsert writes a dino over the previous snapshot's row with the same
// key (server, tribe, position in the tribe) in place, unless the class
// differs (then nothing happens and dinoUpdate is used). Successive saves
// mostly hold the same dinos in the same order, and an in-place update
// costs much less than deleting the old row and inserting the new one:
// no b-tree page splits, and the class index is not touched.
var dinoUpsert = insertSQL("dinos", dinoCols) + `
ON CONFLICT (server_id, tribe_id, seq) DO UPDATE SET guid = excluded.guid, dino_id = excluded.dino_id,
	name = excluded.name, level = excluded.level, sex = excluded.sex, tribe_name = excluded.tribe_name,
	owner_name = excluded.owner_name, cryopodded = excluded.cryopodded, tamed_at_game = excluded.tamed_at_game,
	x = excluded.x, y = excluded.y, z = excluded.z, lat = excluded.lat, lon = excluded.lon
WHERE class = excluded.class COLLATE BINARY`

// dinoUpdate rewrites the row at a dino's key including the class (same
// parameter numbers as dinoCols).
const dinoUpdate = `UPDATE dinos SET guid = ?4, dino_id = ?5, class = ?6, name = ?7, level = ?8, sex = ?9,
	tribe_name = ?10, owner_name = ?11, cryopodded = ?12, tamed_at_game = ?13, x = ?14, y = ?15, z = ?16,
	lat = ?17, lon = ?18
WHERE server_id = ?1 AND tribe_id = ?2 AND seq = ?3`

// writeDinos replaces the dinos of s.Info.ServerID: rows are written over
// the previous ones with the same key (dinoUpsert), and the previous rows
// beyond each tribe's new count are deleted.
func writeDinos(ctx context.Context, dc any, s *Snapshot) error {
	sid := s.Info.ServerID
	q, ok := dc.(driver.QueryerContext)
	if !ok {
		return fmt.Errorf("dinos: driver connection %T cannot query", dc)
	}
	// The previous snapshot's extent per tribe (a scan of the primary key).
	rows, err := q.QueryContext(ctx, `SELECT tribe_id, max(seq) FROM dinos WHERE server_id = ? GROUP BY tribe_id`,
		[]driver.NamedValue{{Ordinal: 1, Value: sid}})
	if err != nil {
		return fmt.Errorf("dinos: previous: %w", err)
	}
	type extent struct{ tribe, maxSeq int64 }
	var prev []extent
	dest := make([]driver.Value, 2)
	for {
		if err := rows.Next(dest); err == io.EOF {
			break
		} else if err != nil {
			rows.Close()
			return fmt.Errorf("dinos: previous: %w", err)
		}
		t, ok1 := dest[0].(int64)
		m, ok2 := dest[1].(int64)
		if !ok1 || !ok2 {
			rows.Close()
			return fmt.Errorf("dinos: previous: unexpected %T, %T", dest[0], dest[1])
		}
		prev = append(prev, extent{t, m})
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("dinos: previous: %w", err)
	}

	// Primary-key order (tribe_id, then position in the save): b-tree pages
	// are visited once, in order. seq numbers the dinos within their tribe.
	order := make([]int32, len(s.Dinos))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(s.Dinos[a].TribeID, s.Dinos[b].TribeID) })
	count := make(map[int64]int64, len(s.Tribes))
	for i := range s.Dinos {
		count[s.Dinos[i].TribeID]++
	}
	// Writing over the previous rows pays off when most keys exist in both
	// snapshots; otherwise (say, another save restored) clearing the
	// server's rows first is cheaper than inserting among them.
	var matching int64
	for _, e := range prev {
		matching += min(e.maxSeq+1, count[e.tribe])
	}
	if matching < int64(len(s.Dinos))/2 && len(prev) > 0 {
		del := []driver.NamedValue{{Ordinal: 1, Value: sid}}
		if _, err := dc.(driver.ExecerContext).ExecContext(ctx, `DELETE FROM dinos WHERE server_id = ?`, del); err != nil {
			return fmt.Errorf("dinos: clear: %w", err)
		}
		prev = nil
	}
	clear(count)

	up, err := newRowWriter(ctx, dc, "dinos", dinoUpsert, len(dinoCols))
	if err != nil {
		return err
	}
	defer up.close()
	var repl rowWriter // prepared on first use
	defer func() {
		if repl != nil {
			repl.close()
		}
	}()
	for n, i := range order {
		if n%ctxCheckRows == 0 {
			if err := canceled(ctx); err != nil {
				return err
			}
		}
		d := &s.Dinos[i]
		seq := count[d.TribeID]
		count[d.TribeID] = seq + 1
		bindDino(up, sid, seq, d)
		if err := up.exec(); err != nil {
			return err
		}
		if up.changes() == 1 {
			continue
		}
		// The row at this key holds a dino of another class.
		if repl == nil {
			if repl, err = newRowWriter(ctx, dc, "dinos", dinoUpdate, len(dinoCols)); err != nil {
				return err
			}
		}
		bindDino(repl, sid, seq, d)
		if err := repl.exec(); err != nil {
			return err
		}
	}

	var del rowWriter
	defer func() {
		if del != nil {
			del.close()
		}
	}()
	for _, e := range prev {
		if e.maxSeq < count[e.tribe] {
			continue
		}
		if del == nil {
			if del, err = newRowWriter(ctx, dc, "dinos", `DELETE FROM dinos WHERE server_id = ? AND tribe_id = ? AND seq >= ?`, 3); err != nil {
				return err
			}
		}
		del.text(1, sid)
		del.int(2, e.tribe)
		del.int(3, count[e.tribe])
		if err := del.exec(); err != nil {
			return err
		}
	}
	return nil
}

func bindDino(w rowWriter, sid string, seq int64, d *arksave.Dino) {
	w.text(1, sid)
	w.int(2, d.TribeID)
	w.int(3, seq)
	w.blob(4, d.ID[:])
	w.int(5, int64(d.DinoID))
	w.text(6, d.Class)
	w.text(7, d.Name)
	w.int(8, int64(d.Level))
	w.int(9, int64(d.Sex))
	w.text(10, d.TribeName)
	w.text(11, d.OwnerName)
	bindBool(w, 12, d.Cryopodded)
	w.real(13, realOr0(d.TamedAtGame))
	bindLoc(w, 14, d.Location)
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
		bs.Seq = i
		w.text(1, sid)
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
func (db *DB) LastSnapshot(ctx context.Context, serverID string) (SnapshotInfo, error) {
	row := db.db.QueryRowContext(ctx, `SELECT `+infoCols+` FROM save_snapshots WHERE server_id = ? ORDER BY id DESC LIMIT 1`, serverID)
	in, err := scanInfo(row)
	if errors.Is(err, sql.ErrNoRows) {
		return in, fmt.Errorf("storage: last snapshot of server %s: %w", serverID, ErrNotFound)
	}
	if err != nil {
		return in, wrap("last snapshot of server "+serverID, err)
	}
	return in, nil
}

// SnapshotHistory returns up to limit runs of serverID, newest first.
func (db *DB) SnapshotHistory(ctx context.Context, serverID string, limit int) ([]SnapshotInfo, error) {
	op := "snapshot history of server " + serverID
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

// Players returns the players of serverID whose character or platform name
// contains nameLike (case-insensitive; "" = all), ordered by character
// name, paginated (limit ≤ 0: 25).
func (db *DB) Players(ctx context.Context, serverID, nameLike string, limit, offset int) ([]PlayerRow, error) {
	limit, offset = pageArgs(limit, offset)
	q := `SELECT player_data_id, eos_id, platform_name, character_name, level, tribe_id, tribe_name,
	last_login, login_game_time, x, y, z, lat, lon FROM players WHERE server_id = ?`
	args := []any{serverID}
	if nameLike != "" {
		q += ` AND (character_name LIKE ? ESCAPE '\' OR platform_name LIKE ? ESCAPE '\')`
		p := likePattern(nameLike)
		args = append(args, p, p)
	}
	q += ` ORDER BY character_name, player_data_id LIMIT ? OFFSET ?`
	return db.queryPlayers(ctx, "players of server "+serverID, serverID, q, append(args, limit, offset)...)
}

// PlayerByEOS returns the player with the EOS id (case-insensitive hex) on
// serverID, or ErrNotFound.
func (db *DB) PlayerByEOS(ctx context.Context, serverID, eosID string) (PlayerRow, error) {
	op := "player " + eosID + " of server " + serverID
	q := `SELECT player_data_id, eos_id, platform_name, character_name, level, tribe_id, tribe_name,
	last_login, login_game_time, x, y, z, lat, lon FROM players WHERE eos_id = ? AND server_id = ? LIMIT 1`
	ps, err := db.queryPlayers(ctx, op, serverID, q, strings.ToLower(eosID), serverID)
	if err != nil {
		return PlayerRow{}, err
	}
	if len(ps) == 0 {
		// ids are stored as decoded; try the other case once.
		if ps, err = db.queryPlayers(ctx, op, serverID, q, strings.ToUpper(eosID), serverID); err != nil {
			return PlayerRow{}, err
		}
	}
	if len(ps) == 0 {
		return PlayerRow{}, fmt.Errorf("storage: %s: %w", op, ErrNotFound)
	}
	return ps[0], nil
}

func (db *DB) queryPlayers(ctx context.Context, op, serverID, q string, args ...any) ([]PlayerRow, error) {
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []PlayerRow
	for rows.Next() {
		var p PlayerRow
		var id int64
		var login sql.NullString
		var x, y, z, lat, lon sql.NullFloat64
		if err := rows.Scan(&id, &p.EOSID, &p.PlatformName, &p.CharacterName, &p.Level, &p.TribeID, &p.TribeName,
			&login, &p.LoginGameTime, &x, &y, &z, &lat, &lon); err != nil {
			return nil, wrap(op, err)
		}
		p.PlayerDataID = uint64(id)
		if p.LastLogin, err = parseSnapTime(login); err != nil {
			return nil, wrap(op, err)
		}
		p.Location = nullLoc(x, y, z, lat, lon)
		p.ServerID = serverID
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// Tribes returns the tribes of serverID whose name contains nameLike
// (case-insensitive; "" = all), most structures first, paginated.
func (db *DB) Tribes(ctx context.Context, serverID, nameLike string, limit, offset int) ([]TribeRow, error) {
	op := "tribes of server " + serverID
	limit, offset = pageArgs(limit, offset)
	q := `SELECT tribe_id, name, owner_id, member_ids, member_names, tamed_dinos, structures
	FROM tribes WHERE server_id = ?`
	args := []any{serverID}
	if nameLike != "" {
		q += ` AND name LIKE ? ESCAPE '\'`
		args = append(args, likePattern(nameLike))
	}
	q += ` ORDER BY structures DESC, tamed_dinos DESC, name, tribe_id LIMIT ? OFFSET ?`
	rows, err := db.db.QueryContext(ctx, q, append(args, limit, offset)...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []TribeRow
	for rows.Next() {
		t := TribeRow{ServerID: serverID}
		var owner int64
		var ids, names string
		if err := rows.Scan(&t.ID, &t.Name, &owner, &ids, &names, &t.TamedDinos, &t.Structures); err != nil {
			return nil, wrap(op, err)
		}
		t.OwnerID = uint64(owner)
		var raw []int64
		if err := json.Unmarshal([]byte(ids), &raw); err != nil {
			return nil, wrap(op, fmt.Errorf("member_ids: %w", err))
		}
		for _, id := range raw {
			t.MemberIDs = append(t.MemberIDs, uint64(id))
		}
		if err := json.Unmarshal([]byte(names), &t.Members); err != nil {
			return nil, wrap(op, fmt.Errorf("member_names: %w", err))
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// Dinos returns the tamed dinos of serverID matching f.
func (db *DB) Dinos(ctx context.Context, serverID string, f DinoFilter) ([]DinoRow, error) {
	op := "dinos of server " + serverID
	limit, offset := pageArgs(f.Limit, f.Offset)
	q := `SELECT guid, dino_id, class, name, level, sex, tribe_id, tribe_name, owner_name, cryopodded,
	tamed_at_game, x, y, z, lat, lon FROM dinos WHERE server_id = ?`
	args := []any{serverID}
	if f.TribeID != 0 {
		q += ` AND tribe_id = ?`
		args = append(args, f.TribeID)
	}
	if f.Class != "" {
		q += ` AND class LIKE ? ESCAPE '\'`
		args = append(args, likePattern(f.Class))
	}
	if f.Name != "" {
		q += ` AND name LIKE ? ESCAPE '\'`
		args = append(args, likePattern(f.Name))
	}
	if f.MinLevel > 0 {
		q += ` AND level >= ?`
		args = append(args, f.MinLevel)
	}
	if f.OrderByLevel {
		q += ` ORDER BY level DESC, class, name, dino_id`
	} else {
		q += ` ORDER BY class, name, dino_id`
	}
	q += ` LIMIT ? OFFSET ?`
	rows, err := db.db.QueryContext(ctx, q, append(args, limit, offset)...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []DinoRow
	for rows.Next() {
		d := DinoRow{ServerID: serverID}
		var guid []byte
		var id int64
		var sex int
		var x, y, z, lat, lon sql.NullFloat64
		if err := rows.Scan(&guid, &id, &d.Class, &d.Name, &d.Level, &sex, &d.TribeID, &d.TribeName, &d.OwnerName,
			&d.Cryopodded, &d.TamedAtGame, &x, &y, &z, &lat, &lon); err != nil {
			return nil, wrap(op, err)
		}
		copy(d.ID[:], guid)
		d.DinoID, d.Sex = uint64(id), arksave.Sex(sex)
		d.Location = nullLoc(x, y, z, lat, lon)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// Bases returns up to limit (≤ 0: 25) bases of serverID: soonest decay
// first when orderByDecay (bases without a decay time last), else largest
// first.
func (db *DB) Bases(ctx context.Context, serverID string, orderByDecay bool, limit int) ([]BaseRow, error) {
	op := "bases of server " + serverID
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

// SnapshotCounts counts the stored rows of serverID in one statement (one
// read transaction), together with the newest run's counts, so callers can
// check that the rows and the run agree.
type SnapshotCounts struct {
	Players, Tribes, Dinos, Bases int
	RunID                         string // "" when there is no run
	RunPlayers, RunDinos          int
}

// CountSnapshot returns the row counts of serverID's current snapshot.
func (db *DB) CountSnapshot(ctx context.Context, serverID string) (SnapshotCounts, error) {
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
		return c, wrap("count snapshot of server "+serverID, err)
	}
	return c, nil
}

// PlayerByName returns the players of serverID whose character or platform
// name equals name, ignoring ASCII case (uses the NOCASE indexes).
func (db *DB) PlayerByName(ctx context.Context, serverID, name string) ([]PlayerRow, error) {
	q := `SELECT player_data_id, eos_id, platform_name, character_name, level, tribe_id, tribe_name,
	last_login, login_game_time, x, y, z, lat, lon FROM players WHERE server_id = ?1 AND character_name = ?2
UNION
SELECT player_data_id, eos_id, platform_name, character_name, level, tribe_id, tribe_name,
	last_login, login_game_time, x, y, z, lat, lon FROM players WHERE server_id = ?1 AND platform_name = ?2
ORDER BY 4, 1 LIMIT 25`
	return db.queryPlayers(ctx, fmt.Sprintf("player %q of server %s", name, serverID), serverID, q, serverID, name)
}

// DeleteSnapshots removes every snapshot row and run of serverID (for an
// unlinked server) in one transaction.
func (db *DB) DeleteSnapshots(ctx context.Context, serverID string) (err error) {
	op := "delete snapshots of server " + serverID
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
