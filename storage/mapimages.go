package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// MaxMapImageBytes bounds a stored map background (the bot stores a PNG
// already scaled to the base map's size, far below this).
const MaxMapImageBytes = 16 << 20

// MapImage is the background picture staff set for one map of a guild.
type MapImage struct {
	GuildID string
	Map     string // arksave/maps key: "theisland"
	PNG     []byte // empty in MapImages' listing
	Width   int
	Height  int
	Bytes   int // len(PNG), also in the listing
	SetBy   string
	SetAt   time.Time
}

// SetMapImage stores (or replaces) a guild's background for a map.
func (db *DB) SetMapImage(ctx context.Context, m MapImage) error {
	if m.GuildID == "" || m.Map == "" || len(m.Map) > 64 || len(m.PNG) == 0 || len(m.PNG) > MaxMapImageBytes ||
		m.Width <= 0 || m.Height <= 0 {
		return fmt.Errorf("storage: set map image: %w", ErrInvalid)
	}
	at := m.SetAt
	if at.IsZero() {
		at = db.now()
	}
	return db.inTx(ctx, "set map image", func(tx txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO map_images (guild_id, map, png, width, height, set_by, set_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (guild_id, map) DO UPDATE SET png = excluded.png, width = excluded.width, height = excluded.height,
	set_by = excluded.set_by, set_at = excluded.set_at`,
			m.GuildID, m.Map, m.PNG, m.Width, m.Height, m.SetBy, at.UnixNano())
		return err
	})
}

// GetMapImage returns a guild's background for a map with its PNG; ok
// false when none is set. Another guild's image is never returned.
func (db *DB) GetMapImage(ctx context.Context, guildID, mapKey string) (m MapImage, ok bool, err error) {
	var at int64
	err = db.db.QueryRowContext(ctx, `SELECT guild_id, map, png, width, height, set_by, set_at FROM map_images
WHERE guild_id = ? AND map = ?`, guildID, mapKey).Scan(&m.GuildID, &m.Map, &m.PNG, &m.Width, &m.Height, &m.SetBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return MapImage{}, false, nil
	}
	if err != nil {
		return MapImage{}, false, wrap("map image", err)
	}
	m.Bytes, m.SetAt = len(m.PNG), time.Unix(0, at)
	return m, true, nil
}

// ClearMapImage removes a guild's background for a map; false when none
// was set.
func (db *DB) ClearMapImage(ctx context.Context, guildID, mapKey string) (bool, error) {
	var n int64
	err := db.inTx(ctx, "clear map image", func(tx txn) error {
		r, err := tx.ExecContext(ctx, `DELETE FROM map_images WHERE guild_id = ? AND map = ?`, guildID, mapKey)
		if err != nil {
			return err
		}
		n, err = r.RowsAffected()
		return err
	})
	return n > 0, err
}

// MapImages lists a guild's backgrounds by map, without the PNG bytes.
func (db *DB) MapImages(ctx context.Context, guildID string) ([]MapImage, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT guild_id, map, width, height, length(png), set_by, set_at FROM map_images
WHERE guild_id = ? ORDER BY map`, guildID)
	if err != nil {
		return nil, wrap("map images", err)
	}
	defer rows.Close()
	var out []MapImage
	for rows.Next() {
		var m MapImage
		var at int64
		if err := rows.Scan(&m.GuildID, &m.Map, &m.Width, &m.Height, &m.Bytes, &m.SetBy, &at); err != nil {
			return nil, wrap("map images", err)
		}
		m.SetAt = time.Unix(0, at)
		out = append(out, m)
	}
	return out, wrapIf("map images", rows.Err())
}
