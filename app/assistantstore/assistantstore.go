// Package assistantstore adapts the SQLite storage to the Assistant bot's
// interfaces (zones, the staff's teleport list, the latest snapshot). App
// wires it; the Assistant bot's end-to-end tests use it too, so they run
// against the same SQLite code as production.
package assistantstore

import (
	"context"
	"errors"

	"github.com/blissark/bliss/bots/assistant"
	"github.com/blissark/bliss/storage"
)

// maxBases bounds the bases read for the closest-base lookup (a map holds
// a few thousand at most).
const maxBases = 100_000

// Store implements assistant.ZoneStore, assistant.TeleportStore and
// assistant.World over db.
type Store struct{ db *storage.DB }

var (
	_ assistant.ZoneStore     = Store{}
	_ assistant.TeleportStore = Store{}
	_ assistant.World         = Store{}
)

// New returns the adapter over db.
func New(db *storage.DB) Store { return Store{db} }

// UserTimezone implements assistant.ZoneStore.
func (s Store) UserTimezone(ctx context.Context, userID string) (string, error) {
	return s.db.UserTimezone(ctx, userID)
}

// SetUserTimezone implements assistant.ZoneStore.
func (s Store) SetUserTimezone(ctx context.Context, userID, zone string) error {
	return s.db.SetUserTimezone(ctx, userID, zone)
}

func toPoint(p storage.TeleportPoint) assistant.TeleportPoint {
	return assistant.TeleportPoint{Map: p.Map, Name: p.Name, X: p.X, Y: p.Y, Z: p.Z, Public: p.Public, TribeID: p.TribeID,
		TribeName: p.TribeName, Class: p.Class, Note: p.Note, CreatedBy: p.CreatedBy}
}

func toPoints(ps []storage.TeleportPoint) []assistant.TeleportPoint {
	if ps == nil {
		return nil
	}
	out := make([]assistant.TeleportPoint, len(ps))
	for i, p := range ps {
		out[i] = toPoint(p)
	}
	return out
}

// TeleportPoints implements assistant.TeleportStore.
func (s Store) TeleportPoints(ctx context.Context, guildID, mapKey string) ([]assistant.TeleportPoint, error) {
	ps, err := s.db.TeleportPoints(ctx, guildID, mapKey)
	return toPoints(ps), err
}

// AddTeleportPoint implements assistant.TeleportStore.
func (s Store) AddTeleportPoint(ctx context.Context, guildID string, p assistant.TeleportPoint) (bool, error) {
	return s.db.AddTeleportPoint(ctx, storage.TeleportPoint{GuildID: guildID, Map: p.Map, Name: p.Name, X: p.X, Y: p.Y, Z: p.Z,
		Public: p.Public, TribeID: p.TribeID, Note: p.Note, CreatedBy: p.CreatedBy})
}

// RemoveTeleportPoint implements assistant.TeleportStore.
func (s Store) RemoveTeleportPoint(ctx context.Context, guildID, mapKey, name string) (bool, error) {
	return s.db.RemoveTeleportPoint(ctx, guildID, mapKey, name)
}

// ServerMap implements assistant.World: the map of the newest snapshot.
func (s Store) ServerMap(ctx context.Context, serviceID int64) (string, error) {
	in, err := s.db.LastSnapshot(ctx, serviceID)
	if errors.Is(err, storage.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return in.Map, nil
}

// Bases implements assistant.World.
func (s Store) Bases(ctx context.Context, serviceID int64) ([]assistant.Base, error) {
	rows, err := s.db.Bases(ctx, serviceID, false, maxBases)
	if err != nil {
		return nil, err
	}
	out := make([]assistant.Base, len(rows))
	for i, r := range rows {
		out[i] = assistant.Base{Owner: r.Owner, OwnerName: r.OwnerName, Structures: r.Structures,
			X: r.Center.X, Y: r.Center.Y, Z: r.Center.Z, MinX: r.Min.X, MinY: r.Min.Y, MaxX: r.Max.X, MaxY: r.Max.Y, DecaysAt: r.DecaysAt}
	}
	return out, nil
}

// SaveTeleporters implements assistant.World.
func (s Store) SaveTeleporters(ctx context.Context, serviceID int64) ([]assistant.TeleportPoint, error) {
	ps, err := s.db.SaveTeleporters(ctx, serviceID)
	return toPoints(ps), err
}

// TribeOf implements assistant.World.
func (s Store) TribeOf(ctx context.Context, guildID, discordID string, serviceID int64) (int64, bool, error) {
	return s.db.TribeOfLinkedUser(ctx, guildID, discordID, serviceID)
}
