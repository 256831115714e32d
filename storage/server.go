package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"
)

// Server is a Nitrado game server linked to a guild. The same Nitrado
// service may be linked in several guilds; (GuildID, ServiceID) is unique.
type Server struct {
	ID              int64 // local row id, for tables that reference a server
	GuildID         string
	ServiceID       int64 // Nitrado service id
	Name            string
	Map             string
	Enabled         bool
	Cluster         string  // free-form cluster name; "" means none
	DecayMultiplier float64 // 0 is stored as the default, 1
	CreatedAt       time.Time
}

func (s *Server) validate() error {
	switch {
	case s.GuildID == "":
		return fmt.Errorf("%w: empty guild id", ErrInvalid)
	case s.ServiceID <= 0:
		return fmt.Errorf("%w: service id %d", ErrInvalid, s.ServiceID)
	case s.DecayMultiplier < 0 || math.IsNaN(s.DecayMultiplier) || math.IsInf(s.DecayMultiplier, 0):
		return fmt.Errorf("%w: decay multiplier %v", ErrInvalid, s.DecayMultiplier)
	}
	if s.DecayMultiplier == 0 {
		s.DecayMultiplier = 1
	}
	return nil
}

// AddServer links s to its guild and sets s.ID and s.CreatedAt. It returns
// ErrNotFound if the guild does not exist and ErrConflict if the service is
// already linked in that guild.
func (db *DB) AddServer(ctx context.Context, s *Server) error {
	if s == nil {
		return fmt.Errorf("storage: add server: %w: nil server", ErrInvalid)
	}
	op := fmt.Sprintf("add server %d to guild %s", s.ServiceID, s.GuildID)
	if err := s.validate(); err != nil {
		return fmt.Errorf("storage: %s: %w", op, err)
	}
	const q = `INSERT INTO servers
	(guild_id, service_id, name, map, enabled, cluster, decay_multiplier, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id`
	now := db.Now().UTC()
	err := db.db.QueryRowContext(ctx, q, s.GuildID, s.ServiceID, s.Name, s.Map, s.Enabled,
		s.Cluster, s.DecayMultiplier, formatTime(now)).Scan(&s.ID)
	if err != nil {
		return wrap(op, err)
	}
	s.CreatedAt = now
	return nil
}

// UpdateServer stores s's name, map, enabled flag, cluster and decay
// multiplier, looked up by (GuildID, ServiceID). It returns ErrNotFound if
// the server is not linked.
func (db *DB) UpdateServer(ctx context.Context, s *Server) error {
	if s == nil {
		return fmt.Errorf("storage: update server: %w: nil server", ErrInvalid)
	}
	op := fmt.Sprintf("update server %d in guild %s", s.ServiceID, s.GuildID)
	if err := s.validate(); err != nil {
		return fmt.Errorf("storage: %s: %w", op, err)
	}
	const q = `UPDATE servers
SET name = ?, map = ?, enabled = ?, cluster = ?, decay_multiplier = ?
WHERE guild_id = ? AND service_id = ?`
	res, err := db.db.ExecContext(ctx, q, s.Name, s.Map, s.Enabled, s.Cluster, s.DecayMultiplier,
		s.GuildID, s.ServiceID)
	if err != nil {
		return wrap(op, err)
	}
	return affected(res, op)
}

// RemoveServer unlinks a server from a guild, or returns ErrNotFound.
func (db *DB) RemoveServer(ctx context.Context, guildID string, serviceID int64) error {
	op := fmt.Sprintf("remove server %d from guild %s", serviceID, guildID)
	res, err := db.db.ExecContext(ctx,
		`DELETE FROM servers WHERE guild_id = ? AND service_id = ?`, guildID, serviceID)
	if err != nil {
		return wrap(op, err)
	}
	return affected(res, op)
}

const serverColumns = `id, guild_id, service_id, name, map, enabled, cluster, decay_multiplier, created_at`

// Server returns one linked server, or ErrNotFound.
func (db *DB) Server(ctx context.Context, guildID string, serviceID int64) (*Server, error) {
	op := fmt.Sprintf("server %d in guild %s", serviceID, guildID)
	row := db.db.QueryRowContext(ctx,
		`SELECT `+serverColumns+` FROM servers WHERE guild_id = ? AND service_id = ?`, guildID, serviceID)
	s, err := scanServer(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("storage: %s: %w", op, ErrNotFound)
	}
	if err != nil {
		return nil, wrap(op, err)
	}
	return s, nil
}

// ListServers returns a guild's servers ordered by name, then service id.
// An unknown guild has no servers.
func (db *DB) ListServers(ctx context.Context, guildID string) ([]Server, error) {
	return db.queryServers(ctx, "list servers of guild "+guildID,
		`SELECT `+serverColumns+` FROM servers WHERE guild_id = ? ORDER BY name, service_id`, guildID)
}

// AllServers returns every linked server of every guild, ordered by guild,
// name and service id.
func (db *DB) AllServers(ctx context.Context) ([]Server, error) {
	return db.queryServers(ctx, "all servers",
		`SELECT `+serverColumns+` FROM servers ORDER BY guild_id, name, service_id`)
}

func (db *DB) queryServers(ctx context.Context, op, q string, args ...any) ([]Server, error) {
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var ss []Server
	for rows.Next() {
		s, err := scanServer(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		ss = append(ss, *s)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return ss, nil
}

func scanServer(sc scanner) (*Server, error) {
	var s Server
	var created string
	err := sc.Scan(&s.ID, &s.GuildID, &s.ServiceID, &s.Name, &s.Map, &s.Enabled,
		&s.Cluster, &s.DecayMultiplier, &created)
	if err != nil {
		return nil, err
	}
	if s.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	return &s, nil
}
