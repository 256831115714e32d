package storage

// Snapshot tribes of a snapshot, with per-tribe dino and structure totals.

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/blissark/bliss/arksave"
)

// TribeRow is a stored tribe with per-tribe totals from the same snapshot.
type TribeRow struct {
	ServerID int64
	arksave.Tribe
	TamedDinos int
	Structures int
}

var tribeCols = []string{"server_id", "tribe_id", "name", "owner_id", "members", "member_ids", "member_names",
	"tamed_dinos", "structures", "name_fold"}

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
		w.int(1, sid)
		w.int(2, t.ID)
		w.text(3, t.Name)
		w.int(4, int64(t.OwnerID))
		w.int(5, int64(max(len(t.MemberIDs), len(t.Members))))
		w.text(6, unsafeString(idJSON))
		w.text(7, unsafeString(nameJSON))
		w.int(8, int64(dinos[t.ID]))
		w.int(9, int64(s.StructuresByTribe[t.ID]))
		w.text(10, FoldText(t.Name))
		if err := w.exec(); err != nil {
			return err
		}
	}
	return nil
}

// Tribes returns the tribes of serverID whose name contains nameLike
// (case-insensitive; "" = all), most structures first, paginated.
func (db *DB) Tribes(ctx context.Context, serverID int64, nameLike string, limit, offset int) ([]TribeRow, error) {
	op := ofServer("tribes", serverID)
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
		if err := t.decodeMembers(ids, names); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// decodeMembers fills MemberIDs and Members from their stored JSON arrays.
func (t *TribeRow) decodeMembers(ids, names string) error {
	var raw []int64
	if err := json.Unmarshal([]byte(ids), &raw); err != nil {
		return fmt.Errorf("member_ids: %w", err)
	}
	for _, id := range raw {
		t.MemberIDs = append(t.MemberIDs, uint64(id))
	}
	if err := json.Unmarshal([]byte(names), &t.Members); err != nil {
		return fmt.Errorf("member_names: %w", err)
	}
	return nil
}
