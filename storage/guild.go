package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Guild is a Discord guild the bots serve.
type Guild struct {
	ID        string // Discord snowflake
	Name      string
	CreatedAt time.Time
}

// UpsertGuild records g, or renames it if it exists. It sets g.CreatedAt
// to the stored creation time.
func (db *DB) UpsertGuild(ctx context.Context, g *Guild) error {
	if g == nil || g.ID == "" {
		return fmt.Errorf("storage: upsert guild: %w: empty id", ErrInvalid)
	}
	const q = `INSERT INTO guilds (id, name, created_at) VALUES (?, ?, ?)
ON CONFLICT (id) DO UPDATE SET name = excluded.name
RETURNING created_at`
	var created string
	if err := db.db.QueryRowContext(ctx, q, g.ID, g.Name, formatTime(db.Now())).Scan(&created); err != nil {
		return wrap("upsert guild "+g.ID, err)
	}
	t, err := parseTime(created)
	if err != nil {
		return wrap("upsert guild "+g.ID, err)
	}
	g.CreatedAt = t
	return nil
}

// Guild returns the guild with id, or ErrNotFound.
func (db *DB) Guild(ctx context.Context, id string) (*Guild, error) {
	const q = `SELECT id, name, created_at FROM guilds WHERE id = ?`
	g, err := scanGuild(db.db.QueryRowContext(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("storage: guild %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, wrap("guild "+id, err)
	}
	return g, nil
}

// Guilds returns all guilds ordered by id.
func (db *DB) Guilds(ctx context.Context) ([]Guild, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT id, name, created_at FROM guilds ORDER BY id`)
	if err != nil {
		return nil, wrap("guilds", err)
	}
	defer rows.Close()
	var gs []Guild
	for rows.Next() {
		g, err := scanGuild(rows)
		if err != nil {
			return nil, wrap("guilds", err)
		}
		gs = append(gs, *g)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("guilds", err)
	}
	return gs, nil
}

// DeleteGuild removes a guild with its servers and settings, or returns
// ErrNotFound.
func (db *DB) DeleteGuild(ctx context.Context, id string) error {
	res, err := db.db.ExecContext(ctx, `DELETE FROM guilds WHERE id = ?`, id)
	if err != nil {
		return wrap("delete guild "+id, err)
	}
	return affected(res, "delete guild "+id)
}

// scanner is satisfied by *sql.Row and *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanGuild(s scanner) (*Guild, error) {
	var g Guild
	var created string
	if err := s.Scan(&g.ID, &g.Name, &created); err != nil {
		return nil, err
	}
	t, err := parseTime(created)
	if err != nil {
		return nil, err
	}
	g.CreatedAt = t
	return &g, nil
}

// affected returns ErrNotFound when a write matched no row.
func affected(res sql.Result, op string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		return fmt.Errorf("storage: %s: %w", op, ErrNotFound)
	}
	return nil
}
