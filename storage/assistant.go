package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/blissark/bliss/arksave"
)

// UserTimezone returns the IANA zone userID saved with /timezone set, or ""
// when none is saved.
func (db *DB) UserTimezone(ctx context.Context, userID string) (string, error) {
	var z string
	err := db.db.QueryRowContext(ctx, `SELECT zone FROM user_timezones WHERE user_id = ?`, userID).Scan(&z)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", wrap("user timezone", err)
	}
	return z, nil
}

// SetUserTimezone saves (or with zone "" clears) userID's zone. The caller
// validates the name.
func (db *DB) SetUserTimezone(ctx context.Context, userID, zone string) error {
	if userID == "" || len(zone) > 64 {
		return fmt.Errorf("storage: set user timezone: %w", ErrInvalid)
	}
	return db.inTx(ctx, "set user timezone", func(tx txn) error {
		if zone == "" {
			_, err := tx.ExecContext(ctx, `DELETE FROM user_timezones WHERE user_id = ?`, userID)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO user_timezones (user_id, zone, updated_at) VALUES (?, ?, ?)
ON CONFLICT (user_id) DO UPDATE SET zone = excluded.zone, updated_at = excluded.updated_at`, userID, zone, db.now().UnixNano())
		return err
	})
}

// TeleportPoint is a staff-managed teleport point (or, from
// SaveTeleporters, one seen in a save).
type TeleportPoint struct {
	ID        int64
	GuildID   string
	Map       string // arksave/maps key: "scorchedearth"
	Name      string
	X, Y, Z   float64
	Public    bool
	TribeID   int64 // owning tribe (save teleporters, tribe-only points)
	TribeName string
	Class     string // save teleporters: the structure class
	Note      string
	CreatedBy string
}

// AddTeleportPoint adds a point; a point of the same name on the same map
// is replaced (created false).
func (db *DB) AddTeleportPoint(ctx context.Context, p TeleportPoint) (created bool, err error) {
	p.Name = strings.TrimSpace(p.Name)
	if p.GuildID == "" || p.Map == "" || p.Name == "" || len(p.Name) > 100 || len(p.Note) > 200 {
		return false, fmt.Errorf("storage: add teleport point: %w", ErrInvalid)
	}
	err = db.inTx(ctx, "add teleport point", func(tx txn) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM teleport_points WHERE guild_id = ? AND map = ? AND name = ?`,
			p.GuildID, p.Map, p.Name).Scan(&n); err != nil {
			return err
		}
		created = n == 0
		_, err := tx.ExecContext(ctx, `INSERT INTO teleport_points (guild_id, map, name, x, y, z, public, tribe_id, note, created_by, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (guild_id, map, name) DO UPDATE SET x = excluded.x, y = excluded.y, z = excluded.z, public = excluded.public,
	tribe_id = excluded.tribe_id, note = excluded.note, created_by = excluded.created_by, created_at = excluded.created_at`,
			p.GuildID, p.Map, p.Name, realOr0(p.X), realOr0(p.Y), realOr0(p.Z), boolInt(p.Public), p.TribeID, p.Note, p.CreatedBy, db.now().UnixNano())
		return err
	})
	return created, err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// RemoveTeleportPoint removes a point by name (case-insensitive).
func (db *DB) RemoveTeleportPoint(ctx context.Context, guildID, mapKey, name string) (bool, error) {
	var n int64
	err := db.inTx(ctx, "remove teleport point", func(tx txn) error {
		r, err := tx.ExecContext(ctx, `DELETE FROM teleport_points WHERE guild_id = ? AND map = ? AND name = ?`, guildID, mapKey, strings.TrimSpace(name))
		if err != nil {
			return err
		}
		n, err = r.RowsAffected()
		return err
	})
	return n > 0, err
}

// TeleportPoints lists a guild's points on a map ("" = every map) by name.
func (db *DB) TeleportPoints(ctx context.Context, guildID, mapKey string) ([]TeleportPoint, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT id, guild_id, map, name, x, y, z, public, tribe_id, note, created_by
FROM teleport_points WHERE guild_id = ?1 AND (?2 = '' OR map = ?2) ORDER BY map, name`, guildID, mapKey)
	if err != nil {
		return nil, wrap("teleport points", err)
	}
	defer rows.Close()
	var out []TeleportPoint
	for rows.Next() {
		var p TeleportPoint
		var pub int
		if err := rows.Scan(&p.ID, &p.GuildID, &p.Map, &p.Name, &p.X, &p.Y, &p.Z, &pub, &p.TribeID, &p.Note, &p.CreatedBy); err != nil {
			return nil, wrap("teleport points", err)
		}
		p.Public = pub == 1
		out = append(out, p)
	}
	return out, wrapIf("teleport points", rows.Err())
}

// wrapIf wraps a non-nil err like wrap.
func wrapIf(op string, err error) error {
	if err == nil {
		return nil
	}
	return wrap(op, err)
}

// IsTeleporterClass reports whether a structure class is a teleporter (Tek
// Teleporter and the mod/DLC variants whose class says "Teleporter").
func IsTeleporterClass(class string) bool {
	return strings.Contains(strings.ToLower(class), "teleporter")
}

// ReplaceSaveTeleporters replaces serverID's save teleporters with the
// teleporter structures (IsTeleporterClass, with a location) of a decoded
// save. The pipeline's snapshot writer calls it after ReplaceSnapshot.
func (db *DB) ReplaceSaveTeleporters(ctx context.Context, serverID int64, mapName string, structures []arksave.Structure) error {
	if serverID <= 0 {
		return fmt.Errorf("storage: replace save teleporters: %w: server id %d", ErrInvalid, serverID)
	}
	return db.inTx(ctx, ofServer("replace save teleporters", serverID), func(tx txn) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM save_teleporters WHERE server_id = ?`, serverID); err != nil {
			return err
		}
		seq := 0
		for i := range structures {
			s := &structures[i]
			if !s.HasLocation || !IsTeleporterClass(s.Class) {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO save_teleporters (server_id, seq, map, class, name, tribe_id, tribe_name, x, y, z)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, serverID, seq, mapName, s.Class, "", s.TribeID, s.OwnerName,
				realOr0(s.Location.X), realOr0(s.Location.Y), realOr0(s.Location.Z)); err != nil {
				return err
			}
			seq++
		}
		return nil
	})
}

