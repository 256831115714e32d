package bots

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// LogKinds are the log channels a guild can configure.
func LogKinds() []string { return []string{"admin", "join", "tickets", "donations"} }

// GuildSettings are one guild's Bliss settings, stored by app.
type GuildSettings struct {
	GuildID              string
	StaffRoleIDs         []string
	ChatBridgeCategoryID string
	TicketCategoryID     string
	LogChannels          map[string]string // LogKinds() → channel id
	// Values holds every other stored setting by key (see Setting); read
	// them with Value, Number, Bool, Duration or IDs.
	Values map[string]string
}

// GameServer is a Nitrado game server linked to a guild.
type GameServer struct {
	GuildID   string
	ServiceID int64 // Nitrado service id
	Name      string
	Cluster   string
}

// GuildStore persists guild settings and linked servers. App wires the
// SQLite implementation; MemStore is an in-memory one for tests and the
// sandbox.
type GuildStore interface {
	// GuildSettings returns the settings of guildID; a guild never set up
	// yields GuildSettings{GuildID: guildID} and a nil error.
	GuildSettings(ctx context.Context, guildID string) (GuildSettings, error)
	SaveGuildSettings(ctx context.Context, s GuildSettings) error
	// AddServer links (or renames/moves) a server in a guild.
	AddServer(ctx context.Context, s GameServer) error
	// RemoveServer unlinks a server; false when it was not linked.
	RemoveServer(ctx context.Context, guildID string, serviceID int64) (bool, error)
	// Servers lists a guild's servers ordered by cluster, name.
	Servers(ctx context.Context, guildID string) ([]GameServer, error)
}

// StaffFromStore adapts a GuildStore to StaffSource.
func StaffFromStore(s GuildStore) StaffSource { return staffAdapter{s} }

type staffAdapter struct{ s GuildStore }

func (a staffAdapter) StaffRoleIDs(ctx context.Context, guildID string) ([]string, error) {
	gs, err := a.s.GuildSettings(ctx, guildID)
	if err != nil {
		return nil, err
	}
	return gs.StaffRoleIDs, nil
}

// MemStore is an in-memory GuildStore, safe for concurrent use.
type MemStore struct {
	mu       sync.Mutex
	settings map[string]GuildSettings
	servers  map[string]map[int64]GameServer
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{settings: map[string]GuildSettings{}, servers: map[string]map[int64]GameServer{}}
}

func cloneSettings(s GuildSettings) GuildSettings {
	s.StaffRoleIDs = slices.Clone(s.StaffRoleIDs)
	lc := make(map[string]string, len(s.LogChannels))
	for k, v := range s.LogChannels {
		lc[k] = v
	}
	s.LogChannels = lc
	vs := make(map[string]string, len(s.Values))
	for k, v := range s.Values {
		vs[k] = v
	}
	s.Values = vs
	return s
}

// GuildSettings implements GuildStore.
func (m *MemStore) GuildSettings(_ context.Context, guildID string) (GuildSettings, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.settings[guildID]
	if !ok {
		s = GuildSettings{GuildID: guildID}
	}
	return cloneSettings(s), nil
}

// SaveGuildSettings implements GuildStore.
func (m *MemStore) SaveGuildSettings(_ context.Context, s GuildSettings) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.settings[s.GuildID] = cloneSettings(s)
	return nil
}

// AddServer implements GuildStore.
func (m *MemStore) AddServer(_ context.Context, s GameServer) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.servers[s.GuildID] == nil {
		m.servers[s.GuildID] = map[int64]GameServer{}
	}
	m.servers[s.GuildID][s.ServiceID] = s
	return nil
}

// RemoveServer implements GuildStore.
func (m *MemStore) RemoveServer(_ context.Context, guildID string, serviceID int64) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.servers[guildID][serviceID]
	delete(m.servers[guildID], serviceID)
	return ok, nil
}

// Servers implements GuildStore.
func (m *MemStore) Servers(_ context.Context, guildID string) ([]GameServer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]GameServer, 0, len(m.servers[guildID]))
	for _, s := range m.servers[guildID] {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Cluster != out[j].Cluster {
			return out[i].Cluster < out[j].Cluster
		}
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].ServiceID < out[j].ServiceID
	})
	return out, nil
}

// ParseServiceID parses a Nitrado service id typed by a user or carried in
// a custom_id or option value.
func ParseServiceID(s string) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return id, err == nil && id > 0
}
