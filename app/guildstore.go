package app

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/storage"
)

// guildStore implements bots.GuildStore over SQLite.
type guildStore struct {
	db *storage.DB
	// defaultStaff are the BLISS_STAFF_ROLE_IDS roles, staff in every guild.
	defaultStaff []string
}

var _ bots.GuildStore = (*guildStore)(nil)

// GuildSettings reads every stored key of the guild; the BLISS_STAFF_ROLE_IDS
// roles are added to the guild's own staff roles.
func (g *guildStore) GuildSettings(ctx context.Context, guildID string) (bots.GuildSettings, error) {
	m, err := g.db.Settings(ctx, guildID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return bots.GuildSettings{GuildID: guildID, LogChannels: map[string]string{}, Values: map[string]string{}}, err
	}
	s := bots.NewGuildSettings(guildID, m)
	for _, r := range g.defaultStaff {
		if !slices.Contains(s.StaffRoleIDs, r) {
			s.StaffRoleIDs = append(s.StaffRoleIDs, r)
		}
	}
	return s, nil
}

// SaveGuildSettings writes every key in one transaction ("" deletes it).
func (g *guildStore) SaveGuildSettings(ctx context.Context, s bots.GuildSettings) error {
	// Only the guild's own roles are stored; the configured defaults stay in config.
	s.StaffRoleIDs = slices.DeleteFunc(slices.Clone(s.StaffRoleIDs), func(r string) bool { return slices.Contains(g.defaultStaff, r) })
	return g.db.SetSettings(ctx, s.GuildID, s.StoredValues())
}

func (g *guildStore) ensureGuild(ctx context.Context, guildID string) error {
	if _, err := g.db.Guild(ctx, guildID); err == nil {
		return nil
	} else if !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	return g.db.UpsertGuild(ctx, &storage.Guild{ID: guildID})
}

func (g *guildStore) AddServer(ctx context.Context, s bots.GameServer) error {
	id := s.ServiceID
	if id <= 0 {
		return bots.Errorf("%d is not a Nitrado service id", s.ServiceID)
	}
	if err := g.ensureGuild(ctx, s.GuildID); err != nil {
		return err
	}
	row := &storage.Server{GuildID: s.GuildID, ServiceID: id, Name: s.Name, Cluster: s.Cluster, Enabled: true,
		DecayMultiplier: s.DecayMultiplier}
	err := g.db.AddServer(ctx, row)
	if errors.Is(err, storage.ErrConflict) {
		old, gerr := g.db.Server(ctx, s.GuildID, id)
		if gerr != nil {
			return gerr
		}
		old.Name, old.Cluster, old.Enabled, old.DecayMultiplier = s.Name, s.Cluster, true, s.DecayMultiplier
		return g.db.UpdateServer(ctx, old)
	}
	return err
}

func (g *guildStore) RemoveServer(ctx context.Context, guildID string, id int64) (bool, error) {
	err := g.db.RemoveServer(ctx, guildID, id)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (g *guildStore) Servers(ctx context.Context, guildID string) ([]bots.GameServer, error) {
	rows, err := g.db.ListServers(ctx, guildID)
	if err != nil {
		return nil, fmt.Errorf("servers of guild %s: %w", guildID, err)
	}
	out := make([]bots.GameServer, 0, len(rows))
	for _, r := range rows {
		out = append(out, bots.GameServer{GuildID: r.GuildID, ServiceID: r.ServiceID, Name: r.Name, Cluster: r.Cluster,
			DecayMultiplier: r.DecayMultiplier})
	}
	return out, nil
}