// SaveTeleporters lists the teleporters of serverID's latest save. Map is
// the save's map file name ("Ragnarok_WP").
func (db *DB) SaveTeleporters(ctx context.Context, serverID int64) ([]TeleportPoint, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT map, class, name, tribe_id, tribe_name, x, y, z
FROM save_teleporters WHERE server_id = ? ORDER BY seq`, serverID)
	if err != nil {
		return nil, wrap("save teleporters", err)
	}
	defer rows.Close()
	var out []TeleportPoint
	for rows.Next() {
		var p TeleportPoint
		if err := rows.Scan(&p.Map, &p.Class, &p.Name, &p.TribeID, &p.TribeName, &p.X, &p.Y, &p.Z); err != nil {
			return nil, wrap("save teleporters", err)
		}
		out = append(out, p)
	}
	return out, wrapIf("save teleporters", rows.Err())
}

// TribeOfLinkedUser returns the tribe, in serverID's latest snapshot, of
// the player linked to discordID in guildID; ok is false when the account
// is not linked or the player is not in the snapshot or tribeless.
func (db *DB) TribeOfLinkedUser(ctx context.Context, guildID, discordID string, serverID int64) (tribeID int64, ok bool, err error) {
	err = db.db.QueryRowContext(ctx, `SELECT p.tribe_id FROM links l JOIN players p ON p.server_id = ? AND p.eos_id = l.eos_id
WHERE l.guild_id = ? AND l.discord_id = ? AND p.tribe_id != 0 LIMIT 1`, serverID, guildID, discordID).Scan(&tribeID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, wrap("tribe of linked user", err)
	}
	return tribeID, true, nil
}
