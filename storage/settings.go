package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Keys are declared by the bots that own them (bots.Setting, the settings
// registry); storage keeps plain strings and knows none of them.

// maxSettingKey bounds keys, which come from /config input.
const maxSettingKey = 64

// SetSetting stores a guild setting, replacing any previous value. It
// returns ErrNotFound if the guild does not exist.
func (db *DB) SetSetting(ctx context.Context, guildID, key, value string) error {
	op := fmt.Sprintf("set setting %q of guild %s", key, guildID)
	if key == "" || len(key) > maxSettingKey {
		return fmt.Errorf("storage: %s: %w: key must be 1-%d bytes", op, ErrInvalid, maxSettingKey)
	}
	const q = `INSERT INTO guild_settings (guild_id, key, value) VALUES (?, ?, ?)
ON CONFLICT (guild_id, key) DO UPDATE SET value = excluded.value`
	if _, err := db.db.ExecContext(ctx, q, guildID, key, value); err != nil {
		return wrap(op, err)
	}
	return nil
}

// Setting returns one guild setting, or ErrNotFound if it is unset.
func (db *DB) Setting(ctx context.Context, guildID, key string) (string, error) {
	op := fmt.Sprintf("setting %q of guild %s", key, guildID)
	var v string
	err := db.db.QueryRowContext(ctx,
		`SELECT value FROM guild_settings WHERE guild_id = ? AND key = ?`, guildID, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("storage: %s: %w", op, ErrNotFound)
	}
	if err != nil {
		return "", wrap(op, err)
	}
	return v, nil
}

// Settings returns all settings of a guild (empty, not nil, if none).
func (db *DB) Settings(ctx context.Context, guildID string) (map[string]string, error) {
	op := "settings of guild " + guildID
	rows, err := db.db.QueryContext(ctx,
		`SELECT key, value FROM guild_settings WHERE guild_id = ?`, guildID)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	m := make(map[string]string)
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, wrap(op, err)
		}
		m[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return m, nil
}

// DeleteSetting unsets a guild setting, or returns ErrNotFound.
func (db *DB) DeleteSetting(ctx context.Context, guildID, key string) error {
	op := fmt.Sprintf("delete setting %q of guild %s", key, guildID)
	res, err := db.db.ExecContext(ctx,
		`DELETE FROM guild_settings WHERE guild_id = ? AND key = ?`, guildID, key)
	if err != nil {
		return wrap(op, err)
	}
	return affected(res, op)
}

// SetSettings applies set to a guild's settings in one transaction: each
// key is stored, or deleted when its value is "". The guild row is created
// if missing. Either every change is saved or none.
func (db *DB) SetSettings(ctx context.Context, guildID string, set map[string]string) (err error) {
	op := "set settings of guild " + guildID
	if guildID == "" {
		return fmt.Errorf("storage: %s: %w: empty guild id", op, ErrInvalid)
	}
	for k := range set {
		if k == "" || len(k) > maxSettingKey {
			return fmt.Errorf("storage: %s: %w: key %q must be 1-%d bytes", op, ErrInvalid, k, maxSettingKey)
		}
	}
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return wrap(op, explain(err))
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if _, err := tx.ExecContext(ctx, `INSERT INTO guilds (id, name, created_at) VALUES (?, '', ?)
ON CONFLICT (id) DO NOTHING`, guildID, formatTime(db.Now())); err != nil {
		return wrap(op+": guild", err)
	}
	const upsert = `INSERT INTO guild_settings (guild_id, key, value) VALUES (?, ?, ?)
ON CONFLICT (guild_id, key) DO UPDATE SET value = excluded.value`
	for k, v := range set {
		if v == "" {
			_, err = tx.ExecContext(ctx, `DELETE FROM guild_settings WHERE guild_id = ? AND key = ?`, guildID, k)
		} else {
			_, err = tx.ExecContext(ctx, upsert, guildID, k, v)
		}
		if err != nil {
			return wrap(fmt.Sprintf("%s: %q", op, k), err)
		}
	}
	if err := tx.Commit(); err != nil {
		return wrap(op+": commit", explain(err))
	}
	return nil
}
