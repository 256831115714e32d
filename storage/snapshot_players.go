package storage

// Snapshot players of a snapshot: the in-place write and the lookups by name and EOS id.

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/blissark/bliss/arksave"
)

// PlayerRow is a stored player.
type PlayerRow struct {
	ServerID int64
	arksave.Player
}

var playerCols = []string{"server_id", "seq", "player_data_id", "eos_id", "platform_name", "character_name", "level",
	"tribe_id", "tribe_name", "last_login", "login_game_time", "x", "y", "z", "lat", "lon", "character_fold", "platform_fold"}

// playerUpsert writes a player over the previous snapshot's row at the same
// position in place, unless an indexed column (names, EOS id) differs; then
// nothing happens and playerUpdate is used. See dinoUpsert. Equal names
// fold equally, so the folded names (migration 0014) are only written by
// the insert and playerUpdate; a row still without them (NULL) takes the
// playerUpdate path too.
var playerUpsert = insertSQL("players", playerCols) + `
ON CONFLICT (server_id, seq) DO UPDATE SET player_data_id = excluded.player_data_id, level = excluded.level,
	tribe_id = excluded.tribe_id, tribe_name = excluded.tribe_name, last_login = excluded.last_login,
	login_game_time = excluded.login_game_time,
	x = excluded.x, y = excluded.y, z = excluded.z, lat = excluded.lat, lon = excluded.lon
WHERE eos_id = excluded.eos_id COLLATE BINARY AND platform_name = excluded.platform_name COLLATE BINARY
	AND character_name = excluded.character_name COLLATE BINARY
	AND character_fold IS NOT NULL AND platform_fold IS NOT NULL`

// playerUpdate rewrites the row at a player's key (parameter numbers of
// playerCols).
const playerUpdate = `UPDATE players SET player_data_id = ?3, eos_id = ?4, platform_name = ?5, character_name = ?6,
	level = ?7, tribe_id = ?8, tribe_name = ?9, last_login = ?10, login_game_time = ?11,
	x = ?12, y = ?13, z = ?14, lat = ?15, lon = ?16, character_fold = ?17, platform_fold = ?18
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
	del.int(1, sid)
	del.int(2, int64(len(s.Players)))
	return del.exec()
}

func bindPlayer(w rowWriter, sid int64, seq int64, p *arksave.Player) {
	w.int(1, sid)
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
	w.text(17, FoldText(p.CharacterName))
	w.text(18, FoldText(p.PlatformName))
}

// Players returns the players of serverID whose character or platform name
// contains nameLike (case-insensitive; "" = all), ordered by character
// name, paginated (limit ≤ 0: 25).
func (db *DB) Players(ctx context.Context, serverID int64, nameLike string, limit, offset int) ([]PlayerRow, error) {
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
	return db.queryPlayers(ctx, ofServer("players", serverID), serverID, q, append(args, limit, offset)...)
}

// PlayerByEOS returns the player with the EOS id (case-insensitive hex) on
// serverID, or ErrNotFound.
func (db *DB) PlayerByEOS(ctx context.Context, serverID int64, eosID string) (PlayerRow, error) {
	op := ofServer("player "+eosID, serverID)
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

func (db *DB) queryPlayers(ctx context.Context, op string, serverID int64, q string, args ...any) ([]PlayerRow, error) {
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

// PlayerByName returns the players of serverID whose character or platform
// name equals name, ignoring ASCII case (uses the NOCASE indexes).
func (db *DB) PlayerByName(ctx context.Context, serverID int64, name string) ([]PlayerRow, error) {
	q := `SELECT player_data_id, eos_id, platform_name, character_name, level, tribe_id, tribe_name,
	last_login, login_game_time, x, y, z, lat, lon FROM players WHERE server_id = ?1 AND character_name = ?2
UNION
SELECT player_data_id, eos_id, platform_name, character_name, level, tribe_id, tribe_name,
	last_login, login_game_time, x, y, z, lat, lon FROM players WHERE server_id = ?1 AND platform_name = ?2
ORDER BY 4, 1 LIMIT 25`
	return db.queryPlayers(ctx, fmt.Sprintf("player %q of server %d", name, serverID), serverID, q, serverID, name)
}
