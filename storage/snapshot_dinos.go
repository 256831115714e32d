package storage

// Snapshot tamed dinos of a snapshot: the in-place write keyed by (server, tribe, seq) and the filtered listing.

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"slices"

	"github.com/blissark/bliss/arksave"
)

// DinoRow is a stored tamed dino.
type DinoRow struct {
	ServerID int64
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
// dinoExtent is the highest seq of one tribe's dinos in the stored snapshot.
type dinoExtent struct{ tribe, maxSeq int64 }

// previousDinoExtents reads the stored snapshot's extent per tribe (a scan
// of the primary key).
func previousDinoExtents(ctx context.Context, dc any, sid int64) ([]dinoExtent, error) {
	q, ok := dc.(driver.QueryerContext)
	if !ok {
		return nil, fmt.Errorf("dinos: driver connection %T cannot query", dc)
	}
	rows, err := q.QueryContext(ctx, `SELECT tribe_id, max(seq) FROM dinos WHERE server_id = ? GROUP BY tribe_id`,
		[]driver.NamedValue{{Ordinal: 1, Value: sid}})
	if err != nil {
		return nil, fmt.Errorf("dinos: previous: %w", err)
	}
	var prev []dinoExtent
	dest := make([]driver.Value, 2)
	for {
		if err := rows.Next(dest); err == io.EOF {
			break
		} else if err != nil {
			rows.Close()
			return nil, fmt.Errorf("dinos: previous: %w", err)
		}
		t, ok1 := dest[0].(int64)
		m, ok2 := dest[1].(int64)
		if !ok1 || !ok2 {
			rows.Close()
			return nil, fmt.Errorf("dinos: previous: unexpected %T, %T", dest[0], dest[1])
		}
		prev = append(prev, dinoExtent{t, m})
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("dinos: previous: %w", err)
	}
	return prev, nil
}

func writeDinos(ctx context.Context, dc any, s *Snapshot) error {
	sid := s.Info.ServerID
	prev, err := previousDinoExtents(ctx, dc, sid)
	if err != nil {
		return err
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

	return deleteDinoTails(ctx, dc, sid, prev, count)
}

// deleteDinoTails deletes the stored dinos of each tribe beyond its new
// count.
func deleteDinoTails(ctx context.Context, dc any, sid int64, prev []dinoExtent, count map[int64]int64) (err error) {
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
		del.int(1, sid)
		del.int(2, e.tribe)
		del.int(3, count[e.tribe])
		if err := del.exec(); err != nil {
			return err
		}
	}
	return nil
}

func bindDino(w rowWriter, sid int64, seq int64, d *arksave.Dino) {
	w.int(1, sid)
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

// Dinos returns the tamed dinos of serverID matching f.
func (db *DB) Dinos(ctx context.Context, serverID int64, f DinoFilter) ([]DinoRow, error) {
	op := ofServer("dinos", serverID)
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
