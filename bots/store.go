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
func LogKinds() []string {
	return []string{"admin", "join", "tribe", "deaths", "chat", "tickets", "donations", "orders"}
}

// Storage keys of the settings GuildSettings exposes as fields (declared by
// the Master bot; the keys predate the registry and stay as they are).
const (
	KeyStaffRoles         = "staff_role_ids"       // SettingRoles
	KeyChatBridgeCategory = "chat_bridge_category" // SettingCategory
	KeyTicketCategory     = "ticket_category"      // SettingCategory
)

// LogSettingKey is the storage key of the log channel of kind (one of
// LogKinds): "<kind>_log_channel", except the three keys that predate the
// plural kind names.
func LogSettingKey(kind string) string {
	switch kind {
	case "donations":
		return "donation_log_channel"
	case "tickets":
		return "ticket_log_channel"
	}
	return kind + "_log_channel"
}

// GuildSettings are one guild's Bliss settings, stored by app.
type GuildSettings struct {
	GuildID string
	// The fields below mirror Values[KeyStaffRoles], ... for convenience;
	// NewGuildSettings fills them and Set keeps them in step. When saved,
	// the fields win over Values for their keys.
	StaffRoleIDs         []string
	ChatBridgeCategoryID string
	TicketCategoryID     string
	LogChannels          map[string]string // LogKinds() → channel id
	// Values holds every stored setting by key (see Setting); read them
	// with Value, Number, Bool, Duration or IDs.
	Values map[string]string
}

// NewGuildSettings builds a guild's settings from its stored key → value
// map (Values is a copy of values; the mirror fields are derived from it).
func NewGuildSettings(guildID string, values map[string]string) GuildSettings {
	g := GuildSettings{GuildID: guildID, LogChannels: map[string]string{}, Values: make(map[string]string, len(values))}
	for k, v := range values {
		g.Set(k, v)
	}
	return g
}

// Set stores value under key ("" clears it), keeping the mirror fields in
// step.
func (g *GuildSettings) Set(key, value string) {
	if g.Values == nil {
		g.Values = map[string]string{}
	}
	if value == "" {
		delete(g.Values, key)
	} else {
		g.Values[key] = value
	}
	switch key {
	case KeyStaffRoles:
		g.StaffRoleIDs = splitIDs(value)
	case KeyChatBridgeCategory:
		g.ChatBridgeCategoryID = value
	case KeyTicketCategory:
		g.TicketCategoryID = value
	default:
		for _, k := range LogKinds() {
			if key == LogSettingKey(k) {
				if g.LogChannels == nil {
					g.LogChannels = map[string]string{}
				}
				if value == "" {
					delete(g.LogChannels, k)
				} else {
					g.LogChannels[k] = value
				}
			}
		}
	}
}

// StoredValues is what SaveGuildSettings writes: every key of Values, with
// the mirror fields applied over their keys ("" = delete the key).
func (g GuildSettings) StoredValues() map[string]string {
	out := make(map[string]string, len(g.Values)+4+len(LogKinds()))
	for k, v := range g.Values {
		out[k] = v
	}
	out[KeyStaffRoles] = strings.Join(g.StaffRoleIDs, ",")
	out[KeyChatBridgeCategory] = g.ChatBridgeCategoryID
	out[KeyTicketCategory] = g.TicketCategoryID
	for _, k := range LogKinds() {
		out[LogSettingKey(k)] = g.LogChannels[k]
	}
	return out
}

func splitIDs(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// GameServer is a Nitrado game server linked to a guild.
type GameServer struct {
	GuildID   string
	ServiceID int64 // Nitrado service id
	Name      string
	Cluster   string
	// DecayMultiplier is the staff's override of the server's
	// PvEStructureDecayPeriodMultiplier for decay timers; 0 (or 1) means
	// none: the parse uses the server's own setting from Nitrado.
	DecayMultiplier float64
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
	m.settings[s.GuildID] = NewGuildSettings(s.GuildID, nonEmpty(s.StoredValues()))
	return nil
}

func nonEmpty(m map[string]string) map[string]string {
	for k, v := range m {
		if v == "" {
			delete(m, k)
		}
	}
	return m
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
