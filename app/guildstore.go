package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

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

// logSettingKey maps a bots.LogKinds() entry to its setting key.
func logSettingKey(kind string) string {
	switch kind {
	case "admin":
		return storage.SettingAdminLogChannel
	case "donations":
		return storage.SettingDonationLogChannel
	case "tickets":
		return storage.SettingTicketLogChannel
	}
	return kind + "_log_channel"
}

func (g *guildStore) GuildSettings(ctx context.Context, guildID string) (bots.GuildSettings, error) {
	s := bots.GuildSettings{GuildID: guildID, LogChannels: map[string]string{}, Values: map[string]string{}}
	m, err := g.db.Settings(ctx, guildID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return s, err
	}
	for k, v := range m {
		s.Values[k] = v
	}
	s.StaffRoleIDs = splitList(m[storage.SettingStaffRoleIDs])
	for _, r := range g.defaultStaff {
		if !contains(s.StaffRoleIDs, r) {
			s.StaffRoleIDs = append(s.StaffRoleIDs, r)
		}
	}
	s.ChatBridgeCategoryID = m[storage.SettingChatBridgeCategory]
	s.TicketCategoryID = m[storage.SettingTicketCategory]
	for _, k := range bots.LogKinds() {
		if v := m[logSettingKey(k)]; v != "" {
			s.LogChannels[k] = v
		}
	}
	return s, nil
}

func (g *guildStore) ensureGuild(ctx context.Context, guildID string) error {
	if _, err := g.db.Guild(ctx, guildID); err == nil {
		return nil
	} else if !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	return g.db.UpsertGuild(ctx, &storage.Guild{ID: guildID})
}

func (g *guildStore) SaveGuildSettings(ctx context.Context, s bots.GuildSettings) error {
	if err := g.ensureGuild(ctx, s.GuildID); err != nil {
		return err
	}
	// Only the guild's own roles are stored; the configured defaults stay in config.
	var own []string
	for _, r := range s.StaffRoleIDs {
		if !contains(g.defaultStaff, r) {
			own = append(own, r)
		}
	}
	set := map[string]string{}
	for k, v := range s.Values {
		set[k] = v
	}
	for k, v := range map[string]string{
		storage.SettingStaffRoleIDs:       strings.Join(own, ","),
		storage.SettingChatBridgeCategory: s.ChatBridgeCategoryID,
		storage.SettingTicketCategory:     s.TicketCategoryID,
	} {
		set[k] = v
	}
	for _, k := range bots.LogKinds() {
		set[logSettingKey(k)] = s.LogChannels[k]
	}
	for k, v := range set {
		var err error
		if v == "" {
			err = g.db.DeleteSetting(ctx, s.GuildID, k)
			if errors.Is(err, storage.ErrNotFound) {
				err = nil
			}
		} else {
			err = g.db.SetSetting(ctx, s.GuildID, k, v)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (g *guildStore) AddServer(ctx context.Context, s bots.GameServer) error {
	id := s.ServiceID
	if id <= 0 {
		return bots.Errorf("%d is not a Nitrado service id", s.ServiceID)
	}
	if err := g.ensureGuild(ctx, s.GuildID); err != nil {
		return err
	}
	row := &storage.Server{GuildID: s.GuildID, ServiceID: id, Name: s.Name, Cluster: s.Cluster, Enabled: true}
	err := g.db.AddServer(ctx, row)
	if errors.Is(err, storage.ErrConflict) {
		old, gerr := g.db.Server(ctx, s.GuildID, id)
		if gerr != nil {
			return gerr
		}
		old.Name, old.Cluster, old.Enabled = s.Name, s.Cluster, true
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
		out = append(out, bots.GameServer{GuildID: r.GuildID, ServiceID: r.ServiceID, Name: r.Name, Cluster: r.Cluster})
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
